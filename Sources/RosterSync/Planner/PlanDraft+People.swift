import LDAPModel

/// The people's pass: each roster person's account made, adopted, moved with a transfer,
/// enabled again, updated, disabled or deleted on leaving, locked or deleted for disuse; then
/// the managed accounts no roster row claims.
extension PlanDraft {
    mutating func planPeople() {
        // Each person's changes depend on that person alone: with many people the second half
        // (in employee-id order) is planned on the other core by a copy of this draft, and
        // its changes follow the first half's, as one pass would have added them.
        let count = staffOrder.count, half = count / 2
        if count >= max(2, input.twoCoresFrom) {
            var other = self
            other.changes = []
            other.scheduled = []
            let second = SideTask { [other] () -> (changes: [Change], scheduled: [Change]) in
                var draft = other
                draft.planPeople(rows: half..<count)
                return (draft.changes, draft.scheduled)
            }
            planPeople(rows: 0..<half)
            let (changes, scheduled) = second.wait()
            self.changes += changes
            self.scheduled += scheduled
        } else {
            planPeople(rows: 0..<count)
        }
        planUnclaimed()
    }

    /// The people of `staffOrder[rows]`.
    mutating func planPeople(rows: Range<Int>) {
        let moves = unitMoves  // the units' renames and moves, all planned by now
        for row in staffOrder[rows] {
            let person = input.roster.staff[row]
            let leaving = departure(person)
            guard let accountIndex = accountOf[row] else {
                planNewAccount(person, leaving: leaving)
                continue
            }
            let account = input.snapshot.accounts[accountIndex]
            if !config.protected.isEmpty && input.isProtected(account.dn) { continue }
            // Built when a change needs it: the entry's place is checked through its parent.
            lazy var dn = Self.effective(account.dn, moves)
            if !account.managed { planAdoption(person, account, dn: dn) }
            if let leaving {
                planLeaving(
                    person, account, dn: dn, due: leaving,
                    reason: "departed" + (person.endDate.map { " on \($0)" } ?? ""))
                // Leaving later: until then they are staff like any other, moved and updated
                // with their unit (else a merge of their unit could never complete).
                if leaving <= asOf { continue }
            }
            // Transfer: same entry, same address, same password; its place and unit code change.
            var moved = false
            if let target = unitDN[person.unitCode],
                !(moves.isEmpty ? account.parent == target : dn.isChild(of: target)),
                !pendingUnits.contains(person.unitCode)
            {
                dn = planTransfer(person, account, from: dn, to: target)
                moved = true
            }
            // After the move (enables are written after moves): at the entry's new place.
            if account.managed && account.state == .disabled { planEnable(person, account, dn: dn) }
            planUpdate(person, account, dn: dn, skipping: moved ? ["departmentNumber"] : [])
            planInactivity(person, account, dn: dn)
        }
    }

    /// A person without an account: one is made, on their start day (or their unit's) when
    /// that is later; not for those who have left, nor those whose mailbox was deleted for
    /// disuse (art. 9.3b) until the unit asks.
    mutating func planNewAccount(_ person: StaffRecord, leaving: Day?) {
        if let leaving, leaving <= asOf { return }
        if !input.snapshot.closures.isEmpty, let closed = input.snapshot.closures[person.employeeId] {
            disputes.append(
                Dispute(
                    dn: closed.dn.string, employeeId: person.employeeId,
                    reason:
                        "\(person.employeeId) \(person.fullName): "
                        + "\(closed.address ?? "their mailbox") was deleted for disuse"
                        + (closed.since.map { " on \($0)" } ?? "")
                        + " (art. 9.3b); made again only at the unit's written request: rostersync unlock "
                        + "\(closed.address ?? "ADDRESS") --reason …"))
            return
        }
        guard let unit = unitDN[person.unitCode], let local = book.people[person.employeeId] else { return }
        let dn = unit.child(type: "uid", value: local)
        var attributes: [LDAPAttribute] = [
            LDAPAttribute("objectClass", ["inetOrgPerson", "rsAccount"]),
            LDAPAttribute("uid", local),
            LDAPAttribute("mail", address(local)),
            LDAPAttribute("employeeNumber", person.employeeId),
            LDAPAttribute("rsState", EntryState.active.rawValue),
        ]
        for (name, values) in personAttributes(person) where !values.isEmpty {
            attributes.append(LDAPAttribute(name, values))
        }
        let starts = person.startDate.map { $0 > asOf } ?? false
        let unitPending = pendingUnits.contains(person.unitCode)
        let due = [starts ? person.startDate : nil, unitPending ? rosterUnits[person.unitCode]?.effectiveDate : nil]
            .compactMap { $0 }.max()
        let dnText = dn.string
        // Its attributes are read from the add when shown (Change.attributes).
        add(
            Change(
                kind: .createAccount, dn: dnText, employeeId: person.employeeId, unitCode: person.unitCode,
                groupUnit: person.unitCode, subject: "\(person.employeeId) \(person.fullName)",
                reason: "new in the staff roster" + (person.startDate.map { ", starts \($0)" } ?? "")
                    + "; mailbox \(address(local))",
                operations: [.add(dn: dnText, attributes: attributes)]),
            pending: due != nil, due: due)
        // Hired and leaving already known: the departure follows on its day.
        if let leaving { scheduleDisable(person, dn: dn, due: leaving) }
    }

