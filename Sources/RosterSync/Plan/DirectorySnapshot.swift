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

    /// The parent of the last entry added: entries arrive grouped by parent, so most DNs
    /// need only their first RDN parsed.
    private var lastParent: (string: Substring, dn: DN)?

    mutating func parse(_ text: String) -> DN? {
        var escaped = false
        var cut: String.Index?
        for i in text.utf8.indices {
            let b = text.utf8[i]
            if escaped { escaped = false; continue }
            if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { return try? DN(text) } else if b == UInt8(ascii: ",") { cut = i; break }
        }
        guard let cut else { return try? DN(text) }
        let parentText = text[text.utf8.index(after: cut)...]
        let parent: DN
        if let last = lastParent, last.string == parentText {
            parent = last.dn
        } else {
            guard let p = try? DN(String(parentText)) else { return nil }
            parent = p
            lastParent = (parentText, p)
        }
        guard let first = try? DN(String(text[..<cut])), first.rdns.count == 1 else { return try? DN(text) }
        return DN(rdns: first.rdns + parent.rdns)
    }

    public mutating func add(_ e: LDAPEntry, unitsBase: DN) {
        let classes = ObjectClasses(e)
        guard let dn = parse(e.dn) else {
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

/// The object classes of an entry, compared without building strings (ASCII, any case).
struct ObjectClasses {
    let values: [Data]
    init(_ e: LDAPEntry) { values = e["objectclass"] }
    func contains(_ lowercased: String) -> Bool {
        let want = Array(lowercased.utf8)
        return values.contains { v in
            v.count == want.count && zip(v, want).allSatisfy { ($0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0) == $1 }
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
        self.code = e.string("rsunitcode")
        self.mail = e.string("mail")?.lowercased()
        self.name = e.string("displayname")
        self.headEmployeeId = e.string("rsheademployeenumber")
        self.owner = e.string("owner")
        self.state = e.string("rsstate").flatMap { EntryState(rawValue: $0.lowercased()) } ?? .active
        self.aliases = e.strings("maillocaladdress").map { $0.lowercased() }
        self.expiringAliases = e.strings("rsexpiringalias")
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
        self.employeeId = e.string("employeenumber")
        self.mail = e.string("mail")?.lowercased()
        self.uid = e.string("uid")
        self.cn = e.string("cn")
        self.sn = e.string("sn")
        self.givenName = e.string("givenname")
        self.displayName = e.string("displayname")
        self.title = e.string("title")
        self.phone = e.string("telephonenumber")
        self.unitCode = e.string("departmentnumber")
        self.state = e.string("rsstate").flatMap { EntryState(rawValue: $0.lowercased()) } ?? .active
        self.stateSince = e.string("rsstatesince").flatMap(Day.init(generalizedTime:))
        self.lockExemptUntil = e.string("rslockexemptuntil").flatMap(Day.init(generalizedTime:))
        self.created = e.string("createtimestamp").flatMap(Day.init(generalizedTime:))
        self.lastLogin = [e.string("pwdlastsuccess"), e.string("authtimestamp")].compactMap { $0.flatMap(Day.init(generalizedTime:)) }.max()
        self.lockedTime = e.string("pwdaccountlockedtime")
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

