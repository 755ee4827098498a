import ArgumentParser
import Foundation
import RosterSync
import RosterSyncRun

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
            failed check); 2 plan: changes pending, report overdue: some overdue; 3 sync/apply: \
            a safety threshold tripped, nothing written; 4 sync/apply/restore: some changes \
            failed; 64 usage error (unknown command or option, bad value). Each command's \
            --help says more.
            """,
        version: BuildInfo.version,
        subcommands: [
            CheckCommand.self, RosterCommand.self, PlanCommand.self, ShowCommand.self, SyncCommand.self, ApplyCommand.self,
            RestoreCommand.self, UnlockCommand.self, ReportCommand.self,
        ]
    )

    /// A mistyped command (`rostersync pln`) is a usage error that names the command meant;
    /// everything else is the argument parser's.
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        if let message = unknownCommand(args) {
            exit(withError: ValidationError(message))
        }
        do {
            var command = try parseAsRoot(nil)
            try command.run()
        } catch let stop as RunExit {
            // Said already (logged); only the status is left.
            Foundation.exit(stop.code)
        } catch {
            exit(withError: error)
        }
    }

    /// "Unknown command 'pln'. Did you mean 'plan'?" when the first word that is not an option,
    /// at any level of subcommands, names none; nil when the words are commands.
    static func unknownCommand(_ args: [String]) -> String? {
        var command: any ParsableCommand.Type = RosterSyncCommand.self
        var path = ["rostersync"]
        for word in args {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, !word.hasPrefix("-"), command.configuration.defaultSubcommand == nil else { return nil }
            if let next = subcommands.first(where: { $0._commandName == word }) {
                command = next
                path.append(word)
                continue
            }
            if word == "help" && path.count == 1 { return nil }
            let names = subcommands.map { $0._commandName } + (path.count == 1 ? ["help"] : [])
            var message = "Unknown command '\(word)'"
            if path.count > 1 { message += " for '\(path.joined(separator: " "))'" }
            if let guess = closest(to: word, in: names) {
                message += ". Did you mean '\(guess)'?"
            } else {
                message += ". The commands are: \(names.joined(separator: ", "))."
            }
            return message
        }
        return nil
    }

    /// The name nearest to `word`: a unique name it begins, else the nearest by edit distance
    /// (a swapped pair of letters counts once) within a third of its length.
    static func closest(to word: String, in names: [String]) -> String? {
        let lower = word.lowercased()
        let prefixed = names.filter { $0.hasPrefix(lower) }
        if prefixed.count == 1 { return prefixed[0] }
        let scored = names.map { ($0, editDistance(lower, $0)) }.sorted { $0.1 < $1.1 }
        guard let best = scored.first, best.1 <= max(1, best.0.count / 3) else { return nil }
        if scored.count > 1 && scored[1].1 == best.1 { return nil }
        return best.0
    }

    /// Optimal string alignment distance.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}

/// The version and the commit it was built from. `make` (deb, install) writes the commit into
/// BuildInfo.generated.swift (ignored by git, removed after the build) and compiles with
/// `-D ROSTERSYNC_BUILD_INFO`; a plain `swift build` says that it does not know it.
enum BuildInfo {
    #if ROSTERSYNC_BUILD_INFO
    static let commit = generatedCommit
    #else
    static let commit = "unknown: built without make"
    #endif
    static let version = "\(RosterSyncVersion.current) (commit \(commit))"
}

/// Options every command that reads the config shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The YAML configuration file.", valueName: "FILE"))
    var config: String = "/etc/rostersync/config.yaml"
    @Flag(name: .shortAndLong, help: "Only warnings and errors: no per-change lines, no progress line (overrides ROSTERSYNC_LOG_LEVEL).")
    var quiet = false
    @Flag(name: .shortAndLong, help: "Everything, debug lines included (overrides ROSTERSYNC_LOG_LEVEL).")
    var verbose = false

    /// Runs while the arguments are parsed: the level is set before anything is logged.
    func validate() throws {
        if quiet && verbose { throw ValidationError("--quiet and --verbose exclude each other") }
        if quiet || verbose { Log.requested.withLock { $0 = quiet ? .warning : .debug } }
    }
}
