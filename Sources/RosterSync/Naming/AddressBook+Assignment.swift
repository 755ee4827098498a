extension AddressBook {
    /// The addresses being given out, step by step (`AddressBook.init`).
    struct Assignment {
        let roster: Roster
        /// The mail domain, in lower case.
        let domain: String
        /// The shared mailbox's local part, in lower case.
        let shared: String?
        /// Every local part the directory's accounts hold, when the caller knows it.
        let held: Set<Substring>
        /// Local parts given out or reserved so far (besides `held`).
        var taken: Set<Substring>
        /// Each roster row's local part.
        var locals: [Substring?]
        var origins: [Origin?]
        var units: [String: String] = [:]
        var unitOrigin: [String: Origin] = [:]
        /// Whether the shared mailbox can still go to the unit whose mailbox column names it.
        var sharedFree: Bool

        init(roster: Roster, domain: String, reserved: [String], shared: String?, existing: inout Existing) {
            self.roster = roster
            self.domain = domain.lowercased()
            let count = roster.staff.count
            // Taken out of `existing`, so that filling it in does not copy the slices.
            var locals = existing.byRow ?? [Substring?](repeating: nil, count: count)
            let givenByRow = existing.byRow != nil
            existing.byRow = nil
            if !givenByRow {
                for (id, local) in existing.people { if let row = roster.staffIndex[id] { locals[row] = Substring(local) } }
            }
            origins = [Origin?](repeating: nil, count: count)
            let held = existing.held
            self.held = held
            taken = Set<Substring>(minimumCapacity: reserved.count + roster.units.count * 2 + 16)
            for local in reserved { taken.insert(Substring(local.lowercased())) }
            if held.isEmpty {
                for local in existing.people.values { taken.insert(Substring(local)) }
                if givenByRow { for case let local? in locals { taken.insert(local) } }
            }
            // A renamed unit's old address lives on as an alias: never reissued.
            for local in existing.units.values { taken.insert(Substring(local)) }
            let shared = shared?.lowercased()
            self.shared = shared
            sharedFree = shared.map { shared in
                let local = Substring(shared)
                guard !held.contains(local), !existing.units.values.contains(shared) else { return false }
                return !held.isEmpty || !(existing.people.values.contains(shared) || locals.contains { $0 == local })
            } ?? false
            self.locals = locals
        }

        func isTaken(_ local: Substring) -> Bool { taken.contains(local) || held.contains(local) }

        /// The unit mailbox a row asks for, when it can have it: free, or the shared mailbox
        /// that nobody holds.
        func obtainable(_ wanted: String) -> Bool { wanted == shared ? sharedFree : !isTaken(Substring(wanted)) }

        /// Units keep the addresses the directory gives them, unless their row asks for another.
        mutating func keepUnitAddresses(_ existing: [String: String]) {
            let unitRows = Dictionary(roster.units.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
            for code in existing.keys.sorted() {
                guard let row = unitRows[code], let local = existing[code] else { continue }
                // The mailbox column asking for another address is how HR renames a unit mailbox;
                // an address it cannot have (held by another entry) leaves the unit as it is, so
                // an unchanged row never renames it.
                if let wanted = AddressBook.wantedMailbox(row, domain: domain), wanted != local, obtainable(wanted) {
                    if wanted == shared { sharedFree = false }
                    units[code] = wanted
                    unitOrigin[code] = .new
                    taken.insert(Substring(wanted))
                    continue
                }
                units[code] = local
                unitOrigin[code] = .directory
            }
        }

        /// People without an address in the directory get their roster `email`, when it is
        /// free. Addresses held by people the roster no longer lists stay taken: never reissued.
        mutating func keepRosterEmails() {
            for row in roster.staff.indices {
                // `case .none`, not `== nil`: on an Optional of an Equatable type `==` picks the
                // Equatable overload, which copies each slice to compare it.
                guard case .none = locals[row], let email = roster.staff[row].email,
                      let local = AddressBook.localPart(email, domain: domain), !local.isEmpty
                else { continue }
                guard !isTaken(local) else { continue }  // claimed twice: validation reports it
                locals[row] = local
                origins[row] = .roster
                taken.insert(local)
            }
        }

        /// Units without an address: the mailbox column, else derived from the name.
        mutating func assignUnits() {
            for unit in roster.units.sorted(by: { $0.code < $1.code }) where units[unit.code] == nil {
                let wanted = AddressBook.wantedMailbox(unit, domain: domain) ?? derivedUnitMailbox(unit.name)
                let local: String
                if wanted == shared && sharedFree {
                    local = wanted
                    sharedFree = false
                } else {
                    local = AddressBook.free(wanted) { isTaken(Substring($0)) }
                }
                units[unit.code] = local
                unitOrigin[unit.code] = .new
                taken.insert(Substring(local))
            }
        }

        /// Newcomers (not departed, without an address) in (start date, employee id) order.
        mutating func assignNewcomers(pattern: LocalPartPattern) {
            let staff = roster.staff
            let newcomers = staff.indices.filter { row in
                guard case .none = locals[row] else { return false }
                return staff[row].status != .departed
            }.sorted {
                let p = staff[$0], q = staff[$1]
                let a = p.startDate?.ordinal ?? Int.max, b = q.startDate?.ordinal ?? Int.max
                return (a, p.employeeId) < (b, q.employeeId)
            }
            for row in newcomers {
                let wanted = pattern.localPart(for: PersonName(parsing: staff[row].fullName))
                let local = Substring(AddressBook.free(wanted) { isTaken(Substring($0)) })
                locals[row] = local
                origins[row] = .new
                taken.insert(local)
            }
        }
    }
}
