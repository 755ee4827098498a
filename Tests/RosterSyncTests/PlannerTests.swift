import Foundation
import LDAPModel
@testable import RosterSync
import Testing

/// Pure planner tests: rosters and directory snapshots as plain values, no server.
@Suite("Planner rules")
struct PlannerTests {
    let base = "ou=units,dc=cema,dc=gov,dc=vn"
    let config = testConfig("protected:\n  - uid=ubdt,ou=vp,ou=units,dc=cema,dc=gov,dc=vn\n")

    func roster(units: String = "unit_code,unit_name,mailbox\nVP,Văn phòng,vp\nPC,Vụ Pháp chế,pc\n", staff: String) throws -> Roster {
        try RosterParser().parse(unitsText: units, unitsFile: "u.csv", staffText: staff, staffFile: "s.csv")
    }

    func unitEntry(_ code: String, _ ou: String, parent: String? = nil, extra: [String: [String]] = [:]) -> LDAPEntry {
        var attrs: [String: [String]] = ["objectClass": ["organizationalUnit", "rsUnit"], "ou": [ou], "rsUnitCode": [code], "rsState": ["active"],
                                         "mail": ["\(ou)@cema.gov.vn"], "displayName": [code == "VP" ? "Văn phòng" : "Vụ Pháp chế"]]
        for (k, v) in extra { attrs[k] = v }
        return LDAPEntry(dn: "ou=\(ou),\(parent ?? base)", attributes: attrs.mapValues { $0.map { Data($0.utf8) } })
    }

    func person(_ id: String, _ uid: String, name: String, unit: String = "VP", ou: String = "vp", managed: Bool = true, _ extra: [String: [String]] = [:]) -> LDAPEntry {
        let n = PersonName(parsing: name)
        var attrs: [String: [String]] = [
            "objectClass": ["inetOrgPerson"] + (managed ? ["rsAccount"] : []), "uid": [uid], "cn": [name], "sn": [n.family], "givenName": [n.given],
            "displayName": [name], "mail": ["\(uid)@cema.gov.vn"], "employeeNumber": [id], "departmentNumber": [unit],
            "rsState": ["active"], "createTimestamp": ["20260101000000Z"],
        ]
        if !managed { attrs["rsState"] = nil }
        for (k, v) in extra { attrs[k] = v }
        return LDAPEntry(dn: "uid=\(uid),ou=\(ou),\(base)", attributes: attrs.compactMapValues { $0.isEmpty ? nil : $0.map { Data($0.utf8) } })
    }

    func plan(_ r: Roster, _ entries: [LDAPEntry], asOf: String = "2026-11-29", logins: [String: Day] = [:], units: Set<String> = []) -> Plan {
        let snapshot = DirectorySnapshot(entries: separatingUnitMailboxes(entries), unitsBase: try! DN(base))
        return Planner.plan(PlannerInput(roster: r, snapshot: snapshot, config: config, asOf: Day(parsing: asOf)!, lastLogins: logins, units: units))
    }

    func kinds(_ p: Plan) -> [String] { p.changes.map { "\($0.kind.rawValue) \($0.employeeId ?? $0.unitCode ?? $0.dn)" } }

    var directory: [LDAPEntry] { [unitEntry("VP", "vp"), unitEntry("PC", "pc")] }

