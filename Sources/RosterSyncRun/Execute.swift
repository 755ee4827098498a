import Foundation
import LDAPClient
import LDAPModel
import Logging
import RosterSync

/// One run that writes: who runs it, under which lock and lease, and how it may end.
package struct RunContext {
    package let config: Config
    package let state: StateFolder
    package let actor: String
    package let runId: String
    package let started: Date
    /// An admin's forced run: the safety thresholds do not stop it.
    package var force = false
    package var timings = false
    package var lease: DirectoryLease?
    /// A sync or apply: it finishes an earlier run that stopped half way (its allowance and
    /// marker) and is the run the metrics describe. An admin's single change (a reopened
    /// mailbox) is neither: it leaves both to the next sync.
    package var isSync = true

    package init(_ run: Runner.ExclusiveRun, actor: String, started: Date) {
        config = run.config
        state = run.state
        lease = run.lease
        self.actor = actor
        self.started = started
        runId = Runner.runId(started)
    }

    func record(_ change: Change?, _ result: String, code: Int32 = 0, message: String = "", seq: Int? = nil) -> AuditRecord {
        AuditRecord(time: Runner.timestamp(), run: runId, actor: actor, change: change, result: result, code: code, message: message, seq: seq)
    }

    func writeMetrics(_ result: String, _ outcomes: [String: [String: Int]] = [:]) {
        if isSync { state.writeMetrics(started: started, result: result, outcomes: outcomes) }
    }
}

/// What became of a run's changes, as the applier reported them.
struct RunTally {
    var outcomes: [String: [String: Int]] = [:]
    var applied = Set<Int>(), failed = Set<Int>()
    var unknown = 0
    var firstUnknown: LDAPError?

    var summary: [String: Int] {
        var out: [String: Int] = [:]
        for (kind, o) in outcomes { for (outcome, n) in o { out["\(kind).\(outcome)"] = n } }
        return out
    }
    var complete: Bool { failed.isEmpty && unknown == 0 }
}

extension Runner {
    /// Checks the thresholds, backs up, applies, audits and reports a plan: the common end of
    /// `sync`, `apply` and `unlock`.
    package static func execute(_ plan: Plan, in run: RunContext) throws {
        var plan = plan
        var stopwatch = Stopwatch(enabled: run.timings)
        plan.changes.removeAll { $0.kind == .orphan }  // reported by plan, never changed
        if plan.changes.isEmpty {
            Log.logger.notice("nothing to do: the directory matches the rosters (\(plan.scheduled.count) scheduled)")
            if run.isSync { run.state.clearUnfinished() }  // whatever an earlier run left is done
            run.writeMetrics("nothing")
            return
        }
        let unfinished = run.isSync ? run.state.unfinishedRun() : nil
        try refuseOverThresholds(plan, unfinished: unfinished, in: run)
        let conn = try failing(outcome: "nothing was done") { try connect(run.config) }
        var prepared = try prepare(plan, conn: conn, in: run)
        stopwatch.lap("passwords and notices (\(prepared.credentials.count))")
        // Backups of what destructive changes touch, before the first write.
        prepared.backup = try failing(outcome: "nothing was done") {
            try run.state.backup(runId: run.runId, dns: Backup.entriesBeforeRun(plan.changes), conn: conn)
        }
        stopwatch.lap("backup")
        run.state.audit([run.record(nil, "started", message: "\(plan.changes.count) changes planned as of \(plan.asOf) from \(plan.directory)")])
        if run.isSync {
            // Until this run reaches its end, what it was let through carries over to the next.
            let allowed = plan.counts.merging(unfinished?.counts ?? [:], uniquingKeysWith: max)
            try failing(outcome: "nothing was done") { try run.state.markUnfinished(runId: run.runId, counts: allowed) }
        }
        let (tally, fatal) = send(plan, conn: conn, credentials: prepared.credentials, in: run)
        stopwatch.lap("writes (\(plan.changes.count) changes)")
        try finish(plan, tally: tally, fatal: fatal, prepared: prepared, in: run)
        stopwatch.lap("notices, audit and metrics")
    }

