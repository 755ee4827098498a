import Foundation
import LDAPModel
@testable import RosterSync
import Testing

@Suite("Plan read back from JSON")
struct PlanDecodingTests {
    /// A plan with every kind of operation, a scheduled change, a dispute and a renumbering.
    var plan: Plan {
        let unit = "ou=vp,ou=units,dc=cema,dc=gov,dc=vn"
        let changes = [
            Change(
                kind: .createAccount, dn: "uid=annv,\(unit)", employeeId: "1", unitCode: "VP", groupUnit: "VP",
                subject: "1 Nguyễn Văn An", reason: "new in the staff roster",
                operations: [.add(dn: "uid=annv,\(unit)", attributes: [
                    LDAPAttribute("cn", "Nguyễn Văn An"), LDAPAttribute("objectClass", ["inetOrgPerson", "rsAccount"]),
                ])]),
            Change(
                kind: .moveAccount, dn: "uid=binhlt,\(unit)", newDN: "uid=binhlt,ou=pc,ou=units,dc=cema,dc=gov,dc=vn",
                employeeId: "2", unitCode: "PC", groupUnit: "PC", subject: "2 Lê Thị Bình", reason: "transferred",
                attributes: [AttributeChange("departmentNumber", old: ["VP"], new: ["PC"])],
                operations: [
                    .rename(dn: "uid=binhlt,\(unit)", newRDN: "uid=binhlt", newSuperior: "ou=pc,ou=units,dc=cema,dc=gov,dc=vn",
                            assertion: .equality("employeeNumber", "2")),
                    .modify(dn: "uid=binhlt,ou=pc,ou=units,dc=cema,dc=gov,dc=vn",
                            modifications: [.replace("departmentNumber", ["PC"]), .delete("title"), .add("mailLocalAddress", ["b@x"])],
                            assertion: nil),
                ]),
            Change(
                kind: .deleteAccount, dn: "uid=cuongtv,\(unit)", employeeId: "3", unitCode: "VP", groupUnit: "VP",
                subject: "3 Trần Văn Cường", reason: "retention passed",
                operations: [.delete(dn: "uid=cuongtv,\(unit)", assertion: .and([.equality("employeeNumber", "3"), .equality("rsState", "disabled")]))]),
            Change(kind: .orphan, dn: "cn=printer,\(unit)", groupUnit: nil, subject: "cn=printer", reason: "left alone"),
        ]
        var scheduled = Change(
            kind: .disableAccount, dn: "uid=dungpv,\(unit)", employeeId: "4", unitCode: "VP", groupUnit: "VP",
            subject: "4 Phạm Văn Dũng", reason: "leaves on 2027-01-31")
        scheduled.due = Day(parsing: "2027-01-31")
        var plan = Plan(
            asOf: Day(parsing: "2026-11-29")!, directory: "ldapi:/// dc=cema,dc=gov,dc=vn", inputs: ["staff.csv": "sha256:00"],
            changes: changes, scheduled: [scheduled],
            disputes: [Dispute(dn: "uid=x,\(unit)", employeeId: nil, reason: "2 entries carry employee number 9")],
            unitNames: ["VP": "Văn phòng", "PC": "Vụ Pháp chế"])
        plan.managedEntries = 12
        plan.managedUnits = 2
        plan.renumbered = [Renumbering(oldId: "000001", newId: "1", name: "Nguyễn Văn An", unitCode: "VP")]
        return plan
    }

    @Test("a saved plan reads back as it was written: its JSON again is the same, byte for byte")
    func roundTrip() throws {
        let json = plan.json()
        let back = try Plan.parse(json: Data(json.utf8))
        #expect(back.json() == json)
        #expect(back.changes.count == 4 && back.scheduled.count == 1 && back.renumbered == plan.renumbered)
        #expect(back.changes[1].operations.map(\.ldapOperation.request.name) == ["modrdn", "modify"])
        #expect(back.scheduled.first?.due?.description == "2027-01-31")
    }

    @Test("what is not a plan of this version is refused, saying why", arguments: [
        ("not json", "not a JSON object"),
        ("[1, 2]", "not a JSON object"),
        ("{}", "no version"),
        (#"{"version": "1"}"#, "no version"),
        (#"{"version": 2, "asOf": "2026-11-29"}"#, "format version 2; this rostersync reads version 1"),
        (#"{"version": 1}"#, "no asOf date"),
        (#"{"version": 1, "asOf": "2026-11-29", "changes": [{"dn": "x"}]}"#, "change 1: no kind or dn"),
        (#"{"version": 1, "asOf": "2026-11-29", "changes": [{"kind": "orphan", "dn": "x"}, {"kind": "nope", "dn": "y"}]}"#,
         "change 2: no kind or dn"),
        (#"{"version": 1, "asOf": "2026-11-29", "scheduled": [{"kind": "orphan", "dn": "x", "operations": [{"op": "frob", "dn": "x"}]}]}"#,
         "change 1: unknown operation frob"),
        (#"{"version": 1, "asOf": "2026-11-29", "changes": [{"kind": "orphan", "dn": "x", "operations": [{"dn": "x"}]}]}"#,
         "change 1: an operation without op or dn"),
        (#"{"version": 1, "asOf": "2026-11-29", "changes": [{"kind": "orphan", "dn": "x", "operations": [{"op": "add", "dn": "x"}]}]}"#,
         "change 1: add without attributes"),
        (#"{"version": 1, "asOf": "2026-11-29", "changes": [{"kind": "orphan", "dn": "x", "operations": [{"op": "modify", "dn": "x"}]}]}"#,
         "change 1: modify without changes"),
        (#"{"version": 1, "asOf": "2026-11-29", "changes": [{"kind": "orphan", "dn": "x", "operations": [{"op": "modrdn", "dn": "x"}]}]}"#,
         "change 1: modrdn without newRdn"),
        (#"{"version": 1, "asOf": "2026-11-29", "changes": [{"kind": "orphan", "dn": "x", "operations": [{"op": "modify", "dn": "x", "changes": [{"op": "add"}]}]}]}"#,
         "change 1: a modification without attribute"),
        (#"{"version": 1, "asOf": "2026-11-29", "changes": [{"kind": "orphan", "dn": "x", "operations": [{"op": "modify", "dn": "x", "changes": [{"op": "frob", "attribute": "cn"}]}]}]}"#,
         "change 1: unknown modification frob"),
    ])
    func refused(text: String, why: String) {
        let error = #expect(throws: PlanFormatError.self) { try Plan.parse(json: Data(text.utf8)) }
        #expect(error?.description == "not a rostersync plan: \(why)")
    }
}
