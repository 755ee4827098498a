import Foundation
import LDAPClient
import SlapdHarness
import Testing

/// Unit mailboxes as entries of their own (`cn=unit mailbox` below the unit, inetOrgPerson),
/// and the move of a directory that rostersync 1.1 synced, where the unit's entry was also its
/// mailbox.
@Suite("Unit mailboxes as person entries")
struct UnitMailboxTests {
    let fixtures = Slapd.repoRoot + "/Tests/fixtures"

    @Test("a directory synced by 1.1: the next sync gives every unit mailbox its own entry, with its password, lock and holder; then nothing is left")
    func migration() throws {
        try withSlapd { s in
            let ldif = try String(contentsOfFile: fixtures + "/legacy-1.1-units.ldif", encoding: .utf8)
            let load = try s.tool("ldapadd", ["-c"], stdin: ldif.replacingOccurrences(of: "dc=cema,dc=gov,dc=vn", with: s.suffix))
            #expect(load.status == 0, "\(load.stderr)")
            let units = try ldapEntries(s, "(objectClass=rsUnit)", ["mail", "owner"])
            #expect(units.count == 20 && units.values.allSatisfy { $0["mail"] != nil }, "the fixture is 1.1's shape: \(units.count) units")
            // A known password on one unit mailbox, a lock on another, as 1.1 kept them.
            let vp = "ou=vpub,ou=units,\(s.suffix)"
            let known = "Known-Pass-2026"
            let hash = try Slapd.run("/usr/sbin/slappasswd", ["-s", known]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(hash.hasPrefix("{SSHA}"))
            let locked = try #require(units.keys.sorted().first { $0 != vp && $0.hasPrefix("ou=") })
            let mod = try s.tool("ldapmodify", [], stdin: """
                dn: \(vp)
                changetype: modify
                replace: userPassword
                userPassword: \(hash)

                dn: \(locked)
                changetype: modify
                replace: rsState
                rsState: locked
                -
                replace: rsStateSince
                rsStateSince: 20261001000000Z
                -
                replace: pwdAccountLockedTime
                pwdAccountLockedTime: 000001010000Z

                """)
            #expect(mod.status == 0, "\(mod.stderr)")
            #expect(bindError(s, dn: vp, password: known) == nil, "1.1's unit mailbox logs in as its unit")

            let sc = try Scenario(s, units: Slapd.repoRoot + "/samples/units.csv", staff: fixtures + "/legacy-staff.csv")
            let plan = try sc.plan(["--as-of", "2026-12-02", "--format", "json"])
            #expect(plan.status == 2, "\(plan.stderr)")
            #expect(!plan.stdout.contains("userPassword") && !plan.stdout.contains(hash), "no password in the plan")
            let sync = try rostersync(["sync", "--config", sc.config, "--as-of", "2026-12-02"])
            #expect(sync.status == 0, "\(sync.stdout.suffix(800))\(sync.stderr)")
            #expect(sync.stdout.components(separatedBy: "did separateUnitMailbox").count - 1 == 20, "\(sync.stdout.suffix(800))")
            let again = try sc.plan(["--as-of", "2026-12-02"])
            #expect(again.status == 0 && again.stdout.contains("0 changes;"), "\(again.stdout.prefix(800))")

            // Every unit has its mailbox entry; the unit's own entry holds no mailbox any more.
            let after = try ldapEntries(s, "(objectClass=rsUnit)", ["mail", "userPassword", "owner", "pwdAccountLockedTime", "rsState"])
            #expect(after.count == 20 && after.values.allSatisfy { $0["mail"] == nil && $0["userpassword"] == nil && $0["owner"] == nil && $0["pwdaccountlockedtime"] == nil })
            #expect(after[locked]?["rsstate"] == ["active"], "the lock was the mailbox's: \(after[locked] ?? [:])")
            let boxes = try ldapEntries(s, "(objectClass=rsUnitMailbox)", ["mail", "owner", "rsState", "pwdAccountLockedTime", "objectClass"])
            #expect(boxes.count == 20)
            for (dn, unit) in units {
                let box = try #require(boxes["cn=unit mailbox," + dn], "no mailbox entry below \(dn)")
                #expect(box["mail"] == unit["mail"] && box["owner"] == unit["owner"], "\(dn): \(box) vs \(unit)")
                // Found by the filters mail servers usually have.
                let stock = try ldapEntries(s, "(&(objectClass=inetOrgPerson)(mail=\(unit["mail"]?.first ?? "")))", ["1.1"])
                #expect(stock.keys.sorted() == ["cn=unit mailbox," + dn])
            }
            #expect(boxes["cn=unit mailbox," + locked]?["rsstate"] == ["locked"] && boxes["cn=unit mailbox," + locked]?["pwdaccountlockedtime"] != nil)
            // The holder logs in with the password they had; the unit's entry is no login now.
            #expect(bindError(s, dn: "cn=unit mailbox," + vp, password: known) == nil)
            #expect(bindError(s, dn: vp, password: known) != nil)
            // The units' entries as they were, password included, are in the run's backup.
            let run = try #require(try backupRuns(s).last)
            let saved = try ldifDNs(s.dir + "/state/backups/\(run)/entries.ldif")
            #expect(Set(saved.map { $0.lowercased() }).isSuperset(of: units.keys.map { $0.lowercased() }), "\(saved.count) entries backed up")
        }
    }

    @Test("a new unit's mailbox: an inetOrgPerson entry that logs in with its notice's password; a unit left without one gets it back")
    func newUnitMailbox() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: Slapd.repoRoot + "/samples/units.csv", staff: Slapd.repoRoot + "/samples/staff.csv")
            let first = try rostersync(["sync", "--config", sc.config])
            #expect(first.status == 0, "\(first.stderr)")
            let boxes = try ldapEntries(s, "(&(objectClass=inetOrgPerson)(objectClass=rsUnitMailbox))", ["mail"])
            #expect(boxes.count == 20)
            // A run killed between a unit's two adds leaves a unit without its mailbox.
            let dn = try #require(boxes.keys.sorted().first)
            let address = try #require(boxes[dn]?["mail"]?.first)
            #expect(try s.tool("ldapdelete", [dn]).status == 0)
            let plan = try sc.plan([])
            #expect(plan.status == 2 && plan.stdout.contains("has no entry"), "\(plan.stdout.prefix(600))")
            let second = try rostersync(["sync", "--config", sc.config])
            #expect(second.status == 0, "\(second.stderr)")
            let notices = s.dir + "/state/notices"
            let latest = try #require(try FileManager.default.contentsOfDirectory(atPath: notices).sorted().last)
            var password: String?
            for f in try FileManager.default.contentsOfDirectory(atPath: notices + "/" + latest) {
                let lines = try String(contentsOfFile: notices + "/" + latest + "/" + f, encoding: .utf8).split(separator: "\n").map(String.init)
                if let i = lines.firstIndex(where: { $0.hasSuffix(" " + address) }), i + 1 < lines.count {
                    password = lines[i + 1].split(separator: " ").last.map(String.init)
                }
            }
            let pw = try #require(password, "a notice for \(address)")
            #expect(bindError(s, dn: dn, password: pw) == nil)
            #expect(try sc.plan([]).status == 0)
        }
    }
}
