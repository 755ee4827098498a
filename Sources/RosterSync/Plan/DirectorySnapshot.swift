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

    /// Parents already parsed, by their text: a directory has a few thousand units and 100,000
    /// people, so most DNs need only their first RDN parsed.
    private var parents: [Substring: DN] = [:]

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
        if let known = parents[parentText] {
            parent = known
        } else {
            guard let p = try? DN(String(parentText)) else { return nil }
            parent = p
            if parents.count < 100_000 { parents[parentText] = p }
        }
        if let rdn = Self.simpleRDN(text.utf8[..<cut]) { return parent.child(rdn) }
        guard let first = try? DN(String(text[..<cut])), first.rdns.count == 1, let rdn = first.rdn else { return try? DN(text) }
        return parent.child(rdn)
    }

    /// `type=value` with nothing to unescape or trim (nearly every entry's first RDN), without
    /// the general parser; nil sends the text to it.
    static func simpleRDN(_ bytes: Substring.UTF8View) -> DN.RDN? {
        guard let eq = bytes.firstIndex(of: UInt8(ascii: "=")) else { return nil }
        let type = bytes[..<eq], value = bytes[bytes.index(after: eq)...]
        guard !type.isEmpty, let first = value.first, let last = value.last, first != 0x20, first != 0x23, last != 0x20,
              type.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D }),
              !value.contains(where: { $0 == 0x5C || $0 == 0x22 || $0 == 0x2B || $0 == 0x3C || $0 == 0x3E || $0 == 0x3B || $0 == 0x2C || $0 == 0x3D || $0 == 0 })
        else { return nil }
        // Cut at ASCII bytes of a valid string: both halves are valid UTF-8.
        return DN.RDN(type: String(Substring(type)), value: String(Substring(value)))
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
    func contains(_ lowercased: StaticString) -> Bool {
        let want = UnsafeBufferPointer(start: lowercased.utf8Start, count: lowercased.utf8CodeUnitCount)
        for v in values where v.count == want.count {
            let same = v.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Bool in
                for i in 0..<raw.count {
                    let b = raw[i]
                    if (b >= 0x41 && b <= 0x5A ? b + 0x20 : b) != want[i] { return false }
                }
                return true
            }
            if same { return true }
        }
        return false
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
    /// The unit mailbox's last successful login (it logs in like a person's).
    public var lastLogin: Day?
    public var created: Day?
    public var stateSince: Day?
    public var lockExemptUntil: Day?

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
        self.lastLogin = [e.string("pwdlastsuccess"), e.string("authtimestamp")].compactMap { $0.flatMap(Day.init(generalizedTime:)) }.max()
        self.created = e.string("createtimestamp").flatMap(Day.init(generalizedTime:))
        self.stateSince = e.string("rsstatesince").flatMap(Day.init(generalizedTime:))
        self.lockExemptUntil = e.string("rslockexemptuntil").flatMap(Day.init(generalizedTime:))
    }
}

/// A class, not a struct: the planner passes 100,000 of these around, and copying a struct of
/// fifteen strings retains each of them.
public final class DirectoryAccount: Sendable {
    public let dn: DN
    public let managed: Bool
    public let employeeId: String?
    public let mail: String?
    public let uid: String?
    public let cn: String?
    public let sn: String?
    public let givenName: String?
    public let displayName: String?
    public let title: String?
    public let phone: String?
    public let unitCode: String?
    public let state: EntryState
    public let stateSince: Day?
    public let lockExemptUntil: Day?
    public let created: Day?
    /// The last successful login the directory knows (pwdLastSuccess, or authTimestamp of
    /// the older lastbind overlay).
    public let lastLogin: Day?
    public let lockedTime: String?
    /// Other addresses that deliver here (`mailLocalAddress`), lower case.
    public let aliases: [String]

    public init(dn: DN, entry e: LDAPEntry, managed: Bool) {
        self.dn = dn
        self.managed = managed
        // One pass over what the entry has, not a lookup per attribute the planner knows.
        var employeeId, mail, uid, cn, sn, givenName, displayName, title, phone, unitCode, lockedTime: String?
        var state = EntryState.active
        var stateSince, lockExemptUntil, created, lastLogin: Day?
        var aliases: [String] = []
        for (name, values) in e.attributes {
            if name == "maillocaladdress" { aliases = values.compactMap(\.utf8String).map { $0.lowercased() } }
            guard let raw = values.first, let value = raw.utf8String else { continue }
            switch name {
            case "employeenumber": employeeId = value
            case "mail": mail = value.lowercased()
            case "uid": uid = value
            case "cn": cn = value
            case "sn": sn = value
            case "givenname": givenName = value
            case "displayname": displayName = value
            case "title": title = value
            case "telephonenumber": phone = value
            case "departmentnumber": unitCode = value
            case "rsstate": state = EntryState(rawValue: value.lowercased()) ?? .active
            case "rsstatesince": stateSince = Day(generalizedTime: value)
            case "rslockexemptuntil": lockExemptUntil = Day(generalizedTime: value)
            case "createtimestamp": created = Day(generalizedTime: value)
            // The last successful login the directory knows, from either overlay.
            case "pwdlastsuccess", "authtimestamp":
                if let d = Day(generalizedTime: value), lastLogin.map({ d > $0 }) ?? true { lastLogin = d }
            case "pwdaccountlockedtime": lockedTime = value
            default: break
            }
        }
        (self.employeeId, self.mail, self.uid, self.cn, self.sn, self.givenName) = (employeeId, mail, uid, cn, sn, givenName)
        (self.displayName, self.title, self.phone, self.unitCode, self.lockedTime) = (displayName, title, phone, unitCode, lockedTime)
        (self.state, self.stateSince, self.lockExemptUntil, self.created, self.lastLogin) = (state, stateSince, lockExemptUntil, created, lastLogin)
        self.aliases = aliases
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

