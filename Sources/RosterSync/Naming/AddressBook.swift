/// Assigns every unit and person exactly one address, deterministically and stably:
/// an address already held (in the directory, or the roster's `email`) never changes;
/// newcomers are served in (start date, employee id) order, never file order, and a taken
/// address gets the smallest free numeric suffix (`annv`, `annv2`, `annv3`…).
public struct AddressBook: Sendable {
    /// local part by unit code.
    public private(set) var units: [String: String] = [:]
    /// local part by employee id.
    public private(set) var people: [String: String] = [:]
    /// How each address came to be, by employee id or unit code.
    public var origin: Origins { Origins(explicit: explicitOrigin, directoryPeople: directoryPeople) }
    /// Origins other than a person's directory address (those are `directoryPeople`'s keys:
    /// 100,000 of them are not copied into a second table).
    private var explicitOrigin: [String: Origin] = [:]
    private var directoryPeople: [String: String] = [:]

    public struct Origins: Sendable {
        let explicit: [String: Origin]
        let directoryPeople: [String: String]
        public subscript(_ key: String) -> Origin? { explicit[key] ?? (directoryPeople[key] != nil ? .directory : nil) }
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
        public init(people: [String: String] = [:], units: [String: String] = [:]) {
            self.people = people
            self.units = units
        }
    }

    /// - Parameters:
    ///   - reserved: local parts never assigned (postmaster…, the shared mailbox).
    ///   - existing: what the directory holds (empty before the first sync).
    public init(roster: Roster, domain: String, pattern: LocalPartPattern, reserved: [String], existing: Existing = Existing()) {
        var taken = Set<String>(minimumCapacity: reserved.count + existing.people.count + roster.units.count * 2 + 16)
        for r in reserved { taken.insert(r.lowercased()) }
        let suffix = "@" + domain.lowercased()

        // 1. What is already held keeps its address: the directory first, then HR's emails.
        let unitRows = Dictionary(roster.units.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        for (code, local) in existing.units {  // order-free: each step depends on its own row only
            guard let row = unitRows[code] else { continue }
            taken.insert(local)  // a renamed unit's old address lives on as an alias: never reissued
            // The mailbox column asking for another address is how HR renames a unit mailbox.
            if let wanted = row.mailbox.map({ LocalPartPattern.sanitize($0.hasSuffix(suffix) ? String($0.dropLast(suffix.count)) : $0) }), wanted != local {
                continue
            }
            units[code] = local
            explicitOrigin[code] = .directory
        }
        // The directory's addresses are taken as they are (one shared table, no copy).
        people = existing.people
        directoryPeople = existing.people
        for local in existing.people.values { taken.insert(local) }
        // Addresses held by people the roster no longer lists stay taken: never reissued.
        for p in roster.staff where people[p.employeeId] == nil {
            guard let email = p.email, email.hasSuffix(suffix) else { continue }
            let local = String(email.dropLast(suffix.count))
            guard !taken.contains(local) else { continue }  // claimed twice: validation reports it
            people[p.employeeId] = local
            explicitOrigin[p.employeeId] = .roster
            taken.insert(local)
        }

        // 2. Units: the mailbox column, else derived from the name; they come before people
        //    so a unit's natural address is never lost to a person's.
        for u in roster.units.sorted(by: { $0.code < $1.code }) where units[u.code] == nil {
            let wanted = u.mailbox.map { m in LocalPartPattern.sanitize(m.hasSuffix(suffix) ? String(m.dropLast(suffix.count)) : m) } ?? derivedUnitMailbox(u.name)
            let local = Self.free(wanted, taken: taken)
            units[u.code] = local
            explicitOrigin[u.code] = .new
            taken.insert(local)
        }

        // 3. Newcomers in (start date, employee id) order.
        let newcomers = roster.staff.filter { people[$0.employeeId] == nil && $0.status != .departed }.sorted {
            let a = $0.startDate?.ordinal ?? Int.max, b = $1.startDate?.ordinal ?? Int.max
            return (a, $0.employeeId) < (b, $1.employeeId)
        }
        for p in newcomers {
            let local = Self.free(pattern.localPart(for: PersonName(parsing: p.fullName)), taken: taken)
            people[p.employeeId] = local
            explicitOrigin[p.employeeId] = .new
            taken.insert(local)
        }
    }

    /// `wanted`, or `wanted` with the smallest numeric suffix from 2 that is free.
    static func free(_ wanted: String, taken: Set<String>) -> String {
        if !taken.contains(wanted) { return wanted }
        var n = 2
        while taken.contains("\(wanted)\(n)") { n += 1 }
        return "\(wanted)\(n)"
    }
}
