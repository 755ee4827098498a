import ArgumentParser
import Foundation
import RosterSync

/// `rostersync apply PLAN.json`: apply a plan exactly as it was reviewed.
struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply a plan saved by `plan --out`, exactly as reviewed.",
        discussion: """
            Every write carries the assertion the plan recorded (RFC 4528): an entry that \
            changed since the plan was made fails alone, named, instead of being overwritten. \
            A plan made from roster files that have changed since, or from another directory, \
            is refused; so is a plan the directory no longer needs as it stands (applied \
            already, wholly or in part): apply plans again from the same rosters and day and \
            refuses, before any write, when changes of the saved plan are no longer in it. \
            Thresholds, backups, audit and notices are as for sync.

            Exit codes: 0 done; 1 refused or error before any write; 3 a safety threshold \
            tripped (--force --reason overrides); 4 some changes failed, the others were applied.
            """)

    @OptionGroup var options: ConfigOptions
    @Argument(help: ArgumentHelp("The plan saved by `rostersync plan --out`.", valueName: "PLAN.json"))
    var planFile: String
    @Flag(help: "An admin's forced apply: the safety thresholds do not stop it. Needs --reason.")
    var force = false
    @Option(help: ArgumentHelp("Why it is forced; recorded in the audit log with the user.", valueName: "TEXT"))
    var reason: String?

    func validate() throws {
        if force != (reason != nil) { throw ValidationError("--force and --reason go together: a forced apply needs its reason recorded") }
    }

    func run() throws {
        Log.survivePipes()
        let started = Date()
        // Locked first: reading a large plan took long enough for a sync started after this
        // apply to take the lock before it.
        let run = try Frontend.exclusiveRun(options.config, started: started)
        defer { run.release() }
        let (config, state) = (run.config, run.state)
        let plan = try Frontend.failing(outcome: "nothing was done") { () throws -> Plan in
            let plan = try Plan.parse(json: Data(Frontend.readBytes(planFile)))
            // The plan must still describe these rosters and this directory.
            for (file, sum) in plan.inputs.sorted(by: { $0.key < $1.key }) {
                guard FileManager.default.fileExists(atPath: file) else { throw Frontend.Failure("\(planFile) was made from \(file), which is gone: make a new plan") }
                let now = try Frontend.sha256(file)
                guard now == sum else { throw Frontend.Failure("\(file) has changed since \(planFile) was made: review a new plan (rostersync plan --out)") }
            }
            guard plan.directory.hasSuffix(" " + config.directory.base.string) else {
                throw Frontend.Failure("\(planFile) was made for \(plan.directory), not for \(config.directory.base) of \(options.config)")
            }
            return plan
        }
        let runId = Frontend.runId(started)
        // Earlier runs killed or left with unanswered writes are settled first.
        try Frontend.failing(outcome: "nothing was done") { try Frontend.settleEarlierRuns(state: state, runId: runId, config: config) }
        // Under the lock: a plan applied already, wholly or in part (by an apply, or a sync
        // since), is refused before any write rather than failing change by change.
        try Frontend.failing(outcome: "nothing was done") { try Self.refuseIfStale(plan, planFile: planFile, config: config, configPath: options.config) }
        try Frontend.execute(plan, config: config, state: state, actor: Frontend.actor(force: force, reason: reason) + ", plan \(planFile)",
                             runId: runId, force: force, started: started, lease: run.lease)
    }

    /// Plans again from the saved plan's rosters and day; refuses when some of its changes are
    /// no longer wanted (already applied by an earlier apply or sync, or undone by hand).
    static func refuseIfStale(_ plan: Plan, planFile: String, config: Config, configPath: String) throws {
        let files = plan.inputs.keys.sorted()
        var orders: [(units: String, staff: String)] = []
        if let u = config.rosters.units, let s = config.rosters.staff, plan.inputs[u] != nil, plan.inputs[s] != nil { orders.append((u, s)) }
        if files.count == 2 { orders += [(files[0], files[1]), (files[1], files[0])] }
        guard !orders.isEmpty else { throw Frontend.Failure("\(planFile) names no unit and staff roster: make a new plan (rostersync plan --out)") }
        var now: Plan?
        var firstError: (any Error)?
        for o in orders where now == nil {
            do {
                now = try Frontend.makePlan(configPath: configPath, units: o.units, staff: o.staff, asOf: plan.asOf.description, unitFilter: [])
            } catch {
                firstError = firstError ?? error
            }
        }
        guard let now else { throw firstError ?? Frontend.Failure("\(planFile): cannot plan again") }
        let gone = PlanFreshness.gone(saved: plan.changes, now: now.changes)
        guard gone.isEmpty else {
            let total = plan.changes.filter { $0.kind != .orphan }.count
            let examples = gone.prefix(3).map { "\($0.kind.rawValue) \($0.subject)" }.joined(separator: "; ")
            throw Frontend.Failure(
                "the directory changed since this plan was made: \(gone.count) of its \(total) changes are already done or no longer needed "
                + "(\(examples)\(gone.count > 3 ? "; …" : "")); nothing was written: make a new plan (rostersync plan --out PLAN.json)")
        }
    }
}