    /// A run that died half way is finished by this one within what it was allowed; past the
    /// thresholds, nothing is written unless an admin forced it.
    static func refuseOverThresholds(_ plan: Plan, unfinished: (run: String, counts: [ChangeKind: Int])?, in run: RunContext) throws {
        let violations = SafetyCheck.violations(plan, run.config.safety, allowance: unfinished?.counts ?? [:])
        if let unfinished, violations.isEmpty, !SafetyCheck.violations(plan, run.config.safety).isEmpty {
            Log.logger.notice("finishing run \(unfinished.run), which stopped before its end: its changes are within what it was allowed")
        }
        guard !violations.isEmpty && !run.force else { return }
        Log.logger.error(Logger.Message(stringLiteral: "rostersync: safety threshold tripped, nothing was written:\n  " + violations.joined(separator: "\n  ")
            + "\nCheck the rosters (a truncated export?) with `rostersync plan`; if the changes are meant, rerun with --force --reason \"…\"."))
        // One line per limit exceeded, with the run's exit code.
        run.state.audit(violations.map { run.record(nil, "threshold", code: 3, message: $0) })
        run.writeMetrics("threshold")
        throw RunExit.threshold
    }

    /// What a run holds before its first write: the initial passwords, already in the units'
    /// notices, and the backup of what its destructive changes touch.
    struct Prepared {
        var credentials: [Int: Credential]
        var marker: RunMarker
        var noticeDir: String
        var backup: String? = nil
    }

    /// Initial passwords are made now and written to the units' notices before any write, so
    /// that a run that dies after creating a mailbox has not lost its password; the run's
    /// marker goes first, so that a run dying from here on is settled by the next.
    static func prepare(_ plan: Plan, conn: LDAPConnection, in run: RunContext) throws -> Prepared {
        var credentials: [Int: Credential] = [:]
        for (i, c) in plan.changes.enumerated() where c.kind.setsPassword {
            credentials[i] = credential(for: c, plan: plan, domain: run.config.mail.domain)
        }
        let noticeDir = run.state.path + "/notices/" + run.runId
        let marker = RunMarker(run: run.runId, auditOffset: run.state.auditSize(), noticeDir: noticeDir,
                               credentials: credentials.sorted { $0.key < $1.key }.map { (seq: $0.key, unit: $0.value.unitCode, address: $0.value.address) })
        try failing(outcome: "nothing was done") {
            try run.state.openRun(marker)
            _ = try run.state.writeNotices(runId: run.runId, day: plan.asOf, unitNames: plan.unitNames,
                                           credentials: Array(credentials.values), documents: run.config.documents)
        }
        return Prepared(credentials: credentials, marker: marker, noticeDir: noticeDir)
    }

    /// Every change through the applier, each outcome logged and audited as it comes.
    /// Returns the tally and the connection error that ended the writes early, if any.
    static func send(_ plan: Plan, conn: LDAPConnection, credentials: [Int: Credential], in run: RunContext) -> (RunTally, LDAPError?) {
        var tally = RunTally()
        var applier = Applier(conn: conn, window: run.config.directory.window)
        let lease = run.lease
        applier.stop = { lease?.lost.map { "\($0): this run stopped sending" } }
        let syncEach = auditSyncEach
        let log = Log.logger
        let fatal = applier.apply(plan.changes, operations: { i in
            withPassword(separatingLive(plan.changes[i], conn: conn), credentials[i], hash: run.config.directory.passwordHash)
        }, sending: { indices, ops in
            // What each change will leave, on record before its first write goes out: one
            // write(2) and one fsync per batch, so that even a crash of the machine leaves every
            // change slapd may have applied on record for the next run to settle. The final
            // records are synced by the run's last line (or each, ROSTERSYNC_AUDIT_FSYNC=1).
            let now = timestamp()
            run.state.audit(indices.map {
                AuditRecord(time: now, run: run.runId, actor: run.actor, change: plan.changes[$0], result: "pending", seq: $0, checks: WriteEffect.of(ops[$0] ?? []))
            })
        }) { i, result in
            let c = plan.changes[i]
            let record: AuditRecord
            switch result {
            case .ok:
                tally.applied.insert(i)
                tally.outcomes[c.kind.rawValue, default: [:]]["ok", default: 0] += 1
                log.notice("did \(c.kind.rawValue) \(c.subject)")
                record = run.record(c, "ok", seq: i)
            case let .failed(e):
                tally.failed.insert(i)
                tally.outcomes[c.kind.rawValue, default: [:]]["failed", default: 0] += 1
                log.error("FAILED \(c.kind.rawValue) \(c.subject): \(e)")
                record = run.record(c, "failed", code: e.code.rawValue, message: e.description, seq: i)
            case let .unknown(e):
                tally.unknown += 1
                tally.firstUnknown = tally.firstUnknown ?? e
                tally.outcomes[c.kind.rawValue, default: [:]]["unknown", default: 0] += 1
                log.error("UNKNOWN \(c.kind.rawValue) \(c.subject): sent, no answer (\(e)); the next run settles it")
                record = run.record(c, "unknown", code: e.code.rawValue,
                                    message: "sent, no answer: \(e.description); whether it took effect is settled by the next run", seq: i)
            }
            run.state.audit([record], sync: syncEach)
        }
        return (tally, fatal)
    }

