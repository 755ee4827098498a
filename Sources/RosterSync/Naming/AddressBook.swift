/// Assigns every unit and person exactly one address, deterministically and stably:
/// an address already held (in the directory, or the roster's `email`) never changes;
/// newcomers are served in (start date, employee id) order, never file order, and a taken
/// address gets the smallest free numeric suffix (`annv`, `annv2`, `annv3`…).
///
/// People's addresses are kept by their row in the staff roster (arrays, not tables keyed by
/// employee id: the planner hands over 100,000 of them on every run).
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
        let n = roster.staff.count
        staffIndex = roster.staffIndex
        // Taken out of `existing` (consumed) so that filling it in does not copy 100,000 slices.
        var locals = existing.byRow ?? [Substring?](repeating: nil, count: n)
        let givenByRow = existing.byRow != nil
        existing.byRow = nil
        if !givenByRow {
            for (id, l) in existing.people { if let k = staffIndex[id] { locals[k] = Substring(l) } }
        }
        var origins = [Origin?](repeating: nil, count: n)
        let held = existing.held
        var taken = Set<Substring>(minimumCapacity: reserved.count + roster.units.count * 2 + 16)
        for r in reserved { taken.insert(Substring(r.lowercased())) }
        if held.isEmpty {
            for l in existing.people.values { taken.insert(Substring(l)) }
            if givenByRow { for case let l? in locals { taken.insert(l) } }
        }
        func isTaken(_ local: Substring) -> Bool { taken.contains(local) || held.contains(local) }
        let domain = domain.lowercased()

        // 1. What is already held keeps its address: the directory first, then HR's emails.
        let unitRows = Dictionary(roster.units.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        // A renamed unit's old address lives on as an alias: never reissued.
        for local in existing.units.values { taken.insert(Substring(local)) }
        let shared = shared?.lowercased()
        var sharedFree = shared.map { s in
            let local = Substring(s)
            guard !held.contains(local), !existing.units.values.contains(s) else { return false }
            return !held.isEmpty || !(existing.people.values.contains(s) || locals.contains { $0 == local })
        } ?? false
        // The unit mailbox a row asks for, when it can have it: free, or the shared mailbox
        // that nobody holds.
        func obtainable(_ wanted: String) -> Bool { wanted == shared ? sharedFree : !isTaken(Substring(wanted)) }
        for code in existing.units.keys.sorted() {
            guard let row = unitRows[code], let local = existing.units[code] else { continue }
            // The mailbox column asking for another address is how HR renames a unit mailbox;
            // an address it cannot have (held by another entry) leaves the unit as it is, so
            // an unchanged row never renames it.
            if let wanted = Self.wantedMailbox(row, domain: domain), wanted != local, obtainable(wanted) {
                if wanted == shared { sharedFree = false }
                units[code] = wanted
                unitOrigin[code] = .new
                taken.insert(Substring(wanted))
                continue
            }
            units[code] = local
            unitOrigin[code] = .directory
        }
        // Addresses held by people the roster no longer lists stay taken: never reissued.
        // `case .none`, not `== nil`: on an Optional of an Equatable type `==` picks the
        // Equatable overload, which copies each slice to compare it (4 % of a no-op plan's CPU).
        for k in 0..<n {
            guard case .none = locals[k], let email = roster.staff[k].email, let local = Self.localPart(email, domain: domain), !local.isEmpty else { continue }
            guard !isTaken(local) else { continue }  // claimed twice: validation reports it
            locals[k] = local
            origins[k] = .roster
            taken.insert(local)
        }

        // 2. Units: the mailbox column, else derived from the name; they come before people
        //    so a unit's natural address is never lost to a person's.
        for u in roster.units.sorted(by: { $0.code < $1.code }) where units[u.code] == nil {
            let wanted = Self.wantedMailbox(u, domain: domain) ?? derivedUnitMailbox(u.name)
            let local: String
            if wanted == shared && sharedFree {
                local = wanted
                sharedFree = false
            } else {
                local = Self.free(wanted) { isTaken(Substring($0)) }
            }
            units[u.code] = local
            unitOrigin[u.code] = .new
            taken.insert(Substring(local))
        }

        // 3. Newcomers in (start date, employee id) order.
        let newcomers = (0..<n).filter { k in
            guard case .none = locals[k] else { return false }
            return roster.staff[k].status != .departed
        }.sorted {
            let p = roster.staff[$0], q = roster.staff[$1]
            let a = p.startDate?.ordinal ?? Int.max, b = q.startDate?.ordinal ?? Int.max
            return (a, p.employeeId) < (b, q.employeeId)
        }
        for k in newcomers {
            let local = Substring(Self.free(pattern.localPart(for: PersonName(parsing: roster.staff[k].fullName))) { isTaken(Substring($0)) })
            locals[k] = local
            origins[k] = .new
            taken.insert(local)
        }
        self.locals = locals
        self.origins = origins
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
