import ArgumentParser
import Crypto
import Foundation
import LDAPClient
import LDAPModel
import RosterSync
import Synchronization

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

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, ldif }

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
    var format: Format = .text
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
        let gathered = try Frontend.failing(outcome: "no plan was made") {
            try Frontend.gather(configPath: options.config, units: units, staff: staff, asOf: asOf, unitFilter: unitFilter, timings: timings, replication: .warn)
        }
        let plan = gathered.plan
        // The unit roster's tree, for the text's order (every unit under its parent).
        var parents: [String: String] = [:]
        for u in gathered.loaded.roster.units { if let p = u.parentCode { parents[u.code] = p } }
        if let out {
            do {
                try Frontend.writeFile(out, Data(plan.json().utf8), mode: 0o640)
            } catch {
                printError("rostersync: cannot write \(out): \(error)")
                throw ExitCode.failure
            }
        }
        Frontend.printPlan(plan, format: format, parents: parents, detail: details ? .full : compact ? .compact : .auto)
        if !plan.changes.isEmpty { throw ExitCode(2) }
    }
}

extension Frontend {
    /// Config + rosters + directory → plan. Shared by plan and sync. `replication`: what to
    /// do when the provider read is behind another configured one (sync and apply wait, then
    /// refuse; plan warns).
    static func makePlan(
        configPath: String, units: String?, staff: String?, asOf: String?, unitFilter: [String], timings: Bool = false,
        replication: Replication.Mode = .wait
    ) throws -> Plan {
        try gather(configPath: configPath, units: units, staff: staff, asOf: asOf, unitFilter: unitFilter, timings: timings, replication: replication).plan
    }

    /// Everything a plan was made from, with the plan: what the reports read.
    struct Gathered {
        var config: Config
        var loaded: LoadedRoster
        var snapshot: DirectorySnapshot
        var plan: Plan
        var day: Day
        var lastLogins: [String: Day]
        var staffPath: String

        var reportInput: ReportInput {
            ReportInput(roster: loaded.roster, snapshot: snapshot, plan: plan, config: config, asOf: day, lastLogins: lastLogins)
        }
    }

    static func gather(
        configPath: String, units: String?, staff: String?, asOf: String?, unitFilter: [String], timings: Bool = false,
        replication: Replication.Mode = .warn
    ) throws -> Gathered {
        var stopwatch = Stopwatch(enabled: timings)
        func lap(_ what: String) { stopwatch.lap(what) }
        let config = try loadConfig(configPath)
        guard let unitsPath = units ?? config.rosters.units, let staffPath = staff ?? config.rosters.staff else {
            throw Failure("give --units FILE and --staff FILE, or rosters.units and rosters.staff in \(configPath)")
        }
        let day = try asOf.map { s in
            guard let d = Day(parsing: s) else { throw Failure("--as-of \(s): not a date") }
            return d
        } ?? today()
        let unitsEncoding = RosterEncoding(name: config.rosters.unitsEncoding)
        let staffEncoding = RosterEncoding(name: config.rosters.staffEncoding)
        let parser = RosterParser(unitColumns: config.rosters.unitColumns, staffColumns: config.rosters.staffColumns, domain: config.mail.domain)
        // The rosters are read on the other core while this one reads the directory.
        let pending = SideTask { try loadRoster(units: unitsPath, staff: staffPath, unitsEncoding: unitsEncoding, staffEncoding: staffEncoding, parser: parser) }
        let lastLogins = try config.policy.lastLoginFile.map(readLastLogins) ?? [:]
        var snapshot = DirectorySnapshot()
        let conn: LDAPConnection
        do {
            conn = try connect(config)
            // Not behind another provider (contextCSN), before anything is read from it.
            try Replication.check(config, conn: conn, mode: replication)
            try conn.search(
                base: config.directory.base.string, filter: DirectorySnapshot.filter,
                indexing: DirectorySnapshot.attributes, pageSize: config.directory.pageSize
            ) { snapshot.add($0, unitsBase: config.directory.unitsBase) }
        } catch {
            _ = try pending.wait()  // a broken roster is the first thing to say
            throw error
        }
        lap("read directory (\(snapshot.accounts.count + snapshot.units.count + snapshot.others.count) entries)")
        let loaded = try pending.wait()
        lap("rosters ready (\(loaded.roster.staff.count) people)")
        for w in loaded.roster.warnings { printError("warning: \(w)") }
        let known = Set(loaded.roster.units.map(\.code))
        for code in unitFilter where !known.contains(code) { throw Failure("--unit \(code): no such unit in the unit roster") }
        var plan = Planner.plan(PlannerInput(
            roster: loaded.roster, snapshot: snapshot, config: config, asOf: day, lastLogins: lastLogins,
            units: Set(unitFilter), directory: "\(conn.uri) \(config.directory.base)"))
        plan.inputs = loaded.checksums
        lap("plan (\(plan.changes.count) changes)")
        // Freeing 100,000 accounts and roster rows one by one takes a tenth of a second that
        // the process's exit does for nothing: they are kept until then.
        keepUntilExit.withLock { $0.append(snapshot); $0.append(loaded) }
        return Gathered(config: config, loaded: loaded, snapshot: snapshot, plan: plan, day: day, lastLogins: lastLogins, staffPath: staffPath)
    }