    /// The run's last records: notices without the mailboxes that failed, the summary line,
    /// the marker closed when every change has its final record, metrics, and the exit status.
    static func finish(_ plan: Plan, tally: RunTally, fatal: LDAPError?, prepared: Prepared, in run: RunContext) throws {
        let log = Log.logger
        // Notices keep the mailboxes that exist with that password and those whose write went
        // unanswered (they may exist: the next run settles them). Written again only when some
        // failed: rewriting 100,000 people's notices took a second.
        let kept = prepared.credentials.filter { !tally.failed.contains($0.key) }.map(\.value)
        if kept.count != prepared.credentials.count {
            try? run.state.rewriteNotices(prepared.noticeDir, day: plan.asOf, unitNames: plan.unitNames, credentials: kept, documents: run.config.documents)
            if kept.isEmpty { rmdir(prepared.noticeDir) }
        }
        let (applied, failures, unknown) = (tally.applied.count, tally.failed.count, tally.unknown)
        var end = run.record(nil, tally.complete ? "done" : "partial",
                             message: "\(applied) applied, \(failures) failed, \(unknown) unknown; backups in \(prepared.backup ?? "-"); notices in \(kept.isEmpty ? "-" : prepared.noticeDir)")
        end.summary = tally.summary
        run.state.audit([end])
        // Every change has its final record: the run is settled (older notices lose the
        // entries this one replaces).
        if unknown == 0 { run.state.closeRun(prepared.marker, valid: tally.applied) }
        run.writeMetrics(tally.complete ? "ok" : "partial", tally.outcomes)
        let where_ = kept.isEmpty ? "" : "; initial passwords in \(prepared.noticeDir) (mode 0600)"
        log.notice("\(applied) change\(applied == 1 ? "" : "s") applied, \(failures) failed\(unknown > 0 ? ", \(unknown) unknown" : "")\(where_)")
        if let fatal, let lost = run.lease?.lost {
            log.error("rostersync: \(lost) (\(fatal.code.text)): this run stopped before its end; the run that holds the lease, or the next, finishes the work")
        } else if let fatal {
            log.error("rostersync: the connection was lost (\(fatal)); the next run finishes the work")
        } else if run.isSync {
            run.state.clearUnfinished()
        }
        if unknown > 0 {
            let why = tally.firstUnknown.map { "\($0)" } ?? ""
            log.error(Logger.Message(stringLiteral: "rostersync: \(unknown) write\(unknown == 1 ? "" : "s") got no answer (\(why)): whether \(unknown == 1 ? "it" : "they") took effect is unknown. "
                + (prepared.credentials.isEmpty ? "" : "Their passwords stay in the notices; ")
                + "the next run looks each up in the directory and settles it (audit: ok or not applied)"))
        }
        if !tally.complete { throw RunExit.partial }
    }

    /// fsync the audit log after each record (ROSTERSYNC_AUDIT_FSYNC=1); by default each
    /// record is one write(2), which a kill -9 of the process does not lose.
    static let auditSyncEach = ProcessInfo.processInfo.environment["ROSTERSYNC_AUDIT_FSYNC"] == "1"
}
