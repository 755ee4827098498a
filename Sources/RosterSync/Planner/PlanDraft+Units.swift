import LDAPModel

/// The units' passes: where each unit ends up (created, renamed, moved), then what changes on
/// the units that exist (name, code, expired aliases, head), and the units the roster does
/// not know.
extension PlanDraft {
    /// Roster units, parents first.
    func unitsByDepth() -> [UnitRecord] {
        func depth(_ unit: UnitRecord) -> Int {
            var depth = 0, parent = unit.parentCode
            while let code = parent, depth < 64 {
                depth += 1
                parent = rosterUnits[code]?.parentCode
            }
            return depth
        }
        return input.roster.units.sorted { (depth($0), $0.code) < (depth($1), $1.code) }
    }

    // MARK: Places

    mutating func placeUnits() {
        for unit in unitsByDepth() {
            let pending = unit.effectiveDate.map { $0 > asOf } ?? false
            if pending { pendingUnits.insert(unit.code) }
            let parentDN = unit.parentCode.flatMap { unitDN[$0] } ?? config.directory.unitsBase
            let local = book.units[unit.code] ?? derivedUnitMailbox(unit.name)
            let desired = parentDN.child(type: "ou", value: local)
            guard let directoryUnit = unit.directoryEntry(directoryUnits) else {
                unitDN[unit.code] = desired
                guard unit.status == .active else { continue }
                add(createUnit(unit, dn: desired), pending: pending, due: unit.effectiveDate)
                continue
            }
            let current = effective(directoryUnit.dn)
            if unit.status == .dissolved || pending || current == desired {
                unitDN[unit.code] = current
                if pending && current != desired && unit.status == .active {
                    add(
                        renameOrMove(unit, directoryUnit, from: current, to: desired), pending: true,
                        due: unit.effectiveDate)
                }
                continue
            }
            add(renameOrMove(unit, directoryUnit, from: current, to: desired), pending: false, due: nil)
            unitMoves.append((current, desired))
            unitDN[unit.code] = desired
        }
    }

    /// A unit's entry as it is made, its mailbox's attributes included (`UnitMailbox.route`
    /// gives those to the mailbox's own entry).
    func unitAttributes(_ unit: UnitRecord, local: String) -> [LDAPAttribute] {
        var attributes = [
            LDAPAttribute("objectClass", ["organizationalUnit", "rsUnit"]),
            LDAPAttribute("ou", local),
            LDAPAttribute("rsUnitCode", unit.code),
            LDAPAttribute("rsState", EntryState.active.rawValue),
            LDAPAttribute("mail", address(local)),
            LDAPAttribute("displayName", unit.name),
        ]
        if let head = unit.headEmployeeId {
            attributes.append(LDAPAttribute("rsHeadEmployeeNumber", head))
        }
        return attributes
    }

    func createUnit(_ unit: UnitRecord, dn: DN) -> Change {
        let local = dn.rdn?.value ?? ""
        let attributes = unitAttributes(unit, local: local)
        return Change(
            kind: .createUnit, dn: dn.string, unitCode: unit.code, groupUnit: unit.code, subject: unitLabel(unit.code),
            reason: "new in the unit roster; unit mailbox \(address(local))"
                + (unit.parentCode.map { ", under \(unitLabel($0))" } ?? ""),
            attributes: attributes.map {
                AttributeChange($0.name, old: [], new: $0.values.map { String(decoding: $0, as: UTF8.self) })
            },
            operations: [.add(dn: dn.string, attributes: attributes)])
    }

