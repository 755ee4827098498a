import Foundation
import SlapdHarness
import Testing

@Suite("rostersync report against a real slapd")
struct ReportCommandTests {
    let samples = Slapd.repoRoot + "/samples"

    @Test("review: an index and a page per unit in html, csv and md; a wrong unit is refused")
    func review() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            #expect(try rostersync(["sync", "--config", sc.config]).status == 0)
            for format in ["html", "xlsx", "csv", "md"] {
                let out = s.dir + "/review-\(format)"
                let r = try rostersync(["report", "review", "--config", sc.config, "--format", format, "--out", out])
                #expect(r.status == 0, "\(r.stderr)")
                let files = try FileManager.default.contentsOfDirectory(atPath: out)
                #expect(files.count == 21, "\(format): \(files.sorted())")  // 20 units and the index
                #expect(files.contains("index.\(format)"))
            }
            let vp = try String(contentsOfFile: s.dir + "/review-html/VP.html", encoding: .utf8)
            #expect(vp.contains("Văn phòng Ủy ban") && vp.contains("Đang hoạt động"))
            let csv = try Data(contentsOf: URL(fileURLWithPath: s.dir + "/review-csv/VP.csv"))
            #expect(Array(csv.prefix(3)) == [0xEF, 0xBB, 0xBF])
            // A document to sign and send back, naming the directory by its label, not its URI.
            #expect(vp.contains("XÁC NHẬN CỦA ĐƠN VỊ") && vp.contains("<th>Mã cán bộ</th>") && !vp.contains("ldapi:"))
            let xlsx = try Data(contentsOf: URL(fileURLWithPath: s.dir + "/review-xlsx/VP.xlsx"))
            #expect(xlsx.prefix(4) == Data([0x50, 0x4B, 0x03, 0x04]), "a zip")
            let usage = try rostersync(["report", "usage", "--config", sc.config, "--period", "2026Q3", "--format", "xlsx", "--out", s.dir + "/usage.xlsx"])
            #expect(usage.status == 0, "\(usage.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: s.dir + "/usage.xlsx")).prefix(2) == Data("PK".utf8))
            let noOut = try rostersync(["report", "usage", "--config", sc.config, "--period", "2026Q3", "--format", "xlsx"])
            #expect(noOut.status != 0 && noOut.stderr.contains("--out FILE.xlsx"), "\(noOut.stderr)")
            let bad = try rostersync(["report", "review", "--config", sc.config, "--unit", "NOPE", "--out", s.dir + "/x"])
            #expect(bad.status == 1 && bad.stderr.contains("NOPE"))
            #expect(!FileManager.default.fileExists(atPath: s.dir + "/x"))
        }
    }

    @Test("usage: a generated Postfix log of 120,000 lines, plain and gzipped, is counted exactly as it was generated")
    func usageFromPostfixLog() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            #expect(try rostersync(["sync", "--config", sc.config]).status == 0)
            // Every address and alias the directory delivers to, as the generator's input.
            let dump = try s.tool("ldapsearch", ["-LLL", "-E", "pr=1000/noprompt", "-b", "ou=units,\(s.suffix)", "(mail=*)", "mail", "mailLocalAddress"])
            var lines: [String] = []
            for block in dump.stdout.components(separatedBy: "\n\n") {
                let attrs = block.split(separator: "\n")
                guard let mail = attrs.first(where: { $0.hasPrefix("mail: ") })?.dropFirst(6) else { continue }
                lines.append(String(mail))
                for alias in attrs where alias.hasPrefix("mailLocalAddress: ") { lines.append("\(alias.dropFirst(18)) \(mail)") }
            }
            // Units' old names live on as aliases; give the generator some to resolve.
            lines.append("vp-cu@cema.gov.vn \(lines[0])")
            try lines.joined(separator: "\n").write(toFile: s.dir + "/addresses", atomically: true, encoding: .utf8)
            _ = try s.tool("ldapmodify", [], stdin: "dn: \(try dnOf(s, lines[0]))\nchangetype: modify\nadd: mailLocalAddress\nmailLocalAddress: vp-cu@cema.gov.vn\n")
            let log = s.dir + "/mail.log"
            let gen = try Slapd.run(rosterGenBinary, ["maillog", "--addresses", s.dir + "/addresses", "--from", "2026-07-01", "--days", "92",
                                                      "--lines", "120000", "--out", log, "--gap", "40"])
            #expect(gen.status == 0, "\(gen.stderr)")
            let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: log + ".expected.json"))) as? [String: Any])
            #expect((expected["lines"] as? Int ?? 0) >= 100_000)
            // The same log rotated: the first half plain, the second gzipped.
            let gz = try Slapd.run("/bin/sh", ["-c", "cd \(s.dir) && head -n 60000 mail.log > mail.log.1 && tail -n +60001 mail.log > mail.log.2 && gzip -f mail.log.2"])
            #expect(gz.status == 0, "\(gz.stderr)")
            for files in [[log], [s.dir + "/mail.log.1", s.dir + "/mail.log.2.gz"]] {
                let r = try rostersync(["report", "usage", "--config", sc.config, "--period", "2026Q3", "--format", "json", "--timings"] + files.flatMap { ["--mail-log", $0] })
                #expect(r.status == 0, "\(r.stderr)")
                let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
                var sent: [String: Int] = [:], received: [String: Int] = [:]
                for unit in doc["units"] as? [[String: Any]] ?? [] {
                    for p in unit["people"] as? [[String: Any]] ?? [] {
                        let a = p["address"] as? String ?? ""
                        if let n = p["sent"] as? Int, n > 0 { sent[a] = n }
                        if let n = p["received"] as? Int, n > 0 { received[a] = n }
                    }
                }
                #expect(sent == expected["sent"] as? [String: Int], "\(files)")
                #expect(received == expected["received"] as? [String: Int], "\(files)")
                let sources = doc["sources"] as? [String] ?? []
                #expect(sources.contains { $0.contains("Thiếu nhật ký ngày 10/08/2026") }, "\(sources)")
                #expect(r.stderr.contains("lines/s"))
            }
            let html = try rostersync(["report", "usage", "--config", sc.config, "--period", "2026Q3", "--mail-log", log, "--out", s.dir + "/usage.html"])
            #expect(html.status == 0, "\(html.stderr)")
            #expect(try String(contentsOfFile: s.dir + "/usage.html", encoding: .utf8).contains("<svg"))
            let missing = try rostersync(["report", "usage", "--config", sc.config, "--period", "2026Q3", "--mail-log", s.dir + "/nope.log"])
            #expect(missing.status == 1 && missing.stderr.contains("nope.log"))
            let badPeriod = try rostersync(["report", "usage", "--config", sc.config, "--period", "2026Q5"])
            #expect(badPeriod.status != 0 && badPeriod.stderr.contains("2026Q5"))
        }
    }

    func dnOf(_ s: Slapd, _ mail: String) throws -> String {
        let out = try s.tool("ldapsearch", ["-LLL", "-b", s.suffix, "(mail=\(mail))", "1.1"])
        return String(try #require(out.stdout.split(separator: "\n").first).dropFirst(4))
    }

    @Test("overdue: 0 after a sync; 2 with the hires of a roster not yet synced, once their two working days have passed")
    func overdue() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            #expect(try rostersync(["sync", "--config", sc.config]).status == 0)
            let none = try rostersync(["report", "overdue", "--config", sc.config])
            #expect(none.status == 0, "\(none.stdout)\(none.stderr)")
            let (q2, _, _) = try Scenario.quarterTwo(s)
            // Far enough on that every hire's start date is two working days past.
            let later = dayString(offset: 60)
            let some = try rostersync(["report", "overdue", "--config", q2.config, "--as-of", later, "--format", "json"])
            #expect(some.status == 2, "\(some.stderr)")
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(some.stdout.utf8)) as? [String: Any])
            let rows = doc["overdue"] as? [[String: Any]] ?? []
            #expect(!rows.isEmpty)
            // Synced on that day, nobody is overdue any more (forced: two months of a quarter's
            // churn at once is more than the safety limits let through unasked).
            let synced = try rostersync(["sync", "--config", q2.config, "--as-of", later, "--force", "--reason", "test"])
            #expect(synced.status == 0, "\(synced.stderr)")
            let after = try rostersync(["report", "overdue", "--config", q2.config, "--as-of", later])
            #expect(after.status == 0, "\(after.stdout)")
        }
    }
}
