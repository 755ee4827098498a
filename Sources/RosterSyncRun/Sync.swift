import Foundation
import LDAPClient
import RosterSync

extension Runner {
    /// `sync`: settle what earlier runs left, hash any cleartext password once, plan from the
    /// config's rosters and execute the plan, under the run lock and the directory's lease.
    package static func sync(configPath: String, asOf: String?, unitFilter: [String], force: Bool, reason: String?, timings: Bool) throws {
        Log.survivePipes()
        let started = Date()
        // The flock, and the directory's own lease that keeps out runs on other hosts (Lease.swift).
        let exclusive = try exclusiveRun(configPath, started: started, isSync: true)
        defer { exclusive.release() }
        var run = RunContext(exclusive, actor: actor(force: force, reason: reason), started: started)
        run.force = force
        run.timings = timings
        try recordingErrors(run) {
            // Earlier runs killed or left with unanswered writes are settled before this one plans.
            try failing(outcome: "nothing was done") { try settleEarlierRuns(state: run.state, runId: run.runId, config: run.config) }
            try failing(outcome: "nothing was done") {
                try rehashCleartextPasswords(config: run.config, state: run.state, runId: run.runId, actor: run.actor)
            }
            let plan = try failing(outcome: "nothing was done") {
                try makePlan(configPath: configPath, units: nil, staff: nil, asOf: asOf, unitFilter: unitFilter, timings: timings)
            }
            try execute(plan, in: run)
        }
    }

    /// Runs `body`; an error it ends with that has not said itself in the metrics (a threshold
    /// or a partial run has) is recorded there as `error`, so a monitor sees a sync that
    /// failed, whatever failed: the directory, the rosters, the backup.
    static func recordingErrors(_ run: RunContext, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let stop as RunExit where stop == .threshold || stop == .partial {
            throw stop
        } catch {
            run.writeMetrics("error")
            throw error
        }
    }

    /// `apply PLAN.json`: a saved plan executed exactly as reviewed, once it is shown to still
    /// describe these rosters and this directory.
    package static func apply(configPath: String, planFile: String, force: Bool, reason: String?) throws {
        Log.survivePipes()
        let started = Date()
        // Locked first: reading a large plan took long enough for a sync started after this
        // apply to take the lock before it.
        let exclusive = try exclusiveRun(configPath, started: started, isSync: true)
        defer { exclusive.release() }
        var run = RunContext(exclusive, actor: actor(force: force, reason: reason) + ", plan \(planFile)", started: started)
        run.force = force
        try recordingErrors(run) {
            let plan = try failing(outcome: "nothing was done") { try readSavedPlan(planFile, config: run.config, configPath: configPath) }
            // Earlier runs killed or left with unanswered writes are settled first.
            try failing(outcome: "nothing was done") { try settleEarlierRuns(state: run.state, runId: run.runId, config: run.config) }
            // Under the lock: a plan applied already, wholly or in part (by an apply, or a sync
            // since), is refused before any write rather than failing change by change.
            try failing(outcome: "nothing was done") { try refuseIfStale(plan, planFile: planFile, config: run.config, configPath: configPath) }
            try execute(plan, in: run)
        }
    }

    /// The saved plan, if it was made from these rosters as they are now and for this directory.
    static func readSavedPlan(_ planFile: String, config: Config, configPath: String) throws -> Plan {
        let plan = try Plan.parse(json: Data(readBytes(planFile)))
        for (file, sum) in plan.inputs.sorted(by: { $0.key < $1.key }) {
            guard FileManager.default.fileExists(atPath: file) else { throw Failure("\(planFile) was made from \(file), which is gone: make a new plan") }
            guard try sha256(file) == sum else { throw Failure("\(file) has changed since \(planFile) was made: review a new plan (rostersync plan --out)") }
        }
        guard plan.directory.hasSuffix(" " + config.directory.base.string) else {
            throw Failure("\(planFile) was made for \(plan.directory), not for \(config.directory.base) of \(configPath)")
        }
        return plan
    }

    /// Plans again from the saved plan's rosters and day; refuses when some of its changes are
    /// no longer wanted (already applied by an earlier apply or sync, or undone by hand).
    static func refuseIfStale(_ plan: Plan, planFile: String, config: Config, configPath: String) throws {
        let files = plan.inputs.keys.sorted()
        var orders: [(units: String, staff: String)] = []
        if let u = config.rosters.units, let s = config.rosters.staff, plan.inputs[u] != nil, plan.inputs[s] != nil { orders.append((u, s)) }
        if files.count == 2 { orders += [(files[0], files[1]), (files[1], files[0])] }
        guard !orders.isEmpty else { throw Failure("\(planFile) names no unit and staff roster: make a new plan (rostersync plan --out)") }
        var now: Plan?
        var firstError: (any Error)?
        for o in orders where now == nil {
            do {
                now = try makePlan(configPath: configPath, units: o.units, staff: o.staff, asOf: plan.asOf.description, unitFilter: [])
            } catch {
                firstError = firstError ?? error
            }
        }
        guard let now else { throw firstError ?? Failure("\(planFile): cannot plan again") }
        let gone = PlanFreshness.gone(saved: plan.changes, now: now.changes)
        guard gone.isEmpty else {
            let total = plan.changes.filter { $0.kind != .orphan }.count
            let examples = gone.prefix(3).map { "\($0.kind.rawValue) \($0.subject)" }.joined(separator: "; ")
            throw Failure(
                "the directory changed since this plan was made: \(gone.count) of its \(total) changes are already done or no longer needed "
                + "(\(examples)\(gone.count > 3 ? "; …" : "")); nothing was written: make a new plan (rostersync plan --out PLAN.json)")
        }
    }
}
