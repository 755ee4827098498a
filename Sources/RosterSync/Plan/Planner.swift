import Foundation
import LDAPModel

/// Everything a plan is made from. No clock, no I/O: the same input gives the same plan.
public struct PlannerInput: Sendable {
    public var roster: Roster
    public var snapshot: DirectorySnapshot
    public var config: Config
    public var asOf: Day
    /// Last logins from a mail-server export (address → day), merged with the directory's.
    public var lastLogins: [String: Day]
    /// Only changes of these units (empty: all).
    public var units: Set<String>
    public var directory: String
    /// From how many roster people on the people's part is planned in two halves, one on
    /// each core (tests lower it to compare both ways on a small roster).
    var twoCoresFrom = 20_000

    public init(
        roster: Roster, snapshot: DirectorySnapshot, config: Config, asOf: Day, lastLogins: [String: Day] = [:],
        units: Set<String> = [], directory: String = ""
    ) {
        self.roster = roster
        self.snapshot = snapshot
        self.config = config
        self.asOf = asOf
        self.lastLogins = lastLogins
        self.units = units
        self.directory = directory
    }
}

/// Compares the rosters with the directory under the regulation's rules and lists the changes.
public enum Planner {
    /// The permanent administrative lock (a real timestamp could expire with pwdLockoutDuration).
    public static let permanentLock = "000001010000Z"

    /// The writes that move an entry to `state`: its lifecycle attributes, and the bind lock
    /// (`pwdAccountLockedTime`) set for disabled and locked entries, removed for active ones.
    public static func stateModifications(to state: EntryState, on day: Day, reason: String) -> [LDAPModification] {
        [.replace("rsState", [state.rawValue]), .replace("rsStateSince", [day.generalizedTime]), .replace("rsStateReason", [reason]),
         state == .active ? .delete("pwdAccountLockedTime") : .replace("pwdAccountLockedTime", [permanentLock])]
    }

