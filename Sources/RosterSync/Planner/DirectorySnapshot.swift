import Foundation
import LDAPModel

/// What the planner knows of the directory: the managed subtree, read once (paged) with only
/// the attributes below.
public struct DirectorySnapshot: Sendable {
    public var units: [DirectoryUnit]
    public var accounts: [DirectoryAccount]
    /// Records of mailboxes deleted for disuse (art. 9.3b), by employee id.
    public var closures: [String: DirectoryClosure] = [:]
    /// Whether the folder of those records (`closedMailboxes`) exists.
    public var hasClosedFolder = false
    /// Entries whose DN could not be read: left alone (counted by `plan --timings`).
    public var others: [String]

    /// The RDN of the folder, in the units base, that holds the records of mailboxes deleted
    /// for disuse. A space and capitals: no unit's `ou` (a sanitized local part) can clash.
    public static let closedFolderRDN = DN.RDN(type: "ou", value: "Closed mailboxes")

    /// The attributes the planner reads, operational ones included, in slot order.
    public static let attributes = Slot.allCases.map { "\($0)" }

    /// The filter of the read: every entry of the base, sorted here by object class. A presence
    /// test costs slapd less than a filter naming the classes, and slapd shares the machine's
    /// cores with this process while it reads (docs/PERFORMANCE.md).
    public static let filter = Filter.present("objectClass")

    /// Where each attribute sits in an `IndexedEntry` read with `attributes`.
    public enum Slot: Int, CaseIterable, Sendable {
        case objectClass, uid, cn, sn, givenName, displayName, mail, mailLocalAddress, employeeNumber
        case departmentNumber, title, telephoneNumber, owner, rsUnitCode, rsState, rsStateSince
        case rsLockExemptUntil, rsExpiringAlias, rsHeadEmployeeNumber, pwdLastSuccess, authTimestamp
        case createTimestamp, rsClosedAddress
    }

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
        for e in entries { add(IndexedEntry(e, names: Self.attributes), unitsBase: unitsBase) }
    }

    /// Units by normalized DN, and unit mailboxes read before their unit: the two are joined
    /// whatever order the server returns them in.
    private var unitIndex: [String: Int] = [:]
    private var mailboxesWaiting: [String: (dn: DN, entry: IndexedEntry)] = [:]

    /// Parents already parsed, by their text: a directory has far fewer units than people, so
    /// most DNs need only their first RDN parsed.
    private var parents: [Substring: DN] = [:]

    mutating func parse(_ text: String) -> DN? {
        parseParts(text).map { $0.parent.child($0.rdn) }
    }

    /// A DN as its parent (shared with its siblings) and its first RDN: people's entries are
    /// kept so, their whole DN made only when asked.
    mutating func parseParts(_ text: String) -> (parent: DN, rdn: DN.RDN)? {
        var escaped = false
        var cut: String.Index?
        for i in text.utf8.indices {
            let b = text.utf8[i]
            if escaped {
                escaped = false
                continue
            }
            if b == UInt8(ascii: "\\") {
                escaped = true
            } else if b == UInt8(ascii: "\"") {
                return Self.split(try? DN(text))
            } else if b == UInt8(ascii: ",") {
                cut = i
                break
            }
        }
        guard let cut else { return Self.split(try? DN(text)) }
        let parentText = text[text.utf8.index(after: cut)...]
        let parent: DN
        if let known = parents[parentText] {
            parent = known
        } else {
            guard let p = try? DN(String(parentText)) else { return nil }
            parent = p
            if parents.count < 100_000 { parents[parentText] = p }
        }
        if let rdn = Self.simpleRDN(text.utf8[..<cut]) { return (parent, rdn) }
        guard let first = try? DN(String(text[..<cut])), first.rdns.count == 1, let rdn = first.rdn else {
            return Self.split(try? DN(text))
        }
        return (parent, rdn)
    }

    private static func split(_ dn: DN?) -> (parent: DN, rdn: DN.RDN)? {
        guard let dn, let rdn = dn.rdn, let parent = dn.parent else { return nil }
        return (parent, rdn)
    }

    /// `type=value` with nothing to unescape or trim (nearly every entry's first RDN), without
    /// the general parser; nil sends the text to it.
    static func simpleRDN(_ bytes: Substring.UTF8View) -> DN.RDN? {
        guard let eq = bytes.firstIndex(of: UInt8(ascii: "=")) else { return nil }
        let type = bytes[..<eq], value = bytes[bytes.index(after: eq)...]
        guard !type.isEmpty, let first = value.first, let last = value.last, first != 0x20, first != 0x23, last != 0x20,
            type.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D }),
            !value.contains(where: {
                $0 == 0x5C || $0 == 0x22 || $0 == 0x2B || $0 == 0x3C || $0 == 0x3E || $0 == 0x3B || $0 == 0x2C
                    || $0 == 0x3D || $0 == 0
            })
        else { return nil }
        // Cut at ASCII bytes of a valid string: both halves are valid UTF-8.
        return DN.RDN(plainType: String(Substring(type)), value: String(Substring(value)))
    }

    public mutating func add(_ e: IndexedEntry, unitsBase: DN) {
        let classes = e[.objectClass]
        // Object class names are ASCII: compared without case, without a lowered copy.
        func has(_ lowercased: StaticString) -> Bool {
            let want = UnsafeBufferPointer(start: lowercased.utf8Start, count: lowercased.utf8CodeUnitCount)
            return classes.contains { c in
                var c = c
                return c.withUTF8 { b in
                    guard b.count == want.count else { return false }
                    for i in 0..<b.count where (b[i] >= 0x41 && b[i] <= 0x5A ? b[i] + 0x20 : b[i]) != want[i] {
                        return false
                    }
                    return true
                }
            }
        }
        guard let (parent, rdn) = parseParts(e.dn) else {
            others.append(e.dn)
            return
        }
        // A unit's mailbox (inetOrgPerson too): part of its unit, not a person.
        if has("rsunitmailbox") {
            let key = parent.normalized
            if let i = unitIndex[key] {
                units[i].attach(mailbox: parent.child(rdn), entry: e)
            } else {
                mailboxesWaiting[key] = (parent.child(rdn), e)
            }
            return
        }
        // person and the standard classes below it (entries need not list superclasses).
        if has("inetorgperson") || has("person") || has("organizationalperson") || has("residentialperson") {
            accounts.append(DirectoryAccount(parent: parent, rdn: rdn, entry: e, managed: has("rsaccount")))
            return
        }
        if has("rsclosedmailbox") {
            if let id = e.first(.employeeNumber) {
                closures[id] = DirectoryClosure(
                    dn: parent.child(rdn), employeeId: id, address: e.first(.rsClosedAddress)?.lowercased(),
                    since: e.day(.rsStateSince))
            }
            return
        }
        guard parent.isWithin(unitsBase), has("organizationalunit") else { return }  // groups, roles…: not the agent's
        if parent == unitsBase, rdn == Self.closedFolderRDN {
            hasClosedFolder = true
            return
        }
        let dn = parent.child(rdn)
        var unit = DirectoryUnit(dn: dn, entry: e, managed: has("rsunit"))
        let key = dn.normalized
        if let m = mailboxesWaiting.removeValue(forKey: key) { unit.attach(mailbox: m.dn, entry: m.entry) }
        unitIndex[key] = units.count
        units.append(unit)
    }
}