    @Test("planning people in two halves on two cores gives the same plan, byte for byte, as one pass")
    func twoCores() throws {
        let units = try String(contentsOfFile: repoRoot + "/samples/units.csv", encoding: .utf8)
        let staff = try String(contentsOfFile: repoRoot + "/samples/staff.csv", encoding: .utf8)
        let r = try RosterParser().parse(unitsText: units, unitsFile: "u", staffText: staff, staffFile: "s")
        // The directory a first sync leaves, then varied: titles changed, people moved,
        // disabled, never logged in, removed, and unknown entries: something for every branch.
        let first = Planner.plan(PlannerInput(roster: r, snapshot: DirectorySnapshot(), config: config, asOf: Day(parsing: "2026-01-05")!))
        var rng = SeededRandom(seed: 11)
        var entries: [LDAPEntry] = []
        let unitDNs = first.changes.filter { $0.kind == .createUnit }.map(\.dn)
        for c in first.changes {
            guard case .add(var dn, let attributes) = c.operations.first else { continue }
            if c.kind == .createAccount, Int.random(in: 0..<12, using: &rng) == 1, let rdn = dn.split(separator: ",").first {
                dn = "\(rdn),\(unitDNs[Int.random(in: 0..<unitDNs.count, using: &rng)])"  // placed in another unit
            }
            var e = LDAPEntry(dn: dn, attributes: Dictionary(attributes.map { ($0.name, $0.values) }, uniquingKeysWith: +))
            e.set("createTimestamp", ["20260105000000Z"])
            if c.kind == .createAccount {
                switch Int.random(in: 0..<12, using: &rng) {
                case 0: e.set("title", ["Chuyên viên cao cấp"])
                case 2: e.set("rsState", ["disabled"]); e.set("rsStateSince", ["20260301000000Z"])
                case 3: e.set("pwdLastSuccess", ["20260110000000Z"])
                case 4: continue  // gone from the directory: created again
                case 5: e.set("employeeNumber", ["X" + (e.strings("employeeNumber").first ?? "")])  // nobody's: disputed
                case 6: e.set("rsState", ["locked"]); e.set("rsStateSince", ["20260401000000Z"]); e.set("pwdLastSuccess", ["20260110000000Z"])
                default: e.set("pwdLastSuccess", ["20261120000000Z"])
                }
            }
            entries.append(e)
        }
        let snapshot = DirectorySnapshot(entries: separatingUnitMailboxes(entries), unitsBase: try DN(base))
        var input = PlannerInput(roster: r, snapshot: snapshot, config: config, asOf: Day(parsing: "2026-11-29")!)
        input.twoCoresFrom = Int.max
        let one = Planner.plan(input)
        input.twoCoresFrom = 2
        let two = Planner.plan(input)
        #expect(one.changes.count > 50 && !one.scheduled.isEmpty, "the varied directory gives a plan with many kinds of change")
        #expect(Set(one.changes.map(\.kind)).isSuperset(of: [.createAccount, .updateAccount, .moveAccount, .enableAccount, .lockAccount, .deleteAccount]), "\(Set(one.changes.map(\.kind.rawValue)).sorted())")
        #expect(!one.disputes.isEmpty)
        #expect(two.json() == one.json())
        #expect(two.text() == one.text())
    }

    @Test("entry DNs read through the parent cache and the simple-RDN path equal the parsed DNs", arguments: [
        "uid=annv,ou=vu-a,ou=units,dc=cema,dc=gov,dc=vn", "UID=AnNV,OU=Vu-A,ou=units,dc=cema,dc=gov,dc=vn",
        "uid=a\\,b,ou=vu-a,ou=units,dc=cema,dc=gov,dc=vn", "cn=Nguyễn Văn An,ou=vu-a,ou=units,dc=cema,dc=gov,dc=vn",
        "cn= lead,ou=vu-a,ou=units,dc=cema,dc=gov,dc=vn", "cn=#41,ou=vu-a,ou=units,dc=cema,dc=gov,dc=vn",
        "cn=a+sn=b,ou=vu-a,ou=units,dc=cema,dc=gov,dc=vn", "ou=\"x, y\",ou=units,dc=cema,dc=gov,dc=vn", "dc=vn",
        "cn=a=b,ou=vu-a,ou=units,dc=cema,dc=gov,dc=vn",
    ])
    func snapshotDNs(text: String) throws {
        var snapshot = DirectorySnapshot()
        _ = snapshot.parse("uid=warm,ou=vu-a,ou=units,dc=cema,dc=gov,dc=vn")  // the parent is cached now
        let read = snapshot.parse(text)
        let dn = try #require(read)
        let parsed = try DN(text)
        #expect(dn == parsed)
        #expect(dn.rdns == parsed.rdns)
        #expect(dn.string == parsed.string)
    }

