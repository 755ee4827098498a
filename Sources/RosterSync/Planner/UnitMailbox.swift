import LDAPModel

/// A unit's mailbox is an entry of its own, `cn=unit mailbox` below its unit, of class
/// inetOrgPerson + rsUnitMailbox: mail servers' usual filters (`(objectClass=inetOrgPerson)`,
/// `(mail=%s)`) find it and log it in like a person's, which they do not for an
/// organizationalUnit. The planner thinks of a unit and its mailbox as one thing; `route`
/// sends each write to the entry that holds the attribute.
public enum UnitMailbox {
    /// A fixed RDN: a unit's rename or move takes its mailbox along, with no write of its own.
    public static let rdn = DN.RDN(type: "cn", value: "unit mailbox")

    public static func dn(of unit: DN) -> DN { unit.child(rdn) }

    public static func dn(of unit: String) -> String {
        (try? DN(unit)).map { dn(of: $0).string } ?? "cn=unit mailbox,\(unit)"
    }

    /// Whether `dn` names a unit mailbox's entry.
    public static func isMailbox(_ dn: String) -> Bool {
        // Most DNs asked about are people's (`uid=…`): no parse for those.
        guard dn.utf8.count > 3, dn.utf8.prefix(3).map({ $0 | 0x20 }) == Array("cn=".utf8) else { return false }
        return (try? DN(dn))?.rdn == rdn
    }

    /// Attributes of the mailbox's entry alone (lower case).
    static let mailboxOnly: Set<String> = [
        "mail", "maillocaladdress", "rsexpiringalias", "owner", "userpassword", "pwdreset", "pwdaccountlockedtime",
        "rslockexemptuntil", "rsmailquota",
    ]
    /// The lifecycle attributes: a lock or reopening is the mailbox's; a unit's dissolution
    /// is both the unit's and its mailbox's.
    static let state: Set<String> = ["rsstate", "rsstatesince", "rsstatereason"]

    /// Where the state attributes of a unit's change go.
    enum StateTarget { case mailbox, both }

    /// The kinds whose writes to a unit's entry are routed. A lock or reopening of a unit's
    /// mailbox is a lockAccount or enableAccount without an employee id.
    static func routes(_ c: Change) -> Bool {
        switch c.kind {
        case .createUnit, .updateUnit, .renameUnit, .moveUnit, .handoverUnitMailbox, .dissolveUnit: true
        case .lockAccount, .enableAccount, .disableAccount: c.employeeId == nil && c.unitCode != nil
        default: false
        }
    }

    /// The change with its writes to the unit's entry split between the unit and its mailbox.
    public static func route(_ c: Change) -> Change {
        guard routes(c) else { return c }
        var out = c
        let target: StateTarget = [.lockAccount, .enableAccount].contains(c.kind) ? .mailbox : .both
        out.operations = c.operations.flatMap { route($0, state: target) }
        return out
    }

    static func route(_ op: PlannedOperation, state target: StateTarget) -> [PlannedOperation] {
        if isMailbox(op.dn) { return [op] }
        switch op {
        case let .add(dn, attributes):
            guard let unit = try? DN(dn) else { return [op] }
            return adds(unit: unit, attributes: attributes)
        case let .modify(dn, mods, assertion):
            guard let unit = try? DN(dn) else { return [op] }
            var onUnit: [LDAPModification] = [], onMailbox: [LDAPModification] = []
            for m in mods {
                let name = m.attribute.name.lowercased()
                let first = m.attribute.values.first.map { String(decoding: $0, as: UTF8.self) }
                if mailboxOnly.contains(name) {
                    onMailbox.append(m)
                    if name == "mail", m.operation == .replace, let local = first?.split(separator: "@").first {
                        onMailbox.append(.replace("uid", [String(local)]))
                    }
                } else if state.contains(name) {
                    onMailbox.append(m)
                    if target == .both { onUnit.append(m) }
                } else if name == "rsheademployeenumber" {
                    // Both: a handover always writes to the mailbox, where its password is reset.
                    onUnit.append(m)
                    onMailbox.append(m)
                } else if name == "displayname" {
                    onUnit.append(m)
                    onMailbox.append(m)
                    if m.operation == .replace, let first {
                        onMailbox.append(.replace("sn", [first]))
                        onMailbox.append(.replace("cn", [rdn.value, first]))
                    }
                } else {
                    onUnit.append(m)
                }
            }
            var ops: [PlannedOperation] = []
            if !onUnit.isEmpty { ops.append(.modify(dn: dn, modifications: onUnit, assertion: assertion)) }
            if !onMailbox.isEmpty {
                ops.append(.modify(dn: Self.dn(of: unit).string, modifications: onMailbox, assertion: assertion))
            }
            return ops
        case let .delete(dn, assertion):
            guard let unit = try? DN(dn) else { return [op] }
            return [.delete(dn: Self.dn(of: unit).string, assertion: assertion), op]
        case .rename:
            return [op]
        }
    }

