import Foundation
import LDAPModel
@testable import RosterSync
import Testing

@Suite("Planner: units placed, renamed and updated")
struct UnitsTests: PlannerFixtures {
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
}