    @Test("a unit mailbox without a login for 3 months is locked like a person's, stays locked, and is never deleted for disuse")
    func unitMailboxInactivity() throws {
        let r = try roster(staff: "employee_id,full_name,unit_code\n1,Nguyễn Văn An,VP\n")
        let login = ["pwdLastSuccess": ["20261120000000Z"], "createTimestamp": ["20250101000000Z"]]
        let quiet = unitEntry("PC", "pc", extra: ["createTimestamp": ["20260101000000Z"]])
        let p = plan(r, [unitEntry("VP", "vp", extra: login), quiet, person("1", "annv", name: "Nguyễn Văn An", ["pwdLastSuccess": ["20261120000000Z"]])])
        #expect(kinds(p) == ["lockAccount PC"])
        let lock = try #require(p.changes.first)
        #expect(lock.dn == "ou=pc,\(base)" && lock.reason.contains("never logged in since the unit mailbox was created on 2026-01-01"))
        // Locked since, still silent half a year on: nothing more (no delete, no reactivation).
        let locked = unitEntry("PC", "pc", extra: ["createTimestamp": ["20260101000000Z"], "rsState": ["locked"], "rsStateSince": ["20260501000000Z"]])
        #expect(kinds(plan(r, [unitEntry("VP", "vp", extra: login), locked, person("1", "annv", name: "Nguyễn Văn An", ["pwdLastSuccess": ["20261120000000Z"]])])).isEmpty)
        // Reopened with an exemption: not locked again before it ends.
        let exempt = unitEntry("PC", "pc", extra: ["createTimestamp": ["20260101000000Z"], "rsLockExemptUntil": ["20261231000000Z"]])
        #expect(kinds(plan(r, [unitEntry("VP", "vp", extra: login), exempt, person("1", "annv", name: "Nguyễn Văn An", ["pwdLastSuccess": ["20261120000000Z"]])])).isEmpty)
    }

    @Test("a unit mailbox is an entry of its own: a new unit is two adds, a lock and a handover write to the mailbox's entry")
    func unitMailboxEntry() throws {
        let staff = "employee_id,full_name,unit_code\n1,Nguyễn Văn An,VP\n2,Lê Thị Bình,PC\n"
        let units = "unit_code,unit_name,mailbox,head_employee_id\nVP,Văn phòng,vp,1\nPC,Vụ Pháp chế,pc,\nKH,Vụ Kế hoạch,kh,\n"
        let r = try roster(units: units, staff: staff)
        let login = ["pwdLastSuccess": ["20261120000000Z"], "createTimestamp": ["20250101000000Z"]]
        let p = plan(r, [unitEntry("VP", "vp", extra: login), unitEntry("PC", "pc", extra: ["createTimestamp": ["20260101000000Z"]]),
                         person("1", "annv", name: "Nguyễn Văn An", ["pwdLastSuccess": ["20261120000000Z"]]),
                         person("2", "binhlt", name: "Lê Thị Bình", unit: "PC", ou: "pc", ["pwdLastSuccess": ["20261120000000Z"]])])
        let create = try #require(p.changes.first { $0.kind == .createUnit })
        guard create.operations.count == 2, case let .add(unitDN, unitAttrs) = create.operations[0], case let .add(boxDN, boxAttrs) = create.operations[1] else {
            Issue.record("\(create.operations)"); return
        }
        #expect(unitDN == "ou=kh,\(base)" && boxDN == "cn=unit mailbox,ou=kh,\(base)")
        #expect(!unitAttrs.contains { $0.name == "mail" })
        let box = Dictionary(boxAttrs.map { ($0.name, $0.values.map { String(decoding: $0, as: UTF8.self) }) }, uniquingKeysWith: +)
        #expect(box["objectClass"] == ["inetOrgPerson", "rsUnitMailbox"] && box["mail"] == ["kh@cema.gov.vn"] && box["uid"] == ["kh"])
        #expect(box["cn"] == ["unit mailbox", "Vụ Kế hoạch"] && box["sn"] == ["Vụ Kế hoạch"] && box["rsUnitCode"] == ["KH"])
        // The lock of PC's silent mailbox goes to the mailbox's entry alone: the unit stays active.
        let lock = try #require(p.changes.first { $0.kind == .lockAccount })
        #expect(lock.operations.map(\.dn) == ["cn=unit mailbox,ou=pc,\(base)"])
        // The head named for VP: rsHeadEmployeeNumber on both, the holder (owner) on the mailbox.
        let handover = try #require(p.changes.first { $0.kind == .handoverUnitMailbox })
        #expect(handover.operations.map(\.dn) == ["ou=vp,\(base)", "cn=unit mailbox,ou=vp,\(base)"])
        guard case let .modify(_, boxMods, _)? = handover.operations.last else { Issue.record("no modify"); return }
        #expect(Set(boxMods.map(\.attribute.name)) == ["rsHeadEmployeeNumber", "owner"])
        #expect(!p.changes.contains { $0.kind == .separateUnitMailbox })
    }

