import ArgumentParser
import Foundation
import LDAPClient
import Logging
import LDAPModel
import RosterSync

/// `rostersync sync`: plan and apply in one run, for a timer or an admin.
struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Plan and apply: make the directory equal to the rosters.",
        discussion: """
            Makes the plan `rostersync plan` shows and applies it: safety thresholds are checked \
            on the whole plan first; every entry a change deletes, disables, renames or moves is \
            backed up as LDIF before; every change goes to the audit log; new mailboxes get a \
            random initial password that the server hashes and must be changed at first login, \
            written only to a notice file per unit (mode 0600). Two runs never overlap (a lock \
            in the state folder). A run that dies half way is finished by the next one.

            Exit codes: 0 done (or nothing to do); 1 error before any write (bad config, invalid \
            roster, directory unreachable, another run holds the lock); 3 a safety threshold \
            tripped and nothing was written (--force --reason overrides); 4 some changes failed, \
            the others were applied.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(name: .customLong("as-of"), help: ArgumentHelp("Sync as on this day (default: today).", valueName: "YYYY-MM-DD"))
    var asOf: String?
    @Option(name: .customLong("unit"), help: ArgumentHelp("Only the changes of this unit (repeatable).", valueName: "CODE"))
    var unitFilter: [String] = []
    @Flag(help: "An admin's forced sync: the safety thresholds do not stop it. Needs --reason.")
    var force = false
    @Option(help: ArgumentHelp("Why the sync is forced; recorded in the audit log with the user.", valueName: "TEXT"))
    var reason: String?
    @Flag(help: "Print how long reading, planning, backing up and writing took (stderr).")
    var timings = false

    func validate() throws {
        if force != (reason != nil) { throw ValidationError("--force and --reason go together: a forced sync needs its reason recorded") }
        if let reason, reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must say why") }
        if let asOf, Day(parsing: asOf) == nil { throw ValidationError("--as-of \(asOf): expected a date such as 2026-12-31") }
    }

    func run() throws {
        Log.survivePipes()
        let started = Date()
        // The flock, and the directory's own lease that keeps out runs on other hosts (Lease.swift).
        let run = try Frontend.exclusiveRun(options.config, started: started)
        defer { run.release() }
        let (config, state) = (run.config, run.state)
        let actor = Frontend.actor(force: force, reason: reason)
        let runId = Frontend.runId(started)
        // Earlier runs killed or left with unanswered writes are settled before this one plans.
        do {
            try Frontend.failing(outcome: "nothing was done") { try Frontend.settleEarlierRuns(state: state, runId: runId, config: config) }
            try Frontend.failing(outcome: "nothing was done") { try Frontend.rehashCleartextPasswords(config: config, state: state, runId: runId, actor: actor) }
        } catch {
            state.writeMetrics(started: started, result: "error", outcomes: [:])
            throw error
        }

        let plan: Plan
        do {
            plan = try Frontend.failing(outcome: "nothing was done") {
                try Frontend.makePlan(configPath: options.config, units: nil, staff: nil, asOf: asOf, unitFilter: unitFilter, timings: timings)
            }
        } catch {
            state.writeMetrics(started: started, result: "error", outcomes: [:])
            throw error
        }
        try Frontend.execute(plan, config: config, state: state, actor: actor, runId: runId, force: force, started: started, timings: timings, lease: run.lease)
    }
}

extension Frontend {
    /// Checks the thresholds, backs up, applies, audits and reports a plan: the common end of
    /// `sync` and `apply`.
    static func execute(
        _ plan: Plan, config: Config, state: StateFolder, actor: String, runId: String, force: Bool, started: Date, timings: Bool = false,
        lease: DirectoryLease? = nil
    ) throws {
        var plan = plan
        var stopwatch = Stopwatch(enabled: timings)
        func lap(_ what: String) { stopwatch.lap(what) }
        let log = Log.logger
        plan.changes.removeAll { $0.kind == .orphan }  // reported by plan, never changed
        if plan.changes.isEmpty {
            log.notice("nothing to do: the directory matches the rosters (\(plan.scheduled.count) scheduled)")
            state.clearUnfinished()  // whatever an earlier run left is done
            state.writeMetrics(started: started, result: "nothing", outcomes: [:])
            return
        }
        // A run that died half way is finished by this one within what it was allowed.
        let unfinished = state.unfinishedRun()
        let violations = SafetyCheck.violations(plan, config.safety, allowance: unfinished?.counts ?? [:])
        if let unfinished, violations.isEmpty, !SafetyCheck.violations(plan, config.safety).isEmpty {
            log.notice("finishing run \(unfinished.run), which stopped before its end: its changes are within what it was allowed")
        }
        if !violations.isEmpty && !force {
            log.error(Logger.Message(stringLiteral: "rostersync: safety threshold tripped, nothing was written:\n  " + violations.joined(separator: "\n  ")
                + "\nCheck the rosters (a truncated export?) with `rostersync plan`; if the changes are meant, rerun with --force --reason \"…\"."))
            // One line per limit exceeded, with the run's exit code.
            state.audit(violations.map { AuditRecord(time: Frontend.timestamp(), run: runId, actor: actor, change: nil, result: "threshold", code: 3, message: $0) })
            state.writeMetrics(started: started, result: "threshold", outcomes: [:])
            throw ExitCode(3)
        }

        let conn = try Frontend.failing(outcome: "nothing was done") { try Frontend.connect(config) }
        // Initial passwords: made now, written to the units' notices before any write, so a run
        // that dies after creating a mailbox has not lost its password.
        var credentials: [Int: Credential] = [:]
        for (i, c) in plan.changes.enumerated() where [.createAccount, .createUnit, .handoverUnitMailbox].contains(c.kind) {
            credentials[i] = Frontend.credential(for: c, plan: plan, domain: config.mail.domain)
        }
        let noticeDir = state.path + "/notices/" + runId
        // The run's marker before its notices: a run that dies from here on is settled by the next.
        let marker = RunMarker(run: runId, auditOffset: state.auditSize(), noticeDir: noticeDir,
                               credentials: credentials.sorted { $0.key < $1.key }.map { (seq: $0.key, unit: $0.value.unitCode, address: $0.value.address) })
        try Frontend.failing(outcome: "nothing was done") {
            try state.openRun(marker)
            _ = try state.writeNotices(runId: runId, day: plan.asOf, unitNames: plan.unitNames, credentials: Array(credentials.values), documents: config.documents)
        }
        lap("passwords and notices (\(credentials.count))")
        // Backups of what destructive changes touch, before the first write.
        let backup = try Frontend.failing(outcome: "nothing was done") {
            try state.backup(runId: runId, dns: Backup.entriesBeforeRun(plan.changes), conn: conn)
        }

        lap("backup")
        var outcomes: [String: [String: Int]] = [:]
        var failures = 0, unknown = 0
        var failedChanges = Set<Int>(), appliedChanges = Set<Int>()
        var unknownError: LDAPError?
        state.audit([AuditRecord(time: Frontend.timestamp(), run: runId, actor: actor, change: nil, result: "started",
                                 message: "\(plan.changes.count) changes planned as of \(plan.asOf) from \(plan.directory)")])
        // Until this run reaches its end, what it was let through carries over to the next.
        let allowed = plan.counts.merging(unfinished?.counts ?? [:], uniquingKeysWith: max)
        try Frontend.failing(outcome: "nothing was done") { try state.markUnfinished(runId: runId, counts: allowed) }
        var applier = Applier(conn: conn, window: config.directory.window)
        applier.stop = { lease?.lost.map { "\($0): this run stopped sending" } }
        let syncEach = Frontend.auditSyncEach
        let fatal = applier.apply(plan.changes, operations: { i in
            Frontend.withPassword(Frontend.separatingLive(plan.changes[i], conn: conn), credentials[i], hash: config.directory.passwordHash)
        }, sending: { indices, ops in
            // What each change will leave, on record before its first write goes out: one
            // write(2) and one fsync per batch, so that even a crash of the machine leaves every
            // change slapd may have applied on record for the next run to settle. The final
            // records are synced by the run's last line (or each, ROSTERSYNC_AUDIT_FSYNC=1).
            let now = Frontend.timestamp()
            state.audit(indices.map { AuditRecord(time: now, run: runId, actor: actor, change: plan.changes[$0], result: "pending", seq: $0, checks: WriteEffect.of(ops[$0] ?? [])) })
        }) { i, result in
            let c = plan.changes[i]
            switch result {
            case .ok:
                appliedChanges.insert(i)
                outcomes[c.kind.rawValue, default: [:]]["ok", default: 0] += 1
                log.notice("did \(c.kind.rawValue) \(c.subject)")
                state.audit([AuditRecord(time: Frontend.timestamp(), run: runId, actor: actor, change: c, result: "ok", seq: i)], sync: syncEach)
            case let .failed(e):
                failures += 1
                failedChanges.insert(i)
                outcomes[c.kind.rawValue, default: [:]]["failed", default: 0] += 1
                log.error("FAILED \(c.kind.rawValue) \(c.subject): \(e)")
                state.audit([AuditRecord(time: Frontend.timestamp(), run: runId, actor: actor, change: c, result: "failed", code: e.code.rawValue, message: e.description, seq: i)], sync: syncEach)
            case let .unknown(e):
                unknown += 1
                unknownError = unknownError ?? e
                outcomes[c.kind.rawValue, default: [:]]["unknown", default: 0] += 1
                log.error("UNKNOWN \(c.kind.rawValue) \(c.subject): sent, no answer (\(e)); the next run settles it")
                state.audit([AuditRecord(time: Frontend.timestamp(), run: runId, actor: actor, change: c, result: "unknown", code: e.code.rawValue,
                                         message: "sent, no answer: \(e.description); whether it took effect is settled by the next run", seq: i)], sync: syncEach)
            }
        }
        lap("writes (\(plan.changes.count) changes)")
        // Notices keep the mailboxes that exist with that password and those whose write went
        // unanswered (they may exist: the next run settles them). Written again only when some
        // failed: rewriting 100,000 people's notices took a second.
        let kept = credentials.filter { !failedChanges.contains($0.key) }.map(\.value)
        if kept.count != credentials.count {
            try? state.rewriteNotices(noticeDir, day: plan.asOf, unitNames: plan.unitNames, credentials: kept, documents: config.documents)
            if kept.isEmpty { rmdir(noticeDir) }
        }
        var summary: [String: Int] = [:]
        for (kind, o) in outcomes { for (outcome, n) in o { summary["\(kind).\(outcome)"] = n } }
        let applied = appliedChanges.count
        state.audit([AuditRecord(time: Frontend.timestamp(), run: runId, actor: actor, change: nil, result: failures + unknown == 0 ? "done" : "partial",
                                 message: "\(applied) applied, \(failures) failed, \(unknown) unknown; backups in \(backup ?? "-"); notices in \(kept.isEmpty ? "-" : noticeDir)", summary: summary)])
        if unknown == 0 {
            // Every change has its final record: the run is settled (older notices lose the
            // entries this one replaces).
            state.closeRun(marker, valid: appliedChanges)
        }
        state.writeMetrics(started: started, result: failures + unknown == 0 ? "ok" : "partial", outcomes: outcomes)
        let where_ = kept.isEmpty ? "" : "; initial passwords in \(noticeDir) (mode 0600)"
        log.notice("\(applied) change\(applied == 1 ? "" : "s") applied, \(failures) failed\(unknown > 0 ? ", \(unknown) unknown" : "")\(where_)")
        lap("notices, audit and metrics")
        if let fatal, let lost = lease?.lost {
            log.error("rostersync: \(lost) (\(fatal.code.text)): this run stopped before its end; the run that holds the lease, or the next, finishes the work")
        } else if let fatal {
            log.error("rostersync: the connection was lost (\(fatal)); the next run finishes the work")
        } else {
            state.clearUnfinished()
        }
        if unknown > 0 {
            let why = unknownError.map { "\($0)" } ?? ""
            log.error(Logger.Message(stringLiteral: "rostersync: \(unknown) write\(unknown == 1 ? "" : "s") got no answer (\(why)): whether \(unknown == 1 ? "it" : "they") took effect is unknown. "
                + "Their passwords stay in the notices; the next run looks each up in the directory and settles it (audit: ok or not applied)"))
        }
        if failures + unknown > 0 { throw ExitCode(4) }
    }

    /// fsync the audit log after each record (ROSTERSYNC_AUDIT_FSYNC=1); by default each
    /// record is one write(2), which a kill -9 of the process does not lose.
    static let auditSyncEach = ProcessInfo.processInfo.environment["ROSTERSYNC_AUDIT_FSYNC"] == "1"
}

extension Frontend {
    /// Who runs: the systemd timer, or the user (with the reason of a forced run).
    static func actor(force: Bool, reason: String?) -> String {
        let env = ProcessInfo.processInfo.environment
        let user = env["SUDO_USER"] ?? env["USER"] ?? env["LOGNAME"] ?? "uid \(getuid())"
        if let reason, force { return "admin \(user), forced: \(reason)" }
        return env["INVOCATION_ID"] != nil ? "timer (\(user))" : "user \(user)"
    }

    static func timestamp(_ date: Date = Date()) -> String {
        AuditRecord.timestamp(secondsSince1970: Int(date.timeIntervalSince1970.rounded(.down)))
    }

    static func runId(_ date: Date) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date) + "-\(getpid())"
    }

    /// A random initial password from the system CSPRNG: 16 characters without look-alikes.
    /// 16 characters from 56 unambiguous letters and digits (about 93 bits), in groups of 4.
    /// Bytes come from the system CSPRNG eight at a time; a byte ≥ 224 (4 × 56) is drawn
    /// again, so every character is equally likely.
    static func randomPassword() -> Secret {
        var rng = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(19)
        var chars = 0
        while chars < 16 {
            var word = rng.next()
            for _ in 0..<8 where chars < 16 {
                let b = UInt8(truncatingIfNeeded: word)
                word >>= 8
                guard b < 224 else { continue }
                if chars > 0 && chars % 4 == 0 { out.append(UInt8(ascii: "-")) }
                out.append(passwordAlphabet[Int(b % 56)])
                chars += 1
            }
        }
        return Secret(bytes: out)
    }

    static let passwordAlphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789".utf8)

    static func credential(for c: Change, plan: Plan, domain: String) -> Credential {
        let code = c.unitCode ?? c.groupUnit ?? ""
        let address = c.newValue("mail") ?? ""
        switch c.kind {
        case .createAccount:
            return Credential(unitCode: code, holder: c.subject, address: address, password: randomPassword(), occasion: "hộp thư cá nhân mới")
        case .createUnit:
            return Credential(unitCode: code, holder: "Hộp thư đơn vị \(plan.unitNames[code] ?? code)", address: address, password: randomPassword(), occasion: "hộp thư đơn vị mới")
        default:
            let local = (try? DN(c.dn))?.rdn?.value ?? c.dn
            return Credential(unitCode: code, holder: "Hộp thư đơn vị \(plan.unitNames[code] ?? code)", address: "\(local)@\(domain)", password: randomPassword(),
                              occasion: "bàn giao cho thủ trưởng đơn vị mới \(headName(of: c, plan: plan)) (Điều 12.3); mật khẩu cũ không còn dùng được")
        }
    }

    /// The new head's name, as the plan gives it: the handover's reason names them ("… a
    /// notice made for NAME (art. 12.3)"); else a change about that person ("ID NAME");
    /// else their employee number. The letter is in Vietnamese: the reason's English is not.
    static func headName(of c: Change, plan: Plan) -> String {
        let marker = "a notice made for ", end = " (art. 12.3)"
        if let a = c.reason.range(of: marker, options: .backwards), let b = c.reason.range(of: end, range: a.upperBound..<c.reason.endIndex) {
            let name = c.reason[a.upperBound..<b.lowerBound].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty { return name }
        }
        let head = c.attributes.first { $0.name == "rsHeadEmployeeNumber" }?.new.first
        if let head, let other = plan.changes.first(where: { $0.employeeId == head && $0.subject.hasPrefix(head + " ") }) {
            return String(other.subject.dropFirst(head.count + 1))
        }
        return head.map { "mã cán bộ \($0)" } ?? "(chưa rõ tên)"
    }

    /// A unit mailbox's separation planned from the snapshot, its writes made again from the
    /// unit's entry as it is now (with its password and lock, which plans never hold); the
    /// planned writes if it cannot be read.
    static func separatingLive(_ c: Change, conn: LDAPConnection) -> Change {
        guard c.kind == .separateUnitMailbox,
              let unit = try? conn.read(c.dn, attributes: ["*", "pwdReset", "pwdAccountLockedTime"]) else { return c }
        let exists = ((try? conn.read(UnitMailbox.dn(of: c.dn), attributes: ["1.1"])) ?? nil) != nil
        var live = c
        live.operations = UnitMailbox.separation(
            unit: c.dn, entry: unit.attributes.map { LDAPAttribute($0.key, $0.value) }.sorted { $0.name < $1.name }, mailboxExists: exists)
        return live
    }

    /// The change's writes with the initial password added, hashed in the server's scheme
    /// (never cleartext): in the add of a new mailbox (a person's or a unit's: the add with
    /// `mail`), or replacing the unit mailbox's password on a handover; with `pwdReset` so that
    /// it must be changed at first use.
    static func withPassword(_ c: Change, _ credential: Credential?, hash: Config.PasswordHash = .ssha) -> [PlannedOperation] {
        guard let credential else { return c.operations }
        let password = hash.hash(credential.password)
        // A unit mailbox of rostersync 1.1 is its unit's entry: no write names its own entry.
        let separate = c.kind == .handoverUnitMailbox && c.operations.contains { UnitMailbox.isMailbox($0.dn) }
        return c.operations.map { op in
            switch op {
            case let .add(dn, attrs) where attrs.contains(where: { $0.name.lowercased() == "mail" }):
                return .add(dn: dn, attributes: attrs + [LDAPAttribute("userPassword", password), LDAPAttribute("pwdReset", "TRUE")])
            case let .modify(dn, mods, assertion) where c.kind == .handoverUnitMailbox && (UnitMailbox.isMailbox(dn) || !separate):
                return .modify(dn: dn, modifications: mods + [.replace("userPassword", [password]), .replace("pwdReset", ["TRUE"])], assertion: assertion)
            default:
                return op
            }
        }
    }
}
