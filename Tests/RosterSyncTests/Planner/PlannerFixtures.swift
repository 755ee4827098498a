import Foundation
import LDAPModel
@testable import RosterSync

/// Rosters and directory snapshots as plain values, for the planner's tests: no server.
protocol PlannerFixtures {}

extension PlannerFixtures {
    var base: String { "ou=units,dc=cema,dc=gov,dc=vn" }
    var config: Config { testConfig("protected:\n  - uid=ubdt,ou=vp,ou=units,dc=cema,dc=gov,dc=vn\n") }

    func roster(units: String = "unit_code,unit_name,mailbox\nVP,Văn phòng,vp\nPC,Vụ Pháp chế,pc\n", staff: String) throws -> Roster {
        try RosterParser().parse(unitsText: units, unitsFile: "u.csv", staffText: staff, staffFile: "s.csv")
    }

    func unitEntry(_ code: String, _ ou: String, parent: String? = nil, extra: [String: [String]] = [:]) -> LDAPEntry {
        var attrs: [String: [String]] = ["objectClass": ["organizationalUnit", "rsUnit"], "ou": [ou], "rsUnitCode": [code], "rsState": ["active"],
                                         "mail": ["\(ou)@cema.gov.vn"], "displayName": [code == "VP" ? "Văn phòng" : "Vụ Pháp chế"]]
        for (k, v) in extra { attrs[k] = v }
        return LDAPEntry(dn: "ou=\(ou),\(parent ?? base)", attributes: attrs.mapValues { $0.map { Data($0.utf8) } })
    }

    func person(_ id: String, _ uid: String, name: String, unit: String = "VP", ou: String = "vp", managed: Bool = true, _ extra: [String: [String]] = [:]) -> LDAPEntry {
        let n = PersonName(parsing: name)
        var attrs: [String: [String]] = [
            "objectClass": ["inetOrgPerson"] + (managed ? ["rsAccount"] : []), "uid": [uid], "cn": [name], "sn": [n.family], "givenName": [n.given],
            "displayName": [name], "mail": ["\(uid)@cema.gov.vn"], "employeeNumber": [id], "departmentNumber": [unit],
            "rsState": ["active"], "createTimestamp": ["20260101000000Z"],
        ]
        if !managed { attrs["rsState"] = nil }
        for (k, v) in extra { attrs[k] = v }
        return LDAPEntry(dn: "uid=\(uid),ou=\(ou),\(base)", attributes: attrs.compactMapValues { $0.isEmpty ? nil : $0.map { Data($0.utf8) } })
    }

    /// An account that has never logged in (the default entry has no pwdLastSuccess).
    func person(_ id: String, _ uid: String, name: String, logins: ()) -> LDAPEntry { person(id, uid, name: name) }

    func plan(_ r: Roster, _ entries: [LDAPEntry], asOf: String = "2026-11-29", logins: [String: Day] = [:], units: Set<String> = []) -> Plan {
        let snapshot = DirectorySnapshot(entries: separatingUnitMailboxes(entries), unitsBase: try! DN(base))
        return Planner.plan(PlannerInput(roster: r, snapshot: snapshot, config: config, asOf: Day(parsing: asOf)!, lastLogins: logins, units: units))
    }

    func kinds(_ p: Plan) -> [String] { p.changes.map { "\($0.kind.rawValue) \($0.employeeId ?? $0.unitCode ?? $0.dn)" } }

    var directory: [LDAPEntry] { [unitEntry("VP", "vp"), unitEntry("PC", "pc")] }
}
