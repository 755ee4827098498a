import Foundation
import LDAPModel
@testable import RosterSync
import Testing

@Suite("Planner: accounts updated from the staff roster")
struct UpdatesTests: PlannerFixtures {
    @Test("a corrected name and a dropped title are one update, asserting the values the plan saw")
    func nameAndTitle() throws {
        let r = try roster(staff: "employee_id,full_name,unit_code\n1,Nguyễn Văn Anh,VP\n")
        let entry = person("1", "annv", name: "Nguyễn Văn An", ["title": ["Chuyên viên"], "pwdLastSuccess": ["20261120000000Z"]])
        let p = plan(r, directory + [entry])
        #expect(kinds(p) == ["updateAccount 1"])
        let update = try #require(p.changes.first)
        #expect(update.reason == "name corrected in the staff roster")
        #expect(update.attributes.map(\.name) == ["cn", "givenName", "displayName", "title"])
        #expect(update.attributes.last == AttributeChange("title", old: ["Chuyên viên"], new: []))
        guard case let .modify(_, mods, assertion)? = update.operations.first else { Issue.record("no modify"); return }
        #expect(mods.last == .delete("title"))
        #expect(assertion?.description.contains("(title=Chuy") == true && assertion?.description.contains("(employeeNumber=1)") == true)
    }

    @Test("a phone number re-typed in another notation is no change; another number is")
    func phoneNotation() throws {
        let entry = person("1", "annv", name: "Nguyễn Văn An", ["telephoneNumber": ["+84 78 929 6668"], "pwdLastSuccess": ["20261120000000Z"]])
        let same = try roster(staff: "employee_id,full_name,unit_code,phone\n1,Nguyễn Văn An,VP,078.929.6668\n")
        #expect(kinds(plan(same, directory + [entry])).isEmpty)
        let other = try roster(staff: "employee_id,full_name,unit_code,phone\n1,Nguyễn Văn An,VP,078.929.6669\n")
        let p = plan(other, directory + [entry])
        #expect(kinds(p) == ["updateAccount 1"])
        #expect(p.changes.first?.reason == "the staff roster differs: telephoneNumber")
    }
}