    @Test("a unit whose entry still holds its mailbox (rostersync 1.1): the run writes to it as before, then separates it")
    func legacySeparation() throws {
        let r = try roster(units: "unit_code,unit_name,mailbox\nVP,Văn phòng,vanphong\nPC,Vụ Pháp chế,pc\n", staff: "employee_id,full_name,unit_code\n1,Nguyễn Văn An,VP\n")
        let entries = [unitEntry("VP", "vp", extra: ["owner": ["uid=annv,ou=vp,\(base)"]]), unitEntry("PC", "pc"),
                       person("1", "annv", name: "Nguyễn Văn An", ["pwdLastSuccess": ["20261120000000Z"]])]
        let p = Planner.plan(PlannerInput(roster: r, snapshot: DirectorySnapshot(entries: entries, unitsBase: try DN(base)), config: config, asOf: Day(parsing: "2026-11-29")!))
        #expect(kinds(p) == ["renameUnit VP", "separateUnitMailbox PC", "separateUnitMailbox VP"])
        // The rename's new address goes to the unit's entry, where the mailbox still is.
        #expect(p.changes[0].operations.allSatisfy { !UnitMailbox.isMailbox($0.dn) })
        let vp = p.changes[2]
        #expect(vp.dn == "ou=vanphong,\(base)")
        guard vp.operations.count == 2, case let .add(boxDN, attrs) = vp.operations[0], case let .modify(unitDN, mods, _) = vp.operations[1] else {
            Issue.record("\(vp.operations)"); return
        }
        #expect(boxDN == "cn=unit mailbox,ou=vanphong,\(base)" && unitDN == "ou=vanphong,\(base)")
        #expect(attrs.contains { $0.name == "owner" } && Set(mods.map(\.attribute.name)) == ["mail", "owner"])
        #expect(mods.allSatisfy { $0.operation == .delete })
        // Half done (the entry made, the unit not yet cleared): only the clearing is left.
        let box = separatingUnitMailboxes([unitEntry("PC", "pc")])[1]
        let half = [unitEntry("VP", "vanphong"), unitEntry("PC", "pc"), box]
        let again = Planner.plan(PlannerInput(roster: r, snapshot: DirectorySnapshot(entries: half, unitsBase: try DN(base)), config: config, asOf: Day(parsing: "2026-11-29")!))
        let pc = try #require(again.changes.first { $0.kind == .separateUnitMailbox && $0.unitCode == "PC" })
        #expect(pc.operations.map(\.dn) == ["ou=pc,\(base)"])
    }