    func renameOrMove(_ unit: UnitRecord, _ directoryUnit: DirectoryUnit, from current: DN, to desired: DN) -> Change {
        let renamed = current.rdn != desired.rdn
        let moved = current.parent != desired.parent
        let assertion = Filter.equality("rsUnitCode", directoryUnit.code ?? unit.code)
        var operations: [PlannedOperation] = [
            .rename(
                dn: current.string, newRDN: desired.rdn?.description ?? "",
                newSuperior: moved ? desired.parent?.string : nil,
                assertion: assertion)
        ]
        var attributes: [AttributeChange] = []
        var reasons: [String] = []
        if moved {
            reasons.append("now under \(unit.parentCode.map(unitLabel) ?? "the top level")")
        }
        if renamed {
            let oldAddress = address(input.localPart(directoryUnit.mail).map(String.init) ?? current.rdn?.value ?? "")
            let newAddress = address(desired.rdn?.value ?? "")
            let until = config.policy.renameAliasTransition.after(asOf)
            attributes.append(AttributeChange("mail", old: directoryUnit.mail.map { [$0] } ?? [], new: [newAddress]))
            attributes.append(
                AttributeChange(
                    "mailLocalAddress", old: directoryUnit.aliases, new: directoryUnit.aliases + [oldAddress]))
            reasons.append(
                "unit mailbox \(oldAddress) becomes \(newAddress); the old address keeps working until \(until)")
            operations.append(
                .modify(
                    dn: desired.string,
                    modifications: [
                        .replace("mail", [newAddress]),
                        .add("mailLocalAddress", [oldAddress]),
                        .add("rsExpiringAlias", ["\(oldAddress) \(until.generalizedTime)"]),
                    ], assertion: assertion))
        }
        return Change(
            kind: renamed ? .renameUnit : .moveUnit, dn: current.string, newDN: desired.string, unitCode: unit.code,
            groupUnit: unit.code, subject: unitLabel(unit.code), reason: reasons.joined(separator: "; "),
            attributes: attributes, operations: operations)
    }

    // MARK: Contents

    /// Name, code, expired aliases and head of the units that exist; their mailboxes'
    /// inactivity; the managed units the roster does not know.
    mutating func planUnitContents() {
        for unit in unitsByDepth() {
            guard let directoryUnit = unit.directoryEntry(directoryUnits), let dn = unitDN[unit.code] else { continue }
            if unit.status == .dissolved { continue }  // see planDissolutions
            let pending = pendingUnits.contains(unit.code)
            if let update = unitUpdate(unit, directoryUnit, dn: dn) {
                add(update, pending: pending, due: unit.effectiveDate)
            }
            if let handover = handover(unit, directoryUnit, dn: dn) {
                add(handover, pending: pending, due: unit.effectiveDate)
            }
        }
        for unit in unitsByDepth() where unit.status == .active && !pendingUnits.contains(unit.code) {
            guard let directoryUnit = unit.directoryEntry(directoryUnits), let dn = unitDN[unit.code] else { continue }
            planUnitInactivity(unit, directoryUnit, dn: dn)
        }
        planUnknownUnits()
    }

