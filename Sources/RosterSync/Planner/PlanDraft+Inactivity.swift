import LDAPModel

/// Inactivity (art. 9.3): a mailbox without a login for 3 months is locked; a person's, for
/// 6 months and locked for 3, is deleted and remembered, so it is not made again by itself.
extension PlanDraft {
    /// Art. 9.3a for a unit mailbox: it logs in like a person's and is locked the same way
    /// after 3 months without a login. It is never deleted for disuse: the entry is the unit
    /// and holds its people (a unit ends by dissolution in the unit roster).
    mutating func planUnitInactivity(_ unit: UnitRecord, _ directoryUnit: DirectoryUnit, dn: DN) {
        guard directoryUnit.managed, directoryUnit.state == .active else { return }
        if let exempt = directoryUnit.lockExemptUntil, exempt > asOf { return }
        // The mail server logs the address used: a renamed unit's old one counts too.
        let addresses = [directoryUnit.mail].compactMap { $0 } + directoryUnit.aliases
        let fromCSV = addresses.compactMap { input.lastLogins[$0] }.max()
        let last = ownLogin(Day.later(directoryUnit.lastLogin, fromCSV), created: directoryUnit.created)
        guard let since = last ?? directoryUnit.created, config.policy.lockAfter.after(since) <= asOf else { return }
        let words =
            last == nil ? "never logged in since the unit mailbox was created on \(since)" : "no login since \(since)"
        let assertion = Filter.and([
            .equality("rsUnitCode", directoryUnit.code ?? unit.code), .equality("rsState", EntryState.active.rawValue),
        ])
        add(
            Change(
                kind: .lockAccount, dn: dn.string, unitCode: unit.code, groupUnit: unit.code,
                subject: unitLabel(unit.code),
                reason:
                    "unit mailbox: \(words) (more than \(config.policy.lockAfter)): "
                    + "locked until the unit asks in writing to reopen it",
                attributes: [AttributeChange("rsState", old: ["active"], new: ["locked"])],
                operations: [
                    .modify(
                        dn: dn.string, modifications: Planner.stateModifications(to: .locked, on: asOf, reason: words),
                        assertion: assertion)
                ]),
            pending: false, due: nil)
    }

    /// The last login, unless it is older than the entry by more than `delete_unused_after`:
    /// then it is an earlier mailbox's (this person's, deleted for disuse and made again, or
    /// the address's last holder's), since a mailbox unused that long is deleted. A login a
    /// little older than the entry is kept: a directory reloaded with ldapadd has new
    /// createTimestamps on the mailboxes the logins are of.
    func ownLogin(_ login: Day?, created: Day?) -> Day? {
        guard let login, let created else { return login }
        return config.policy.deleteUnusedAfter.after(login) > created ? login : nil
    }

    /// Art. 9.3: no login for 3 months locks; for 6 months deletes (after 3 months locked, so
    /// the unit had the time the regulation gives it to ask for a reopening).
    mutating func planInactivity(_ person: StaffRecord, _ account: DirectoryAccount, dn: @autoclosure () -> DN) {
        guard person.status == .active else { return }
        if let exempt = account.lockExemptUntil, exempt > asOf { return }
        let logins = input.lastLogins
        let fromCSV =
            logins.isEmpty
            ? nil : account.aliases.reduce(account.mail.flatMap { logins[$0] }) { Day.later($0, logins[$1]) }
        let last = ownLogin(Day.later(account.lastLogin, fromCSV), created: account.created)
        guard var since = last ?? account.created else { return }
        // Someone who started (or came back) after that has a lock period from their start:
        // a rehire's last login is from their earlier time here.
        var started = false
        if let start = person.startDate, start > since {
            since = start
            started = true
        }
        let policy = config.policy
        switch account.state {
        case .active:
            guard policy.lockAfter.after(since) <= asOf else { return }
            let words = Self.inactivity(since: since, never: last == nil && !started, started: started)
            let target = dn().string
            add(
                Change(
                    kind: .lockAccount, dn: target, employeeId: person.employeeId, unitCode: person.unitCode,
                    groupUnit: person.unitCode,
                    subject: "\(person.employeeId) \(person.fullName)",
                    reason:
                        "\(words) (more than \(policy.lockAfter)): locked until the unit asks in writing to reopen it",
                    attributes: [AttributeChange("rsState", old: ["active"], new: ["locked"])],
                    operations: [
                        .modify(
                            dn: target, modifications: Planner.stateModifications(to: .locked, on: asOf, reason: words),
                            assertion: .and([
                                .equality("employeeNumber", person.employeeId),
                                .equality("rsState", EntryState.active.rawValue),
                            ]))
                    ]),
                pending: false, due: nil)
        case .locked:
            let lockedSince = account.stateSince ?? asOf
            let lockedDays = policy.deleteUnusedAfter.approximateDays - policy.lockAfter.approximateDays
            guard policy.deleteUnusedAfter.after(since) <= asOf, lockedSince.adding(days: lockedDays) <= asOf else {
                return
            }
            let words = Self.inactivity(since: since, never: last == nil && !started, started: started)
            planDisuseDeletion(person, account, dn: dn().string, words: words, lockedSince: lockedSince)
        case .disabled:
            return
        }
    }

