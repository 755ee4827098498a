import ArgumentParser
import Foundation
import RosterSync
import RosterSyncRun

/// `rostersync restore RUN [DN…]`: put back entries from a run's backup, in their state.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put back entries from a run's backup (all of them, or the DNs named), with their lock.",
        discussion: """
            Adds the entries of state_dir/backups/RUN/entries.ldif (the backup a sync or apply \
            made before its first write) back to the directory, as they were before that run: \
            their attributes, password hash and lock state (pwdAccountLockedTime, pwdReset), so \
            a disabled or locked mailbox comes back disabled or locked. Parents go before \
            children. An entry that exists is never overwritten: it is named and left alone, \
            and the others are restored. Each entry restored, left alone or failed goes to the \
            audit log (kind restoreEntry). Runs under the same lock as sync.

            RUN is a folder name under state_dir/backups (as the sync's audit line names it), \
            or the path of a backup folder or LDIF file. DNs name entries of that backup; \
            without any, all of its entries. A restored entry is what the directory held then: \
            if the rosters still say the person has left, the next sync disables (or deletes) it \
            again.

            Exit codes: 0 every entry restored; 1 error before any write (config, lock, backup \
            unreadable, a DN not in the backup, directory unreachable); 4 some entries were not \
            restored (they exist, or their add failed), the others were.
            """)

    @OptionGroup var options: ConfigOptions
    @Argument(help: ArgumentHelp("The run whose backup to restore from: its folder name under state_dir/backups, or a path.", valueName: "RUN"))
    var runName: String
    @Argument(help: ArgumentHelp("Only these entries of the backup (default: all).", valueName: "DN"))
    var dns: [String] = []

    func run() throws {
        try Runner.restore(configPath: options.config, backup: runName, only: dns)
    }
}
