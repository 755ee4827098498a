import Foundation
import LDAPModel
@testable import RosterSync
import Testing

@Suite("Planner: the units' holders")
struct OwnersTests: PlannerFixtures {
    @Test("a new unit's holder is its head's entry where this run puts it")
    func newUnitHolder() throws {
        let units = "unit_code,unit_name,mailbox,head_employee_id\nVP,Văn phòng,vp,\nPC,Vụ Pháp chế,pc,\nKH,Vụ Kế hoạch,kh,2\n"
        let r = try roster(units: units, staff: "employee_id,full_name,unit_code\n1,Nguyễn Văn An,VP\n2,Lê Thị Bình,KH\n")
        let login = ["pwdLastSuccess": ["20261120000000Z"]]
        let p = plan(r, directory + [person("1", "annv", name: "Nguyễn Văn An", login), person("2", "binhlt", name: "Lê Thị Bình", login)])
        #expect(kinds(p) == ["createUnit KH", "moveAccount 2"])
        let create = try #require(p.changes.first)
        #expect(create.attributes.contains(AttributeChange("owner", old: [], new: ["uid=binhlt,ou=kh,\(base)"])))
        #expect(p.changes[1].newDN == "uid=binhlt,ou=kh,\(base)")
    }

    @Test("a holder is followed to their entry's new DN, and no longer named once their mailbox is deleted")
    func holderFollowed() throws {
        let units = "unit_code,unit_name,mailbox,head_employee_id\nVP,Văn phòng,vanphong,1\nPC,Vụ Pháp chế,pc,\n"
        let r = try roster(units: units, staff: "employee_id,full_name,unit_code\n1,Nguyễn Văn An,VP\n")
        let held = unitEntry("VP", "vp", extra: ["owner": ["uid=annv,ou=vp,\(base)"], "rsHeadEmployeeNumber": ["1"]])
        // The unit is renamed: its holder's entry moves with it.
        let renamed = plan(r, [held, unitEntry("PC", "pc"), person("1", "annv", name: "Nguyễn Văn An", ["pwdLastSuccess": ["20261120000000Z"]])])
        #expect(kinds(renamed) == ["renameUnit VP", "updateUnit VP"])
        #expect(renamed.changes[1].reason == "the holder Nguyễn Văn An's entry is now uid=annv,ou=vanphong,\(base)")
        // The holder's mailbox is deleted for disuse in this run: the unit names nobody.
        let unused: [String: [String]] = [
            "rsState": ["locked"], "rsStateSince": ["20260501000000Z"], "pwdLastSuccess": ["20260110000000Z"],
        ]
        let deleted = plan(r, [held, unitEntry("PC", "pc"), person("1", "annv", name: "Nguyễn Văn An", unused)])
        let update = try #require(deleted.changes.first { $0.kind == .updateUnit })
        #expect(update.reason == "the holder Nguyễn Văn An's mailbox no longer exists")
        #expect(update.attributes == [AttributeChange("owner", old: ["uid=annv,ou=vp,\(base)"], new: [])])
        #expect(deleted.changes.contains { $0.kind == .deleteAccount && $0.employeeId == "1" })
    }
}
