import LDAPModel

/// The kinds of change a plan holds (the JSON plan and every report use these names).
public enum ChangeKind: String, Sendable, CaseIterable, Codable, Comparable {
    case createUnit, updateUnit, renameUnit, moveUnit, dissolveUnit
    case createAccount, updateAccount, moveAccount, adoptAccount
    case disableAccount, enableAccount, deleteAccount, lockAccount, handoverUnitMailbox
    /// A mailbox locked or deleted for inactivity reopened by an admin at the unit's written
    /// request (art. 9.3a; `rostersync unlock`): never planned from the rosters.
    case reopenAccount
    /// A unit mailbox kept on its unit's entry (rostersync 1.1) moved to an entry of its own.
    case separateUnitMailbox
    /// A folder the agent's own records need (the records of mailboxes deleted for disuse).
    case createContainer
    case orphan

    /// The order changes are applied in: parents before children, renames and moves before
    /// the changes inside them, deletions and dissolutions last.
    public var phase: Int {
        switch self {
        case .createContainer, .createUnit, .renameUnit, .moveUnit: 0
        case .updateUnit, .handoverUnitMailbox: 2
        case .adoptAccount: 3
        case .moveAccount: 4
        case .updateAccount, .enableAccount, .reopenAccount: 5
        case .createAccount: 6
        case .disableAccount, .lockAccount: 7
        case .deleteAccount, .separateUnitMailbox: 8
        case .dissolveUnit: 9
        case .orphan: 10
        }
    }

    public static func < (a: Self, b: Self) -> Bool { (a.phase, a.rawValue) < (b.phase, b.rawValue) }

    /// Kinds whose writes carry a new initial password (hashed, from the units' notices).
    public var setsPassword: Bool { [.createAccount, .createUnit, .handoverUnitMailbox].contains(self) }

    /// Destructive kinds: their entries are backed up first. (Safety thresholds count every
    /// kind that writes but the one-off separation of unit mailboxes: see SafetyCheck.groups.)
    public var isDestructive: Bool {
        [
            .deleteAccount, .disableAccount, .lockAccount, .dissolveUnit, .renameUnit, .moveUnit, .moveAccount,
            .separateUnitMailbox,
        ].contains(self)
    }
}

/// One attribute's values before and after a change.
public struct AttributeChange: Sendable, Hashable, Codable {
    public var name: String
    public var old: [String]
    public var new: [String]
    public init(_ name: String, old: [String], new: [String]) {
        self.name = name
        self.old = old
        self.new = new
    }
}

/// One LDAP write of a change, exactly as `apply` will send it (passwords excepted: they are
/// made at apply time and never stored in a plan).
public enum PlannedOperation: Sendable, Hashable {
    case add(dn: String, attributes: [LDAPAttribute])
    case modify(dn: String, modifications: [LDAPModification], assertion: Filter?)
    case rename(dn: String, newRDN: String, newSuperior: String?, assertion: Filter?)
    case delete(dn: String, assertion: Filter?)

    public var dn: String {
        switch self {
        case let .add(dn, _), let .modify(dn, _, _), let .rename(dn, _, _, _), let .delete(dn, _): dn
        }
    }

    /// The client operation to send.
    public var ldapOperation: LDAPOperation {
        switch self {
        case .add(let dn, let attributes): LDAPOperation(.add(dn: dn, attributes: attributes))
        case .modify(let dn, let mods, let assertion):
            LDAPOperation(.modify(dn: dn, modifications: mods), assertion: assertion)
        case .rename(let dn, let newRDN, let newSuperior, let assertion):
            LDAPOperation(
                .rename(dn: dn, newRDN: newRDN, newSuperior: newSuperior, deleteOldRDN: true), assertion: assertion)
        case .delete(let dn, let assertion): LDAPOperation(.delete(dn: dn), assertion: assertion)
        }
    }
}

