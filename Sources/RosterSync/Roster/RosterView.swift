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

    public func json() -> String {
        struct Unit: Encodable {
            var code: String, name: String, parentCode: String?, mailbox: String?, headEmployeeId: String?
            var previousCode: String?, status: String, effectiveDate: String?, line: Int
        }
        struct Person: Encodable {
            var employeeId: String, fullName: String, unitCode: String, title: String?, status: String
            var startDate: String?, endDate: String?, phone: String?, address: String?, addressOrigin: String?, line: Int
        }
        struct Doc: Encodable {
            var version = 1
            var files: [String: String]
            var units: [Unit]
            var staff: [Person]
            var warnings: [String]
        }
        let doc = Doc(
            files: Dictionary(encodings.map { ($0.file, $0.decoded) }, uniquingKeysWith: { a, _ in a }),
            units: roster.units.sorted { $0.code < $1.code }.map {
                Unit(code: $0.code, name: $0.name, parentCode: $0.parentCode, mailbox: address(unit: $0.code), headEmployeeId: $0.headEmployeeId,
                     previousCode: $0.previousCode, status: $0.status.rawValue, effectiveDate: $0.effectiveDate?.description, line: $0.line)
            },
            staff: roster.staff.sorted { $0.employeeId < $1.employeeId }.map {
                Person(employeeId: $0.employeeId, fullName: $0.fullName, unitCode: $0.unitCode, title: $0.title, status: $0.status.rawValue,
                       startDate: $0.startDate?.description, endDate: $0.endDate?.description, phone: $0.phone,
                       address: address(person: $0.employeeId), addressOrigin: book.origin[$0.employeeId]?.rawValue, line: $0.line)
            },
            warnings: roster.warnings.map(\.description))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(doc)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

extension Config.Mail {
    /// The mail settings when no config is given: the agency's domain and the usual reserved names.
    public static let defaults = Config.Mail(
        domain: "cema.gov.vn", sharedMailbox: "ubdt",
        reserved: ["postmaster", "abuse", "root", "hostmaster", "webmaster", "admin", "administrator", "noreply", "no-reply", "mailer-daemon", "nobody"],
        pattern: .default)
}
