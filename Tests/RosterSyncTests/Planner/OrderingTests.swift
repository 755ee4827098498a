import Foundation
import LDAPModel
@testable import RosterSync
import Testing

@Suite("Planner: ordering, filtering and renumberings")
struct OrderingTests: PlannerFixtures {
    @Test("an empty directory gets units then accounts, parents first, in a deterministic order")
    func initialLoad() throws {
        let r = try roster(units: "unit_code,unit_name,parent_code\nVP,Văn phòng,\nVP-1,Phòng Một,VP\n", staff: "employee_id,full_name,unit_code\n2,Lê Thị Bình,VP-1\n1,Nguyễn Văn An,VP\n")
        let p = plan(r, [])
        #expect(kinds(p) == ["createUnit VP", "createUnit VP-1", "createAccount 1", "createAccount 2"])
        #expect(p.changes[1].dn == "ou=pm,ou=vp,\(base)")
        #expect(p.changes[3].dn == "uid=binhlt,ou=pm,ou=vp,\(base)")
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
}
