import LDAPModel

/// The unit mailboxes' pass: a unit whose entry still holds its mailbox (rostersync 1.1) gets
/// an entry of its own for it, and a unit whose mailbox has no entry gets one made. (Every
/// other write to a unit is routed between the two entries when the plan is ordered.)
extension PlanDraft {
    /// Units whose mailbox is still on the unit's own entry and has no entry of its own: this
    /// run writes to them as before, then moves the mailbox to its entry.
    var unitsWithMailboxOnEntry: Set<String> {
        var codes = Set<String>()
        for directoryUnit in input.snapshot.units
        where directoryUnit.managed && directoryUnit.mailboxOnUnitEntry && directoryUnit.mailboxDN == nil {
            if let code = directoryUnit.code { codes.insert(code) }
        }
        for unit in input.roster.units
        where unit.directoryEntry(directoryUnits).map({ $0.mailboxOnUnitEntry && $0.mailboxDN == nil }) ?? false {
            codes.insert(unit.code)
        }
        return codes
    }

    /// Units with no mailbox at all (neither an entry of its own nor on the unit's entry) that
    /// this run does not give one: their writes go to the unit's entry only.
    var unitsWithoutMailbox: Set<String> {
        var codes = Set<String>()
        for directoryUnit in input.snapshot.units
        where directoryUnit.managed && !directoryUnit.mailboxOnUnitEntry && directoryUnit.mailboxDN == nil {
            if let code = directoryUnit.code { codes.insert(code) }
        }
        guard !codes.isEmpty else { return codes }
        for change in changes where change.kind == .createUnit { if let code = change.unitCode { codes.remove(code) } }
        return codes
    }

    /// Every managed unit whose entry still holds its mailbox gets it moved to an entry of its
    /// own, last, so that the run's other writes find it where they were planned; a unit
    /// dissolved in this run is left as it is.
    mutating func planMailboxSeparation() {
        let dissolved = Set(changes.lazy.filter { $0.kind == .dissolveUnit }.compactMap(\.unitCode))
        for directoryUnit in input.snapshot.units
        where directoryUnit.managed && directoryUnit.mailboxOnUnitEntry && !input.isProtected(directoryUnit.dn) {
            guard let code = directoryUnit.code, !dissolved.contains(code) else { continue }
            planSeparation(directoryUnit, code: code)
        }
        planMissingMailboxes()
    }

    mutating func planSeparation(_ directoryUnit: DirectoryUnit, code: String) {
        let dn = effective(directoryUnit.dn).string
        var entry = [
            LDAPAttribute("rsUnitCode", code), LDAPAttribute("rsState", directoryUnit.state.rawValue),
            LDAPAttribute("displayName", directoryUnit.name ?? ""),
        ]
        if let mail = directoryUnit.mail { entry.append(LDAPAttribute("mail", mail)) }
        if !directoryUnit.aliases.isEmpty { entry.append(LDAPAttribute("mailLocalAddress", directoryUnit.aliases)) }
        if !directoryUnit.expiringAliases.isEmpty {
            entry.append(LDAPAttribute("rsExpiringAlias", directoryUnit.expiringAliases))
        }
        if let owner = directoryUnit.owner { entry.append(LDAPAttribute("owner", owner)) }
        add(
            Change(
                kind: .separateUnitMailbox, dn: dn, unitCode: code, groupUnit: code, subject: unitLabel(code),
                reason:
                    "the unit mailbox \(directoryUnit.mail ?? "") moves to an entry of its own, "
                    + "\(UnitMailbox.dn(of: dn)), with its address, aliases, holder, password and lock, "
                    + "so that mail servers' usual filters find it",
                operations: UnitMailbox.separation(
                    unit: dn, entry: entry, mailboxExists: directoryUnit.mailboxDN != nil)),
            pending: false, due: nil)
    }

    /// A unit whose mailbox has no entry at all (a run stopped between a new unit's two adds):
    /// its mailbox is made, with a new initial password, as for a new unit.
    mutating func planMissingMailboxes() {
        for unit in input.roster.units where unit.status == .active && !pendingUnits.contains(unit.code) {
            guard let directoryUnit = unit.directoryEntry(directoryUnits), directoryUnit.managed,
                directoryUnit.mailboxDN == nil,
                !directoryUnit.mailboxOnUnitEntry, directoryUnit.state == .active,
                let dn = unitDN[unit.code], let local = dn.rdn?.value,
                case .add(let mailboxDN, let attributes)? = UnitMailbox.adds(
                    unit: dn, attributes: unitAttributes(unit, local: local)
                )
                .dropFirst().first
            else { continue }
            add(
                Change(
                    kind: .createUnit, dn: dn.string, unitCode: unit.code, groupUnit: unit.code,
                    subject: unitLabel(unit.code),
                    reason:
                        "the unit mailbox \(address(local)) has no entry "
                        + "(a run stopped between the unit and its mailbox): made now",
                    attributes: attributes.map {
                        AttributeChange($0.name, old: [], new: $0.values.map { String(decoding: $0, as: UTF8.self) })
                    },
                    operations: [.add(dn: mailboxDN, attributes: attributes)]),
                pending: false, due: nil)
        }
    }
}