    /// The unit's name, code, state and expired aliases made as the roster has them.
    func unitUpdate(_ unit: UnitRecord, _ directoryUnit: DirectoryUnit, dn: DN) -> Change? {
        var modifications: [LDAPModification] = []
        var attributes: [AttributeChange] = []
        var reasons: [String] = []
        if directoryUnit.name != unit.name {
            modifications.append(.replace("displayName", [unit.name]))
            attributes.append(
                AttributeChange("displayName", old: directoryUnit.name.map { [$0] } ?? [], new: [unit.name]))
            reasons.append("name changed in the unit roster")
        }
        if directoryUnit.code != unit.code {
            modifications.append(.replace("rsUnitCode", [unit.code]))
            attributes.append(
                AttributeChange("rsUnitCode", old: directoryUnit.code.map { [$0] } ?? [], new: [unit.code]))
            reasons.append("code changed from \(directoryUnit.code ?? "none") to \(unit.code)")
        }
        // A unit disabled on its way to dissolution comes back; a locked unit mailbox stays
        // locked until the unit asks (`rostersync unlock`), as a person's does.
        if directoryUnit.state == .disabled {
            modifications += Planner.stateModifications(to: .active, on: asOf, reason: "active in the unit roster")
                + [.replace("rsLockExemptUntil", [config.policy.lockAfter.after(asOf).generalizedTime])]
            attributes.append(
                AttributeChange("rsState", old: [directoryUnit.state.rawValue], new: [EntryState.active.rawValue]))
            reasons.append("active again in the unit roster")
        }
        for value in directoryUnit.expiringAliases {
            let parts = value.split(separator: " ")
            guard parts.count == 2, let until = Day(generalizedTime: String(parts[1])), until <= asOf else { continue }
            let alias = String(parts[0]).lowercased()
            modifications.append(.delete("rsExpiringAlias", [value]))
            if directoryUnit.aliases.contains(alias) { modifications.append(.delete("mailLocalAddress", [alias])) }
            attributes.append(AttributeChange("mailLocalAddress", old: [alias], new: []))
            reasons.append("transitional alias \(alias) expired on \(until)")
        }
        guard !modifications.isEmpty else { return nil }
        return Change(
            kind: .updateUnit, dn: dn.string, unitCode: unit.code, groupUnit: unit.code, subject: unitLabel(unit.code),
            reason: reasons.joined(separator: "; "), attributes: attributes,
            operations: [
                .modify(
                    dn: dn.string, modifications: modifications,
                    assertion: .equality("rsUnitCode", directoryUnit.code ?? unit.code))
            ])
    }

    /// A new head in the unit roster (not one who has left) takes over the unit mailbox.
    func handover(_ unit: UnitRecord, _ directoryUnit: DirectoryUnit, dn: DN) -> Change? {
        let roster = input.roster
        guard let head = unit.headEmployeeId, head != directoryUnit.headEmployeeId,
              !(roster.person(head).flatMap(departure).map { $0 <= asOf } ?? false)
        else { return nil }
        let headName = roster.person(head)?.fullName ?? head
        let oldName = directoryUnit.headEmployeeId.map { roster.person($0)?.fullName ?? $0 }
        // Its `owner` is set by planOwners, which knows where the head's entry will be.
        let headModifications: [LDAPModification] = [.replace("rsHeadEmployeeNumber", [head])]
        return Change(
            kind: .handoverUnitMailbox, dn: dn.string, unitCode: unit.code, groupUnit: unit.code,
            subject: unitLabel(unit.code),
            reason: (oldName.map { "head changed from \($0) to \(headName)" }
                ?? "\(headName) becomes the unit mailbox's holder")
                + ": the unit mailbox's password is reset and a notice made for \(headName) (art. 12.3)",
            attributes: [
                AttributeChange(
                    "rsHeadEmployeeNumber", old: directoryUnit.headEmployeeId.map { [$0] } ?? [], new: [head])
            ],
            operations: [
                .modify(
                    dn: dn.string, modifications: headModifications,
                    assertion: .equality("rsUnitCode", directoryUnit.code ?? unit.code))
            ])
    }

    /// Managed units the roster does not know at all: dissolved (planDissolutions) when their
    /// code is theirs alone; without a code, or with a shared one, reported only. Units
    /// rostersync does not manage are reported too.
    mutating func planUnknownUnits() {
        let known = Set(input.roster.units.flatMap { [$0.code] + ($0.previousCode.map { [$0] } ?? []) })
        for unit in input.snapshot.units
        where unit.managed && !input.isProtected(unit.dn) && !(unit.code.map(known.contains) ?? false) {
            if let code = unit.code, directoryUnits[code]?.dn == unit.dn {
                vanishedUnits.append(unit)
            } else {
                orphan(
                    unit.dn, code: unit.code,
                    why: "a managed unit (code \(unit.code ?? "none")) that is not in the unit roster: left alone")
            }
        }
        let unitsBase = config.directory.unitsBase
        for unit in input.snapshot.units
        where !unit.managed && unit.dn.isDescendant(of: unitsBase) && !input.isProtected(unit.dn) {
            orphan(unit.dn, code: nil, why: "an organizational unit rostersync does not manage: left alone")
        }
    }
}
