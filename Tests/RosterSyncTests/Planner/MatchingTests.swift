import Foundation
import LDAPModel
@testable import RosterSync
import Testing

@Suite("Planner: matching entries to roster rows")
struct MatchingTests: PlannerFixtures {
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

    @Test("a protected account still holds its person: no second mailbox is made, and it is not changed")
    func protectedAccountHoldsItsPerson() throws {
        // The director's mailbox is protected; HR lists the director in another unit, with another title.
        let r = try roster(staff: "employee_id,full_name,unit_code,title\n9,Nguyễn Văn Giám,PC,Vụ trưởng\n1,Trần Văn An,VP,Chuyên viên\n")
        let director = person("9", "ubdt", name: "Nguyễn Văn Giám", ["title": ["Cũ"]])
        #expect(director.dn.hasPrefix("uid=ubdt,ou=vp,"), "the fixture's protected DN")
        let p = plan(r, directory + [director])
        #expect(kinds(p) == ["createAccount 1"], "\(kinds(p))")
        #expect(!p.changes.contains { $0.dn.contains("ubdt") || $0.employeeId == "9" })
    }

    @Test("a protected unit is matched, not made again, and nothing at or under it is written")
    func protectedUnitLeftAlone() throws {
        // HR renames PC and lists a new person and a transfer into it, and moves its member out.
        let r = try roster(units: "unit_code,unit_name,mailbox\nVP,Văn phòng,vp\nPC,Vụ Pháp chế mới,pc\n",
                           staff: "employee_id,full_name,unit_code\n1,Trần Văn An,PC\n2,Lê Văn Bình,VP\n3,Hồ Thị Cúc,PC\n")
        let entries = directory + [person("1", "antv", name: "Trần Văn An"), person("2", "binhlv", name: "Lê Văn Bình", unit: "PC", ou: "pc")]
        let protectedPC = "ou=pc,\(base)"
        let snapshot = DirectorySnapshot(entries: separatingUnitMailboxes(entries), unitsBase: try DN(base))
        let p = Planner.plan(PlannerInput(roster: r, snapshot: snapshot, config: testConfig("protected:\n  - \(protectedPC)\n"),
                                          asOf: Day(parsing: "2026-11-29")!, lastLogins: [:]))
        #expect(!p.changes.contains { $0.kind == .createUnit }, "the protected unit is not made again: \(kinds(p))")
        let touched = p.changes.filter { c in ([c.dn, c.newDN ?? ""] + c.operations.map(\.dn)).contains { $0.lowercased().hasSuffix(protectedPC.lowercased()) } }
        #expect(touched.isEmpty, "\(touched.map { "\($0.kind) \($0.dn)" })")
        // Unprotected work goes on: nothing else is planned for these three but what leaves PC alone.
        #expect(kinds(p).allSatisfy { !$0.hasPrefix("createAccount 3") && !$0.hasPrefix("updateUnit") }, "\(kinds(p))")
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

    @Test("Marks: bits set and tested across word boundaries, nothing else set")
    func marks() {
        var m = Marks()
        let set: Set<Int> = [0, 1, 63, 64, 65, 127, 128, 100_000]
        for i in set { m.insert(i) }
        for i in 0...100_100 { #expect(m.contains(i) == set.contains(i)) }
        #expect(!Marks().contains(5))
    }
}
