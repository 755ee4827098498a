import Foundation
import SlapdHarness
import Testing

func auditLines(_ s: Slapd) -> [String] {
    Slapd.readText(s.dir + "/state/audit.jsonl").split(separator: "\n").map(String.init)
}

@Suite("stale plans, thresholds, handover notices and usage logins against a real slapd")
struct StalePlanAndNoticeTests {
    let samples = Slapd.repoRoot + "/samples"

    @Test("a saved plan applied twice: the second apply is refused before any write")
    func appliedTwice() throws {
        try withSlapd { s in
            let (q2, _, planFile, _) = try ApplyTests().savedQuarterTwo(s)
            let first = try rostersync(["apply", "--config", q2.config, planFile])
            #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
            let before = auditLines(s).count
            let second = try rostersync(["apply", "--config", q2.config, planFile])
            #expect(second.status == 1, "\(second.stdout)\(second.stderr)")
            #expect(second.stderr.contains("the directory changed since this plan was made"), "\(second.stderr)")
            #expect(!second.stderr.contains("FAILED") && !second.stdout.contains("did "), "nothing written")
            #expect(auditLines(s).count == before, "no run was started")
        }
    }

    @Test("a saved plan applied after a sync that applied part of it: refused before any write, with how much is done")
    func appliedAfterHalf() throws {
        try withSlapd { s in
            let (q2, asOf, planFile, changes) = try ApplyTests().savedQuarterTwo(s)
            let unit = try #require(changes.first { $0["kind"] as? String == "createAccount" }?["unit"] as? String)
            let part = try rostersync(["sync", "--config", q2.config, "--as-of", asOf, "--unit", unit])
            #expect(part.status == 0, "\(part.stdout)\(part.stderr)")
            let done = part.stdout.split(separator: "\n").filter { $0.hasPrefix("did ") }.count
            #expect(done > 0 && done < changes.count)
            let before = auditLines(s).count
            let out = try rostersync(["apply", "--config", q2.config, planFile])
            #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
            #expect(out.stderr.contains("the directory changed since this plan was made") && out.stderr.contains("make a new plan"), "\(out.stderr)")
            #expect(out.stderr.contains("\(done) of its \(changes.filter { $0["kind"] as? String != "orphan" }.count) changes"), "\(out.stderr)")
            #expect(auditLines(s).count == before)
            // A new plan of the rest applies.
            let fresh = s.dir + "/rest.json"
            #expect(try q2.plan(["--as-of", asOf, "--out", fresh]).status == 2)
            let rest = try rostersync(["apply", "--config", q2.config, fresh])
            #expect(rest.status == 0, "\(rest.stdout)\(rest.stderr)")
        }
    }

