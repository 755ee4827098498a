import LDAPModel

/// The last pass: the changes kept for the units asked for, put in apply order and routed
/// between units and their mailboxes' entries; the scheduled ones by day; renumberings found.
extension PlanDraft {
    func orderedPlan() -> Plan {
        func keep(_ change: Change) -> Bool {
            input.units.isEmpty || (change.groupUnit.map(input.units.contains) ?? false)
        }
        let kept = changes.filter(keep)
        // Indexes are sorted, by keys computed once per change.
        let depths = kept.map { DN.depth(of: $0.kind.phase == 0 ? $0.newDN ?? $0.dn : $0.dn) }
        let kinds = kept.map(\.kind), dns = kept.map(\.dn)
        let order = kept.indices.sorted { i, j in
            let (a, b) = (kinds[i], kinds[j])
            if a.phase != b.phase { return a.phase < b.phase }
            // Parents first, except dissolutions: children first. Unit creations, renames and
            // moves go by the depth they end up at, so a new parent exists before a unit
            // moves under it, and a renamed parent before a unit is created under it.
            if depths[i] != depths[j] { return a == .dissolveUnit ? depths[i] > depths[j] : depths[i] < depths[j] }
            if a != b { return a.rawValue < b.rawValue }
            return dns[i] < dns[j]
        }
        // Writes to a unit go to the entry that holds each attribute: the unit's or its
        // mailbox's (not yet for a unit whose mailbox this run separates).
        // A unit with no mailbox entry that this run does not make (one being dissolved, say,
        // restored without its mailbox) has its writes to the unit alone.
        let notYet = unitsWithMailboxOnEntry, mailboxless = unitsWithoutMailbox
        let ordered = order.compactMap { i -> Change? in
            guard let code = kept[i].unitCode else { return UnitMailbox.route(kept[i]) }
            if notYet.contains(code) { return kept[i] }
            var routed = UnitMailbox.route(kept[i])
            if mailboxless.contains(code) {
                routed.operations.removeAll { UnitMailbox.isMailbox($0.dn) }
                if routed.operations.isEmpty && !kept[i].operations.isEmpty { return nil }
            }
            return routed
        }
        let later = scheduled.filter(keep).sorted {
            ($0.due ?? asOf, $0.kind.rawValue, $0.dn) < ($1.due ?? asOf, $1.kind.rawValue, $1.dn)
        }
        var plan = Plan(
            asOf: asOf, directory: input.directory, inputs: [:], changes: ordered, scheduled: later,
            disputes: disputes.sorted { $0.dn < $1.dn },
            unitNames: Dictionary(
                input.roster.units.map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first }))
        plan.unitParents = Dictionary(
            input.roster.units.compactMap { u in u.parentCode.map { (u.code, $0) } }, uniquingKeysWith: { first, _ in first })
        plan.managedUnits = input.snapshot.units.filter(\.managed).count
        plan.managedEntries = input.snapshot.accounts.filter(\.managed).count + plan.managedUnits
        plan.renumbered = renumberings().filter { input.units.isEmpty || input.units.contains($0.unitCode) }
        return plan
    }

    /// New ids that look like existing accounts renumbered: a creation whose person has the
    /// name and unit of exactly one managed account that no roster row claims any more.
    func renumberings() -> [Renumbering] {
        let creations = changes.filter { $0.kind == .createAccount }
        guard !creations.isEmpty else { return [] }
        let roster = input.roster, accounts = input.snapshot.accounts
        var gone: [String: [Int]] = [:]
        for (index, account) in accounts.enumerated()
        where account.managed && !claimed.contains(index) && account.state != .disabled {
            if let cn = account.cn, let unit = account.unitCode, let id = account.employeeId,
                roster.staffIndex[id] == nil
            {
                gone[cn + "\u{0}" + unit, default: []].append(index)
            }
        }
        guard !gone.isEmpty else { return [] }
        var found: [Renumbering] = []
        for creation in creations {
            guard let id = creation.employeeId, let person = roster.person(id),
                  let list = gone[person.fullName + "\u{0}" + person.unitCode], list.count == 1,
                  let old = accounts[list[0]].employeeId else { continue }
            found.append(Renumbering(oldId: old, newId: id, name: person.fullName, unitCode: person.unitCode))
        }
        return found.sorted { $0.newId < $1.newId }
    }
}
