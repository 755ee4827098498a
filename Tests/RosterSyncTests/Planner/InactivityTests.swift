import Foundation
import LDAPModel
@testable import RosterSync
import Testing

@Suite("Planner: inactivity locks and deletions for disuse")
struct InactivityTests: PlannerFixtures {
    @Test("no login for 3 months locks, counted from creation if never; on leave and exempt are spared")
    func inactivity() throws {
        let r = try roster(staff: "employee_id,full_name,unit_code,status\n1,Nguyễn Văn An,VP,active\n2,Lê Văn Bình,VP,on_leave\n3,Trần Văn Cường,VP,active\n4,Phạm Văn Dũng,VP,active\n5,Hồ Văn Em,VP,active\n")
        let entries = directory + [
            person("1", "annv", name: "Nguyễn Văn An", logins: ()),  // created 2026-01-01, never logged in
            person("2", "binhlv", name: "Lê Văn Bình", logins: ()),
            person("3", "cuongtv", name: "Trần Văn Cường", ["pwdLastSuccess": ["20261101083000Z"]]),
            person("4", "dungpv", name: "Phạm Văn Dũng", ["rsLockExemptUntil": ["20270101000000Z"]]),
            person("5", "emhv", name: "Hồ Văn Em", logins: ()),
        ]
        // Em logged in to a mail server that does not bind to LDAP: its export says so.
        let p = plan(r, entries, logins: ["emhv@cema.gov.vn": Day(parsing: "2026-11-20")!])
        #expect(kinds(p) == ["lockAccount 1"])
        #expect(p.changes[0].reason.contains("never logged in since the mailbox was created on 2026-01-01"))
        // Just short of three months: nothing.
        #expect(plan(r, entries, asOf: "2026-03-31").changes.isEmpty)
    }

    @Test("someone who starts (or comes back) has a lock period from their start date, whatever their last login was")
    func rehireNotLockedAtOnce() throws {
        // Came back on 2026-10-01; the mail server still shows their last login of their first time here.
        let r = try roster(staff: "employee_id,full_name,unit_code,start_date\n1,Nguyễn Văn An,VP,2026-10-01\n")
        let entries = directory + [person("1", "annv", name: "Nguyễn Văn An", ["createTimestamp": ["20250101000000Z"]])]
        let logins = ["annv@cema.gov.vn": Day(parsing: "2025-03-10")!]
        #expect(kinds(plan(r, entries, asOf: "2026-11-29", logins: logins)).isEmpty)
        let later = plan(r, entries, asOf: "2027-01-05", logins: logins)
        #expect(kinds(later) == ["lockAccount 1"])
        #expect(later.changes[0].reason.contains("no login since starting work on 2026-10-01"))
    }

    @Test("a login older than the mailbox by more than delete_unused_after is an earlier mailbox's: the lock period counts from its creation")
    func staleLoginBeforeCreation() throws {
        // Made again on 2026-11-01 (a mailbox deleted for disuse and reopened, or an address
        // another held before): the mail server's export still has the old life's login.
        let r = try roster(staff: "employee_id,full_name,unit_code,start_date\n1,Nguyễn Văn An,VP,2020-01-01\n")
        let entries = directory + [person("1", "annv", name: "Nguyễn Văn An", ["createTimestamp": ["20261101000000Z"]])]
        let stale = ["annv@cema.gov.vn": Day(parsing: "2026-04-01")!]
        #expect(kinds(plan(r, entries, asOf: "2026-12-06", logins: stale)).isEmpty)
        let later = plan(r, entries, asOf: "2027-02-02", logins: stale)
        #expect(kinds(later) == ["lockAccount 1"])
        #expect(later.changes[0].reason.contains("never logged in since the mailbox was created on 2026-11-01"), "\(later.changes[0].reason)")
        // A login a little older than the entry (a directory reloaded with ldapadd) counts.
        let reloaded = plan(r, entries, asOf: "2026-12-06", logins: ["annv@cema.gov.vn": Day(parsing: "2026-08-20")!])
        #expect(kinds(reloaded) == ["lockAccount 1"])
        #expect(reloaded.changes.first?.reason.contains("no login since 2026-08-20") == true)
        // A login after the creation counts as ever.
        #expect(kinds(plan(r, entries, asOf: "2027-02-02", logins: ["annv@cema.gov.vn": Day(parsing: "2026-12-20")!])).isEmpty)
    }

