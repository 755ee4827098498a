import Foundation
import LDAPClient
import LDAPModel
import SlapdHarness
import Testing

/// Issue 14: what a run killed, frozen out or cut off leaves behind, and what the next one settles.
@Suite("durability: killed runs, lost answers, closed pipes, file modes, against a real slapd")
struct DurabilityTests {
    let samples = Slapd.repoRoot + "/samples"

    func bigScenario(_ s: Slapd, staff: Int = 3000) throws -> Scenario {
        let dir = s.dir + "/big"
        #expect(try Slapd.run(rosterGenBinary, ["--staff", "\(staff)", "--out", dir]).status == 0)
        return try Scenario(s, units: dir + "/units.csv", staff: dir + "/staff.csv")
    }

    @Test("kill -9 during the writes: every applied change gets exactly one final audit record, every mailbox one notice entry that binds")
    func killedRunIsSettled() throws {
        try withSlapd { s in
            let sc = try bigScenario(s)
            let pid = Durability.spawn(["sync", "--config", sc.config], dir: s.dir)
            for _ in 0..<1000 {
                if Durability.count(s, "(objectClass=rsAccount)") > 800 { break }
                usleep(5_000)
            }
            kill(pid, SIGKILL)
            _ = Durability.wait(pid)
            let partial = Durability.count(s, "(objectClass=rsAccount)")
            #expect(partial > 0 && partial < 2900, "killed mid-run: \(partial)")
            #expect(Durability.lockIsFree(s))
            // What the killed run has on record as applied, before anything settles it.
            let killedOk = Durability.audit(s).filter { ($0["result"] as? String) == "ok" && ($0["kind"] as? String) == "createAccount" }.count
            // Its answers may be lost only for the writes in flight (a window), not for a slice.
            #expect(partial - killedOk <= 16, "\(partial) accounts exist, \(killedOk) audited as created")

            let rerun = try rostersync(["sync", "--config", sc.config])
            #expect(rerun.status == 0, "\(rerun.stderr)")
            #expect(try rostersync(["sync", "--config", sc.config]).stdout.hasPrefix("nothing to do"))
            let boxes = try Durability.mailboxes(s)
            #expect(boxes.count > 2900)
            let auditProblems = Durability.auditProblems(s, mailboxes: boxes)
            #expect(auditProblems.isEmpty, "\(auditProblems.count): \(auditProblems.prefix(5))")
            let noticeProblems = Durability.noticeProblems(s, mailboxes: boxes)
            #expect(noticeProblems.isEmpty, "\(noticeProblems.count): \(noticeProblems.prefix(5))")
        }
    }

    @Test("slapd frozen past operation_timeout: the writes in flight are unknown, their passwords stay, exit 4; the next run settles them")
    func frozenServerUnknownOutcome() throws {
        try withSlapd { s in
            let sc = try bigScenario(s)
            let pid = Durability.spawn(["sync", "--config", sc.config], dir: s.dir)
            for _ in 0..<1000 {
                if Durability.count(s, "(objectClass=rsAccount)") > 300 { break }
                usleep(5_000)
            }
            s.freeze()
            let status = Durability.wait(pid)  // operation_timeout is 5 s in the tests' config
            s.thaw()
            let err = Slapd.readText(s.dir + "/spawned.err")
            #expect(status == 4, "\(status): \(err.suffix(600))")
            #expect(err.contains("got no answer") && err.contains("the next run"), "\(err.suffix(600))")
            let audit = Durability.audit(s)
            let unknown = audit.filter { ($0["result"] as? String) == "unknown" }
            #expect(!unknown.isEmpty && unknown.count <= 8, "\(unknown.count) unknown")
            // Their passwords are still in the notices.
            let notices = Durability.notices(s)
            for u in unknown {
                let change = try #require(u["attributes"] as? [[String: Any]])
                let mail = try #require(change.first { $0["name"] as? String == "mail" }?["new"] as? [String])
                #expect(notices[mail[0]]?.count == 1, "\(mail[0]) not in the notice")
            }
            usleep(500_000)  // slapd finishes what it had read before it froze
            let rerun = try rostersync(["sync", "--config", sc.config])
            #expect(rerun.status == 0, "\(rerun.stderr)")
            #expect(rerun.stdout.contains("settled \(unknown.count) change"), "\(rerun.stdout.prefix(400))")
            let boxes = try Durability.mailboxes(s)
            let auditProblems = Durability.auditProblems(s, mailboxes: boxes)
            #expect(auditProblems.isEmpty, "\(auditProblems.count): \(auditProblems.prefix(5))")
            let noticeProblems = Durability.noticeProblems(s, mailboxes: boxes)
            #expect(noticeProblems.isEmpty, "\(noticeProblems.count): \(noticeProblems.prefix(5))")
        }
    }