extension IndexedEntry {
    subscript(_ slot: DirectorySnapshot.Slot) -> ArraySlice<String> { self[slot.rawValue] }
    func first(_ slot: DirectorySnapshot.Slot) -> String? { first(slot.rawValue) }
    func day(_ slot: DirectorySnapshot.Slot) -> Day? { first(slot).flatMap(Day.init(generalizedTime:)) }
    /// The last successful login the directory knows: pwdLastSuccess, or authTimestamp of the
    /// older lastbind overlay; the later of the two.
    var lastLogin: Day? { Day.later(day(.pwdLastSuccess), day(.authTimestamp)) }
}

extension UnitRecord {
    /// This unit's entry among directory units by code: under its code, or under the code it
    /// had before a reorganisation (`previous_code`).
    func directoryEntry(_ byCode: [String: DirectoryUnit]) -> DirectoryUnit? {
        byCode[code] ?? previousCode.flatMap { byCode[$0] }
    }
}

/// The record of a mailbox deleted for disuse: its holder gets no new one until reopened.
public struct DirectoryClosure: Sendable {
    public var dn: DN
    public var employeeId: String
    public var address: String?
    public var since: Day?
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
    /// The unit mailbox's last successful login (it logs in like a person's).
    public var lastLogin: Day?
    public var created: Day?
    public var stateSince: Day?
    public var lockExemptUntil: Day?
    /// The unit mailbox's own entry (`cn=unit mailbox` below the unit), when it has one.
    public var mailboxDN: DN?
    /// The unit's entry itself holds mailbox attributes (`mail`…), as rostersync 1.1 kept
    /// them: the next run moves them to the mailbox's entry.
    public var mailboxOnUnitEntry = false