    @Test("Marks: bits set and tested across word boundaries, nothing else set")
    func marks() {
        var m = Marks()
        let set: Set<Int> = [0, 1, 63, 64, 65, 127, 128, 100_000]
        for i in set { m.insert(i) }
        for i in 0...100_100 { #expect(m.contains(i) == set.contains(i)) }
        #expect(!Marks().contains(5))
    }

    @Test("an empty directory gets units then accounts, parents first, in a deterministic order")
    func initialLoad() throws {
        let r = try roster(units: "unit_code,unit_name,parent_code\nVP,Văn phòng,\nVP-1,Phòng Một,VP\n", staff: "employee_id,full_name,unit_code\n2,Lê Thị Bình,VP-1\n1,Nguyễn Văn An,VP\n")
        let p = plan(r, [])
        #expect(kinds(p) == ["createUnit VP", "createUnit VP-1", "createAccount 1", "createAccount 2"])
        #expect(p.changes[1].dn == "ou=pm,ou=vp,\(base)")
        #expect(p.changes[3].dn == "uid=binhlt,ou=pm,ou=vp,\(base)")
    }

    @Test("a transfer is one move of the same entry with its unit code; same uid and address")
    func transfer() throws {
        let r = try roster(staff: "employee_id,full_name,unit_code\n1,Nguyễn Văn An,PC\n")
        let p = plan(r, directory + [person("1", "annv", name: "Nguyễn Văn An", ["pwdLastSuccess": ["20261120000000Z"]])])
        #expect(kinds(p) == ["moveAccount 1"])
        let c = p.changes[0]
        #expect(c.newDN == "uid=annv,ou=pc,\(base)")
        #expect(c.operations.count == 2)
        #expect(c.attributes == [AttributeChange("departmentNumber", old: ["VP"], new: ["PC"])])
    }

    @Test("no login for 3 months locks, counted from creation if never; on leave and exempt are spared")
    func inactivity() throws {
        let r = try roster(staff: "employee_id,full_name,unit_code,status\n1,Nguyễn Văn An,VP,active\n2,Lê Văn Bình,VP,on_leave\n3,Trần Văn Cường,VP,active\n4,Phạm Văn Dũng,VP,active\n5,Hồ Văn Em,VP,active\n")
        let entries = directory + [
            person("1", "annv", name: "Nguyễn Văn An", logins: ()),  // created 2026-01-01, never logged in
            person("2", "binhlv", name: "Lê Văn Bình", logins: ()),
            person("3", "cuongtv", name: "Trần Văn Cường", ["pwdLastSuccess": ["20261101083000Z"]]),
            person("4", "dungpv", name: "Phạm Văn Dũng", ["rsLockExemptUntil": ["20270101000000Z"]]),
            person("5", "emhv", name: "Hồ Văn Em", logins: ()),
        ]
        // Em logged in to a mail server that does not bind to LDAP: its export says so.
        let p = plan(r, entries, logins: ["emhv@cema.gov.vn": Day(parsing: "2026-11-20")!])
        #expect(kinds(p) == ["lockAccount 1"])
        #expect(p.changes[0].reason.contains("never logged in since the mailbox was created on 2026-01-01"))
        // Just short of three months: nothing.
        #expect(plan(r, entries, asOf: "2026-03-31").changes.isEmpty)
    }

    @Test("someone who starts (or comes back) has a lock period from their start date, whatever their last login was")
    func rehireNotLockedAtOnce() throws {
        // Came back on 2026-10-01; the mail server still shows their last login of their first time here.
        let r = try roster(staff: "employee_id,full_name,unit_code,start_date\n1,Nguyễn Văn An,VP,2026-10-01\n")
        let entries = directory + [person("1", "annv", name: "Nguyễn Văn An", ["createTimestamp": ["20250101000000Z"]])]
        let logins = ["annv@cema.gov.vn": Day(parsing: "2025-03-10")!]
        #expect(kinds(plan(r, entries, asOf: "2026-11-29", logins: logins)).isEmpty)
        let later = plan(r, entries, asOf: "2027-01-05", logins: logins)
        #expect(kinds(later) == ["lockAccount 1"])
        #expect(later.changes[0].reason.contains("no login since starting work on 2026-10-01"))
    }

    @Test("a staff file whose ids were renumbered is recognised: each new id paired with the account whose id left")
    func renumbered() throws {
        let entries = directory + [person("000001", "annv", name: "Nguyễn Văn An"), person("000002", "binhlv", name: "Lê Văn Bình"),
                                   person("000003", "cuongtv", name: "Trần Văn Cường", unit: "PC", ou: "pc")]
        // Excel dropped the leading zeros; one person really left and another joined.
        let r = try roster(staff: "employee_id,full_name,unit_code\n1,Nguyễn Văn An,VP\n2,Lê Văn Bình,VP\n000004,Trần Văn Cường,VP\n")
        let p = plan(r, entries)
        #expect(p.renumbered.map { "\($0.oldId)→\($0.newId)" } == ["000001→1", "000002→2"])
        #expect(p.text().contains("Renumbered? 2 new employee ids"))
        // Carried by the saved plan, so that apply stops too.
        let back = try Plan.parse(json: Data(p.json().utf8))
        #expect(back.renumbered == p.renumbered)
        // People who left and others who joined with other names: nothing of the kind.
        let real = try roster(staff: "employee_id,full_name,unit_code\n000009,Phạm Thị Dung,VP\n")
        #expect(plan(real, entries).renumbered.isEmpty)
    }

    @Test("unused 6 months deletes, but only after 3 months locked; a departed account is deleted after the retention")
    func deletions() throws {
        let r = try roster(staff: "employee_id,full_name,unit_code,status,end_date\n1,Nguyễn Văn An,VP,active,\n2,Lê Văn Bình,VP,departed,2026-01-31\n")
        let locked: [String: [String]] = ["rsState": ["locked"], "rsStateSince": ["20260901000000Z"], "pwdAccountLockedTime": ["000001010000Z"]]
        let disabled: [String: [String]] = ["rsState": ["disabled"], "rsStateSince": ["20260201000000Z"], "pwdAccountLockedTime": ["000001010000Z"]]
        let entries = directory + [person("1", "annv", name: "Nguyễn Văn An", locked), person("2", "binhlv", name: "Lê Văn Bình", disabled)]
        // Locked only since September: not three months yet on 2026-11-29.
        #expect(kinds(plan(r, entries, asOf: "2026-11-29")) == ["deleteAccount 2"])
        // The deletion for disuse is remembered first, in a folder made for it (art. 9.3b).
        let both = plan(r, entries, asOf: "2026-12-01")
        #expect(kinds(both) == ["createContainer ou=Closed mailboxes,ou=units,dc=cema,dc=gov,dc=vn", "deleteAccount 1", "deleteAccount 2"])
        let disuse = try #require(both.changes.first { $0.employeeId == "1" })
        guard case let .add(record, attrs)? = disuse.operations.first, case .delete? = disuse.operations.last else {
            Issue.record("the record of the deletion comes before the delete: \(disuse.operations)")
            return
        }
        #expect(record == "employeeNumber=1,ou=Closed mailboxes,ou=units,dc=cema,dc=gov,dc=vn")
        #expect(attrs.first { $0.name == "rsClosedAddress" }?.values == [Data("annv@cema.gov.vn".utf8)])
        // A departure's deletion is not remembered: nothing would bring that mailbox back.
        #expect(both.changes.first { $0.employeeId == "2" }?.operations.count == 1)
        // Before the retention the deletion is only scheduled.
        let early = plan(r, entries, asOf: "2026-06-01")
        #expect(early.changes.isEmpty)
        #expect(early.scheduled.map(\.kind) == [.deleteAccount])
        #expect(early.scheduled[0].due?.description == "2026-07-31")
    }

    @Test("departure disables at once; a departed person back in the roster is enabled; future dates are scheduled")
    func lifecycle() throws {
        let staff = "employee_id,full_name,unit_code,status,start_date,end_date\n1,Nguyễn Văn An,VP,departed,,2026-11-01\n2,Lê Văn Bình,VP,active,,\n3,Trần Thị Hoa,VP,active,2026-12-15,\n4,Phạm Văn Dũng,VP,active,,2027-01-31\n"
        let entries = directory + [
            person("1", "annv", name: "Nguyễn Văn An", ["pwdLastSuccess": ["20261120000000Z"]]),
            person("2", "binhlv", name: "Lê Văn Bình", ["rsState": ["disabled"], "rsStateSince": ["20261001000000Z"], "pwdLastSuccess": ["20261120000000Z"]]),
            person("4", "dungpv", name: "Phạm Văn Dũng", ["pwdLastSuccess": ["20261120000000Z"]]),
        ]
        let p = plan(try roster(staff: staff), entries)
        #expect(kinds(p) == ["enableAccount 2", "disableAccount 1"])
        let disable = try #require(p.changes.first { $0.kind == .disableAccount })
        guard case let .modify(_, mods, assertion) = disable.operations[0] else { Issue.record("not a modify"); return }
        #expect(mods.contains(.replace("pwdAccountLockedTime", ["000001010000Z"])))
        #expect(assertion?.description == "(&(employeeNumber=1)(rsState=active))")
        #expect(p.scheduled.map { "\($0.kind.rawValue) \($0.employeeId ?? "") \($0.due?.description ?? "")" } == [
            "createAccount 3 2026-12-15", "disableAccount 4 2027-01-31",
        ])
    }

    @Test("a new mailbox in the unit roster renames the unit; the old address stays an alias until the transition ends")
    func renameAndAlias() throws {
        let r = try roster(units: "unit_code,unit_name,mailbox\nVP,Văn phòng,vanphong\nPC,Vụ Pháp chế,pc\n", staff: "employee_id,full_name,unit_code\n1,Nguyễn Văn An,VP\n")
        let entries = directory + [person("1", "annv", name: "Nguyễn Văn An", ["pwdLastSuccess": ["20261120000000Z"]])]
        let p = plan(r, entries)
        #expect(kinds(p) == ["renameUnit VP"])
        #expect(p.changes[0].newDN == "ou=vanphong,\(base)")
        #expect(p.changes[0].reason.contains("vp@cema.gov.vn becomes vanphong@cema.gov.vn; the old address keeps working until 2027-02-27"))
        // After the transition, the alias goes.
        let renamed = [unitEntry("VP", "vanphong", extra: ["mail": ["vanphong@cema.gov.vn"], "mailLocalAddress": ["vp@cema.gov.vn"], "rsExpiringAlias": ["vp@cema.gov.vn 20270227000000Z"]]),
                       unitEntry("PC", "pc"), person("1", "annv", name: "Nguyễn Văn An", ou: "vanphong", ["pwdLastSuccess": ["20270220000000Z"]])]
        #expect(plan(r, renamed, asOf: "2027-02-26").changes.isEmpty)
        let later = plan(r, renamed, asOf: "2027-02-27")
        #expect(kinds(later) == ["updateUnit VP"])
        #expect(later.changes[0].reason == "transitional alias vp@cema.gov.vn expired on 2027-02-27")
    }

    @Test("adoption by employee number or by email; an ambiguous match is disputed and left alone")
    func adoption() throws {
        let r = try roster(staff: "employee_id,full_name,unit_code,email\n1,Nguyễn Văn An,VP,\n2,Lê Văn Bình,VP,binh.le@cema.gov.vn\n3,Trần Văn Cường,VP,cuong@cema.gov.vn\n")
        let entries = directory + [
            person("1", "annv", name: "Nguyễn Văn An", managed: false, ["pwdLastSuccess": ["20261120000000Z"]]),
            person("", "binh.le", name: "Lê Văn Bình", managed: false, ["employeeNumber": [], "pwdLastSuccess": ["20261120000000Z"]]),
            person("99", "cuong", name: "Trần Văn Cường", managed: false, ["pwdLastSuccess": ["20261120000000Z"]]),
        ]
        let p = plan(r, entries)
        #expect(kinds(p).contains("adoptAccount 1") && kinds(p).contains("adoptAccount 2"))
        #expect(!kinds(p).contains { $0.hasSuffix(" 3") && !$0.hasPrefix("createAccount") })
        #expect(p.disputes.map(\.dn) == ["uid=cuong,ou=vp,\(base)"])
        // The disputed entry keeps its address; the newcomer gets one of their own.
        let create = try #require(p.changes.first { $0.kind == .createAccount && $0.employeeId == "3" })
        #expect(create.dn == "uid=cuongtv,ou=vp,\(base)")
    }

    @Test("protected entries never appear; unknown entries are orphans with no operation")
    func protectedAndOrphans() throws {
        let r = try roster(staff: "employee_id,full_name,unit_code\n1,Nguyễn Văn An,VP\n")
        let shared = LDAPEntry(dn: "uid=ubdt,ou=vp,\(base)", attributes: ["objectClass": [Data("inetOrgPerson".utf8)], "uid": [Data("ubdt".utf8)], "mail": [Data("ubdt@cema.gov.vn".utf8)]])
        let stray = LDAPEntry(dn: "cn=printer,ou=vp,\(base)", attributes: ["objectClass": [Data("inetOrgPerson".utf8)], "cn": [Data("printer".utf8)]])
        let p = plan(r, directory + [person("1", "annv", name: "Nguyễn Văn An", ["pwdLastSuccess": ["20261120000000Z"]]), shared, stray])
        #expect(!p.changes.contains { $0.dn.contains("ubdt") })
        #expect(kinds(p) == ["orphan cn=printer,ou=vp,\(base)"])
        #expect(p.changes[0].operations.isEmpty)
    }

    @Test("policy.orphans: disable takes an orphan under management as a departure; the protected stay untouched")
    func orphansDisabled() throws {
        var cfg = config
        cfg.policy.orphans = .disable
        let r = try roster(staff: "employee_id,full_name,unit_code\n1,Nguyễn Văn An,VP\n")
        let shared = LDAPEntry(dn: "uid=ubdt,ou=vp,\(base)", attributes: ["objectClass": [Data("inetOrgPerson".utf8)], "uid": [Data("ubdt".utf8)], "mail": [Data("ubdt@cema.gov.vn".utf8)]])
        let stray = LDAPEntry(dn: "cn=printer,ou=vp,\(base)", attributes: ["objectClass": [Data("inetOrgPerson".utf8)], "cn": [Data("printer".utf8)], "mail": [Data("printer@cema.gov.vn".utf8)]])
        let snapshot = DirectorySnapshot(entries: separatingUnitMailboxes(directory + [person("1", "annv", name: "Nguyễn Văn An", ["pwdLastSuccess": ["20261120000000Z"]]), shared, stray]), unitsBase: try DN(base))
        let p = Planner.plan(PlannerInput(roster: r, snapshot: snapshot, config: cfg, asOf: Day(parsing: "2026-11-29")!))
        #expect(kinds(p) == ["disableAccount cn=printer,ou=vp,\(base)"])
        guard case let .modify(_, mods, assertion)? = p.changes.first?.operations.first else { Issue.record("no modify"); return }
        #expect(mods.first == .add("objectClass", ["rsAccount"]) && mods.contains(.replace("rsState", ["disabled"])))
        #expect(assertion?.description.contains("(!(objectClass=rsAccount))") == true)
        let bad = #expect(throws: ConfigError.self) {
            try Config.parse(yaml: "directory: {uris: [ldapi:///], base: dc=x, bind: {method: sasl-external}}\nmail: {domain: x.vn}\nstate_dir: /tmp\npolicy: {orphans: delete}\n", path: "c.yaml")
        }
        #expect(bad?.description.contains("policy.orphans") == true)
    }

    @Test("a dissolved unit that still has active people is not dissolved but disputed")
    func dissolveBlocked() throws {
        let r = try roster(units: "unit_code,unit_name,mailbox,status\nVP,Văn phòng,vp,active\nPC,Vụ Pháp chế,pc,dissolved\n", staff: "employee_id,full_name,unit_code\n1,Nguyễn Văn An,PC\n")
        let p = plan(r, directory + [person("1", "annv", name: "Nguyễn Văn An", unit: "PC", ou: "pc", ["pwdLastSuccess": ["20261120000000Z"]])])
        #expect(p.changes.isEmpty)
        #expect(p.disputes.first?.reason.contains("1 active people still belong to it") == true)
    }

    @Test("the plan does not depend on row order, and --unit keeps one unit's changes")
    func determinismAndFilter() throws {
        let rows = (1...40).map { "\($0),\(["Nguyễn Văn An", "Lê Thị Bình", "Trần Văn An"][$0 % 3]),\($0 % 2 == 0 ? "VP" : "PC")" }
        let a = try roster(staff: "employee_id,full_name,unit_code\n" + rows.joined(separator: "\n"))
        var rng = SeededRandom(seed: 9)
        let b = try roster(staff: "employee_id,full_name,unit_code\n" + rows.shuffled(using: &rng).joined(separator: "\n"))
        #expect(plan(a, directory).json() == plan(b, directory).json())
        let onlyPC = plan(a, directory, units: ["PC"])
        #expect(onlyPC.changes.count == 20 && onlyPC.changes.allSatisfy { $0.groupUnit == "PC" })
    }

    @Test("LDIF: non-ASCII values in base64, one record per operation, modify blocks closed by '-'")
    func ldif() throws {
        let p = plan(try roster(staff: "employee_id,full_name,unit_code\n1,Nguyễn Văn An,PC\n"), directory + [person("1", "annv", name: "Nguyễn Văn An", ["pwdLastSuccess": ["20261120000000Z"]])])
        let text = p.ldif()
        #expect(text.contains("dn: uid=annv,ou=vp,\(base)\nchangetype: modrdn\nnewrdn: uid=annv\ndeleteoldrdn: 1\nnewsuperior: ou=pc,\(base)\n"))
        #expect(text.contains("changetype: modify\nreplace: departmentNumber\ndepartmentNumber: PC\n-\n"))
        #expect(LDIF.line("cn", "Nguyễn") == "cn:: \(Data("Nguyễn".utf8).base64EncodedString())\n")
        #expect(LDIF.line("cn", " lead") .hasPrefix("cn:: "))
        #expect(LDIF.line("cn", "plain") == "cn: plain\n")
    }
}

extension PlannerTests {
    /// An account that has never logged in (the default entry has no pwdLastSuccess).
    func person(_ id: String, _ uid: String, name: String, logins: ()) -> LDAPEntry { person(id, uid, name: name) }
}