    /// A new unit's add as two: the unit, then its mailbox.
    static func adds(unit: DN, attributes: [LDAPAttribute]) -> [PlannedOperation] {
        var onUnit: [LDAPAttribute] = [], onMailbox: [LDAPAttribute] = []
        var name: String?, mail: String?, code: String?
        for a in attributes {
            let n = a.name.lowercased()
            let first = a.values.first.map { String(decoding: $0, as: UTF8.self) }
            switch n {
            case "objectclass": onUnit.append(a)
            case "displayname": name = first; onUnit.append(a); onMailbox.append(a)
            case "rsunitcode": code = first; onUnit.append(a); onMailbox.append(a)
            case "rsheademployeenumber": onUnit.append(a); onMailbox.append(a)
            case "ou": onUnit.append(a)
            default:
                if n == "mail" { mail = first }
                if mailboxOnly.contains(n) {
                    onMailbox.append(a)
                } else if state.contains(n) {
                    onUnit.append(a)
                    onMailbox.append(a)
                } else {
                    onUnit.append(a)
                }
            }
        }
        guard let mail, code != nil else { return [.add(dn: unit.string, attributes: attributes)] }
        let label = name ?? unit.rdn?.value ?? mail
        let local = String(mail.split(separator: "@").first ?? Substring(mail))
        let person = [
            LDAPAttribute("objectClass", ["inetOrgPerson", "rsUnitMailbox"]),
            LDAPAttribute("cn", [rdn.value, label]),
            LDAPAttribute("sn", label),
            LDAPAttribute("uid", local),
        ]
        return [
            .add(dn: unit.string, attributes: onUnit), .add(dn: dn(of: unit).string, attributes: person + onMailbox),
        ]
    }

    /// The writes that move a unit mailbox from its unit's entry (as rostersync 1.1 kept it)
    /// to an entry of its own: the new entry with the mailbox's attributes (password and lock
    /// included, so its holder logs in as before), then those attributes taken off the unit.
    /// `unit` is the unit's entry as read just before (planned from the snapshot; `apply`
    /// reads it again, with the password, and calls this with what it found);
    /// `mailboxExists`: an earlier run made the entry and died before the second write.
    public static func separation(unit dn: String, entry: [LDAPAttribute], mailboxExists: Bool) -> [PlannedOperation] {
        guard let unit = try? DN(dn) else { return [] }
        func values(_ name: String) -> [String] {
            entry.first { $0.name.lowercased() == name }?.values.map { String(decoding: $0, as: UTF8.self) } ?? []
        }
        var ops: [PlannedOperation] = []
        let moving = entry.filter { mailboxOnly.contains($0.name.lowercased()) && !$0.values.isEmpty }
        if !mailboxExists, let mail = values("mail").first, let code = values("rsunitcode").first {
            let name = values("displayname").first ?? unit.rdn?.value ?? mail
            var attrs = [
                LDAPAttribute("objectClass", ["inetOrgPerson", "rsUnitMailbox"]),
                LDAPAttribute("cn", [rdn.value, name]),
                LDAPAttribute("sn", name),
                LDAPAttribute("uid", String(mail.split(separator: "@").first ?? "")),
                LDAPAttribute("displayName", name),
                LDAPAttribute("rsUnitCode", code),
            ]
            let state = values("rsstate").first ?? EntryState.active.rawValue
            attrs.append(LDAPAttribute("rsState", state))
            for n in ["rsStateSince", "rsStateReason"] where state != EntryState.active.rawValue {
                if let v = values(n.lowercased()).first { attrs.append(LDAPAttribute(n, v)) }
            }
            attrs += moving
            ops.append(.add(dn: Self.dn(of: unit).string, attributes: attrs))
        }
        var mods = moving.map { LDAPModification.delete($0.name) }
        // A lock was the mailbox's: the unit itself is active (a dissolved one stays disabled).
        if values("rsstate").first == EntryState.locked.rawValue {
            mods.append(.replace("rsState", [EntryState.active.rawValue]))
        }
        if !mods.isEmpty {
            ops.append(
                .modify(
                    dn: dn, modifications: mods,
                    assertion: values("rsunitcode").first.map { .equality("rsUnitCode", $0) }))
        }
        return ops
    }
}
