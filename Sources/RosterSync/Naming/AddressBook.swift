/// Assigns every unit and person exactly one address, deterministically and stably:
/// an address already held (in the directory, or the roster's `email`) never changes;
/// newcomers are served in (start date, employee id) order, never file order, and a taken
/// address gets the smallest free numeric suffix (`annv`, `annv2`, `annv3`…).
///
/// People's addresses are kept by their row in the staff roster (arrays, not tables keyed by
/// employee id: the planner hands over every person's on every run).
public struct AddressBook: Sendable {
    /// local part by unit code.
    public private(set) var units: [String: String] = [:]
    /// local part by employee id.
    public var people: People { People(index: staffIndex, locals: locals) }
    /// How each address came to be, by employee id (or unit code).
    public var origin: Origins { Origins(index: staffIndex, locals: locals, origins: origins, units: unitOrigin) }

    private let staffIndex: [String: Int]
    /// Slices of the directory's addresses where they come from there (no copy each).
    private var locals: [Substring?]
    /// nil where the local part came from the directory (or there is none).
    private var origins: [Origin?]
    private var unitOrigin: [String: Origin] = [:]

    public struct People: Sendable {
        let index: [String: Int]
        let locals: [Substring?]
        public subscript(_ id: String) -> String? { index[id].flatMap { locals[$0] }.map(String.init) }
        /// Every person's local part, by employee id.
        public var all: [String: String] {
            var out: [String: String] = [:]
            for (id, k) in index { if let l = locals[k] { out[id] = String(l) } }
            return out
        }
    }

    public struct Origins: Sendable {
        let index: [String: Int]
        let locals: [Substring?]
        let origins: [Origin?]
        let units: [String: Origin]
        public subscript(_ key: String) -> Origin? {
            if let k = index[key], case .some = locals[k] { return origins[k] ?? .directory }
            return units[key]
        }
    }

    public enum Origin: String, Sendable, Codable {
        /// Held in the directory already.
        case directory
        /// HR's roster gives it.
        case roster
        /// Made now from the name (or the unit mailbox column).
        case new
    }

    public struct Existing: Sendable {
        /// Local parts the directory already gives people, by employee id.
        public var people: [String: String]
        /// Local parts the directory already gives units, by unit code.
        public var units: [String: String]
        /// The same for people by their row in the staff roster, when the caller has them so
        /// (`people` is then not read): slices of the entries' `mail`.
        public var byRow: [Substring?]?
        /// Every local part the directory's accounts hold (claimed by a roster row or not),
        /// when the caller knows it: none of them is given to anyone else, and `people`'s and
        /// `byRow`'s need not be listed again. Units' addresses still come through `units`.
        public var held: Set<Substring>

        public init(people: [String: String] = [:], units: [String: String] = [:], byRow: [Substring?]? = nil, held: Set<Substring> = []) {
            self.people = people
            self.units = units
            self.byRow = byRow
            self.held = held
        }
    }

    /// - Parameters:
    ///   - reserved: local parts never assigned (postmaster…, the shared mailbox).
    ///   - existing: what the directory holds (empty before the first sync).
    ///   - shared: the agency's shared mailbox (art. 8). Reserved, except for the one unit whose
    ///     mailbox column names it (the agency itself as HR's root unit), when no other entry
    ///     holds it.
    public init(
        roster: Roster, domain: String, pattern: LocalPartPattern, reserved: [String], shared: String? = nil,
        existing: consuming Existing = Existing()
    ) {
        staffIndex = roster.staffIndex
        var assignment = Assignment(roster: roster, domain: domain, reserved: reserved, shared: shared, existing: &existing)
        // 1. What is already held keeps its address: the directory first, then HR's emails.
        assignment.keepUnitAddresses(existing.units)
        assignment.keepRosterEmails()
        // 2. Units: the mailbox column, else derived from the name; they come before people
        //    so a unit's natural address is never lost to a person's.
        assignment.assignUnits()
        // 3. Newcomers in (start date, employee id) order.
        assignment.assignNewcomers(pattern: pattern)
        units = assignment.units
        unitOrigin = assignment.unitOrigin
        locals = assignment.locals
        origins = assignment.origins
    }

    /// The local part a unit row's `mailbox` column asks for, if it names one.
    static func wantedMailbox(_ u: UnitRecord, domain: String) -> String? {
        u.mailbox.map { m in LocalPartPattern.sanitize(localPart(m, domain: domain).map(String.init) ?? m) }
    }

    /// The part of `address` before `@domain` (domain in lower case), by bytes and without a
    /// copy; nil when the address is in another domain.
    public static func localPart(_ address: String, domain: String) -> Substring? {
        let m = address.utf8, d = domain.utf8
        guard m.count > d.count else { return nil }
        let at = m.index(m.endIndex, offsetBy: -(d.count + 1))
        guard m[at] == UInt8(ascii: "@"), m[m.index(after: at)...].elementsEqual(d) else { return nil }
        return Substring(m[..<at])
    }

    /// `wanted`, or `wanted` with the smallest numeric suffix from 2 that is free.
    static func free(_ wanted: String, isTaken: (String) -> Bool) -> String {
        if !isTaken(wanted) { return wanted }
        var n = 2
        while isTaken("\(wanted)\(n)") { n += 1 }
        return "\(wanted)\(n)"
    }
}
