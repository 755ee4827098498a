import Foundation
@testable import RosterSync
import Testing

/// The thresholds on plans made of plain values.
@Suite("Safety thresholds")
struct SafetyCheckTests {
    let safety = testConfig().safety

    func plan(_ kinds: [ChangeKind: Int], entries: Int, units: Int, renumbered: Int = 0) -> Plan {
        var changes: [Change] = []
        for (kind, n) in kinds.sorted(by: { $0.key < $1.key }) {
            for i in 0..<n { changes.append(Change(kind: kind, dn: "uid=\(kind)\(i)", groupUnit: nil, subject: "", reason: "")) }
        }
        var p = Plan(asOf: Day(parsing: "2026-12-01")!, directory: "", inputs: [:], changes: changes, scheduled: [], disputes: [], unitNames: [:])
        p.managedEntries = entries
        p.managedUnits = units
        p.renumbered = (0..<renumbered).map { Renumbering(oldId: String(format: "%06d", $0), newId: "\($0)", name: "Nguyễn Văn An", unitCode: "VP") }
        return p
    }

    @Test("every kind that writes is limited: creations, handovers and unit moves too")
    func everyKind() {
        #expect(SafetyCheck.violations(plan([.createUnit: 10_000], entries: 3_000, units: 60), safety).contains { $0.hasPrefix("10000 creations exceed safety.max_count (500)") })
        #expect(SafetyCheck.violations(plan([.handoverUnitMailbox: 46], entries: 3_000, units: 60), safety).contains { $0.hasPrefix("46 handovers are 76.7 % of the 60 managed units") })
        // Sixteen top-level units moved under a new root: 0.5 % of the entries, 27 % of the units.
        #expect(SafetyCheck.violations(plan([.moveUnit: 16], entries: 3_000, units: 60), safety).contains { $0.hasPrefix("16 unit moves and renames are 26.7 % of the 60 managed units") })
        #expect(SafetyCheck.violations(plan([.updateAccount: 900], entries: 3_000, units: 60), safety).count == 2, "over both limits, named under both")
        // A quarter's ordinary churn passes.
        #expect(SafetyCheck.violations(plan([.createAccount: 150, .disableAccount: 140, .moveAccount: 150, .updateAccount: 40, .handoverUnitMailbox: 3, .renameUnit: 1], entries: 3_060, units: 60), safety).isEmpty)
    }

    @Test("the first load of an empty directory is not a mass change; a renumbered staff file is")
    func firstLoadAndRenumbering() {
        #expect(SafetyCheck.violations(plan([.createAccount: 3_000, .createUnit: 60], entries: 0, units: 0), safety).isEmpty)
        #expect(SafetyCheck.violations(plan([.adoptAccount: 3_000], entries: 0, units: 0), safety).isEmpty)
        #expect(!SafetyCheck.violations(plan([.createAccount: 3_000], entries: 60, units: 60), safety).isEmpty)
        let renumbered = SafetyCheck.violations(plan([.createAccount: 12, .disableAccount: 12], entries: 3_000, units: 60, renumbered: 12), safety)
        #expect(renumbered.first?.hasPrefix("12 new employee ids have the name and unit of an account whose id left the staff roster (000000 → 0 Nguyễn Văn An") == true, "\(renumbered)")
        #expect(SafetyCheck.violations(plan([.createAccount: 2, .disableAccount: 2], entries: 3_000, units: 60, renumbered: 2), safety).isEmpty, "one or two ids corrected by HR")
    }
}
