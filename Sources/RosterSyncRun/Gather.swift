import Foundation
import LDAPClient
import LDAPModel
import Logging
import RosterSync

import Crypto
import Synchronization
extension Runner {
    /// Config + rosters + directory → plan. Shared by plan and sync. `replication`: what to
    /// do when the provider read is behind another configured one (sync and apply wait, then
    /// refuse; plan warns).
    package static func makePlan(
        configPath: String, units: String?, staff: String?, asOf: String?, unitFilter: [String], timings: Bool = false,
        replication: Replication.Mode = .wait
    ) throws -> Plan {
        try gather(configPath: configPath, units: units, staff: staff, asOf: asOf, unitFilter: unitFilter, timings: timings, replication: replication).plan
    }

    /// Everything a plan was made from, with the plan: what the reports read.
    package struct Gathered {
        package var config: Config
        package var loaded: LoadedRoster
        package var snapshot: DirectorySnapshot
        package var plan: Plan
        package var day: Day
        package var lastLogins: [String: Day]
        package var staffPath: String

        package var reportInput: ReportInput {
            ReportInput(roster: loaded.roster, snapshot: snapshot, plan: plan, config: config, asOf: day, lastLogins: lastLogins)
        }
    }

    package static func gather(
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
    package struct Stopwatch {
        package let enabled: Bool
        package var clock = DispatchTime.now()
        mutating func lap(_ what: String) {
            guard enabled else { return }
            let now = DispatchTime.now()
            printError(String(format: "timing: %@ %.3f s (RSS %@)", what, Double(now.uptimeNanoseconds - clock.uptimeNanoseconds) / 1e9, Runner.memory()))
            clock = now
        }
    }

    /// "now MB, peak MB" from /proc/self/status (for --timings).
    package static func memory() -> String {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return "?" }
        func field(_ name: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return 0 }
            return Int(line.split(separator: " ").dropFirst().first { Int($0) != nil } ?? "0") ?? 0
        }
        return "\(field("VmRSS:") / 1024) MB, peak \(field("VmHWM:") / 1024) MB"
    }

    /// Large values the command no longer needs, left for the process's exit to free.
    package static let keepUntilExit = Mutex<[any Sendable]>([])

    /// Today in the machine's time zone (the agency's day).
    package static func today() -> Day {
        let c = Calendar.current.dateComponents([.year, .month, .day], from: Date())
        return Day(year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1) ?? Day(ordinal: 0)
    }

    package static func sha256(_ path: String) throws -> String { sha256(try readBytes(path)) }

    package static func sha256(_ bytes: [UInt8]) -> String {
        "sha256:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// A mail server's `address,last_login` export; dates as ISO days or timestamps.
    package static func readLastLogins(_ path: String) throws -> [String: Day] {
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
    package static func forEachAddressRow(_ path: String, fields: Int, _ row: (String, [String]) -> (Int, String)?) throws {
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
    package static func writeFile(_ path: String, _ data: Data, mode: mode_t, durable: Bool = true) throws {
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
