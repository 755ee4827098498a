import LDAPModel

/// The dissolutions' pass: units the unit roster marks dissolved, and managed units it no
/// longer lists at all (HR shows a merge by dropping the merged unit's row). A unit still
/// holding active people is disputed; an empty one is deleted, children first; one with
/// entries left in it has its mailbox disabled until they are gone.
extension PlanDraft {
    /// A unit to dissolve, and why.
    struct EndingUnit {
        var code: String
        var directoryUnit: DirectoryUnit
        var effectiveDate: Day?
        var why: String
    }

    mutating func planDissolutions() {
        var ending: [EndingUnit] = []
        for unit in input.roster.units where unit.status == .dissolved {
            if let directoryUnit = unit.directoryEntry(directoryUnits) {
                ending.append(
                    EndingUnit(
                        code: unit.code, directoryUnit: directoryUnit, effectiveDate: unit.effectiveDate,
                        why: "dissolved in the unit roster"))
            }
        }
        for directoryUnit in vanishedUnits {
            ending.append(EndingUnit(
                code: directoryUnit.code ?? "", directoryUnit: directoryUnit, effectiveDate: nil,
                why: "no longer in the unit roster (merged or dissolved)"))
        }
        // The count of what is left in each unit matters only to a unit being dissolved.
        guard !ending.isEmpty else { return }
        var remaining = entriesLeft()
        // Children first, so a parent emptied by its children's deletion is deleted too.
        let order = ending.map { (effective($0.directoryUnit.dn), $0) }
            .sorted { ($0.0.rdns.count, $1.0.normalized) > ($1.0.rdns.count, $0.0.normalized) }
        for (dn, unit) in order {
            planDissolution(unit, dn: dn, remaining: &remaining)
        }
    }

    /// How many entries will be below each unit (by normalized DN) once the plan is applied.
    func entriesLeft() -> [String: Int] {
        var remaining: [String: Int] = [:]
        func count(_ dn: DN) { if let parent = dn.parent { remaining[parent.normalized, default: 0] += 1 } }
        let deleted = Set(changes.filter { $0.kind == .deleteAccount }.map(\.dn))
        var placed = Set<String>()
        for change in changes where change.kind == .createAccount || change.kind == .createUnit {
            // The DNs these were made from, not their strings parsed again.
            let made =
                change.kind == .createUnit ? change.unitCode.flatMap { unitDN[$0] } : change.employeeId.flatMap(finalDN)
            if let dn = made {
                count(dn)
                placed.insert(dn.normalized)
            }
        }
        // People who stay with an account end up in their roster unit: counted there, no DN
        // built. Every other entry stays where it is (effective), unless this run deletes it.
        var withAccount: [String: Int] = [:]
        var followsRoster = Marks()
        for (row, account) in accountOf.enumerated() {
            guard let account else { continue }
            let person = input.roster.staff[row]
            if let leaving = departure(person), leaving <= asOf { continue }
            guard let unit = unitDN[person.unitCode] else { continue }
            withAccount[unit.normalized, default: 0] += 1
            followsRoster.insert(account)
        }
        for (unit, count) in withAccount { remaining[unit, default: 0] += count }
        for (index, account) in input.snapshot.accounts.enumerated() where !followsRoster.contains(index) {
            let dn = effective(account.dn)
            if !deleted.contains(dn.string) { count(dn) }
        }
        for unit in input.snapshot.units {
            let dn = effective(unit.dn)
            if !placed.contains(dn.normalized) { count(dn) }
        }
        return remaining
    }

    /// The DN of a roster person's account once the plan is applied, from the address book
    /// (asked for new accounts only, when dissolutions count what a unit will hold; owners
    /// come from `planOwners`, which knows whether the entry will exist).
    func finalDN(_ id: String) -> DN? {
        guard let row = input.roster.staffIndex[id], let unit = unitDN[input.roster.staff[row].unitCode] else {
            return nil
        }
        if let account = accountOf[row] {
            return unit.child(
                input.snapshot.accounts[account].dn.rdn ?? DN.RDN(type: "uid", value: book.people[id] ?? ""))
        }
        return book.people[id].map { unit.child(type: "uid", value: $0) }
    }

    mutating func planDissolution(_ ending: EndingUnit, dn: DN, remaining: inout [String: Int]) {
        let (code, directoryUnit, effectiveDate, why) = (
            ending.code, ending.directoryUnit, ending.effectiveDate, ending.why
        )
        let pending = effectiveDate.map { $0 > asOf } ?? false
        let active = input.roster.staff.filter { person in
            person.unitCode == code && (departure(person).map { $0 > asOf } ?? true)
        }.count
        let label =
            rosterUnits[code] != nil ? unitLabel(code) : "\(directoryUnit.name ?? dn.rdn?.value ?? code) (\(code))"
        if active > 0 {
            disputes.append(
                Dispute(
                    dn: dn.string, employeeId: nil,
                    reason: "\(label) is \(why) but \(active) active people still belong to it: not dissolved"))
            return
        }
        let assertion = Filter.equality("rsUnitCode", directoryUnit.code ?? code)
        let left = remaining[dn.normalized] ?? 0
        let when = effectiveDate.map { " (effective \($0))" } ?? ""
        func change(
            _ kind: ChangeKind, _ reason: String, _ attributes: [AttributeChange] = [], _ operation: PlannedOperation
        ) -> Change {
            Change(
                kind: kind, dn: dn.string, unitCode: code, groupUnit: code, subject: label, reason: reason,
                attributes: attributes, operations: [operation])
        }
        if left == 0 {
            add(change(
                .dissolveUnit, why + when + "; nothing is left in it: the unit entry is deleted (backed up first)",
                [], .delete(dn: dn.string, assertion: assertion)), pending: pending, due: effectiveDate)
            if let parent = dn.parent, !pending { remaining[parent.normalized, default: 1] -= 1 }
        } else if directoryUnit.state != .disabled {
            // Nobody holds a dissolved unit's mailbox: its owner would name a head who has
            // moved on (and whose entry may go).
            let disable = Planner.stateModifications(to: .disabled, on: asOf, reason: "unit dissolved")
            add(
                change(
                    .dissolveUnit,
                    why + when
                        + "; its mailbox is disabled, the entry is deleted once the \(left) entries "
                        + "left in it are gone",
                    [
                        AttributeChange(
                            "rsState", old: [directoryUnit.state.rawValue], new: [EntryState.disabled.rawValue])
                    ]
                        + (directoryUnit.owner.map { [AttributeChange("owner", old: [$0], new: [])] } ?? []),
                    .modify(
                        dn: dn.string, modifications: disable + (directoryUnit.owner == nil ? [] : [.delete("owner")]),
                        assertion: assertion)),
                pending: pending, due: effectiveDate)
        } else if let owner = directoryUnit.owner, !pending {
            add(change(
                .updateUnit, "dissolved, its mailbox disabled: nobody holds it any more",
                [AttributeChange("owner", old: [owner], new: [])],
                .modify(dn: dn.string, modifications: [.delete("owner")], assertion: assertion)),
                pending: false, due: nil)
        }
    }
}
