import Foundation
import LDAPModel

/// What the planner knows of the directory: the managed subtree, read once (paged) with only
/// the attributes below.
public struct DirectorySnapshot: Sendable {
    public var units: [DirectoryUnit]
    public var accounts: [DirectoryAccount]
    /// Entries that are neither a unit nor an account (left alone, reported as orphans).
    public var others: [String]

    /// The attributes the planner reads, operational ones included.
    public static let attributes = [
        "objectClass", "ou", "uid", "cn", "sn", "givenName", "displayName", "mail", "mailLocalAddress", "employeeNumber",
        "departmentNumber", "title", "telephoneNumber", "owner", "rsUnitCode", "rsState", "rsStateSince", "rsStateReason",
        "rsLockExemptUntil", "rsExpiringAlias", "rsHeadEmployeeNumber", "pwdLastSuccess", "authTimestamp",
        "pwdAccountLockedTime", "createTimestamp",
    ]

    public init(units: [DirectoryUnit] = [], accounts: [DirectoryAccount] = [], others: [String] = []) {
        self.units = units
        self.accounts = accounts
        self.others = others
    }

    /// Sorts entries read from the directory (the whole base) into units, accounts and others.
    /// Units and others count only below `unitsBase` (the managed subtree); accounts anywhere,
    /// so that a directory that predates rostersync can be adopted.
    public init(entries: [LDAPEntry], unitsBase: DN) {
        self.init()
        for e in entries { add(e, unitsBase: unitsBase) }
    }

    public mutating func add(_ e: LDAPEntry, unitsBase: DN) {
        let classes = Set(e.strings("objectClass").map { $0.lowercased() })
        guard let dn = try? DN(e.dn) else {
            others.append(e.dn)
            return
        }
        let managedSubtree = dn.isDescendant(of: unitsBase)
        if classes.contains("inetorgperson") || classes.contains("person") {
            accounts.append(DirectoryAccount(dn: dn, entry: e, managed: classes.contains("rsaccount")))
            return
        }
        guard managedSubtree else { return }
        if classes.contains("organizationalunit") {
            units.append(DirectoryUnit(dn: dn, entry: e, managed: classes.contains("rsunit")))
        } else {
            others.append(e.dn)
        }
    }
}

/// Lifecycle states of a managed entry (`rsState`).
public enum EntryState: String, Sendable, Codable {
    case active, disabled, locked
}

public struct DirectoryUnit: Sendable {
    public var dn: DN
    public var managed: Bool
    public var code: String?
    public var mail: String?
    public var name: String?
    public var headEmployeeId: String?
    public var owner: String?
    public var state: EntryState
    public var aliases: [String]
    /// "<address> <generalizedTime>" values: aliases to remove after the time.
    public var expiringAliases: [String]
    public var ou: [String]

    public init(dn: DN, entry e: LDAPEntry, managed: Bool) {
        self.dn = dn
        self.managed = managed
        self.code = e.string("rsUnitCode")
        self.mail = e.string("mail")?.lowercased()
        self.name = e.string("displayName")
        self.headEmployeeId = e.string("rsHeadEmployeeNumber")
        self.owner = e.string("owner")
        self.state = e.string("rsState").flatMap { EntryState(rawValue: $0.lowercased()) } ?? .active
        self.aliases = e.strings("mailLocalAddress").map { $0.lowercased() }
        self.expiringAliases = e.strings("rsExpiringAlias")
        self.ou = e.strings("ou")
    }
}

public struct DirectoryAccount: Sendable {
    public var dn: DN
    public var managed: Bool
    public var employeeId: String?
    public var mail: String?
    public var uid: String?
    public var cn: String?
    public var sn: String?
    public var givenName: String?
    public var displayName: String?
    public var title: String?
    public var phone: String?
    public var unitCode: String?
    public var state: EntryState
    public var stateSince: Day?
    public var lockExemptUntil: Day?
    public var created: Day?
    /// The last successful login the directory knows (pwdLastSuccess, or authTimestamp of
    /// the older lastbind overlay).
    public var lastLogin: Day?
    public var lockedTime: String?

    public init(dn: DN, entry e: LDAPEntry, managed: Bool) {
        self.dn = dn
        self.managed = managed
        self.employeeId = e.string("employeeNumber")
        self.mail = e.string("mail")?.lowercased()
        self.uid = e.string("uid")
        self.cn = e.string("cn")
        self.sn = e.string("sn")
        self.givenName = e.string("givenName")
        self.displayName = e.string("displayName")
        self.title = e.string("title")
        self.phone = e.string("telephoneNumber")
        self.unitCode = e.string("departmentNumber")
        self.state = e.string("rsState").flatMap { EntryState(rawValue: $0.lowercased()) } ?? .active
        self.stateSince = e.string("rsStateSince").flatMap(Day.init(generalizedTime:))
        self.lockExemptUntil = e.string("rsLockExemptUntil").flatMap(Day.init(generalizedTime:))
        self.created = e.string("createTimestamp").flatMap(Day.init(generalizedTime:))
        self.lastLogin = [e.string("pwdLastSuccess"), e.string("authTimestamp")].compactMap { $0.flatMap(Day.init(generalizedTime:)) }.max()
        self.lockedTime = e.string("pwdAccountLockedTime")
    }
}

extension Day {
    /// The UTC day of an LDAP GeneralizedTime such as `20261129031547Z`.
    public init?(generalizedTime s: String) {
        let digits = Array(s.utf8.prefix(8))
        guard digits.count == 8, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let n = digits.map { Int($0 - 0x30) }
        self.init(year: n[0] * 1000 + n[1] * 100 + n[2] * 10 + n[3], month: n[4] * 10 + n[5], day: n[6] * 10 + n[7])
    }

    /// Midnight UTC of this day as GeneralizedTime: `20261129000000Z`.
    public var generalizedTime: String {
        String(format: "%04d%02d%02d000000Z", year, month, day)
    }
}

