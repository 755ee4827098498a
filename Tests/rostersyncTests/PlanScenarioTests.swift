import Foundation
import SlapdHarness
import Testing

/// The built `roster-gen`, next to `rostersync`.
let rosterGenBinary = URL(fileURLWithPath: rostersyncBinary).deletingLastPathComponent().appendingPathComponent("roster-gen").path

/// A plan scenario: a slapd, a config pointing at rosters in its folder.
struct Scenario {
    let slapd: Slapd
    let config: String

    init(_ s: Slapd, units: String, staff: String, extra: String = "") throws {
        slapd = s
        config = try writeConfig(s, extra: "rosters:\n  units: \(units)\n  staff: \(staff)\n" + extra)
    }

    func plan(_ args: [String] = []) throws -> Slapd.ProcessOutput {
        try rostersync(["plan", "--config", config] + args)
    }

    /// Applies the plan's LDIF with ldapmodify, as an admin would.
    func applyLDIF(_ args: [String] = []) throws {
        let ldif = try plan(["--format", "ldif"] + args)
        #expect(ldif.status == 2, "\(ldif.stderr)")
        let out = try slapd.tool("ldapmodify", [], stdin: ldif.stdout)
        #expect(out.status == 0, "ldapmodify: \(out.stderr)")
    }
}

extension Scenario {
    /// The next quarter of the sample rosters (`roster-gen mutate`), planned a month on, in
    /// `s.dir/q2`, with the mail server's last logins; returns it and its as-of day.
    static func quarterTwo(_ s: Slapd) throws -> (scenario: Scenario, asOf: String, dir: String) {
        let asOf = dayString(offset: 30)
        let dir = s.dir + "/q2"
        let gen = try Slapd.run(rosterGenBinary, ["mutate", "--from", Slapd.repoRoot + "/samples", "--out", dir, "--as-of", asOf])
        #expect(gen.status == 0, "\(gen.stderr)")
        let sc = try Scenario(s, units: dir + "/units.csv", staff: dir + "/staff.csv", extra: "policy:\n  last_login_file: \(dir)/lastlogin.csv\n")
        return (sc, asOf, dir)
    }
}

func dayString(offset days: Int) -> String {
    let d = Date().addingTimeInterval(Double(days) * 86_400)
    let c = Calendar.current.dateComponents([.year, .month, .day], from: d)
    return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
}

@Suite("rostersync plan against a real slapd")
struct PlanScenarioTests {
    let samples = Slapd.repoRoot + "/samples"

