import ArgumentParser
import Foundation
import RosterSync
import RosterSyncRun

/// `rostersync report`: the paperwork of the regulation, made from the directory, the rosters,
/// the plan and the audit log.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the quarterly review, usage statistics and overdue mailboxes (art. 5.2, 6.1b, 17.2, 18).",
        subcommands: [Review.self, Usage.self, Overdue.self])

    struct Common: ParsableArguments {
        @OptionGroup var options: ConfigOptions
        @Option(name: .customLong("as-of"), help: ArgumentHelp("As on this day (default: today).", valueName: "YYYY-MM-DD"))
        var asOf: String?

        func validate() throws {
            if let asOf, Day(parsing: asOf) == nil { throw ValidationError("--as-of \(asOf): expected a date such as 2026-12-31") }
        }

        func gather() throws -> Runner.Gathered {
            try Runner.failing(outcome: "no report was made") {
                try Runner.gather(configPath: options.config, units: nil, staff: nil, asOf: asOf, unitFilter: [])
            }
        }
    }

    struct Review: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each unit's directory listing for its quarterly review (art. 5.2).",
            discussion: """
                For each unit: its mailbox and head, every mailbox of the unit with its state and last \
                login, the changes pending for it (from the plan) in plain words, and the people HR \
                lists who have no mailbox yet. html: one document per unit laid out as an official \
                letter (the names of documents: in the config), ending with the unit's confirmation \
                and signature, and an index (prints on A4, no scripts); xlsx: a workbook per unit \
                (opens in any Excel, whatever its list separator); csv: UTF-8 with BOM for Excel, \
                formulas neutralised; md: for e-mail.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable { case html, xlsx, csv, md }

        @OptionGroup var common: Common
        @Option(name: .customLong("unit"), help: ArgumentHelp("Only this unit (repeatable).", valueName: "CODE"))
        var units: [String] = []
        @Option(help: "html, xlsx, csv or md.")
        var format: Format = .html
        @Option(help: ArgumentHelp("The folder to write the files into (made if missing).", valueName: "DIR"))
        var out: String

        func run() throws {
            let gathered = try common.gather()
            let known = Set(gathered.loaded.roster.units.map(\.code))
            for code in units where !known.contains(code) {
                printError("rostersync: --unit \(code): no such unit in the unit roster")
                throw ExitCode.failure
            }
            let report = ReviewReport(gathered.reportInput, only: Set(units))
            let files = try Runner.failing(outcome: "no report was made") { try report.files(format: format.rawValue) }
            try Runner.writeAll(files, into: out)
            print("\(files.count) files written to \(out) (\(report.units.count) units, as of \(gathered.day))")
        }
    }

    struct Usage: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mailboxes, sizes, users and non-users, mail traffic and changes of a period (art. 17.2, 18.3).",
            discussion: """
                Mail counts come from the Postfix logs of reports.mail_logs (plain or .gz); sizes from \
                reports.mailbox_sizes; the period's changes from the audit log. The report states the \
                sources it used and the days its logs do not cover.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable { case html, xlsx, csv, json }

        @OptionGroup var common: Common
        @Option(help: ArgumentHelp("2026Q3, 2026H2 or FROM..TO (2026-07-01..2026-09-30).", valueName: "PERIOD"))
        var period: String
        @Option(help: "html, xlsx (units, people and sources sheets), csv or json.")
        var format: Format = .html
        @Option(name: .customLong("mail-log"), help: ArgumentHelp("A Postfix log to read instead of reports.mail_logs (repeatable).", valueName: "FILE"))
        var mailLogs: [String] = []
        @Option(help: ArgumentHelp("Write here: a file for html and json (default: standard output) and xlsx, a folder for csv.", valueName: "PATH"))
        var out: String?
        @Flag(help: "Print how long reading the mail logs took, and the lines per second (stderr).")
        var timings = false

        func validate() throws {
            guard ReportPeriod(parsing: period) != nil else { throw ValidationError("--period \(period): expected 2026Q3, 2026H2 or 2026-07-01..2026-09-30") }
            if format == .csv && out == nil { throw ValidationError("--format csv writes two files: give --out DIR") }
            if format == .xlsx && out == nil { throw ValidationError("--format xlsx writes a workbook: give --out FILE.xlsx") }
        }

        func run() throws {
            guard let period = ReportPeriod(parsing: period) else { throw ExitCode.failure }
            let gathered = try common.gather()
            let report = try Runner.failing(outcome: "no report was made") {
                try Runner.usageReport(gathered, period: period, mailLogs: mailLogs, timings: timings)
            }
            switch format {
            case .csv: try Runner.writeAll(report.csv(), into: out ?? ".")
            case .xlsx:
                let data = try Runner.failing(outcome: "no report was made") { try report.workbook().data(modified: period.to) }
                let file = URL(fileURLWithPath: out ?? "usage.xlsx")
                try Runner.writeAll([(file.lastPathComponent, data)], into: file.deletingLastPathComponent().path)
            case .html, .json:
                let text = format == .html ? report.html() : report.json()
                guard let out else { print(text, terminator: ""); return }
                let file = URL(fileURLWithPath: out)
                try Runner.writeAll([(file.lastPathComponent, text)], into: file.deletingLastPathComponent().path)
            }
        }
    }

    struct Overdue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "People HR lists as active who still have no mailbox after 2 working days (art. 6.1b).",
            discussion: """
                Working days skip Saturdays, Sundays and reports.holidays. Exit codes, for monitoring: \
                0 none overdue; 2 some overdue; 1 error.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

        @OptionGroup var common: Common
        @Option(help: "text or json.")
        var format: Format = .text

        func run() throws {
            let gathered = try common.gather()
            let report = Runner.overdueReport(gathered)
            print(format == .json ? report.json() : report.text(), terminator: "")
            if !report.rows.isEmpty { throw ExitCode(2) }
        }
    }
}
