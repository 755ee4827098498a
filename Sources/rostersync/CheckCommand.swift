import ArgumentParser
import Foundation
import RosterSync
import RosterSyncRun

/// `rostersync check`: can the agent work against this directory with this config?
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the config and what the directory offers the agent.",
        discussion: """
            Reads the config, connects (trying each URI in order) and binds as configured, then \
            reports: the bind identity (WhoAmI), with several URIs whether each other provider \
            answers and whether the one used is behind it (contextCSN); then on every provider: \
            the base and units entries, the rostersync schema and the rsUnitCode index, the \
            password policy (ppolicy), how passwords are hashed, last-login tracking, the \
            database's size limit against the rosters, and that the bind identity can write \
            what sync writes (a probe entry under the units base, added, changed, renamed and \
            deleted at once; --read-only skips it). A failure says what to run to fix it \
            (deploy/slapd/setup, on the provider's host). Changes nothing else.

            Exit codes: 0 every check passed; 1 a check failed or the config is invalid.
            """)

    @OptionGroup var options: ConfigOptions

    @Flag(name: .customLong("read-only"), help: "Skip the write test (a probe entry added, changed, renamed and deleted under the units base).")
    var readOnly = false

    func run() throws {
        try Runner.check(configPath: options.config, probe: !readOnly)
    }
}
