import Foundation
import LDAPModel
@testable import RosterSync
import Testing

@Suite("Planner: dissolutions")
struct DissolutionTests: PlannerFixtures {
    @Test("a dissolved unit that still has active people is not dissolved but disputed")
    func dissolveBlocked() throws {
        let r = try roster(units: "unit_code,unit_name,mailbox,status\nVP,Văn phòng,vp,active\nPC,Vụ Pháp chế,pc,dissolved\n", staff: "employee_id,full_name,unit_code\n1,Nguyễn Văn An,PC\n")
        let p = plan(r, directory + [person("1", "annv", name: "Nguyễn Văn An", unit: "PC", ou: "pc", ["pwdLastSuccess": ["20261120000000Z"]])])
        #expect(p.changes.isEmpty)
        #expect(p.disputes.first?.reason.contains("1 active people still belong to it") == true)
    }
}