    @Test("unused 6 months deletes, but only after 3 months locked; a departed account is deleted after the retention")
    func deletions() throws {
        let r = try roster(staff: "employee_id,full_name,unit_code,status,end_date\n1,Nguyễn Văn An,VP,active,\n2,Lê Văn Bình,VP,departed,2026-01-31\n")
        let locked: [String: [String]] = ["rsState": ["locked"], "rsStateSince": ["20260901000000Z"], "pwdAccountLockedTime": ["000001010000Z"]]
        let disabled: [String: [String]] = ["rsState": ["disabled"], "rsStateSince": ["20260201000000Z"], "pwdAccountLockedTime": ["000001010000Z"]]
        let entries = directory + [person("1", "annv", name: "Nguyễn Văn An", locked), person("2", "binhlv", name: "Lê Văn Bình", disabled)]
        // Locked only since September: not three months yet on 2026-11-29.
        #expect(kinds(plan(r, entries, asOf: "2026-11-29")) == ["deleteAccount 2"])
        // The deletion for disuse is remembered first, in a folder made for it (art. 9.3b).
        let both = plan(r, entries, asOf: "2026-12-01")
        #expect(kinds(both) == ["createContainer ou=Closed mailboxes,ou=units,dc=cema,dc=gov,dc=vn", "deleteAccount 1", "deleteAccount 2"])
        let disuse = try #require(both.changes.first { $0.employeeId == "1" })
        guard case let .add(record, attrs)? = disuse.operations.first, case .delete? = disuse.operations.last else {
            Issue.record("the record of the deletion comes before the delete: \(disuse.operations)")
            return
        }
        #expect(record == "employeeNumber=1,ou=Closed mailboxes,ou=units,dc=cema,dc=gov,dc=vn")
        #expect(attrs.first { $0.name == "rsClosedAddress" }?.values == [Data("annv@cema.gov.vn".utf8)])
        // A departure's deletion is not remembered: nothing would bring that mailbox back.
        #expect(both.changes.first { $0.employeeId == "2" }?.operations.count == 1)
        // Before the retention the deletion is only scheduled.
        let early = plan(r, entries, asOf: "2026-06-01")
        #expect(early.changes.isEmpty)
        #expect(early.scheduled.map(\.kind) == [.deleteAccount])
        #expect(early.scheduled[0].due?.description == "2026-07-31")
    }

    @Test("a unit mailbox without a login for 3 months is locked like a person's, stays locked, and is never deleted for disuse")
    func unitMailboxInactivity() throws {
        let r = try roster(staff: "employee_id,full_name,unit_code\n1,Nguyễn Văn An,VP\n")
        let login = ["pwdLastSuccess": ["20261120000000Z"], "createTimestamp": ["20250101000000Z"]]
        let quiet = unitEntry("PC", "pc", extra: ["createTimestamp": ["20260101000000Z"]])
        let p = plan(r, [unitEntry("VP", "vp", extra: login), quiet, person("1", "annv", name: "Nguyễn Văn An", ["pwdLastSuccess": ["20261120000000Z"]])])
        #expect(kinds(p) == ["lockAccount PC"])
        let lock = try #require(p.changes.first)
        #expect(lock.dn == "ou=pc,\(base)" && lock.reason.contains("never logged in since the unit mailbox was created on 2026-01-01"))
        // Locked since, still silent half a year on: nothing more (no delete, no reactivation).
        let locked = unitEntry("PC", "pc", extra: ["createTimestamp": ["20260101000000Z"], "rsState": ["locked"], "rsStateSince": ["20260501000000Z"]])
        #expect(kinds(plan(r, [unitEntry("VP", "vp", extra: login), locked, person("1", "annv", name: "Nguyễn Văn An", ["pwdLastSuccess": ["20261120000000Z"]])])).isEmpty)
        // Reopened with an exemption: not locked again before it ends.
        let exempt = unitEntry("PC", "pc", extra: ["createTimestamp": ["20260101000000Z"], "rsLockExemptUntil": ["20261231000000Z"]])
        #expect(kinds(plan(r, [unitEntry("VP", "vp", extra: login), exempt, person("1", "annv", name: "Nguyễn Văn An", ["pwdLastSuccess": ["20261120000000Z"]])])).isEmpty)
    }
}
