import ArgumentParser
import Foundation
import RosterSync

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

        func gather() throws -> Frontend.Gathered {
            try Frontend.failing(outcome: "no report was made") {
                try Frontend.gather(configPath: options.config, units: nil, staff: nil, asOf: asOf, unitFilter: [])
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
            let g = try common.gather()
            let known = Set(g.loaded.roster.units.map(\.code))
            for code in units where !known.contains(code) {
                printError("rostersync: --unit \(code): no such unit in the unit roster")
                throw ExitCode.failure
            }
            let report = ReviewReport(g.reportInput, only: Set(units))
            let files = try Frontend.failing(outcome: "no report was made") { try report.files(format: format.rawValue) }
            try Frontend.writeAll(files, into: out)
            print("\(files.count) files written to \(out) (\(report.units.count) units, as of \(g.day))")
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
            let g = try common.gather()
            let report = try Frontend.failing(outcome: "no report was made") { () throws -> UsageReport in
                // Every address that delivers to a mailbox, aliases included, numbered.
                var index: [String: Int] = [:]
                let boxes = g.snapshot.accounts.map { ($0.mail, $0.aliases) } + g.snapshot.units.map { ($0.mail, $0.aliases) }
                for case let (mail?, aliases) in boxes {
                    let i = index[mail] ?? index.count
                    index[mail] = i
                    for x in aliases where index[x] == nil { index[x] = i }
                }
                let patterns = mailLogs.isEmpty ? g.config.reports.mailLogs : mailLogs
                let files = try Frontend.expand(patterns)
                if files.isEmpty && !patterns.isEmpty {
                    printError("warning: no mail log matches \(patterns.joined(separator: ", ")): the report has no mail counts")
                }
                var counter: MailLogCounter?
                if !files.isEmpty {
                    var c = MailLogCounter(from: period.from, to: period.to, mailboxes: index, count: index.count + 1)
                    let start = DispatchTime.now()
                    for f in files { try Frontend.readMailLog(f, into: &c) }
                    if timings {
                        let s = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                        let lines = c.sources.reduce(0) { $0 + $1.lines }
                        printError(String(format: "timing: mail logs %d lines in %.3f s (%.0f lines/s)", lines, s, Double(lines) / max(s, 1e-9)))
                    }
                    counter = c
                }
                var sizes: [String: (quota: Int64?, used: Int64?)] = [:]
                if let path = g.config.reports.mailboxSizes { sizes = try Frontend.readSizes(path) }
                let auditPath = g.config.stateDir + "/audit.jsonl"
                let audit = Frontend.readAudit(auditPath)
                return UsageReport(g.reportInput, period: period, mail: counter, mailboxIndex: index, sizes: sizes,
                                   sizesSource: g.config.reports.mailboxSizes, audit: audit,
                                   auditSource: audit.isEmpty ? "\(auditPath) (trống hoặc chưa có)" : auditPath)
            }
            switch format {
            case .csv: try Frontend.writeAll(report.csv(), into: out ?? ".")
            case .xlsx:
                let data = try Frontend.failing(outcome: "no report was made") { try report.workbook().data(modified: period.to) }
                let file = URL(fileURLWithPath: out ?? "usage.xlsx")
                try Frontend.writeAll([(file.lastPathComponent, data)], into: file.deletingLastPathComponent().path)
            case .html, .json:
                let text = format == .html ? report.html() : report.json()
                guard let out else { print(text, terminator: ""); return }
                let file = URL(fileURLWithPath: out)
                try Frontend.writeAll([(file.lastPathComponent, text)], into: file.deletingLastPathComponent().path)
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
            let g = try common.gather()
            var firstSeen: [String: Day] = [:]
            for a in Frontend.readAudit(g.config.stateDir + "/audit.jsonl") {
                guard let id = a.employeeId else { continue }
                firstSeen[id] = min(firstSeen[id] ?? a.day, a.day)
            }
            var st = stat()
            let rosterDay = stat(g.staffPath, &st) == 0 ? Day(ordinal: Int(st.st_mtim.tv_sec) / 86_400) : g.day
            let report = OverdueReport(g.reportInput, firstSeen: firstSeen, rosterDay: rosterDay, calendar: WorkCalendar(holidays: g.config.reports.holidays))
            print(format == .json ? report.json() : report.text(), terminator: "")
            if !report.rows.isEmpty { throw ExitCode(2) }
        }
    }
}

