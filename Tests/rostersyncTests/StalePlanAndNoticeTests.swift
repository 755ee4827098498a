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

    func dnOfPerson(_ s: Slapd, _ id: String) throws -> String? {
        ldifLinesDN(try s.tool("ldapsearch", ["-LLL", "-o", "ldif_wrap=no", "-b", s.suffix, "(employeeNumber=\(id))", "1.1"]).stdout)
    }
}