    public init(dn: DN, entry e: IndexedEntry, managed: Bool) {
        self.dn = dn
        self.managed = managed
        self.code = e.first(.rsUnitCode)
        self.mail = e.first(.mail)?.lowercased()
        self.name = e.first(.displayName)
        self.headEmployeeId = e.first(.rsHeadEmployeeNumber)
        self.owner = e.first(.owner)
        self.state = e.first(.rsState).flatMap { EntryState(rawValue: $0.lowercased()) } ?? .active
        self.aliases = e[.mailLocalAddress].map { $0.lowercased() }
        self.expiringAliases = Array(e[.rsExpiringAlias])
        self.lastLogin = e.lastLogin
        self.created = e.day(.createTimestamp)
        self.stateSince = e.day(.rsStateSince)
        self.lockExemptUntil = e.day(.rsLockExemptUntil)
        self.mailboxOnUnitEntry = mail != nil
    }

    /// Joins the unit mailbox's entry: its address, aliases, holder, lock and last login are
    /// the unit's as the planner sees them (a dissolved unit's own state stands).
    mutating func attach(mailbox dn: DN, entry e: IndexedEntry) {
        mailboxDN = dn
        mail = e.first(.mail)?.lowercased()
        owner = e.first(.owner)
        // The head whose handover reached the mailbox (where its password is reset): a run
        // killed between a handover's two writes leaves the unit ahead, and the next run
        // hands the mailbox over again, with a new password in a new notice.
        if let head = e.first(.rsHeadEmployeeNumber) { headEmployeeId = head }
        aliases = e[.mailLocalAddress].map { $0.lowercased() }
        expiringAliases = Array(e[.rsExpiringAlias])
        // The unit's entry keeps the logins of the time it was the mailbox's login.
        lastLogin = Day.later(lastLogin, e.lastLogin)
        lockExemptUntil = e.day(.rsLockExemptUntil)
        if state == .active {
            state = e.first(.rsState).flatMap { EntryState(rawValue: $0.lowercased()) } ?? .active
            if state != .active { stateSince = e.day(.rsStateSince) }
        }
    }
}

public final class DirectoryAccount: Sendable {
    /// The entry's place: its parent (one value shared by all its siblings) and its RDN. The
    /// whole DN is made when asked: on most days nothing is asked of most people's.
    public let parent: DN
    public let rdn: DN.RDN
    public var dn: DN { parent.child(rdn) }
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
    /// Other addresses that deliver here (`mailLocalAddress`), lower case.
    public let aliases: [String]

    public convenience init(dn: DN, entry e: IndexedEntry, managed: Bool) {
        self.init(parent: dn.parent ?? .root, rdn: dn.rdn ?? DN.RDN([]), entry: e, managed: managed)
    }

    public init(parent: DN, rdn: DN.RDN, entry e: IndexedEntry, managed: Bool) {
        self.parent = parent
        self.rdn = rdn
        self.managed = managed
        self.employeeId = e.first(.employeeNumber)
        self.mail = e.first(.mail).map(RosterParser.lowercased)  // no copy when already lower case
        self.uid = e.first(.uid)
        self.cn = e.first(.cn)
        self.sn = e.first(.sn)
        self.givenName = e.first(.givenName)
        self.displayName = e.first(.displayName)
        self.title = e.first(.title)
        self.phone = e.first(.telephoneNumber)
        self.unitCode = e.first(.departmentNumber)
        self.state = e.first(.rsState).flatMap { EntryState(rawValue: $0.lowercased()) } ?? .active
        self.stateSince = e.day(.rsStateSince)
        self.lockExemptUntil = e.day(.rsLockExemptUntil)
        self.created = e.day(.createTimestamp)
        self.lastLogin = e.lastLogin
        self.aliases = e[.mailLocalAddress].map(RosterParser.lowercased)
    }
}

extension Day {
    /// The UTC day of an LDAP GeneralizedTime such as `20261129031547Z`.
    /// (From the bytes: it runs twice for every entry read, and made two arrays each time.)
    public init?(generalizedTime s: String) {
        var value = 0, digits = 0
        for b in s.utf8 {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            value = value * 10 + Int(b - 0x30)
            digits += 1
            if digits == 8 { break }
        }
        guard digits == 8 else { return nil }
        self.init(year: value / 10_000, month: value / 100 % 100, day: value % 100)
    }

    /// Midnight UTC of this day as GeneralizedTime: `20261129000000Z`.
    public var generalizedTime: String {
        String(format: "%04d%02d%02d000000Z", year, month, day)
    }
}