    /// Why a mailbox is locked or deleted for disuse, in words.
    static func inactivity(since: Day, never: Bool, started: Bool) -> String {
        never ? "never logged in since the mailbox was created on \(since)"
            : started ? "no login since starting work on \(since)" : "no login since \(since)"
    }

    /// A deletion for disuse (art. 9.3b). The deletion is remembered first (a run killed in
    /// between deletes on the next run): the person stays active in HR, and must not get a
    /// new mailbox by itself.
    mutating func planDisuseDeletion(
        _ person: StaffRecord, _ account: DirectoryAccount, dn: String, words: String, lockedSince: Day
    ) {
        var operations: [PlannedOperation] = []
        if input.snapshot.closures[person.employeeId] == nil {
            operations.append(
                .add(
                    dn: closedFolder.child(type: "employeeNumber", value: person.employeeId).string,
                    attributes: [
                        LDAPAttribute("objectClass", ["rsClosedMailbox"]),
                        LDAPAttribute("employeeNumber", person.employeeId),
                        LDAPAttribute("cn", person.fullName),
                        LDAPAttribute("rsStateSince", asOf.generalizedTime),
                        LDAPAttribute("rsStateReason", "deleted for disuse: \(words)"),
                        LDAPAttribute("rsUnitCode", person.unitCode),
                    ] + (account.mail.map { [LDAPAttribute("rsClosedAddress", $0)] } ?? [])))
        }
        let assertion = Filter.and([
            .equality("employeeNumber", person.employeeId), .equality("rsState", EntryState.locked.rawValue),
        ])
        operations.append(.delete(dn: dn, assertion: assertion))
        add(
            Change(
                kind: .deleteAccount, dn: dn, employeeId: person.employeeId, unitCode: person.unitCode,
                groupUnit: person.unitCode,
                subject: "\(person.employeeId) \(person.fullName)",
                reason:
                    "\(words) (more than \(config.policy.deleteUnusedAfter)), locked since \(lockedSince): "
                    + "deleted (backed up first); "
                    + "not made again until the unit asks (art. 9.3b)",
                operations: operations),
            pending: false, due: nil)
    }

    /// The folder of deletion records, made before the first deletion for disuse needs it.
    mutating func planClosedFolder() {
        guard !input.snapshot.hasClosedFolder,
            changes.contains(where: { $0.kind == .deleteAccount && $0.operations.count > 1 })
        else { return }
        let dn = closedFolder.string
        let rdn = DirectorySnapshot.closedFolderRDN.value
        add(
            Change(
                kind: .createContainer, dn: dn, groupUnit: nil, subject: rdn,
                reason:
                    "the folder that remembers mailboxes deleted for disuse (art. 9.3b), "
                    + "so they are not made again by themselves",
                operations: [
                    .add(
                        dn: dn,
                        attributes: [LDAPAttribute("objectClass", ["organizationalUnit"]), LDAPAttribute("ou", rdn)])
                ]),
            pending: false, due: nil)
    }
}
