import ArgumentParser
import RosterSync

@main
struct RosterSyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rostersync",
        abstract: "Keeps an OpenLDAP mail directory equal to HR's unit and staff rosters.",
        discussion: """
            rostersync reconciles HR rosters with the directory behind the agency's mail system \
            (Decision 207/QĐ-UBDT): it creates, moves, disables, locks and removes mailboxes, \
            and writes the reports units review each quarter.

            Exit codes: 0 success; 1 error (bad config, invalid roster, directory unreachable, a \
            failed check); plan: 2 when changes are pending. Each command's --help says more.
            """,
        version: RosterSyncVersion.current,
        subcommands: [Check.self, RosterCommand.self, PlanCommand.self, SyncCommand.self, ApplyCommand.self, RestoreCommand.self, UnlockCommand.self, ReportCommand.self]
    )
}

/// Options every command that reads the config shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The YAML configuration file.", valueName: "FILE"))
    var config: String = "/etc/rostersync/config.yaml"
}
