import Foundation

/// The normalized roster as `rostersync roster` prints it: text for people, JSON for scripts.
/// Both are deterministic: units by code, people by employee id.
public struct RosterView: Sendable {
    public var roster: Roster
    public var book: AddressBook
    public var domain: String
    public var encodings: [(file: String, decoded: String)]

    public init(roster: Roster, book: AddressBook, domain: String, encodings: [(file: String, decoded: String)]) {
        self.roster = roster
        self.book = book
        self.domain = domain
        self.encodings = encodings
    }

    func address(unit code: String) -> String? { book.units[code].map { "\($0)@\(domain)" } }
    func address(person id: String) -> String? { book.people[id].map { "\($0)@\(domain)" } }

    public func text() -> String {
        let units = roster.units.sorted { $0.code < $1.code }
        let staff = roster.staff.sorted { $0.employeeId < $1.employeeId }
        let names = Dictionary(roster.staff.map { ($0.employeeId, $0.fullName) }, uniquingKeysWith: { a, _ in a })
        var out = ""
        for e in encodings { out += "\(e.file): \(e.decoded)\n" }
        out += "\nUnits (\(units.count))\n"
        for u in units {
            out += "  \(u.code)  \(u.name)\n"
            out += "      mailbox \(address(unit: u.code) ?? "—")"
            out += u.parentCode.map { ", under \($0)" } ?? ""
            out += u.headEmployeeId.map { ", head \($0) \(names[$0] ?? "")" } ?? ""
            if u.status == .dissolved { out += ", dissolved" }
            if let p = u.previousCode { out += ", formerly \(p)" }
            if let d = u.effectiveDate { out += ", effective \(d)" }
            out += "\n"
        }
        out += "\nStaff (\(staff.count))\n"
        for p in staff {
            var line = "  \(p.employeeId)  \(p.fullName)  [\(p.unitCode)] \(p.status.rawValue)"
            if let t = p.title { line += ", \(t)" }
            if let s = p.startDate { line += ", from \(s)" }
            if let e = p.endDate { line += ", until \(e)" }
            line += "  →  " + (address(person: p.employeeId).map { "\($0) (\(book.origin[p.employeeId]?.rawValue ?? ""))" } ?? "no mailbox")
            out += line + "\n"
        }
        let counts = Dictionary(grouping: staff, by: \.status).mapValues(\.count)
        out += "\n\(units.count) units; \(staff.count) people: \(counts[.active] ?? 0) active, \(counts[.onLeave] ?? 0) on leave, \(counts[.departed] ?? 0) departed\n"
        return out
    }

    /// Version 1 of the roster JSON: `files` (path → how it was decoded), `units` and `staff`
    /// (sorted by code and id; absent values are null), `warnings`. Written record by record
    /// into one buffer: no tree of 100,000 objects is built first.
    public func json() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(roster.staff.count * 420 + roster.units.count * 300 + 4096)
        func array<T>(_ key: String, _ items: [T], last: Bool = false, _ make: (T) -> JSON) {
            out.append(contentsOf: "\n  \"\(key)\": ".utf8)
            if items.isEmpty { out.append(contentsOf: "[]".utf8) } else {
                out.append(UInt8(ascii: "["))
                for (i, item) in items.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    JSON.newline(&out, 2)
                    make(item).write(to: &out, indent: 2)
                }
                out.append(contentsOf: "\n  ]".utf8)
            }
            if !last { out.append(UInt8(ascii: ",")) }
        }
        out.append(contentsOf: "{\n  \"files\": ".utf8)
        JSON.object(encodings.sorted { $0.file < $1.file }.map { ($0.file, .string($0.decoded)) }).write(to: &out, indent: 1)
        out.append(UInt8(ascii: ","))
        array("staff", roster.staff.sorted { $0.employeeId < $1.employeeId }) { p in
            .object([
                ("address", .optional(address(person: p.employeeId))), ("addressOrigin", .optional(book.origin[p.employeeId]?.rawValue)),
                ("employeeId", .string(p.employeeId)), ("endDate", .optional(p.endDate?.description)), ("fullName", .string(p.fullName)),
                ("line", .int(p.line)), ("phone", .optional(p.phone)), ("startDate", .optional(p.startDate?.description)),
                ("status", .string(p.status.rawValue)), ("title", .optional(p.title)), ("unitCode", .string(p.unitCode)),
            ])
        }
        array("units", roster.units.sorted { $0.code < $1.code }) { u in
            .object([
                ("code", .string(u.code)), ("effectiveDate", .optional(u.effectiveDate?.description)),
                ("headEmployeeId", .optional(u.headEmployeeId)), ("line", .int(u.line)), ("mailbox", .optional(address(unit: u.code))),
                ("name", .string(u.name)), ("parentCode", .optional(u.parentCode)), ("previousCode", .optional(u.previousCode)),
                ("status", .string(u.status.rawValue)),
            ])
        }
        out.append(contentsOf: "\n  \"version\": 1,".utf8)
        array("warnings", roster.warnings, last: true) { .string($0.description) }
        out.append(contentsOf: "\n}\n".utf8)
        return out
    }
}

extension Config.Mail {
    /// The mail settings when no config is given: the agency's domain and the usual reserved names.
    public static let defaults = Config.Mail(
        domain: "cema.gov.vn", sharedMailbox: "ubdt",
        reserved: ["postmaster", "abuse", "root", "hostmaster", "webmaster", "admin", "administrator", "noreply", "no-reply", "mailer-daemon", "nobody"],
        pattern: .default)
}