/// One change of a plan: what, to which entry, why, and the LDAP writes that make it.
public struct Change: Sendable, Hashable {
    public var kind: ChangeKind
    public var dn: String
    /// The entry's DN after the change, when it moves or is renamed.
    public var newDN: String?
    public var employeeId: String?
    public var unitCode: String?
    /// The unit a reviewer finds it under (the person's unit, or the unit itself).
    public var groupUnit: String?
    /// Who or what, in words: "000123 Nguyễn Văn An", "Vụ Pháp chế (PC)".
    public var subject: String
    /// Why, in plain words.
    public var reason: String
    /// Per attribute, the old and new values. A new account's are not stored twice: they are
    /// read from its add operation, so an initial load does not hold every value both as text
    /// and as bytes.
    public var attributes: [AttributeChange] {
        get {
            guard storedAttributes.isEmpty, kind == .createAccount, case .add(_, let attrs)? = operations.first else {
                return storedAttributes
            }
            return attrs.filter { $0.name != "objectClass" }.map { a in
                AttributeChange(a.name, old: [], new: a.values.map { String(decoding: $0, as: UTF8.self) })
            }
        }
        set { storedAttributes = newValue }
    }
    private var storedAttributes: [AttributeChange]

    /// The first new value of one attribute, without building the others.
    public func newValue(_ name: String) -> String? {
        if !storedAttributes.isEmpty { return storedAttributes.first { $0.name == name }?.new.first }
        guard case .add(_, let attrs)? = operations.first, let v = attrs.first(where: { $0.name == name })?.values.first
        else { return nil }
        return String(decoding: v, as: UTF8.self)
    }
    public var operations: [PlannedOperation]
    /// For scheduled changes: the day they become due.
    public var due: Day?

    public init(
        kind: ChangeKind, dn: String, newDN: String? = nil, employeeId: String? = nil, unitCode: String? = nil,
        groupUnit: String?, subject: String, reason: String, attributes: [AttributeChange] = [],
        operations: [PlannedOperation] = [], due: Day? = nil
    ) {
        self.kind = kind
        self.dn = dn
        self.newDN = newDN
        self.employeeId = employeeId
        self.unitCode = unitCode
        self.groupUnit = groupUnit
        self.subject = subject
        self.reason = reason
        self.storedAttributes = attributes
        self.operations = operations
        self.due = due
    }
}

/// A directory entry the planner could not decide about, left alone.
public struct Dispute: Sendable, Hashable {
    public var dn: String
    public var employeeId: String?
    public var reason: String
}

/// The plan: every change a sync would make now, in apply order, and what is scheduled.
public struct Plan: Sendable {
    public static let formatVersion = 1
    public var asOf: Day
    /// The directory it was read from (URI and base).
    public var directory: String
    /// Input file → SHA-256, filled in by the caller that read the files.
    public var inputs: [String: String]
    public var changes: [Change]
    public var scheduled: [Change]
    public var disputes: [Dispute]
    /// Unit code → name, for grouping by unit in reports.
    public var unitNames: [String: String]
    /// Unit code → its parent's code, for the text's tree order (kept in the saved plan, so
    /// that `show` prints what `plan` printed).
    public var unitParents: [String: String] = [:]
    /// How many entries rostersync manages in the directory read (the safety thresholds'
    /// percentages are of this).
    public var managedEntries: Int = 0
    /// …of which units (unit moves and handovers are limited as a share of these).
    public var managedUnits: Int = 0
    /// New employee ids whose people look like existing accounts whose ids are gone (same
    /// name, same unit): a staff file renumbered (a prefix added, Excel's dropped leading
    /// zeros) rather than people leaving and others joining. The thresholds stop such a plan.
    public var renumbered: [Renumbering] = []

    public var counts: [ChangeKind: Int] { Dictionary(grouping: changes, by: \.kind).mapValues(\.count) }
}

/// An account whose employee id seems to have changed in the staff roster.
public struct Renumbering: Sendable, Hashable {
    public var oldId: String
    public var newId: String
    public var name: String
    public var unitCode: String
    public init(oldId: String, newId: String, name: String, unitCode: String) {
        self.oldId = oldId
        self.newId = newId
        self.name = name
        self.unitCode = unitCode
    }

}