extension Frontend {
    /// Writes each file into `dir` (made if missing), atomically, readable by the group.
    static func writeAll(_ files: [(name: String, text: String)], into dir: String) throws {
        try writeAll(files.map { ($0.name, Data($0.text.utf8)) }, into: dir)
    }

    static func writeAll(_ files: [(name: String, data: Data)], into dir: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            printError("rostersync: cannot make \(dir): \((error as NSError).localizedDescription)")
            throw ExitCode.failure
        }
        for f in files {
            let path = (dir as NSString).appendingPathComponent(f.name)
            do {
                try writeFile(path, f.data, mode: 0o640)
            } catch {
                printError("rostersync: cannot write \(path): \(error)")
                throw ExitCode.failure
            }
        }
    }

    /// Paths with `*` and `?` expanded (sorted); a plain path that does not exist is an error,
    /// a pattern that matches nothing is not (the report says so).
    static func expand(_ patterns: [String]) throws -> [String] {
        var out: [String] = []
        for p in patterns {
            if !p.contains("*") && !p.contains("?") {
                guard FileManager.default.fileExists(atPath: p) else { throw Failure("\(p): no such mail log") }
                out.append(p)
                continue
            }
            var g = glob_t()
            defer { globfree(&g) }
            guard glob(p, 0, nil, &g) == 0 else { continue }
            for i in 0..<Int(g.gl_pathc) { if let s = g.gl_pathv[i] { out.append(String(cString: s)) } }
        }
        return out
    }

    /// Feeds a log file to the counter in 1 MiB blocks; `.gz` (by its magic bytes) through zlib.
    static func readMailLog(_ path: String, into counter: inout MailLogCounter) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure("\(path): cannot read the mail log (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        counter.begin(source: path)
        var raw = [UInt8](repeating: 0, count: 1 << 20)
        var pending: [UInt8] = []
        func consume(_ bytes: UnsafeRawBufferPointer, final: Bool) {
            if pending.isEmpty {
                let used = counter.feed(bytes, final: final)
                pending.append(contentsOf: bytes[used...])
            } else {
                pending.append(contentsOf: bytes)
                let used = pending.withUnsafeBytes { counter.feed($0, final: final) }
                pending.removeFirst(used)
            }
        }
        var first = [UInt8](repeating: 0, count: 2)
        let n0 = pread(fd, &first, 2, 0)
        if n0 == 2, first[0] == 0x1F, first[1] == 0x8B {
            do {
                let gunzip = try Gunzip()
                while true {
                    let n = read(fd, &raw, raw.count)
                    guard n >= 0 else { throw Failure("\(path): read failed (\(String(cString: strerror(errno))))") }
                    if n == 0 { break }
                    try raw.withUnsafeBytes { bytes in
                        try gunzip.inflate(UnsafeRawBufferPointer(rebasing: bytes[..<n])) { consume($0, final: false) }
                    }
                }
            } catch let e as Gunzip.Failure {
                throw Failure("\(path): \(e)")
            }
        } else {
            while true {
                let n = read(fd, &raw, raw.count)
                guard n >= 0 else { throw Failure("\(path): read failed (\(String(cString: strerror(errno))))") }
                if n == 0 { break }
                raw.withUnsafeBytes { consume(UnsafeRawBufferPointer(rebasing: $0[..<n]), final: false) }
            }
        }
        if !pending.isEmpty { pending.withUnsafeBytes { _ = counter.feed($0, final: true) } }
    }

    /// `address,quota_bytes,used_bytes` (a header and blank cells allowed).
    static func readSizes(_ path: String) throws -> [String: (quota: Int64?, used: Int64?)] {
        var out: [String: (quota: Int64?, used: Int64?)] = [:]
        try forEachAddressRow(path, fields: 3) { address, f in
            let q = f[1].trimmingCharacters(in: .whitespaces), u = f[2].trimmingCharacters(in: .whitespaces)
            guard q.isEmpty || Int64(q) != nil else { return (2, "quota_bytes \"\(q)\" is not a number") }
            guard u.isEmpty || Int64(u) != nil else { return (3, "used_bytes \"\(u)\" is not a number") }
            out[address] = (Int64(q), Int64(u))
            return nil
        }
        return out
    }

    /// The audit log's records (missing file: none; a damaged line is skipped).
    static func readAudit(_ path: String) -> [AuditEntry] {
        guard let bytes = try? readBytes(path) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { AuditEntry(line: $0) }
    }
}
