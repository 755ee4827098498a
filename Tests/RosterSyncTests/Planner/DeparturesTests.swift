import Foundation
import LDAPModel
@testable import RosterSync
import Testing

@Suite("Planner: departures and unclaimed accounts")
struct DeparturesTests: PlannerFixtures {
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
}
