import Foundation
import LDAPModel
@testable import RosterSync
import Testing

@Suite("Planner: unit mailboxes routed and separated")
struct UnitMailboxesTests: PlannerFixtures {
    @Test("a handover killed between its writes (the unit names the new head, the mailbox the old) is made again")
    func halfDoneHandover() throws {
        let staff = "employee_id,full_name,unit_code\n1,Nguyễn Văn An,VP\n2,Lê Thị Bình,VP\n"
        let r = try roster(units: "unit_code,unit_name,mailbox,head_employee_id\nVP,Văn phòng,vp,1\nPC,Vụ Pháp chế,pc,\n", staff: staff)
        var unit = unitEntry("VP", "vp", extra: ["rsHeadEmployeeNumber": ["1"]])
        unit["mail"] = []
        let mailbox = LDAPEntry(dn: "cn=unit mailbox,ou=vp,\(base)", attributes: [
            "objectClass": ["inetOrgPerson", "rsUnitMailbox"], "cn": ["unit mailbox", "Văn phòng"], "sn": ["Văn phòng"], "uid": ["vp"],
            "mail": ["vp@cema.gov.vn"], "rsUnitCode": ["VP"], "rsState": ["active"], "rsHeadEmployeeNumber": ["2"],
            "owner": ["uid=binhlt,ou=vp,\(base)"], "pwdLastSuccess": ["20261120000000Z"],
        ].mapValues { $0.map { Data($0.utf8) } })
        let people = [person("1", "annv", name: "Nguyễn Văn An", ["pwdLastSuccess": ["20261120000000Z"]]),
                      person("2", "binhlt", name: "Lê Thị Bình", ["pwdLastSuccess": ["20261120000000Z"]])]
        let p = plan(r, [unit, mailbox, unitEntry("PC", "pc")] + people)
        let handover = try #require(p.changes.first { $0.kind == .handoverUnitMailbox }, "\(kinds(p))")
        #expect(handover.operations.map(\.dn).contains("cn=unit mailbox,ou=vp,\(base)"))
        // Both entries naming the new head: nothing to do.
        var done = mailbox
        done["rsHeadEmployeeNumber"] = [Data("1".utf8)]
        done["owner"] = [Data("uid=annv,ou=vp,\(base)".utf8)]
        #expect(!plan(r, [unit, done, unitEntry("PC", "pc")] + people).changes.contains { $0.kind == .handoverUnitMailbox })
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
}