    /// `--timings`: each lap's duration and the memory at its end, on stderr.
    struct Stopwatch {
        let enabled: Bool
        var clock = DispatchTime.now()
        mutating func lap(_ what: String) {
            guard enabled else { return }
            let now = DispatchTime.now()
            printError(String(format: "timing: %@ %.3f s (RSS %@)", what, Double(now.uptimeNanoseconds - clock.uptimeNanoseconds) / 1e9, Frontend.memory()))
            clock = now
        }
    }

    /// "now MB, peak MB" from /proc/self/status (for --timings).
    static func memory() -> String {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return "?" }
        func field(_ name: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return 0 }
            return Int(line.split(separator: " ").dropFirst().first { Int($0) != nil } ?? "0") ?? 0
        }
        return "\(field("VmRSS:") / 1024) MB, peak \(field("VmHWM:") / 1024) MB"
    }

    /// Large values the command no longer needs, left for the process's exit to free.
    static let keepUntilExit = Mutex<[any Sendable]>([])

    /// Today in the machine's time zone (the agency's day).
    static func today() -> Day {
        let c = Calendar.current.dateComponents([.year, .month, .day], from: Date())
        return Day(year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1) ?? Day(ordinal: 0)
    }

    static func sha256(_ path: String) throws -> String { sha256(try readBytes(path)) }

    static func sha256(_ bytes: [UInt8]) -> String {
        "sha256:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// A mail server's `address,last_login` export; dates as ISO days or timestamps.
    static func readLastLogins(_ path: String) throws -> [String: Day] {
        var out: [String: Day] = [:]
        try forEachAddressRow(path, fields: 2) { address, f in
            guard let day = Day(parsing: String(f[1].prefix(10))) ?? Day(generalizedTime: f[1]) else { return (2, "last_login \"\(f[1])\" is not a date") }
            out[address] = max(out[address] ?? day, day)
            return nil
        }
        return out
    }

    /// A mail server's export keyed by address, as CSV: each record whose first field holds
    /// an `@` (the header and blank lines do not) goes to `row` with its address in lower case;
    /// `row` returns a problem as (column, message) or nil. Every problem is reported at once,
    /// as file:line:column, and then nothing is returned.
    static func forEachAddressRow(_ path: String, fields: Int, _ row: (String, [String]) -> (Int, String)?) throws {
        let text = try TextDecoder.decode(readBytes(path), declared: nil, file: path).text
        var problems: [String] = []
        do {
            try CSVReader.forEachRecord(text) { r in
                guard r.fields.count >= fields, r.fields[0].contains("@") else { return }
                if let (column, message) = row(r.fields[0].lowercased(), r.fields) { problems.append("\(path):\(r.line):\(column): \(message)") }
            }
        } catch {
            throw Failure("\(path):\(error.line):\(error.column): \(error.message)")
        }
        guard problems.isEmpty else { throw Failure(problems.joined(separator: "\n")) }
    }

    /// Writes atomically (a temporary file renamed). `durable: false` leaves the flush to the
    /// caller, who writes many files and then calls `syncfs` once (a thousand units' notices
    /// took a second of fsyncs).
    static func writeFile(_ path: String, _ data: Data, mode: mode_t, durable: Bool = true) throws {
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode)
        guard fd >= 0 else { throw Failure(String(cString: strerror(errno))) }
        let ok = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) == $0.count }
        if durable { fsync(fd) }
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw Failure(String(cString: strerror(errno)))
        }
    }
}
