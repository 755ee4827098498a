import LDAPModel

/// Departures, part of the people's pass: disabled on the day, deleted once the retention has
/// passed; and the accounts no roster row claims, which left without a row saying so.
extension PlanDraft {
    /// Managed accounts that no roster row claims: the person left without a row saying so.
    /// Other entries below the units are orphans, or departures under `policy.orphans: disable`.
    mutating func planUnclaimed() {
        for (index, account) in input.snapshot.accounts.enumerated()
        where !claimed.contains(index) && !input.isProtected(account.dn) {
            let dn = effective(account.dn)
            if account.managed {
                let subject = "\(account.employeeId ?? "?") \(account.cn ?? account.uid ?? "")"
                planLeaving(nil, account, dn: dn, due: asOf, reason: "no longer in the staff roster", subject: subject)
            } else if account.parent.isWithin(config.directory.unitsBase) {
                if config.policy.orphans == .disable {
                    planOrphanDisable(account, dn: dn)
                } else {
                    orphan(
                        account.dn, code: account.unitCode,
                        why: "an entry that matches no roster row and that rostersync did not create: left alone")
                }
            }
        }
    }

    /// An orphan taken under management as a departure: disabled now, deleted (backed up)
    /// after the retention like any departed person's mailbox.
    mutating func planOrphanDisable(_ account: DirectoryAccount, dn: DN) {
        let why = "an entry that matches no roster row and that rostersync did not create (policy.orphans: disable)"
        var guardFilter: [Filter] = [.not(.equality("objectClass", "rsAccount"))]
        if let mail = account.mail { guardFilter.append(.equality("mail", mail)) }
        add(Change(
            kind: .disableAccount, dn: dn.string, employeeId: account.employeeId, unitCode: account.unitCode,
            groupUnit: account.unitCode, subject: account.cn ?? account.uid ?? dn.string,
            reason: why + ": login refused and out of mail routing; deleted after \(config.policy.disabledRetention)",
            attributes: [
                AttributeChange("objectClass", old: [], new: ["rsAccount"]),
                AttributeChange("rsState", old: [], new: [EntryState.disabled.rawValue]),
            ],
            operations: [.modify(
                dn: dn.string,
                modifications: [.add("objectClass", ["rsAccount"])]
                    + Planner.stateModifications(to: .disabled, on: asOf, reason: "orphan: no roster row"),
                assertion: .and(guardFilter))]),
            pending: false, due: nil)
    }

    mutating func scheduleDisable(_ person: StaffRecord, dn: DN, due: Day) {
        add(Change(
            kind: .disableAccount, dn: dn.string, employeeId: person.employeeId, unitCode: person.unitCode,
            groupUnit: person.unitCode, subject: "\(person.employeeId) \(person.fullName)", reason: "leaves on \(due)"),
            pending: true, due: due)
    }

    /// Disable on the departure day; delete once the retention has passed.
    mutating func planLeaving(
        _ person: StaffRecord?, _ account: DirectoryAccount, dn: DN, due: Day, reason: String, subject: String? = nil
    ) {
        let id = person?.employeeId ?? account.employeeId
        let code = person?.unitCode ?? account.unitCode
        let subject = subject ?? person.map { "\($0.employeeId) \($0.fullName)" } ?? account.dn.string
        let identity = id.map { Filter.equality("employeeNumber", $0) } ?? .equality("mail", account.mail ?? "")
        func change(
            _ kind: ChangeKind, _ reason: String, _ attributes: [AttributeChange] = [],
            _ operations: [PlannedOperation] = []
        ) -> Change {
            Change(
                kind: kind, dn: dn.string, employeeId: id, unitCode: code, groupUnit: code, subject: subject,
                reason: reason,
                attributes: attributes, operations: operations)
        }
        if due > asOf {
            add(change(.disableAccount, "leaves on \(due)"), pending: true, due: due)
            return
        }
        let retention = config.policy.disabledRetention
        switch account.state {
        case .active, .locked:
            add(change(
                .disableAccount, "\(reason): login refused and out of mail routing; deleted after \(retention)",
                [AttributeChange("rsState", old: [account.state.rawValue], new: [EntryState.disabled.rawValue])],
                [.modify(
                    dn: dn.string, modifications: Planner.stateModifications(to: .disabled, on: asOf, reason: reason),
                    assertion: .and([identity, .equality("rsState", account.state.rawValue)]))]),
                pending: false, due: nil)
        case .disabled:
            let since = account.stateSince ?? asOf
            let deleteOn = retention.after(since)
            if deleteOn <= asOf {
                add(
                    change(
                        .deleteAccount,
                        "disabled since \(since); the retention of \(retention) has passed (backed up first)", [],
                        [
                            .delete(
                                dn: dn.string,
                                assertion: .and([identity, .equality("rsState", EntryState.disabled.rawValue)]))
                        ]),
                    pending: false, due: nil)
            } else {
                add(
                    change(
                        .deleteAccount, "disabled since \(since); deleted when the retention of \(retention) has passed"
                    ),
                    pending: true, due: deleteOn)
            }
        }
    }
}
