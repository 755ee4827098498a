import LDAPModel

/// The holders' pass: every unit's `owner` names its head's entry as it is after the run: a
/// head who moved, or whose unit was renamed or moved, is followed there; a head whose entry
/// this run deletes (or that is gone: deleted for disuse, not made yet) is no longer named.
extension PlanDraft {
    /// A unit whose holder is known, and where its entry is.
    struct HeldUnit {
        var unit: UnitRecord
        var directoryUnit: DirectoryUnit
        var dn: DN
        var head: String
    }

    mutating func planOwners() {
        // The holder: the new head of a handover in this plan, else the one the entry names.
        let handedOver = Set(changes.lazy.filter { $0.kind == .handoverUnitMailbox }.compactMap(\.unitCode))
        var heldUnits: [String: HeldUnit] = [:]
        for unit in input.roster.units where unit.status == .active && !pendingUnits.contains(unit.code) {
            guard let directoryUnit = unit.directoryEntry(directoryUnits), let dn = unitDN[unit.code],
                let head = handedOver.contains(unit.code)
                    ? unit.headEmployeeId : directoryUnit.headEmployeeId ?? unit.headEmployeeId
            else { continue }
            heldUnits[unit.code] = HeldUnit(unit: unit, directoryUnit: directoryUnit, dn: dn, head: head)
        }
        let created = changes.indices.filter { changes[$0].kind == .createUnit }
        guard !heldUnits.isEmpty || !created.isEmpty else { return }
        let heads = Set(
            heldUnits.values.map(\.head)
                + created.compactMap { changes[$0].unitCode.flatMap { rosterUnits[$0]?.headEmployeeId } })
        let headEntries = entriesAfterRun(of: heads)
        // New units: their head's entry, when it exists or is made by this run.
        for i in created {
            guard let code = changes[i].unitCode, let head = rosterUnits[code]?.headEmployeeId,
                let owner = headEntries(head),
                case .add(let dn, let attributes)? = changes[i].operations.first
            else { continue }
            changes[i].attributes.append(AttributeChange("owner", old: [], new: [owner.string]))
            changes[i].operations[0] = .add(dn: dn, attributes: attributes + [LDAPAttribute("owner", owner.string)])
        }
        for code in heldUnits.keys.sorted() {
            guard let held = heldUnits[code] else { continue }
            planOwner(held, wanted: headEntries(held.head))
        }
    }

    /// The entry of each of `heads` as it is after the run, if there is one.
    func entriesAfterRun(of heads: Set<String>) -> (String) -> DN? {
        // What this run does to the heads' entries.
        var after: [String: DN?] = [:]
        for change in changes {
            guard let id = change.employeeId, heads.contains(id) else { continue }
            switch change.kind {
            case .moveAccount: after[id] = change.newDN.flatMap { try? DN($0) }
            case .createAccount: after[id] = try? DN(change.dn)
            case .deleteAccount: after[id] = .some(nil)
            default: continue
            }
        }
        let input = self.input, accountOf = self.accountOf, unitMoves = self.unitMoves, known = after
        return { head in
            if let entry = known[head] { return entry }
            if let row = input.roster.staffIndex[head] {
                // No entry: none made now.
                return accountOf[row].map { Self.effective(input.snapshot.accounts[$0].dn, unitMoves) }
            }
            // No longer in the roster.
            return input.snapshot.accounts.first(where: { $0.employeeId == head }).map {
                Self.effective($0.dn, unitMoves)
            }
        }
    }

    /// One unit's `owner` made to name `wanted`: joined to the unit's handover or update
    /// when it has one (one modify per unit).
    mutating func planOwner(_ held: HeldUnit, wanted: DN?) {
        let (unit, directoryUnit, dn) = (held.unit, held.directoryUnit, held.dn)
        let current = directoryUnit.owner.flatMap { try? DN($0) }
        guard wanted != current, !(wanted == nil && directoryUnit.owner == nil) else { return }
        let modification: LDAPModification = wanted.map { .replace("owner", [$0.string]) } ?? .delete("owner")
        let attribute = AttributeChange(
            "owner", old: directoryUnit.owner.map { [$0] } ?? [], new: wanted.map { [$0.string] } ?? [])
        let name = input.roster.person(held.head)?.fullName ?? held.head
        let why =
            wanted.map { "the holder \(name)'s entry is now \($0.string)" }
            ?? "the holder \(name)'s mailbox no longer exists"
        if let j = changes.firstIndex(where: { $0.kind == .handoverUnitMailbox && $0.unitCode == unit.code })
            ?? changes.firstIndex(where: { $0.kind == .updateUnit && $0.unitCode == unit.code }),
            case .modify(let modifiedDN, let modifications, let assertion)? = changes[j].operations.first
        {
            changes[j].operations[0] = .modify(
                dn: modifiedDN, modifications: modifications + [modification], assertion: assertion)
            changes[j].attributes.append(attribute)
            changes[j].reason += "; " + why
            return
        }
        add(
            Change(
                kind: .updateUnit, dn: dn.string, unitCode: unit.code, groupUnit: unit.code,
                subject: unitLabel(unit.code), reason: why,
                attributes: [attribute],
                operations: [
                    .modify(
                        dn: dn.string, modifications: [modification],
                        assertion: .equality("rsUnitCode", directoryUnit.code ?? unit.code))
                ]),
            pending: false, due: nil)
    }
}