    @Test("a sync that cannot reach the directory says error in the metrics, as its exit code does")
    func metricsOnUnreachableDirectory() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            let metrics = s.dir + "/state/metrics/rostersync.prom"
            #expect(try rostersync(["sync", "--config", sc.config]).status == 0)
            #expect(Slapd.readText(metrics).contains("rostersync_last_run_result{result=\"ok\"} 1"))
            try s.stop()
            let down = try rostersync(["sync", "--config", sc.config])
            #expect(down.status == 1, "\(down.stderr)")
            #expect(Slapd.readText(metrics).contains("rostersync_last_run_result{result=\"error\"} 1"), "\(Slapd.readText(metrics))")
            try s.start()
            #expect(try rostersync(["sync", "--config", sc.config]).status == 0)
            #expect(Slapd.readText(metrics).contains("rostersync_last_run_result{result=\"nothing\"} 1"), "\(Slapd.readText(metrics))")
        }
    }

    @Test("`rostersync sync | head -2`: the closed pipe does not stop the run; it ends, audits done and writes its metrics")
    func closedStdout() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            let out = try Slapd.run("/bin/bash", ["-c", "ROSTERSYNC_LOG_LEVEL=info '\(rostersyncBinary)' sync --config '\(sc.config)' | head -2; echo \"status ${PIPESTATUS[0]}\" >&2"])
            #expect(out.stderr.contains("status 0"), "\(out.stderr.suffix(400))")
            #expect(Durability.audit(s).contains { ($0["result"] as? String) == "done" })
            #expect(Slapd.readText(s.dir + "/state/metrics/rostersync.prom").contains("rostersync_last_run_result{result=\"ok\"} 1"))
            let boxes = try Durability.mailboxes(s)
            #expect(boxes.count > 280)
            let problems = Durability.noticeProblems(s, mailboxes: boxes)
            #expect(problems.isEmpty, "\(problems.prefix(5))")
            // A closed standard error too.
            let cut = try Slapd.run("/bin/bash", ["-c", "'\(rostersyncBinary)' sync --config '\(sc.config)' 2>&- >&-; echo \"status $?\""])
            #expect(cut.stdout.contains("status 0"), "\(cut.stdout)")
        }
    }

    @Test("the state folder and its secret files have private modes whatever the umask; metrics stay readable")
    func fileModes() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            let run = { (c: String) throws in
                let out = try Slapd.run("/bin/bash", ["-c", "umask 000; '\(rostersyncBinary)' sync --config '\(c)'"])
                #expect(out.status == 0, "\(out.stderr)")
            }
            try run(sc.config)
            // Five departures: disables, so a backup.
            let lines = Slapd.readText(samples + "/staff.csv").components(separatedBy: "\r\n").filter { !$0.isEmpty }
            try (lines.dropLast(5).joined(separator: "\r\n") + "\r\n").write(toFile: s.dir + "/fewer.csv", atomically: true, encoding: .utf8)
            try run(try Scenario(s, units: samples + "/units.csv", staff: s.dir + "/fewer.csv").config)
            let state = s.dir + "/state"
            func mode(_ p: String) -> mode_t {
                var st = stat()
                return stat(p, &st) == 0 ? st.st_mode & 0o777 : 0o1000
            }
            #expect(mode(state) == 0o711)
            for f in ["audit.jsonl", "rostersync.lock"] { #expect(mode(state + "/" + f) == 0o600, "\(f): \(String(mode(state + "/" + f), radix: 8))") }
            for d in ["backups", "notices"] { #expect(mode(state + "/" + d) == 0o700, "\(d)") }
            let backups = try FileManager.default.contentsOfDirectory(atPath: state + "/backups")
            #expect(!backups.isEmpty)
            for b in backups {
                #expect(mode(state + "/backups/" + b) == 0o700)
                #expect(mode(state + "/backups/" + b + "/entries.ldif") == 0o600, "\(String(mode(state + "/backups/" + b + "/entries.ldif"), radix: 8))")
            }
            for n in try FileManager.default.contentsOfDirectory(atPath: state + "/notices") where !n.hasSuffix(".tsv") {
                #expect(mode(state + "/notices/" + n) == 0o700)
                for f in try FileManager.default.contentsOfDirectory(atPath: state + "/notices/" + n) { #expect(mode(state + "/notices/" + n + "/" + f) == 0o600) }
            }
            #expect(mode(state + "/metrics/rostersync.prom") == 0o644)
        }
    }

    @Test("a run killed between a unit rename's modrdn and its modify: the next run completes the change (the plan cannot see it)")
    func killedBetweenWritesIsCompleted() throws {
        try withSlapd { s in
            let q1 = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            #expect(try rostersync(["sync", "--config", q1.config]).status == 0)
            let (q2, asOf, _) = try Scenario.quarterTwo(s)
            let plan = try JSONSerialization.jsonObject(with: Data(try q2.plan(["--as-of", asOf, "--format", "json"]).stdout.utf8)) as? [String: Any]
            let rename = try #require((plan?["changes"] as? [[String: Any]])?.first { $0["kind"] as? String == "renameUnit" })
            let ops = try #require(rename["operations"] as? [[String: Any]])
            let dn = try #require(rename["dn"] as? String), newDN = try #require(rename["newDn"] as? String)
            let modrdn = try #require(ops.first { $0["op"] as? String == "modrdn" })
            let modify = try #require(ops.first { $0["op"] as? String == "modify" })
            // The killed run got as far as the modrdn.
            let ldif = "dn: \(dn)\nchangetype: modrdn\nnewrdn: \(modrdn["newRdn"] as? String ?? "")\ndeleteoldrdn: 1\n"
                + ((modrdn["newSuperior"] as? String).map { "newsuperior: \($0)\n" } ?? "")
            let out = try s.tool("ldapmodify", [], stdin: ldif)
            #expect(out.status == 0, "\(out.stderr)")
            // Its records: the change's pending record (what its writes leave) and the run's marker.
            let state = s.dir + "/state"
            var checks: [Any] = [["exists", newDN], ["absent", dn]]
            for c in modify["changes"] as? [[String: Any]] ?? [] {
                let values = c["values"] as? [String] ?? []
                let mode = c["op"] as? String == "replace" ? "equals" : c["op"] as? String == "add" ? "has" : values.isEmpty ? "equals" : "lacks"
                checks.append([mode, modify["dn"] as? String ?? newDN, c["attribute"] as? String ?? "", values])
            }
            var st = stat()
            let offset = stat(state + "/audit.jsonl", &st) == 0 ? Int(st.st_size) : 0
            var pending = rename
            pending["operations"] = nil
            for (k, v) in ["time": "2026-01-01T00:00:00Z", "run": "R-killed", "actor": "test", "seq": 0, "result": "pending", "code": 0, "message": "", "checks": checks] as [String: Any] { pending[k] = v }
            let line = String(decoding: try JSONSerialization.data(withJSONObject: pending), as: UTF8.self) + "\n"
            let h = try #require(FileHandle(forWritingAtPath: state + "/audit.jsonl"))
            try h.seekToEnd()
            try h.write(contentsOf: Data(line.utf8))
            try h.close()
            try FileManager.default.createDirectory(atPath: state + "/runs", withIntermediateDirectories: true)
            let marker: [String: Any] = ["run": "R-killed", "auditOffset": offset, "notices": state + "/notices/R-killed"]
            try (JSONSerialization.data(withJSONObject: marker) + Data("\n".utf8)).write(to: URL(fileURLWithPath: state + "/runs/R-killed.json"))

            let rerun = try rostersync(["sync", "--config", q2.config, "--as-of", asOf])
            #expect(rerun.status == 0, "\(rerun.stderr)")
            #expect(try q2.plan(["--as-of", asOf]).status == 0)
            let newMail = try #require(((rename["attributes"] as? [[String: Any]])?.first { $0["name"] as? String == "mail" }?["new"] as? [String])?.first)
            // The unit's mailbox, below the renamed unit, has its new address.
            let entry = try s.tool("ldapsearch", ["-LLL", "-b", "cn=unit mailbox," + newDN, "-s", "base", "(objectClass=*)", "mail", "mailLocalAddress", "rsExpiringAlias"])
            #expect(entry.stdout.contains("mail: \(newMail)") && entry.stdout.contains("rsExpiringAlias:"), "\(entry.stdout)")
            let settled = Durability.audit(s).filter { $0["run"] as? String == "R-killed" && $0["seq"] as? Int == 0 && $0["result"] as? String != "pending" }
            #expect(settled.count == 1 && settled.first?["result"] as? String == "ok", "\(settled)")
        }
    }
}