    public static func plan(_ input: PlannerInput) -> Plan {
        var b = PlanBuilder(input)
        b.build()
        return b.finish()
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

/// A set of small non-negative integers (account indexes) as bits: 100,000 of them are
/// marked and tested without hashing.
struct Marks {
    private var bits: [UInt64] = []
    mutating func insert(_ i: Int) {
        let w = i >> 6
        if w >= bits.count { bits.append(contentsOf: repeatElement(0, count: w - bits.count + 1)) }
        bits[w] |= 1 << UInt64(i & 63)
    }
    func contains(_ i: Int) -> Bool {
        let w = i >> 6
        return w < bits.count && bits[w] & (1 << UInt64(i & 63)) != 0
    }
}

private struct PlanBuilder {
    let input: PlannerInput
    let cfg: Config
    let asOf: Day
    let domain: String
    var book: AddressBook
    var changes: [Change] = []
    var scheduled: [Change] = []
    var disputes: [Dispute] = []

    let unitByCode: [String: UnitRecord]
    /// Directory units by code (managed ones).
    var dirUnitByCode: [String: DirectoryUnit] = [:]
    /// Directory account (index into the snapshot) matched to each roster person, by the
    /// person's row in the staff roster; -1 for none.
    var accountOf: [Int]
    /// Accounts (indexes) matched to someone or disputed: not orphans, not to be disabled.
    var matched = Marks()
    /// Unit code → its DN once the plan is applied.
    var unitDN: [String: DN] = [:]
    /// Renames/moves of units, in apply order: entries below `old` end up below `new`.
    var moves: [(old: DN, new: DN)] = []
    /// Roster staff (indexes) in employee-id order: the order changes are found in.
    let staffOrder: [Int]
    /// Units whose roster row takes effect later.
    var pendingUnits = Set<String>()
    /// Managed units the unit roster no longer lists: dissolved.
    var vanishedUnits: [DirectoryUnit] = []
    let protected: Set<DN>

    init(_ input: PlannerInput) {
        self.input = input
        self.cfg = input.config
        self.asOf = input.asOf
        self.domain = input.config.mail.domain
        self.unitByCode = Dictionary(input.roster.units.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        let staff = input.roster.staff
        self.accountOf = Array(repeating: -1, count: staff.count)
        self.staffOrder = input.roster.idOrder
        self.protected = Set(input.config.protected)
        // Made for real in matchEntries, once the directory's addresses are known.
        self.book = AddressBook(
            roster: Roster(units: [], staff: [], unitsFile: "", staffFile: "", warnings: [], staffIndex: [:]), domain: input.config.mail.domain,
            pattern: input.config.mail.pattern, reserved: [])
    }

    /// Where the records of mailboxes deleted for disuse live.
    var closedFolder: DN { cfg.directory.unitsBase.child(DirectorySnapshot.closedFolderRDN) }

    func isProtected(_ dn: DN) -> Bool { protected.contains { dn.isWithin($0) } }

    func local(_ mail: String?) -> String? { localSlice(mail).map(String.init) }

    /// The same as a slice of `mail` (no copy).
    func localSlice(_ mail: String?) -> Substring? {
        mail.flatMap { AddressBook.localPart($0, domain: domain) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    func address(_ local: String) -> String { "\(local)@\(domain)" }

    func unitLabel(_ code: String?) -> String {
        guard let code else { return "—" }
        return unitByCode[code].map { "\($0.name) (\(code))" } ?? code
    }

    /// Where `dn` will be once the unit renames and moves planned so far are applied.
    func effective(_ dn: DN) -> DN { Self.effective(dn, moves) }

    static func effective(_ dn: DN, _ moves: [(old: DN, new: DN)]) -> DN {
        var d = dn
        for m in moves { if let r = d.rebased(from: m.old, to: m.new) { d = r } }
        return d
    }

    // MARK: - Matching

    mutating func matchEntries() {
        let snapshot = input.snapshot
        var unitsByCode: [String: [DirectoryUnit]] = [:]
        for u in snapshot.units where u.managed && !isProtected(u.dn) {
            if let c = u.code { unitsByCode[c, default: []].append(u) }
        }
        for (code, list) in unitsByCode {
            if list.count == 1 { dirUnitByCode[code] = list[0] } else {
                for u in list { disputes.append(Dispute(dn: u.dn.string, employeeId: nil, reason: "\(list.count) units carry the code \(code): left alone")) }
            }
        }
        // Every address the directory holds stays taken, made on the other core meanwhile.
        let domain = self.domain
        let heldTask = SideTask { () -> Set<Substring> in
            var held = Set<Substring>(minimumCapacity: snapshot.accounts.count)
            for a in snapshot.accounts {
                if let m = a.mail, let l = AddressBook.localPart(m, domain: domain), !l.isEmpty { held.insert(l) }
            }
            return held
        }
        // Each account's claim on a roster row by employee number, looked up in the roster's
        // own index (made on the roster thread while the directory was read): no table of the
        // directory's 100,000 ids is built here. The rare rows claimed by several accounts are
        // listed apart.
        let roster = input.roster
        var byId = [Int](repeating: -1, count: roster.staff.count), byMail = byId
        var sharedIds: [Int: [Int]] = [:], sharedMails: [Int: [Int]] = [:]
        let eligible = snapshot.accounts.indices.filter { protected.isEmpty || !isProtected(snapshot.accounts[$0].dn) }
        for i in eligible {
            if let id = snapshot.accounts[i].employeeId, let k = roster.staffIndex[id] {
                if byId[k] < 0 { byId[k] = i } else { sharedIds[k, default: [byId[k]]].append(i) }
            }
        }
        // Addresses matter only for the people no entry names by employee number: usually a
        // few departed or newly hired, so their addresses make a small table that stays in
        // cache while 100,000 entries' addresses are looked up in it.
        var unmatchedByMail: [String: Int] = [:]
        for k in roster.staff.indices where byId[k] < 0 { if let e = roster.staff[k].email { unmatchedByMail[e] = k } }
        if !unmatchedByMail.isEmpty {
            for i in eligible {
                if let m = snapshot.accounts[i].mail, let k = unmatchedByMail[m] {
                    if byMail[k] < 0 { byMail[k] = i } else { sharedMails[k, default: [byMail[k]]].append(i) }
                }
            }
        }
        for k in staffOrder {
            if byId[k] >= 0, sharedIds.isEmpty || sharedIds[k] == nil {
                accountOf[k] = byId[k]  // the usual case, without a copy of the row
                continue
            }
            let p = roster.staff[k]
            if byId[k] >= 0 {
                let list = sharedIds[k] ?? [byId[k]]
                if list.count == 1 { accountOf[k] = list[0] } else {
                    for i in list { disputes.append(Dispute(dn: snapshot.accounts[i].dn.string, employeeId: p.employeeId, reason: "\(list.count) entries carry employee number \(p.employeeId): left alone")) }
                    list.forEach { matched.insert($0) }
                }
                continue
            }
            guard let email = p.email, byMail[k] >= 0 else { continue }
            let list = sharedMails[k] ?? [byMail[k]]
            if list.count == 1, snapshot.accounts[list[0]].employeeId == nil {
                accountOf[k] = list[0]
            } else {
                let who = list.map { snapshot.accounts[$0].employeeId.map { "employee number \($0)" } ?? "no employee number" }.joined(separator: ", ")
                for i in list {
                    disputes.append(Dispute(dn: snapshot.accounts[i].dn.string, employeeId: p.employeeId, reason: "\(p.employeeId) \(p.fullName) claims \(email), held by an entry with \(who): left alone"))
                    matched.insert(i)
                }
            }
        }
        for i in accountOf where i >= 0 { matched.insert(i) }
        // Addresses already held are kept.
        var existing = AddressBook.Existing()
        existing.byRow = accountOf.map { $0 >= 0 ? localSlice(snapshot.accounts[$0].mail) : nil }
        for u in roster.units {
            let d = u.directoryEntry(dirUnitByCode)
            if let l = local(d?.mail) { existing.units[u.code] = l }
        }
        // Units the roster no longer lists keep their addresses too: never reissued.
        let rosterCodes = Set(roster.units.map(\.code))
        // So do units' aliases (a renamed unit's old address, while it still delivers), and
        // the addresses of mailboxes deleted for disuse (their holders may be reopened).
        existing.held = heldTask.wait()
        for c in snapshot.closures.values { if let l = localSlice(c.address) { existing.held.insert(l) } }
        for u in snapshot.units {
            if u.code.map({ !rosterCodes.contains($0) }) ?? true, let l = localSlice(u.mail) { existing.held.insert(l) }
            for alias in u.aliases { if let l = localSlice(alias) { existing.held.insert(l) } }
        }
        book = AddressBook(
            roster: roster, domain: domain, pattern: cfg.mail.pattern,
            reserved: cfg.mail.reserved + [cfg.mail.sharedMailbox], shared: cfg.mail.sharedMailbox, existing: existing)
    }

    // MARK: - Units

    /// Roster units, parents first.
    func unitsByDepth() -> [UnitRecord] {
        func depth(_ u: UnitRecord) -> Int {
            var d = 0, cur = u.parentCode
            while let c = cur, d < 64 { d += 1; cur = unitByCode[c]?.parentCode }
            return d
        }
        return input.roster.units.sorted { (depth($0), $0.code) < (depth($1), $1.code) }
    }

    mutating func planUnitPlacement() {
        for u in unitsByDepth() {
            let dir = u.directoryEntry(dirUnitByCode)
            let pending = (u.effectiveDate.map { $0 > asOf } ?? false)
            if pending { pendingUnits.insert(u.code) }
            let parentDN = u.parentCode.flatMap { unitDN[$0] } ?? cfg.directory.unitsBase
            let local = book.units[u.code] ?? derivedUnitMailbox(u.name)
            let desired = parentDN.child(type: "ou", value: local)
            guard let dir else {
                unitDN[u.code] = desired
                guard u.status == .active else { continue }
                add(createUnit(u, dn: desired), pending: pending, due: u.effectiveDate)
                continue
            }
            let current = effective(dir.dn)
            if u.status == .dissolved || pending || current == desired {
                unitDN[u.code] = current
                if pending && current != desired && u.status == .active {
                    add(renameOrMove(u, dir, from: current, to: desired), pending: true, due: u.effectiveDate)
                }
                continue
            }
            add(renameOrMove(u, dir, from: current, to: desired), pending: false, due: nil)
            moves.append((current, desired))
            unitDN[u.code] = desired
        }
    }

    func unitAttributes(_ u: UnitRecord, local: String) -> [LDAPAttribute] {
        var attrs = [
            LDAPAttribute("objectClass", ["organizationalUnit", "rsUnit"]),
            LDAPAttribute("ou", local),
            LDAPAttribute("rsUnitCode", u.code),
            LDAPAttribute("rsState", EntryState.active.rawValue),
            LDAPAttribute("mail", address(local)),
            LDAPAttribute("displayName", u.name),
        ]
        if let head = u.headEmployeeId {
            attrs.append(LDAPAttribute("rsHeadEmployeeNumber", head))
        }
        return attrs
    }

    func createUnit(_ u: UnitRecord, dn: DN) -> Change {
        let local = dn.rdn?.value ?? ""
        return Change(
            kind: .createUnit, dn: dn.string, unitCode: u.code, groupUnit: u.code, subject: unitLabel(u.code),
            reason: "new in the unit roster; unit mailbox \(address(local))" + (u.parentCode.map { ", under \(unitLabel($0))" } ?? ""),
            attributes: unitAttributes(u, local: local).map { AttributeChange($0.name, old: [], new: $0.values.map { String(decoding: $0, as: UTF8.self) }) },
            operations: [.add(dn: dn.string, attributes: unitAttributes(u, local: local))])
    }

    func renameOrMove(_ u: UnitRecord, _ dir: DirectoryUnit, from current: DN, to desired: DN) -> Change {
        let renamed = current.rdn != desired.rdn
        let moved = current.parent != desired.parent
        let assertion = Filter.equality("rsUnitCode", dir.code ?? u.code)
        var ops: [PlannedOperation] = [.rename(
            dn: current.string, newRDN: desired.rdn?.description ?? "", newSuperior: moved ? desired.parent?.string : nil, assertion: assertion)]
        var attrs: [AttributeChange] = []
        var reason: [String] = []
        if moved {
            let parentCode = u.parentCode
            reason.append("now under \(parentCode.map(unitLabel) ?? "the top level")")
        }
        if renamed {
            let oldLocal = local(dir.mail) ?? current.rdn?.value ?? ""
            let newLocal = desired.rdn?.value ?? ""
            let until = cfg.policy.renameAliasTransition.after(asOf)
            attrs.append(AttributeChange("mail", old: dir.mail.map { [$0] } ?? [], new: [address(newLocal)]))
            attrs.append(AttributeChange("mailLocalAddress", old: dir.aliases, new: dir.aliases + [address(oldLocal)]))
            reason.append("unit mailbox \(address(oldLocal)) becomes \(address(newLocal)); the old address keeps working until \(until)")
            ops.append(.modify(dn: desired.string, modifications: [
                .replace("mail", [address(newLocal)]),
                .add("mailLocalAddress", [address(oldLocal)]),
                .add("rsExpiringAlias", ["\(address(oldLocal)) \(until.generalizedTime)"]),
            ], assertion: assertion))
        }
        return Change(
            kind: renamed ? .renameUnit : .moveUnit, dn: current.string, newDN: desired.string, unitCode: u.code, groupUnit: u.code,
            subject: unitLabel(u.code), reason: reason.joined(separator: "; "), attributes: attrs, operations: ops)
    }

    /// Name, code, expired aliases and head of the units that exist; dissolutions.
    mutating func planUnitContents() {
        for u in unitsByDepth() {
            guard let dir = u.directoryEntry(dirUnitByCode), let dn = unitDN[u.code] else { continue }
            let pending = pendingUnits.contains(u.code)
            if u.status == .dissolved { continue }  // see planDissolutions
            var mods: [LDAPModification] = []
            var attrs: [AttributeChange] = []
            var why: [String] = []
            if dir.name != u.name {
                mods.append(.replace("displayName", [u.name]))
                attrs.append(AttributeChange("displayName", old: dir.name.map { [$0] } ?? [], new: [u.name]))
                why.append("name changed in the unit roster")
            }
            if dir.code != u.code {
                mods.append(.replace("rsUnitCode", [u.code]))
                attrs.append(AttributeChange("rsUnitCode", old: dir.code.map { [$0] } ?? [], new: [u.code]))
                why.append("code changed from \(dir.code ?? "none") to \(u.code)")
            }
            // A unit disabled on its way to dissolution comes back; a locked unit mailbox stays
            // locked until the unit asks (`rostersync unlock`), as a person's does.
            if dir.state == .disabled {
                mods += Planner.stateModifications(to: .active, on: asOf, reason: "active in the unit roster")
                    + [.replace("rsLockExemptUntil", [cfg.policy.lockAfter.after(asOf).generalizedTime])]
                attrs.append(AttributeChange("rsState", old: [dir.state.rawValue], new: [EntryState.active.rawValue]))
                why.append("active again in the unit roster")
            }
            for value in dir.expiringAliases {
                let parts = value.split(separator: " ")
                guard parts.count == 2, let until = Day(generalizedTime: String(parts[1])), until <= asOf else { continue }
                let alias = String(parts[0]).lowercased()
                mods.append(.delete("rsExpiringAlias", [value]))
                if dir.aliases.contains(alias) { mods.append(.delete("mailLocalAddress", [alias])) }
                attrs.append(AttributeChange("mailLocalAddress", old: [alias], new: []))
                why.append("transitional alias \(alias) expired on \(until)")
            }
            if !mods.isEmpty {
                add(Change(
                    kind: .updateUnit, dn: dn.string, unitCode: u.code, groupUnit: u.code, subject: unitLabel(u.code),
                    reason: why.joined(separator: "; "), attributes: attrs,
                    operations: [.modify(dn: dn.string, modifications: mods, assertion: .equality("rsUnitCode", dir.code ?? u.code))]),
                    pending: pending, due: u.effectiveDate)
            }
            if let head = u.headEmployeeId, head != dir.headEmployeeId, !(input.roster.person(head).flatMap(departure).map { $0 <= asOf } ?? false) {
                let headName = input.roster.person(head)?.fullName ?? head
                let oldName = dir.headEmployeeId.map { input.roster.person($0)?.fullName ?? $0 }
                // Its `owner` is set by planOwners, which knows where the head's entry will be.
                let hm: [LDAPModification] = [.replace("rsHeadEmployeeNumber", [head])]
                add(Change(
                    kind: .handoverUnitMailbox, dn: dn.string, unitCode: u.code, groupUnit: u.code, subject: unitLabel(u.code),
                    reason: (oldName.map { "head changed from \($0) to \(headName)" } ?? "\(headName) becomes the unit mailbox's holder")
                        + ": the unit mailbox's password is reset and a notice made for \(headName) (art. 12.3)",
                    attributes: [AttributeChange("rsHeadEmployeeNumber", old: dir.headEmployeeId.map { [$0] } ?? [], new: [head])],
                    operations: [.modify(dn: dn.string, modifications: hm, assertion: .equality("rsUnitCode", dir.code ?? u.code))]),
                    pending: pending, due: u.effectiveDate)
            }
        }
        for u in unitsByDepth() where u.status == .active && !pendingUnits.contains(u.code) {
            guard let dir = u.directoryEntry(dirUnitByCode), let dn = unitDN[u.code] else { continue }
            planUnitInactivity(u, dir, dn: dn)
        }
        // Managed units the roster does not know at all: dissolved (planDissolutions) when
        // their code is theirs alone; without a code, or with a shared one, reported only.
        let known = Set(input.roster.units.flatMap { [$0.code] + ($0.previousCode.map { [$0] } ?? []) })
        for d in input.snapshot.units where d.managed && !isProtected(d.dn) && !(d.code.map(known.contains) ?? false) {
            if let code = d.code, dirUnitByCode[code]?.dn == d.dn {
                vanishedUnits.append(d)
            } else {
                orphan(d.dn, code: d.code, why: "a managed unit (code \(d.code ?? "none")) that is not in the unit roster: left alone")
            }
        }
        for d in input.snapshot.units where !d.managed && d.dn.isDescendant(of: cfg.directory.unitsBase) && !isProtected(d.dn) {
            orphan(d.dn, code: nil, why: "an organizational unit rostersync does not manage: left alone")
        }
    }

    mutating func orphan(_ dn: DN, code: String?, why: String) {
        add(Change(kind: .orphan, dn: dn.string, unitCode: code, groupUnit: code, subject: dn.rdn?.description ?? dn.string, reason: why), pending: false, due: nil)
    }

    // MARK: - People

    /// The `sn` and `givenName` a person's entry holds: the family name (the whole name when
    /// there is none) and the given name, if any. Ordinary names are split without the full
    /// parse (`PersonName.simpleParts`); substrings, so comparing them allocates nothing.
    func wantedNames(_ p: StaffRecord) -> (sn: Substring, given: Substring?) {
        let family: Substring, given: Substring
        if let parts = PersonName.simpleParts(p.fullName) {
            (family, given) = parts
        } else {
            let name = PersonName(parsing: p.fullName)
            (family, given) = (Substring(name.family), Substring(name.given))
        }
        return (family.isEmpty ? Substring(p.fullName) : family, given.isEmpty ? nil : given)
    }

    func personAttributes(_ p: StaffRecord) -> [(String, [String])] {
        let names = wantedNames(p)
        return [
            ("cn", [p.fullName]),
            ("sn", [String(names.sn)]),
            ("givenName", names.given.map { [String($0)] } ?? []),
            ("displayName", [p.fullName]),
            ("title", p.title.map { [$0] } ?? []),
            ("telephoneNumber", p.phone.map { [$0] } ?? []),
            ("departmentNumber", [p.unitCode]),
        ]
    }

    /// The DN of a roster person's account once the plan is applied, from the address book
    /// (asked for new accounts only, when dissolutions count what a unit will hold; owners
    /// come from `planOwners`, which knows whether the entry will exist).
    func finalDN(_ id: String) -> DN? {
        guard let k = input.roster.staffIndex[id], let unit = unitDN[input.roster.staff[k].unitCode] else { return nil }
        if accountOf[k] >= 0 {
            let i = accountOf[k]
            return unit.child(input.snapshot.accounts[i].dn.rdn ?? DN.RDN(type: "uid", value: book.people[id] ?? ""))
        }
        return book.people[id].map { unit.child(type: "uid", value: $0) }
    }

    /// The day a person's departure takes effect, or nil when they are not leaving.
    func departure(_ p: StaffRecord) -> Day? {
        if p.status == .departed { return p.endDate ?? asOf }
        if let end = p.endDate { return end }  // an end date without the status: it still ends
        return nil
    }

    mutating func planPeople() {
        // Each person's changes depend on that person alone: with many people the second half
        // (in employee-id order) is planned on the other core by a copy of this builder, and
        // its changes follow the first half's, as one pass would have added them.
        let n = staffOrder.count, half = n / 2
        if n >= max(2, input.twoCoresFrom) {
            var other = self
            other.changes = []
            other.scheduled = []
            let second = SideTask { [other] () -> (changes: [Change], scheduled: [Change]) in
                var b = other
                b.planPeople(rows: half..<n)
                return (b.changes, b.scheduled)
            }
            planPeople(rows: 0..<half)
            let (c, s) = second.wait()
            changes += c
            scheduled += s
        } else {
            planPeople(rows: 0..<n)
        }
        planUnclaimed()
    }

    /// The people of `staffOrder[rows]`.
    mutating func planPeople(rows: Range<Int>) {
        let moves = self.moves  // the units' renames and moves, all planned by now
        for k in staffOrder[rows] {
            let p = input.roster.staff[k]
            // Made only for the few people something happens to.
            lazy var subject = "\(p.employeeId) \(p.fullName)"
            let leaving = departure(p)
            let acctIndex = accountOf[k]
            guard acctIndex >= 0 else {
                // No mailbox yet.
                if let leaving, leaving <= asOf { continue }
                // Deleted for disuse (art. 9.3b): not made again until the unit asks.
                if !input.snapshot.closures.isEmpty, let closed = input.snapshot.closures[p.employeeId] {
                    let address = closed.address ?? "their mailbox"
                    disputes.append(Dispute(
                        dn: closed.dn.string, employeeId: p.employeeId,
                        reason: "\(subject): \(address) was deleted for disuse" + (closed.since.map { " on \($0)" } ?? "")
                            + " (art. 9.3b); made again only at the unit's written request: rostersync unlock \(closed.address ?? "ADDRESS") --reason …"))
                    continue
                }
                guard let unit = unitDN[p.unitCode], let local = book.people[p.employeeId] else { continue }
                let dn = unit.child(type: "uid", value: local)
                var attrs: [LDAPAttribute] = [
                    LDAPAttribute("objectClass", ["inetOrgPerson", "rsAccount"]),
                    LDAPAttribute("uid", local),
                    LDAPAttribute("mail", address(local)),
                    LDAPAttribute("employeeNumber", p.employeeId),
                    LDAPAttribute("rsState", EntryState.active.rawValue),
                ]
                for (name, values) in personAttributes(p) where !values.isEmpty { attrs.append(LDAPAttribute(name, values)) }
                let starts = p.startDate.map { $0 > asOf } ?? false
                let unitPending = pendingUnits.contains(p.unitCode)
                let due = [starts ? p.startDate : nil, unitPending ? unitByCode[p.unitCode]?.effectiveDate : nil].compactMap { $0 }.max()
                let dnText = dn.string
                // Its attributes are read from the add when shown (Change.attributes).
                add(Change(
                    kind: .createAccount, dn: dnText, employeeId: p.employeeId, unitCode: p.unitCode, groupUnit: p.unitCode,
                    subject: subject, reason: "new in the staff roster" + (p.startDate.map { ", starts \($0)" } ?? "") + "; mailbox \(address(local))",
                    operations: [.add(dn: dnText, attributes: attrs)]),
                    pending: due != nil, due: due)
                if leaving != nil {
                    // Hired and leaving already known: the departure follows on its day.
                    scheduleDisable(p, dn: dn, due: leaving!)
                }
                continue
            }
            let acct = input.snapshot.accounts[acctIndex]
            lazy var identity = Filter.equality("employeeNumber", p.employeeId)
            // Built when a change needs it: the entry's place is checked through its parent.
            lazy var dn = Self.effective(acct.dn, moves)
            if !acct.managed {
                let how = acct.employeeId == nil ? "matched by the roster's email \(p.email ?? "")" : "matched by employee number"
                var mods: [LDAPModification] = [.add("objectClass", ["rsAccount"]), .replace("rsState", [EntryState.active.rawValue])]
                var attrs = [AttributeChange("objectClass", old: [], new: ["rsAccount"])]
                if acct.employeeId == nil { mods.append(.replace("employeeNumber", [p.employeeId])); attrs.append(AttributeChange("employeeNumber", old: [], new: [p.employeeId])) }
                if acct.mail == nil, let l = book.people[p.employeeId] { mods.append(.replace("mail", [address(l)])); attrs.append(AttributeChange("mail", old: [], new: [address(l)])) }
                add(Change(
                    kind: .adoptAccount, dn: dn.string, employeeId: p.employeeId, unitCode: p.unitCode, groupUnit: p.unitCode, subject: subject,
                    reason: "an existing entry rostersync did not create, \(how): taken under management", attributes: attrs,
                    operations: [.modify(dn: dn.string, modifications: mods, assertion: acct.employeeId == nil ? .equality("mail", acct.mail ?? "") : identity)]),
                    pending: false, due: nil)
            }
            if let leaving {
                planLeaving(p, acct, dn: dn, due: leaving, reason: "departed" + (p.endDate.map { " on \($0)" } ?? ""))
                // Leaving later: until then they are staff like any other, moved and updated
                // with their unit (else a merge of their unit could never complete).
                if leaving <= asOf { continue }
            }
            // Transfer: same entry, same address, same password; its place and unit code change.
            var moved = false
            if let target = unitDN[p.unitCode], !(moves.isEmpty ? acct.parent == target : dn.isChild(of: target)), !pendingUnits.contains(p.unitCode) {
                let newDN = target.child(dn.rdn ?? DN.RDN(type: "uid", value: acct.uid ?? ""))
                let fromCode = acct.unitCode
                var ops: [PlannedOperation] = [.rename(dn: dn.string, newRDN: dn.rdn?.description ?? "", newSuperior: target.string, assertion: identity)]
                var attrs: [AttributeChange] = []
                if acct.unitCode != p.unitCode {
                    attrs.append(AttributeChange("departmentNumber", old: acct.unitCode.map { [$0] } ?? [], new: [p.unitCode]))
                    ops.append(.modify(dn: newDN.string, modifications: [.replace("departmentNumber", [p.unitCode])], assertion: identity))
                }
                add(Change(
                    kind: .moveAccount, dn: dn.string, newDN: newDN.string, employeeId: p.employeeId, unitCode: p.unitCode,
                    groupUnit: p.unitCode, subject: subject,
                    reason: "transferred" + (fromCode.map { " from \(unitLabel($0))" } ?? "") + " to \(unitLabel(p.unitCode)); same address, same password",
                    attributes: attrs, operations: ops),
                    pending: false, due: nil)
                dn = newDN
                moved = true
            }
            // After the move (enables are written after moves): at the entry's new place.
            if acct.managed && acct.state == .disabled {
                add(Change(
                    kind: .enableAccount, dn: dn.string, employeeId: p.employeeId, unitCode: p.unitCode, groupUnit: p.unitCode, subject: subject,
                    reason: "active in the staff roster again before its deletion",
                    attributes: [AttributeChange("rsState", old: [acct.state.rawValue], new: [EntryState.active.rawValue])],
                    // Its last login predates the departure: not locked for that before the holder
                    // has had a lock period to log in again.
                    operations: [.modify(dn: dn.string, modifications: Planner.stateModifications(to: .active, on: asOf, reason: "active in the staff roster again")
                        + [.replace("rsLockExemptUntil", [cfg.policy.lockAfter.after(asOf).generalizedTime])],
                                         assertion: .and([identity, .equality("rsState", EntryState.disabled.rawValue)]))]),
                    pending: false, due: nil)
            }
            planUpdate(p, acct, dn: dn, skipping: moved ? ["departmentNumber"] : [])
            planInactivity(p, acct, dn: dn)
        }
    }

    /// Managed accounts that no roster row claims: the person left without a row saying so.
    mutating func planUnclaimed() {
        for (i, a) in input.snapshot.accounts.enumerated() where !matched.contains(i) && !isProtected(a.dn) {
            let dn = effective(a.dn)
            if a.managed {
                let subject = "\(a.employeeId ?? "?") \(a.cn ?? a.uid ?? "")"
                planLeaving(nil, a, dn: dn, due: asOf, reason: "no longer in the staff roster", subject: subject)
            } else if a.parent.isWithin(cfg.directory.unitsBase) {
                if cfg.policy.orphans == .disable {
                    // Taken under management as a departure: disabled now, deleted (backed up)
                    // after the retention like any departed person's mailbox.
                    let why = "an entry that matches no roster row and that rostersync did not create (policy.orphans: disable)"
                    var guardFilter: [Filter] = [.not(.equality("objectClass", "rsAccount"))]
                    if let m = a.mail { guardFilter.append(.equality("mail", m)) }
                    add(Change(
                        kind: .disableAccount, dn: dn.string, employeeId: a.employeeId, unitCode: a.unitCode, groupUnit: a.unitCode,
                        subject: a.cn ?? a.uid ?? dn.string, reason: why + ": login refused and out of mail routing; deleted after \(cfg.policy.disabledRetention)",
                        attributes: [AttributeChange("objectClass", old: [], new: ["rsAccount"]), AttributeChange("rsState", old: [], new: [EntryState.disabled.rawValue])],
                        operations: [.modify(dn: dn.string, modifications: [.add("objectClass", ["rsAccount"])]
                            + Planner.stateModifications(to: .disabled, on: asOf, reason: "orphan: no roster row"), assertion: .and(guardFilter))]),
                        pending: false, due: nil)
                } else {
                    orphan(a.dn, code: a.unitCode, why: "an entry that matches no roster row and that rostersync did not create: left alone")
                }
            }
        }
    }

    mutating func scheduleDisable(_ p: StaffRecord, dn: DN, due: Day) {
        add(Change(
            kind: .disableAccount, dn: dn.string, employeeId: p.employeeId, unitCode: p.unitCode, groupUnit: p.unitCode,
            subject: "\(p.employeeId) \(p.fullName)", reason: "leaves on \(due)"), pending: true, due: due)
    }

    /// Disable on the departure day; delete once the retention has passed.
    mutating func planLeaving(_ p: StaffRecord?, _ a: DirectoryAccount, dn: DN, due: Day, reason: String, subject: String? = nil) {
        let id = p?.employeeId ?? a.employeeId
        let code = p?.unitCode ?? a.unitCode
        let subject = subject ?? p.map { "\($0.employeeId) \($0.fullName)" } ?? a.dn.string
        let identity = id.map { Filter.equality("employeeNumber", $0) } ?? .equality("mail", a.mail ?? "")
        if due > asOf {
            add(Change(kind: .disableAccount, dn: dn.string, employeeId: id, unitCode: code, groupUnit: code, subject: subject, reason: "leaves on \(due)"), pending: true, due: due)
            return
        }
        switch a.state {
        case .active, .locked:
            add(Change(
                kind: .disableAccount, dn: dn.string, employeeId: id, unitCode: code, groupUnit: code, subject: subject,
                reason: "\(reason): login refused and out of mail routing; deleted after \(cfg.policy.disabledRetention)",
                attributes: [AttributeChange("rsState", old: [a.state.rawValue], new: [EntryState.disabled.rawValue])],
                operations: [.modify(dn: dn.string, modifications: Planner.stateModifications(to: .disabled, on: asOf, reason: reason),
                                     assertion: .and([identity, .equality("rsState", a.state.rawValue)]))]),
                pending: false, due: nil)
        case .disabled:
            let since = a.stateSince ?? asOf
            let deleteOn = cfg.policy.disabledRetention.after(since)
            if deleteOn <= asOf {
                add(Change(
                    kind: .deleteAccount, dn: dn.string, employeeId: id, unitCode: code, groupUnit: code, subject: subject,
                    reason: "disabled since \(since); the retention of \(cfg.policy.disabledRetention) has passed (backed up first)",
                    operations: [.delete(dn: dn.string, assertion: .and([identity, .equality("rsState", EntryState.disabled.rawValue)]))]),
                    pending: false, due: nil)
            } else {
                add(Change(kind: .deleteAccount, dn: dn.string, employeeId: id, unitCode: code, groupUnit: code, subject: subject,
                           reason: "disabled since \(since); deleted when the retention of \(cfg.policy.disabledRetention) has passed"), pending: true, due: deleteOn)
            }
        }
    }

    /// True when the account already holds every value `personAttributes` would give it,
    /// found without building them (most of 100,000 people on most days).
    func unchanged(_ p: StaffRecord, _ a: DirectoryAccount, skipping: Set<String>) -> Bool {
        guard sameBytes(a.cn, p.fullName), sameBytes(a.displayName, p.fullName), sameBytes(a.title, p.title), PhoneNumber.same(a.phone, p.phone),
              skipping.contains("departmentNumber") || sameBytes(a.unitCode, p.unitCode)
        else { return false }
        let names = wantedNames(p)
        guard let sn = a.sn, sn.sameBytes(names.sn) else { return false }
        return sameBytes(a.givenName, names.given)
    }

    mutating func planUpdate(_ p: StaffRecord, _ a: DirectoryAccount, dn: @autoclosure () -> DN, skipping: Set<String> = []) {
        if unchanged(p, a, skipping: skipping) { return }
        func current(_ name: String) -> String? {
            switch name {
            case "cn": a.cn
            case "sn": a.sn
            case "givenName": a.givenName
            case "displayName": a.displayName
            case "title": a.title
            case "telephoneNumber": a.phone
            default: a.unitCode
            }
        }
        var mods: [LDAPModification] = []
        var attrs: [AttributeChange] = []
        var asserted: [Filter] = [.equality("employeeNumber", p.employeeId)]
        for (name, wanted) in personAttributes(p) where !skipping.contains(name) {
            let now = current(name)
            guard !sameBytes(now, wanted.first) || wanted.count > 1 else { continue }
            // A number re-typed in another notation is the same number.
            if name == "telephoneNumber", PhoneNumber.same(now, wanted.first) { continue }
            let old = now.map { [$0] } ?? []
            attrs.append(AttributeChange(name, old: old, new: wanted))
            mods.append(wanted.isEmpty ? .delete(name) : .replace(name, wanted))
            asserted.append(old.isEmpty ? .not(.present(name)) : .equality(name, old[0]))
        }
        guard !mods.isEmpty else { return }
        let names = attrs.map(\.name)
        let why = names.contains("cn") ? "name corrected in the staff roster" : "the staff roster differs: \(names.joined(separator: ", "))"
        let dn = dn().string
        add(Change(
            kind: .updateAccount, dn: dn, employeeId: p.employeeId, unitCode: p.unitCode, groupUnit: p.unitCode,
            subject: "\(p.employeeId) \(p.fullName)", reason: why, attributes: attrs,
            operations: [.modify(dn: dn, modifications: mods, assertion: .and(asserted))]),
            pending: false, due: nil)
    }

    /// Art. 9.3a for a unit mailbox: it logs in like a person's and is locked the same way
    /// after 3 months without a login. It is never deleted for disuse: the entry is the unit
    /// and holds its people (a unit ends by dissolution in the unit roster).
    mutating func planUnitInactivity(_ u: UnitRecord, _ d: DirectoryUnit, dn: DN) {
        guard d.managed, d.state == .active else { return }
        if let exempt = d.lockExemptUntil, exempt > asOf { return }
        // The mail server logs the address used: a renamed unit's old one counts too.
        let fromCSV = ([d.mail.flatMap { input.lastLogins[$0] }] + d.aliases.map { input.lastLogins[$0] }).compactMap { $0 }.max()
        let last = Day.later(d.lastLogin, fromCSV)
        guard let since = last ?? d.created, cfg.policy.lockAfter.after(since) <= asOf else { return }
        let words = last == nil ? "never logged in since the unit mailbox was created on \(since)" : "no login since \(since)"
        add(Change(
            kind: .lockAccount, dn: dn.string, unitCode: u.code, groupUnit: u.code, subject: unitLabel(u.code),
            reason: "unit mailbox: \(words) (more than \(cfg.policy.lockAfter)): locked until the unit asks in writing to reopen it",
            attributes: [AttributeChange("rsState", old: ["active"], new: ["locked"])],
            operations: [.modify(dn: dn.string, modifications: Planner.stateModifications(to: .locked, on: asOf, reason: words),
                                 assertion: .and([.equality("rsUnitCode", d.code ?? u.code), .equality("rsState", EntryState.active.rawValue)]))]),
            pending: false, due: nil)
    }

    /// Art. 9.3: no login for 3 months locks; for 6 months deletes (after 3 months locked, so
    /// the unit had the time the regulation gives it to ask for a reopening).
    mutating func planInactivity(_ p: StaffRecord, _ a: DirectoryAccount, dn: @autoclosure () -> DN) {
        guard p.status == .active else { return }
        if let exempt = a.lockExemptUntil, exempt > asOf { return }
        let fromCSV = input.lastLogins.isEmpty ? nil : a.aliases.reduce(a.mail.flatMap { input.lastLogins[$0] }) { Day.later($0, input.lastLogins[$1]) }
        let last = Day.later(a.lastLogin, fromCSV)
        guard var since = last ?? a.created else { return }
        // Someone who started (or came back) after that has a lock period from their start:
        // a rehire's last login is from their earlier time here.
        var started = false
        if let start = p.startDate, start > since {
            since = start
            started = true
        }
        let never = last == nil && !started
        // Made only when the mailbox is locked or deleted (a few of 100,000).
        lazy var identity = Filter.equality("employeeNumber", p.employeeId)
        lazy var subject = "\(p.employeeId) \(p.fullName)"
        lazy var words = never ? "never logged in since the mailbox was created on \(since)"
            : started ? "no login since starting work on \(since)" : "no login since \(since)"
        lazy var target = dn().string
        switch a.state {
        case .active:
            guard cfg.policy.lockAfter.after(since) <= asOf else { return }
            add(Change(
                kind: .lockAccount, dn: target, employeeId: p.employeeId, unitCode: p.unitCode, groupUnit: p.unitCode, subject: subject,
                reason: "\(words) (more than \(cfg.policy.lockAfter)): locked until the unit asks in writing to reopen it",
                attributes: [AttributeChange("rsState", old: ["active"], new: ["locked"])],
                operations: [.modify(dn: target, modifications: Planner.stateModifications(to: .locked, on: asOf, reason: words),
                                     assertion: .and([identity, .equality("rsState", EntryState.active.rawValue)]))]),
                pending: false, due: nil)
        case .locked:
            let lockedSince = a.stateSince ?? asOf
            let lockedLongEnough = lockedSince.adding(days: cfg.policy.deleteUnusedAfter.approximateDays - cfg.policy.lockAfter.approximateDays) <= asOf
            guard cfg.policy.deleteUnusedAfter.after(since) <= asOf, lockedLongEnough else { return }
            // The deletion is remembered first (a run killed in between deletes on the next
            // run): the person stays active in HR, and must not get a new mailbox by itself.
            var ops: [PlannedOperation] = []
            if input.snapshot.closures[p.employeeId] == nil {
                ops.append(.add(dn: closedFolder.child(type: "employeeNumber", value: p.employeeId).string, attributes: [
                    LDAPAttribute("objectClass", ["rsClosedMailbox"]),
                    LDAPAttribute("employeeNumber", p.employeeId),
                    LDAPAttribute("cn", p.fullName),
                    LDAPAttribute("rsStateSince", asOf.generalizedTime),
                    LDAPAttribute("rsStateReason", "deleted for disuse: \(words)"),
                    LDAPAttribute("rsUnitCode", p.unitCode),
                ] + (a.mail.map { [LDAPAttribute("rsClosedAddress", $0)] } ?? [])))
            }
            ops.append(.delete(dn: target, assertion: .and([identity, .equality("rsState", EntryState.locked.rawValue)])))
            add(Change(
                kind: .deleteAccount, dn: target, employeeId: p.employeeId, unitCode: p.unitCode, groupUnit: p.unitCode, subject: subject,
                reason: "\(words) (more than \(cfg.policy.deleteUnusedAfter)), locked since \(lockedSince): deleted (backed up first); "
                    + "not made again until the unit asks (art. 9.3b)",
                operations: ops),
                pending: false, due: nil)
        case .disabled:
            return
        }
    }

    // MARK: - Owners

    /// Every unit's `owner` names its head's entry as it is after the run: a head who moved,
    /// or whose unit was renamed or moved, is followed there; a head whose entry this run
    /// deletes (or that is gone: deleted for disuse, not made yet) is no longer named.
    mutating func planOwners() {
        // The holder: the new head of a handover in this plan, else the one the entry names.
        let handedOver = Set(changes.lazy.filter { $0.kind == .handoverUnitMailbox }.compactMap(\.unitCode))
        var heads: [String: (unit: UnitRecord, dir: DirectoryUnit, dn: DN, head: String)] = [:]
        for u in input.roster.units where u.status == .active && !pendingUnits.contains(u.code) {
            guard let dir = u.directoryEntry(dirUnitByCode), let dn = unitDN[u.code],
                  let head = handedOver.contains(u.code) ? u.headEmployeeId : dir.headEmployeeId ?? u.headEmployeeId else { continue }
            heads[u.code] = (u, dir, dn, head)
        }
        let created = changes.indices.filter { changes[$0].kind == .createUnit }
        guard !heads.isEmpty || !created.isEmpty else { return }
        // What this run does to the heads' entries.
        let ids = Set(heads.values.map(\.head) + created.compactMap { changes[$0].unitCode.flatMap { unitByCode[$0]?.headEmployeeId } })
        var after: [String: DN?] = [:]
        for c in changes {
            guard let id = c.employeeId, ids.contains(id) else { continue }
            switch c.kind {
            case .moveAccount: after[id] = c.newDN.flatMap { try? DN($0) }
            case .createAccount: after[id] = try? DN(c.dn)
            case .deleteAccount: after[id] = .some(nil)
            default: continue
            }
        }
        /// The head's entry as it is after the run, if there is one.
        func entry(of head: String) -> DN? {
            if let known = after[head] { return known }
            if let k = input.roster.staffIndex[head] {
                let i = accountOf[k]
                return i >= 0 ? effective(input.snapshot.accounts[i].dn) : nil  // no entry, none made now
            }
            return input.snapshot.accounts.first(where: { $0.employeeId == head }).map { effective($0.dn) }  // no longer in the roster
        }
        // New units: their head's entry, when it exists or is made by this run.
        for i in created {
            guard let code = changes[i].unitCode, let head = unitByCode[code]?.headEmployeeId, let owner = entry(of: head),
                  case let .add(dn, attrs)? = changes[i].operations.first else { continue }
            changes[i].attributes.append(AttributeChange("owner", old: [], new: [owner.string]))
            changes[i].operations[0] = .add(dn: dn, attributes: attrs + [LDAPAttribute("owner", owner.string)])
        }
        for code in heads.keys.sorted() {
            guard let (u, dir, dn, head) = heads[code] else { continue }
            let wanted = entry(of: head)
            let current = dir.owner.flatMap { try? DN($0) }
            guard wanted != current, !(wanted == nil && dir.owner == nil) else { continue }
            let mod: LDAPModification = wanted.map { .replace("owner", [$0.string]) } ?? .delete("owner")
            let attr = AttributeChange("owner", old: dir.owner.map { [$0] } ?? [], new: wanted.map { [$0.string] } ?? [])
            let name = input.roster.person(head)?.fullName ?? head
            let why = wanted == nil ? "the holder \(name)'s mailbox no longer exists" : "the holder \(name)'s entry is now \(wanted!.string)"
            // One modify per unit: joined to the unit's handover or update when it has one.
            if let j = changes.firstIndex(where: { $0.kind == .handoverUnitMailbox && $0.unitCode == u.code })
                ?? changes.firstIndex(where: { $0.kind == .updateUnit && $0.unitCode == u.code }),
               case let .modify(mdn, mods, assertion)? = changes[j].operations.first {
                changes[j].operations[0] = .modify(dn: mdn, modifications: mods + [mod], assertion: assertion)
                changes[j].attributes.append(attr)
                changes[j].reason += "; " + why
                continue
            }
            add(Change(
                kind: .updateUnit, dn: dn.string, unitCode: u.code, groupUnit: u.code, subject: unitLabel(u.code), reason: why,
                attributes: [attr], operations: [.modify(dn: dn.string, modifications: [mod], assertion: .equality("rsUnitCode", dir.code ?? u.code))]),
                pending: false, due: nil)
        }
    }

    // MARK: - Dissolutions

    mutating func planDissolutions() {
        // Units to dissolve: those the unit roster marks dissolved, and managed units it no
        // longer lists at all (HR shows a merge by dropping the merged unit's row).
        var ending: [(code: String, dir: DirectoryUnit, effective: Day?, why: String)] = []
        for u in input.roster.units where u.status == .dissolved {
            if let dir = u.directoryEntry(dirUnitByCode) { ending.append((u.code, dir, u.effectiveDate, "dissolved in the unit roster")) }
        }
        for d in vanishedUnits { ending.append((d.code ?? "", d, nil, "no longer in the unit roster (merged or dissolved)")) }
        // The count of what is left in each unit matters only to a unit being dissolved.
        guard !ending.isEmpty else { return }
        // What will be below each unit once the plan is applied.
        var remaining: [String: Int] = [:]
        func count(_ dn: DN) { if let parent = dn.parent { remaining[parent.normalized, default: 0] += 1 } }
        let deleted = Set(changes.filter { $0.kind == .deleteAccount }.map(\.dn))
        var placed = Set<String>()
        for c in changes where c.kind == .createAccount || c.kind == .createUnit {
            // The DNs these were made from, not their strings parsed again.
            let made = c.kind == .createUnit ? c.unitCode.flatMap { unitDN[$0] } : c.employeeId.flatMap(finalDN)
            if let d = made { count(d); placed.insert(d.normalized) }
        }
        // People who stay with an account end up in their roster unit: counted there, no DN
        // built. Every other entry stays where it is (effective), unless this run deletes it.
        var withAccount: [String: Int] = [:]
        var followsRoster = Marks()
        for (k, i) in accountOf.enumerated() where i >= 0 {
            let p = input.roster.staff[k]
            if let leaving = departure(p), leaving <= asOf { continue }
            guard let unit = unitDN[p.unitCode] else { continue }
            withAccount[unit.normalized, default: 0] += 1
            followsRoster.insert(i)
        }
        for (unit, n) in withAccount { remaining[unit, default: 0] += n }
        for (i, a) in input.snapshot.accounts.enumerated() where !followsRoster.contains(i) {
            let e = effective(a.dn)
            if !deleted.contains(e.string) { count(e) }
        }
        for u in input.snapshot.units { let e = effective(u.dn); if !placed.contains(e.normalized) { count(e) } }
        // Children first, so a parent emptied by its children's deletion is deleted too.
        let order = ending.map { (effective($0.dir.dn), $0) }.sorted { ($0.0.rdns.count, $1.0.normalized) > ($1.0.rdns.count, $0.0.normalized) }
        for (dn, unit) in order {
            let (code, dir, effectiveDate, why) = unit
            let pending = effectiveDate.map { $0 > asOf } ?? false
            let active = input.roster.staff.filter { p in p.unitCode == code && (departure(p).map { $0 > asOf } ?? true) }.count
            let label = unitByCode[code] != nil ? unitLabel(code) : "\(dir.name ?? dn.rdn?.value ?? code) (\(code))"
            if active > 0 {
                disputes.append(Dispute(dn: dn.string, employeeId: nil, reason: "\(label) is \(why) but \(active) active people still belong to it: not dissolved"))
                continue
            }
            let assertion = Filter.equality("rsUnitCode", dir.code ?? code)
            let left = remaining[dn.normalized] ?? 0
            let when = effectiveDate.map { " (effective \($0))" } ?? ""
            if left == 0 {
                add(Change(
                    kind: .dissolveUnit, dn: dn.string, unitCode: code, groupUnit: code, subject: label,
                    reason: why + when + "; nothing is left in it: the unit entry is deleted (backed up first)",
                    operations: [.delete(dn: dn.string, assertion: assertion)]), pending: pending, due: effectiveDate)
                if let p = dn.parent, !pending { remaining[p.normalized, default: 1] -= 1 }
            } else if dir.state != .disabled {
                // Nobody holds a dissolved unit's mailbox: its owner would name a head who has
                // moved on (and whose entry may go).
                add(Change(
                    kind: .dissolveUnit, dn: dn.string, unitCode: code, groupUnit: code, subject: label,
                    reason: why + when + "; its mailbox is disabled, the entry is deleted once the \(left) entries left in it are gone",
                    attributes: [AttributeChange("rsState", old: [dir.state.rawValue], new: [EntryState.disabled.rawValue])]
                        + (dir.owner.map { [AttributeChange("owner", old: [$0], new: [])] } ?? []),
                    operations: [.modify(dn: dn.string, modifications: Planner.stateModifications(to: .disabled, on: asOf, reason: "unit dissolved")
                        + (dir.owner == nil ? [] : [.delete("owner")]), assertion: assertion)]), pending: pending, due: effectiveDate)
            } else if let owner = dir.owner, !pending {
                add(Change(
                    kind: .updateUnit, dn: dn.string, unitCode: code, groupUnit: code, subject: label,
                    reason: "dissolved, its mailbox disabled: nobody holds it any more",
                    attributes: [AttributeChange("owner", old: [owner], new: [])],
                    operations: [.modify(dn: dn.string, modifications: [.delete("owner")], assertion: assertion)]), pending: false, due: nil)
            }
        }
    }

    // MARK: -

    mutating func add(_ c: Change, pending: Bool, due: Day?) {
        if pending {
            var s = c
            s.due = due
            s.attributes = c.attributes  // kept: a new account's are read from the add dropped here
            s.operations = []
            scheduled.append(s)
        } else {
            changes.append(c)
        }
    }

    mutating func build() {
        matchEntries()
        planUnitPlacement()
        planUnitContents()
        planPeople()
        // The folder of deletion records, made before the first deletion for disuse needs it.
        if !input.snapshot.hasClosedFolder, changes.contains(where: { $0.kind == .deleteAccount && $0.operations.count > 1 }) {
            let dn = closedFolder.string
            add(Change(
                kind: .createContainer, dn: dn, groupUnit: nil, subject: DirectorySnapshot.closedFolderRDN.value,
                reason: "the folder that remembers mailboxes deleted for disuse (art. 9.3b), so they are not made again by themselves",
                operations: [.add(dn: dn, attributes: [LDAPAttribute("objectClass", ["organizationalUnit"]), LDAPAttribute("ou", DirectorySnapshot.closedFolderRDN.value)])]),
                pending: false, due: nil)
        }
        planOwners()
        planDissolutions()
        planMailboxSeparation()
    }

    /// Units whose mailbox is still on the unit's own entry (rostersync 1.1) and has no entry
    /// of its own: this run writes to them as before, then moves the mailbox to its entry.
    var unitsWithMailboxOnEntry: Set<String> {
        var codes = Set<String>()
        for d in input.snapshot.units where d.managed && d.mailboxOnUnitEntry && d.mailboxDN == nil {
            if let code = d.code { codes.insert(code) }
        }
        for u in input.roster.units where u.directoryEntry(dirUnitByCode).map({ $0.mailboxOnUnitEntry && $0.mailboxDN == nil }) ?? false {
            codes.insert(u.code)
        }
        return codes
    }

    /// Every managed unit whose entry still holds its mailbox gets it moved to an entry of its
    /// own, last, so that the run's other writes find it where they were planned; a unit
    /// dissolved in this run is left as it is.
    mutating func planMailboxSeparation() {
        let dissolved = Set(changes.lazy.filter { $0.kind == .dissolveUnit }.compactMap(\.unitCode))
        for d in input.snapshot.units where d.managed && d.mailboxOnUnitEntry && !isProtected(d.dn) {
            guard let code = d.code, !dissolved.contains(code) else { continue }
            let dn = effective(d.dn).string
            var entry = [
                LDAPAttribute("rsUnitCode", code), LDAPAttribute("rsState", d.state.rawValue),
                LDAPAttribute("displayName", d.name ?? ""),
            ]
            if let mail = d.mail { entry.append(LDAPAttribute("mail", mail)) }
            if !d.aliases.isEmpty { entry.append(LDAPAttribute("mailLocalAddress", d.aliases)) }
            if !d.expiringAliases.isEmpty { entry.append(LDAPAttribute("rsExpiringAlias", d.expiringAliases)) }
            if let owner = d.owner { entry.append(LDAPAttribute("owner", owner)) }
            add(Change(
                kind: .separateUnitMailbox, dn: dn, unitCode: code, groupUnit: code, subject: unitLabel(code),
                reason: "the unit mailbox \(d.mail ?? "") moves to an entry of its own, \(UnitMailbox.dn(of: dn)), "
                    + "with its address, aliases, holder, password and lock, so that mail servers' usual filters find it",
                operations: UnitMailbox.separation(unit: dn, entry: entry, mailboxExists: d.mailboxDN != nil)),
                pending: false, due: nil)
        }
        // A unit whose mailbox has no entry at all (a run stopped between a new unit's two
        // adds): its mailbox is made, with a new initial password, as for a new unit.
        for u in input.roster.units where u.status == .active && !pendingUnits.contains(u.code) {
            guard let d = u.directoryEntry(dirUnitByCode), d.managed, d.mailboxDN == nil, !d.mailboxOnUnitEntry, d.state == .active,
                  let dn = unitDN[u.code], let local = dn.rdn?.value,
                  case let .add(mailboxDN, attributes)? = UnitMailbox.adds(unit: dn, attributes: unitAttributes(u, local: local)).dropFirst().first
            else { continue }
            add(Change(
                kind: .createUnit, dn: dn.string, unitCode: u.code, groupUnit: u.code, subject: unitLabel(u.code),
                reason: "the unit mailbox \(address(local)) has no entry (a run stopped between the unit and its mailbox): made now",
                attributes: attributes.map { AttributeChange($0.name, old: [], new: $0.values.map { String(decoding: $0, as: UTF8.self) }) },
                operations: [.add(dn: mailboxDN, attributes: attributes)]),
                pending: false, due: nil)
        }
    }

    /// New ids that look like existing accounts renumbered: a creation whose person has the
    /// name and unit of exactly one managed account that no roster row claims any more.
    func renumberings() -> [Renumbering] {
        let creations = changes.filter { $0.kind == .createAccount }
        guard !creations.isEmpty else { return [] }
        var gone: [String: [Int]] = [:]
        for (i, a) in input.snapshot.accounts.enumerated() where a.managed && !matched.contains(i) && a.state != .disabled {
            if let cn = a.cn, let unit = a.unitCode, let id = a.employeeId, input.roster.staffIndex[id] == nil { gone[cn + "\u{0}" + unit, default: []].append(i) }
        }
        guard !gone.isEmpty else { return [] }
        var out: [Renumbering] = []
        for c in creations {
            guard let id = c.employeeId, let p = input.roster.person(id), let list = gone[p.fullName + "\u{0}" + p.unitCode], list.count == 1,
                  let old = input.snapshot.accounts[list[0]].employeeId else { continue }
            out.append(Renumbering(oldId: old, newId: id, name: p.fullName, unitCode: p.unitCode))
        }
        return out.sorted { $0.newId < $1.newId }
    }

    func finish() -> Plan {
        func keep(_ c: Change) -> Bool { input.units.isEmpty || (c.groupUnit.map(input.units.contains) ?? false) }
        // Sort keys computed once per change (a DN parse per comparison was most of the time
        // of a 100,000-person plan).
        let kept = changes.filter(keep)
        let depths = kept.map { DN.depth(of: $0.kind.phase == 0 ? $0.newDN ?? $0.dn : $0.dn) }
        // Indexes are sorted, not the (large) changes themselves, and the comparison reads
        // only these arrays: taking two changes out of `kept` per comparison copied (retained
        // and released) all their fields 1.6 million times for 100,000 new mailboxes.
        let kinds = kept.map(\.kind), dns = kept.map(\.dn)
        let order = kept.indices.sorted { i, j in
            let (a, b) = (kinds[i], kinds[j])
            if a.phase != b.phase { return a.phase < b.phase }
            // Parents first, except dissolutions: children first. Unit creations, renames and
            // moves go by the depth they end up at, so a new parent exists before a unit
            // moves under it, and a renamed parent before a unit is created under it.
            if depths[i] != depths[j] { return a == .dissolveUnit ? depths[i] > depths[j] : depths[i] < depths[j] }
            if a != b { return a.rawValue < b.rawValue }
            return dns[i] < dns[j]
        }
        // Writes to a unit go to the entry that holds each attribute: the unit's or its
        // mailbox's (not yet for a unit whose mailbox this run separates).
        let notYet = unitsWithMailboxOnEntry
        let ordered = order.map { i in kept[i].unitCode.map(notYet.contains) ?? false ? kept[i] : UnitMailbox.route(kept[i]) }
        let later = scheduled.filter(keep).sorted { ($0.due ?? asOf, $0.kind.rawValue, $0.dn) < ($1.due ?? asOf, $1.kind.rawValue, $1.dn) }
        var plan = Plan(
            asOf: asOf, directory: input.directory, inputs: [:], changes: ordered, scheduled: later,
            disputes: disputes.sorted { $0.dn < $1.dn },
            unitNames: Dictionary(input.roster.units.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a }))
        plan.managedUnits = input.snapshot.units.filter(\.managed).count
        plan.managedEntries = input.snapshot.accounts.filter(\.managed).count + plan.managedUnits
        plan.renumbered = renumberings().filter { input.units.isEmpty || input.units.contains($0.unitCode) }
        return plan
    }
}