    @Test("quarter 1 into an empty directory, then quarter 2: exactly the intended changes; after ldapmodify the plan is empty")
    func quarters() throws {
        try withSlapd { s in
            let q1 = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            let first = try q1.plan()
            #expect(first.status == 2, "\(first.stderr)")
            #expect(first.stdout.contains("20 createUnit") && first.stdout.contains("createAccount"))
            try q1.applyLDIF()
            let again = try q1.plan()
            #expect(again.status == 0, "\(again.stdout)")
            #expect(again.stdout.contains("No changes: the directory already matches the rosters."))

            // Quarter 2, planned a month on (the accounts were created today).
            let (q2, asOf, q2dir) = try Scenario.quarterTwo(s)
            let json = try q2.plan(["--as-of", asOf, "--format", "json"])
            #expect(json.status == 2, "\(json.stderr)")
            let plan = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            let got = ((plan?["changes"] as? [[String: Any]]) ?? []).map { c in
                "\(c["kind"] as? String ?? "") \((c["employeeId"] as? String) ?? (c["unitCode"] as? String) ?? "")"
            }.sorted()
            let intended = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: q2dir + "/intended.json"))) as? [[String: String]]
            let want = (intended ?? []).map { "\($0["kind"] ?? "") \($0["id"] ?? "")" }.sorted()
            #expect(want.count >= 20)
            for kind in ["createAccount", "disableAccount", "moveAccount", "updateAccount", "renameUnit", "dissolveUnit", "createUnit", "handoverUnitMailbox", "lockAccount"] {
                #expect(want.contains { $0.hasPrefix(kind + " ") }, "the mutation intends no \(kind)")
            }
            #expect(got.filter { !want.contains($0) } == [], "extra changes")
            #expect(want.filter { !got.contains($0) } == [], "missing changes")

            try q2.applyLDIF(["--as-of", asOf])
            let done = try q2.plan(["--as-of", asOf])
            #expect(done.status == 0, "\(done.stdout)")
            // The renamed unit's old address is an alias now, and the people moved kept their uid.
            let alias = try s.tool("ldapsearch", ["-LLL", "-b", s.suffix, "(rsExpiringAlias=*)", "mailLocalAddress"])
            #expect(alias.stdout.contains("mailLocalAddress: "), "\(alias.stdout)")
        }
    }

    @Test("the same inputs and date give byte-identical plans, in every format")
    func deterministic() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            for format in ["text", "json", "ldif"] {
                let a = try sc.plan(["--as-of", "2026-12-01", "--format", format])
                let b = try sc.plan(["--as-of", "2026-12-01", "--format", format])
                #expect(a.status == 2 && a.stdout == b.stdout && !a.stdout.isEmpty, "\(format)")
            }
        }
    }

    @Test("--out saves the JSON plan; --unit keeps one unit; text is grouped under the unit's Vietnamese name")
    func outAndUnit() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            let out = try sc.plan(["--unit", "TTTT", "--out", s.dir + "/plan.json"])
            #expect(out.status == 2)
            #expect(out.stdout.contains("\nTrung tâm Thông tin (TTTT)\n"))
            #expect(!out.stdout.contains("Văn phòng Ủy ban (VP)\n"))
            let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: s.dir + "/plan.json"))) as? [String: Any]
            #expect(saved?["version"] as? Int == 1)
            let inputs = saved?["inputs"] as? [String: String]
            #expect(inputs?.values.allSatisfy { $0.hasPrefix("sha256:") && $0.count == 71 } == true)
            #expect(((saved?["changes"] as? [[String: Any]]) ?? []).allSatisfy { $0["unit"] as? String == "TTTT" })
            let bad = try sc.plan(["--unit", "NOPE"])
            #expect(bad.status == 1 && bad.stderr.contains("--unit NOPE: no such unit"))
        }
    }

    @Test("an invalid roster and an unreachable directory both exit 1 and make no plan")
    func errors() throws {
        try withSlapd { s in
            try "employee_id,full_name,unit_code\n1,Nguyễn Văn An,NOPE\n".write(toFile: s.dir + "/bad.csv", atomically: true, encoding: .utf8)
            let bad = try Scenario(s, units: samples + "/units.csv", staff: s.dir + "/bad.csv")
            let out = try bad.plan(["--out", s.dir + "/p.json"])
            #expect(out.status == 1 && out.stderr.contains("bad.csv:2:3: unit \"NOPE\""))
            #expect(!FileManager.default.fileExists(atPath: s.dir + "/p.json"))
            s.kill9()
            usleep(200_000)
            let down = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv").plan()
            #expect(down.status == 1 && down.stdout.isEmpty, "\(down.stdout)")
        }
    }

    @Test("entries that predate rostersync are adopted by employee number; strays are reported as orphans")
    func adoptionOnServer() throws {
        try withSlapd { s in
            let units = "ou=units,\(s.suffix)"
            let pre = """
                dn: ou=legacy,\(units)
                objectClass: organizationalUnit
                ou: legacy

                dn: uid=an.nguyen,ou=legacy,\(units)
                objectClass: inetOrgPerson
                uid: an.nguyen
                cn: Nguyen Van An
                sn: Nguyen
                mail: an.nguyen@cema.gov.vn
                employeeNumber: 000006
                """
            #expect(try s.tool("ldapadd", [], stdin: pre).status == 0)
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            let out = try sc.plan()
            #expect(out.stdout.contains("&  adoptAccount        000006 Nguyễn Văn An"), "\(out.stdout)")
            #expect(out.stdout.contains(">  moveAccount         000006"))
            #expect(out.stdout.contains("?  orphan              ou=legacy"))
            try sc.applyLDIF()
            let e = try s.tool("ldapsearch", ["-LLL", "-b", units, "(employeeNumber=000006)", "mail", "cn", "objectClass"])
            #expect(e.stdout.contains("mail: an.nguyen@cema.gov.vn"), "the address HR knew stays")
            #expect(e.stdout.contains("objectClass: rsAccount"))
        }
    }
}
