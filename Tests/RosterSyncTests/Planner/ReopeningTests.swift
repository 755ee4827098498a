import LDAPModel
@testable import RosterSync
import Testing

@Suite("Reopening: an admin's reopen as a planned change (art. 9.3a)")
struct ReopeningTests {
    let today = Day(parsing: "2026-12-06")!
    let until = Day(parsing: "2027-03-06")!

    @Test("a locked mailbox: active, unlocked, exempt until the day given, asserting it is still locked")
    func locked() throws {
        let c = Reopening.locked(dn: "uid=annv,ou=PC,ou=units,dc=x", employeeId: "000123", unitCode: "PC", name: "Nguyễn Văn An",
                                 request: "CV 12/VP", exempt: until, today: today)
        #expect(c.kind == .reopenAccount, "told apart from an HR re-activation in the audit and reports")
        #expect(c.subject == "000123 Nguyễn Văn An")
        #expect(c.unitCode == "PC" && c.groupUnit == "PC", "grouped under its unit in the audit and reports")
        let unitMailbox = Reopening.locked(dn: "cn=unit mailbox,ou=vp,ou=units,dc=x", employeeId: nil, unitCode: "VP", name: "Văn phòng",
                                           request: "CV 1", exempt: until, today: today)
        #expect(unitMailbox.subject == "Văn phòng (VP)")
        #expect(c.reason.contains("CV 12/VP") && c.reason.contains("2027-03-06"))
        guard case let .modify(dn, mods, assertion)? = c.operations.first, c.operations.count == 1 else {
            Issue.record("expected one modify, got \(c.operations)")
            return
        }
        #expect(dn == c.dn)
        #expect(assertion == .equality("rsState", "locked"))
        #expect(mods.contains(.replace("rsState", ["active"])))
        #expect(mods.contains(.delete("pwdAccountLockedTime")))
        #expect(mods.contains(.replace("rsLockExemptUntil", [until.generalizedTime])))
        #expect(mods.contains(.replace("rsStateReason", ["reopened: CV 12/VP"])))
    }

    @Test("a mailbox deleted for disuse: its record deleted, asserting it names that address")
    func deleted() throws {
        let c = Reopening.deleted(recordDN: "cn=closed-000123,ou=units,dc=x", employeeId: "000123", unitCode: "PC", name: "Nguyễn Văn An",
                                  address: "annv@cema.gov.vn", request: "CV 12/VP")
        #expect(c.operations == [.delete(dn: "cn=closed-000123,ou=units,dc=x", assertion: .equality("rsClosedAddress", "annv@cema.gov.vn"))])
        let plan = Reopening.plan(c, asOf: today, directory: "ldapi:/// dc=x")
        #expect(plan.changes == [c] && plan.asOf == today && plan.scheduled.isEmpty)
        #expect(SafetyCheck.violations(plan, Config.Safety(maxPercent: 10, maxCount: 500, minCount: 0)).isEmpty, "one reopen never trips a threshold")
    }
}
