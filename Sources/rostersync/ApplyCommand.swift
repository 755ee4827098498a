import ArgumentParser
import Foundation
import RosterSync
import RosterSyncRun

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
        try Runner.apply(configPath: options.config, planFile: planFile, force: force, reason: reason)
    }
}
