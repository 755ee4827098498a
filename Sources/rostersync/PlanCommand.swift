import ArgumentParser
import Foundation
import RosterSync
import RosterSyncRun

/// `rostersync plan`: the dry-run diff that units review and `apply` executes.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show the changes a sync would make, grouped by unit (writes nothing).",
        discussion: """
            Reads the rosters and the directory, compares them under the regulation's rules and \
            prints the plan: every change with its reason, grouped by unit; changes that become \
            due later (future start, end or effective dates) are listed as scheduled.

            Exit codes (like terraform plan -detailed-exitcode): 0 no changes; 2 changes pending; \
            1 error (bad config, invalid roster, directory unreachable).
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: ArgumentHelp("The unit roster (default: rosters.units of the config).", valueName: "FILE"))
    var units: String?
    @Option(help: ArgumentHelp("The staff roster (default: rosters.staff of the config).", valueName: "FILE"))
    var staff: String?
    @Option(name: .customLong("as-of"), help: ArgumentHelp("Plan as on this day (default: today).", valueName: "YYYY-MM-DD"))
    var asOf: String?
    @Option(name: .customLong("unit"), help: ArgumentHelp("Only the changes of this unit (repeatable).", valueName: "CODE"))
    var unitFilter: [String] = []
    @Option(help: "text (grouped by unit), json (for apply and scripts) or ldif (for ldapmodify).")
    var format: PlanFormat = .text
    @Option(help: ArgumentHelp("Also save the plan as JSON here (format in the README).", valueName: "PLAN.json"))
    var out: String?
    @Flag(help: "Print how long reading the rosters, reading the directory and planning took (stderr).")
    var timings = false
    @Flag(help: "Text: every change, however large the plan (above 2,000 changes it shows counts per unit).")
    var details = false
    @Flag(help: "Text: counts by kind and per unit only, whatever the plan's size.")
    var compact = false

    func validate() throws {
        if let asOf, Day(parsing: asOf) == nil { throw ValidationError("--as-of \(asOf): expected a date such as 2026-12-31") }
        if details && compact { throw ValidationError("--details and --compact: give one of them") }
    }

    func run() throws {
        let plan = try Runner.failing(outcome: "no plan was made") {
            try Runner.gather(configPath: options.config, units: units, staff: staff, asOf: asOf, unitFilter: unitFilter, timings: timings, replication: .warn).plan
        }
        if let out {
            do {
                try Runner.writeFile(out, Data(plan.json().utf8), mode: 0o640)
            } catch {
                printError("rostersync: cannot write \(out): \(error)")
                throw ExitCode.failure
            }
        }
        Runner.printPlan(plan, format: format, detail: details ? .full : compact ? .compact : .auto)
        if !plan.changes.isEmpty { throw ExitCode(2) }
    }
}

extension PlanFormat: ExpressibleByArgument {}
