import ArgumentParser
import Foundation
import RosterSync
import RosterSyncRun

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
        try Runner.sync(configPath: options.config, asOf: asOf, unitFilter: unitFilter, force: force, reason: reason, timings: timings)
    }
}
