import LDAPModel

/// An admin's reopen of a mailbox that was locked or deleted for inactivity, at the unit's
/// written request (art. 9.3a): a one-change plan, applied by the executor as any plan is
/// (run lock, audit, assertion, unknown outcomes settled by the next run).
public enum Reopening {
    /// A mailbox locked for inactivity: active again, and not locked again before `exempt`.
    /// The write asserts it is still locked.
    public static func locked(
        dn: String, employeeId: String?, unitCode: String?, name: String, request: String, exempt: Day, today: Day
    ) -> Change {
        Change(
            kind: .reopenAccount, dn: dn, employeeId: employeeId, unitCode: unitCode, groupUnit: unitCode,
            subject: subject(employeeId: employeeId, unitCode: unitCode, name: name),
            reason: "reopened at the unit's request (\(request)); not locked again before \(exempt)",
            attributes: [AttributeChange("rsState", old: ["locked"], new: ["active"]), AttributeChange("rsLockExemptUntil", old: [], new: [exempt.generalizedTime])],
            operations: [.modify(
                dn: dn,
                modifications: Planner.stateModifications(to: .active, on: today, reason: "reopened: \(request)")
                    + [.replace("rsLockExemptUntil", [exempt.generalizedTime])],
                assertion: .equality("rsState", "locked"))])
    }

    /// A mailbox deleted for disuse: the record of its deletion, which keeps its holder (still
    /// active in HR) from getting a new mailbox by itself, is removed; the next sync makes the
    /// mailbox again with a new initial password.
    public static func deleted(
        recordDN: String, employeeId: String?, unitCode: String?, name: String, address: String, request: String
    ) -> Change {
        Change(
            kind: .reopenAccount, dn: recordDN, employeeId: employeeId, unitCode: unitCode, groupUnit: unitCode,
            subject: subject(employeeId: employeeId, unitCode: unitCode, name: name),
            reason: "deleted for disuse, reopened at the unit's request (\(request)): the next sync makes the mailbox again",
            attributes: [AttributeChange("rsClosedAddress", old: [address], new: [])],
            operations: [.delete(dn: recordDN, assertion: .equality("rsClosedAddress", address))])
    }

    /// "ID Name" for a person's mailbox, "Name (CODE)" for a unit's, as plans say them.
    static func subject(employeeId: String?, unitCode: String?, name: String) -> String {
        if let employeeId { return "\(employeeId) \(name)" }
        return unitCode.map { "\(name) (\($0))" } ?? name
    }

    /// The plan of one reopen, made on `day` for `directory` ("URI base", as the planner's).
    public static func plan(_ change: Change, asOf day: Day, directory: String) -> Plan {
        Plan(asOf: day, directory: directory, inputs: [:], changes: [change], scheduled: [], disputes: [], unitNames: [:])
    }
}