    @Test("a tripped threshold names every limit exceeded, and each is audited with exit code 3")
    func everyLimitTripped() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            #expect(try rostersync(["sync", "--config", sc.config]).status == 0)
            let lines = try String(contentsOfFile: samples + "/staff.csv", encoding: .utf8).split(separator: "\r\n")
            let heads = Set(try String(contentsOfFile: samples + "/units.csv", encoding: .utf8).split(separator: "\r\n").dropFirst().compactMap { $0.split(separator: ",", omittingEmptySubsequences: false)[4] })
            let kept = [lines[0]] + lines.dropFirst().filter { l in heads.contains(l.split(separator: ",")[0]) || Int(l.prefix(6)) ?? 0 <= 30 }
            try kept.joined(separator: "\r\n").write(toFile: s.dir + "/cut.csv", atomically: true, encoding: .utf8)
            let cut = try Scenario(s, units: samples + "/units.csv", staff: s.dir + "/cut.csv", extra: "safety:\n  max_count: 100\n")
            let out = try rostersync(["sync", "--config", cut.config])
            #expect(out.status == 3, "\(out.stdout)\(out.stderr)")
            #expect(out.stderr.contains("exceed safety.max_count (100)") && out.stderr.contains("over safety.max_percent"), "\(out.stderr)")
            let tripped = auditLines(s).filter { $0.contains("\"result\":\"threshold\"") }
            #expect(tripped.count == 2, "\(tripped)")
            #expect(tripped.allSatisfy { $0.contains("\"code\":3") }, "\(tripped)")
            #expect(tripped.contains { $0.contains("safety.max_count") } && tripped.contains { $0.contains("safety.max_percent") })
        }
    }

    @Test("a unit mailbox handed over to a new head: the notice says why in Vietnamese, with the head's name")
    func handoverNoticeInVietnamese() throws {
        try withSlapd { s in
            let r = try SmallRosters(s)
            let sc = try Scenario(s, units: r.units, staff: r.staff)
            #expect(try rostersync(["sync", "--config", sc.config]).status == 0)
            let runs = Set(try FileManager.default.contentsOfDirectory(atPath: s.dir + "/state/notices"))
            try r.write(ubMailbox: "uyban", ubHead: "000004", departed: [])
            let out = try rostersync(["sync", "--config", sc.config])
            #expect(out.status == 0 && out.stdout.contains("did handoverUnitMailbox"), "\(out.stdout)\(out.stderr)")
            let run = try #require(Set(try FileManager.default.contentsOfDirectory(atPath: s.dir + "/state/notices")).subtracting(runs).first)
            let text = try String(contentsOfFile: s.dir + "/state/notices/\(run)/UB.txt", encoding: .utf8)
            #expect(text.contains("Phạm Thị Dung") && text.contains("Điều 12.3"), "\(text)")
            for english in ["head changed", "password is reset", "notice made", "art. 12.3", " to "] {
                #expect(!text.contains(english), "English in the letter: \(english)\n\(text)")
            }
        }
    }

    @Test("usage report: unit mailboxes get their last login from policy.last_login_file, matched on aliases too")
    func usageLastLoginsForUnitsAndAliases() throws {
        try withSlapd { s in
            let r = try SmallRosters(s)
            let logins = s.dir + "/lastlogin.csv"
            try "address,last_login\r\n".write(toFile: logins, atomically: true, encoding: .utf8)
            let sc = try Scenario(s, units: r.units, staff: r.staff, extra: "policy:\n  last_login_file: \(logins)\n")
            #expect(try rostersync(["sync", "--config", sc.config]).status == 0)
            // UB renamed: its old address lives on as an alias, which the mail server still logs in with.
            try r.write(ubMailbox: "uybandt", ubHead: "000001", departed: [])
            #expect(try rostersync(["sync", "--config", sc.config]).status == 0)
            // A person with an alias the mail server reports logins under.
            let person = try #require(try dnOfPerson(s, "000002"))
            #expect(try s.tool("ldapmodify", [], stdin: "dn: \(person)\nchangetype: modify\nadd: mailLocalAddress\nmailLocalAddress: chanhvp@cema.gov.vn\n").status == 0)
            let vp = try #require(try s.tool("ldapsearch", ["-LLL", "-b", s.suffix, "(rsUnitCode=VP)", "mail"]).stdout.split(separator: "\n").first { $0.hasPrefix("mail: ") }?.dropFirst(6))
            let (d1, d2, d3) = (dayString(offset: -3), dayString(offset: -2), dayString(offset: -1))
            try "address,last_login\r\nuyban@cema.gov.vn,\(d1)\r\n\(vp),\(d2)\r\nchanhvp@cema.gov.vn,\(d3)\r\n".write(toFile: logins, atomically: true, encoding: .utf8)
            let out = try rostersync(["report", "usage", "--config", sc.config, "--period", "\(dayString(offset: -30))..\(dayString(offset: 0))", "--format", "json"])
            #expect(out.status == 0, "\(out.stderr)")
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
            let people = (doc["units"] as? [[String: Any]] ?? []).flatMap { $0["people"] as? [[String: Any]] ?? [] }
            func last(_ address: String) -> String? { people.first { $0["address"] as? String == address }?["lastLogin"] as? String }
            #expect(last("uybandt@cema.gov.vn") == d1, "unit mailbox by its alias: \(people)")
            #expect(last(String(vp)) == d2, "unit mailbox by its address")
            let bMail = try #require(try s.tool("ldapsearch", ["-LLL", "-b", person, "-s", "base", "mail"]).stdout.split(separator: "\n").first { $0.hasPrefix("mail: ") }?.dropFirst(6))
            #expect(last(String(bMail)) == d3, "a person by an alias")
            let totals = doc["totals"] as? [String: Any]
            #expect(totals?["users"] as? Int == 3, "\(String(describing: totals))")
        }
    }

    func dnOfPerson(_ s: Slapd, _ id: String) throws -> String? {
        ldifLinesDN(try s.tool("ldapsearch", ["-LLL", "-o", "ldif_wrap=no", "-b", s.suffix, "(employeeNumber=\(id))", "1.1"]).stdout)
    }
}
