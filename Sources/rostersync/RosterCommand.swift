import ArgumentParser
import Foundation
import RosterSync
import RosterSyncRun

/// `rostersync roster`: read, validate and show the HR rosters with every address.
struct RosterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roster",
        abstract: "Validate the HR rosters and show them normalized, with every address.",
        discussion: """
            Reads the unit and staff rosters (CSV from Excel or an HR system: UTF-8, UTF-16, \
            Windows-1258, TCVN3 or VNI; separator , ; or tab; Vietnamese or English headers), \
            checks them, and prints every unit and person with the address they have or would get. \
            Touches no directory.

            Exit codes: 0 the rosters are valid; 1 they are not (every problem is listed on \
            standard error as file:line:column: message) or a file cannot be read.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(help: ArgumentHelp("The unit roster (default: rosters.units of the config).", valueName: "FILE"))
    var units: String?
    @Option(help: ArgumentHelp("The staff roster (default: rosters.staff of the config).", valueName: "FILE"))
    var staff: String?
    @Option(help: ArgumentHelp("auto, utf-8, utf-16, cp1258, tcvn3 or vni, for both files (default: the config's, else auto).", valueName: "NAME"))
    var encoding: String?
    @Option(help: ArgumentHelp("The unit roster's encoding, when it differs from the staff roster's.", valueName: "NAME"))
    var unitsEncoding: String?
    @Option(help: ArgumentHelp("The staff roster's encoding, when it differs from the unit roster's.", valueName: "NAME"))
    var staffEncoding: String?
    @Option(help: "text for people, json for scripts.")
    var format: Format = .text
    @Option(help: ArgumentHelp("Config file for the mail domain, naming pattern, reserved names and column names (optional).", valueName: "FILE"))
    var config: String?

    func validate() throws {
        for (flag, value) in [("--encoding", encoding), ("--units-encoding", unitsEncoding), ("--staff-encoding", staffEncoding)] {
            if let value, value != "auto", RosterEncoding(name: value) == nil {
                throw ValidationError("\(flag) \(value): expected auto, utf-8, utf-16, cp1258, tcvn3 or vni")
            }
        }
    }

    func run() throws {
        Log.survivePipes()
        let cfg: Config?
        do { cfg = try config.map(Runner.loadConfig) } catch {
            printError("rostersync: \(error)")
            throw ExitCode.failure
        }
        guard let unitsPath = units ?? cfg?.rosters.units, let staffPath = staff ?? cfg?.rosters.staff else {
            printError("rostersync: give --units FILE and --staff FILE (or rosters.units and rosters.staff in --config)")
            throw ExitCode.failure
        }
        // Most specific first: the file's own flag, then --encoding, then the config's.
        let unitsName = unitsEncoding ?? encoding ?? cfg?.rosters.unitsEncoding ?? "auto"
        let staffName = staffEncoding ?? encoding ?? cfg?.rosters.staffEncoding ?? "auto"
        let loaded = try Runner.failing(outcome: "nothing was done") {
            try Runner.loadRoster(
                units: unitsPath, staff: staffPath,
                unitsEncoding: RosterEncoding(name: unitsName), staffEncoding: RosterEncoding(name: staffName),
                parser: RosterParser(unitColumns: cfg?.rosters.unitColumns ?? [:], staffColumns: cfg?.rosters.staffColumns ?? [:], domain: cfg?.mail.domain))
        }
        let mail = cfg?.mail ?? Config.Mail.defaults
        let book = AddressBook(roster: loaded.roster, domain: mail.domain, pattern: mail.pattern, reserved: mail.reserved + [mail.sharedMailbox], shared: mail.sharedMailbox)
        let view = RosterView(roster: loaded.roster, book: book, domain: mail.domain, encodings: loaded.encodings)
        switch format {
        case .text: print(view.text(), terminator: "")
        case .json: FileHandle.standardOutput.write(Data(view.json()))
        }
        for w in loaded.roster.warnings { printError("warning: \(w)") }
    }
}
