import Foundation
import LDAPModel
@testable import RosterSync
import Testing

@Suite("Planner: people created, moved, updated, leaving")
struct PeopleTests: PlannerFixtures {
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
}