    /// An entry rostersync did not create, matched to a person: taken under management.
    mutating func planAdoption(_ person: StaffRecord, _ account: DirectoryAccount, dn: DN) {
        let how =
            account.employeeId == nil
            ? "matched by the roster's email \(person.email ?? "")" : "matched by employee number"
        var modifications: [LDAPModification] = [
            .add("objectClass", ["rsAccount"]), .replace("rsState", [EntryState.active.rawValue]),
        ]
        var attributes = [AttributeChange("objectClass", old: [], new: ["rsAccount"])]
        if account.employeeId == nil {
            modifications.append(.replace("employeeNumber", [person.employeeId]))
            attributes.append(AttributeChange("employeeNumber", old: [], new: [person.employeeId]))
        }
        if account.mail == nil, let local = book.people[person.employeeId] {
            modifications.append(.replace("mail", [address(local)]))
            attributes.append(AttributeChange("mail", old: [], new: [address(local)]))
        }
        let assertion: Filter = account.employeeId == nil
            ? .equality("mail", account.mail ?? "") : .equality("employeeNumber", person.employeeId)
        add(
            Change(
                kind: .adoptAccount, dn: dn.string, employeeId: person.employeeId, unitCode: person.unitCode,
                groupUnit: person.unitCode, subject: "\(person.employeeId) \(person.fullName)",
                reason: "an existing entry rostersync did not create, \(how): taken under management",
                attributes: attributes,
                operations: [.modify(dn: dn.string, modifications: modifications, assertion: assertion)]),
            pending: false, due: nil)
    }

    /// A transfer: the entry moves below its new unit, with its unit code. Returns its new DN.
    mutating func planTransfer(_ person: StaffRecord, _ account: DirectoryAccount, from dn: DN, to target: DN) -> DN {
        let identity = Filter.equality("employeeNumber", person.employeeId)
        let newDN = target.child(dn.rdn ?? DN.RDN(type: "uid", value: account.uid ?? ""))
        var operations: [PlannedOperation] = [
            .rename(dn: dn.string, newRDN: dn.rdn?.description ?? "", newSuperior: target.string, assertion: identity),
        ]
        var attributes: [AttributeChange] = []
        if account.unitCode != person.unitCode {
            attributes.append(
                AttributeChange("departmentNumber", old: account.unitCode.map { [$0] } ?? [], new: [person.unitCode]))
            operations.append(
                .modify(
                    dn: newDN.string, modifications: [.replace("departmentNumber", [person.unitCode])],
                    assertion: identity))
        }
        add(
            Change(
                kind: .moveAccount, dn: dn.string, newDN: newDN.string, employeeId: person.employeeId,
                unitCode: person.unitCode,
                groupUnit: person.unitCode, subject: "\(person.employeeId) \(person.fullName)",
                reason: "transferred" + (account.unitCode.map { " from \(unitLabel($0))" } ?? "")
                    + " to \(unitLabel(person.unitCode)); same address, same password",
                attributes: attributes, operations: operations),
            pending: false, due: nil)
        return newDN
    }

    /// A disabled account whose person is active in the roster again, before its deletion.
    mutating func planEnable(_ person: StaffRecord, _ account: DirectoryAccount, dn: DN) {
        // Its last login predates the departure: not locked for that before the holder has had
        // a lock period to log in again.
        let modifications =
            Planner.stateModifications(to: .active, on: asOf, reason: "active in the staff roster again")
            + [.replace("rsLockExemptUntil", [config.policy.lockAfter.after(asOf).generalizedTime])]
        let assertion = Filter.and([
            .equality("employeeNumber", person.employeeId), .equality("rsState", EntryState.disabled.rawValue),
        ])
        add(Change(
            kind: .enableAccount, dn: dn.string, employeeId: person.employeeId, unitCode: person.unitCode,
            groupUnit: person.unitCode, subject: "\(person.employeeId) \(person.fullName)",
            reason: "active in the staff roster again before its deletion",
            attributes: [AttributeChange("rsState", old: [account.state.rawValue], new: [EntryState.active.rawValue])],
            operations: [.modify(dn: dn.string, modifications: modifications, assertion: assertion)]),
            pending: false, due: nil)
    }
}
