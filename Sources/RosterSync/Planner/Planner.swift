import LDAPModel

/// Compares the rosters with the directory under the regulation's rules and lists the changes.
///
/// The plan is made by passes over one `PlanDraft`, in this order: matching (whose entry is
/// whose), the units' places, the units' contents, the people, the folder of deletion
/// records, the units' holders, the dissolutions, the separation of unit mailboxes, and last
/// the ordering of the writes for `apply`.
public enum Planner {
    /// The permanent administrative lock (a real timestamp could expire with pwdLockoutDuration).
    public static let permanentLock = "000001010000Z"

    /// The writes that move an entry to `state`: its lifecycle attributes, and the bind lock
    /// (`pwdAccountLockedTime`) set for disabled and locked entries, removed for active ones.
    public static func stateModifications(to state: EntryState, on day: Day, reason: String) -> [LDAPModification] {
        [
            .replace("rsState", [state.rawValue]), .replace("rsStateSince", [day.generalizedTime]),
            .replace("rsStateReason", [reason]),
            state == .active ? .delete("pwdAccountLockedTime") : .replace("pwdAccountLockedTime", [permanentLock]),
        ]
    }

    public static func plan(_ input: PlannerInput) -> Plan {
        var draft = PlanDraft(input, matching: Matching(input))
        draft.placeUnits()
        draft.planUnitContents()
        draft.planPeople()
        draft.planClosedFolder()
        draft.planOwners()
        draft.planDissolutions()
        draft.planMailboxSeparation()
        return draft.orderedPlan()
    }
}

extension Config.Period {
    /// The day `self` after `day` (calendar months, as the regulation counts them).
    public func after(_ day: Day) -> Day {
        switch self {
        case let .days(n): day.adding(days: n)
        case let .months(n): day.adding(months: n)
        }
    }
}
