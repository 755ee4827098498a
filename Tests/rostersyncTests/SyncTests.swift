import Foundation
import LDAPClient
import LDAPModel
import SlapdHarness
import Testing

@Suite("rostersync sync against a real slapd")
struct SyncTests {
    let samples = Slapd.repoRoot + "/samples"

    func sync(_ sc: Scenario, _ args: [String] = []) throws -> Slapd.ProcessOutput {
        try rostersync(["sync", "--config", sc.config] + args)
    }

    func count(_ s: Slapd, _ filter: String) throws -> Int {
        let out = try s.tool("ldapsearch", ["-LLL", "-E", "pr=1000/noprompt", "-b", "ou=units,\(s.suffix)", filter, "1.1"])
        return out.stdout.split(separator: "\n").filter { $0.hasPrefix("dn:") }.count
    }

    @Test("quarter 1 into an empty directory; a second sync does nothing; passwords only in 0600 notices, and they log in with must-change")
    func initialAndNoop() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            let first = try sync(sc)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("310 changes applied, 0 failed"))
            #expect(try count(s, "(objectClass=rsAccount)") == 290)
            let again = try sync(sc)
            #expect(again.status == 0 && again.stdout.hasPrefix("nothing to do"), "\(again.stdout)")
            // A plan afterwards is empty too.
            #expect(try sc.plan().status == 0)

            let notices = s.dir + "/state/notices"
            let run = try #require(try FileManager.default.contentsOfDirectory(atPath: notices).first)
            let file = "\(notices)/\(run)/TTTT.txt"
            var st = stat()
            #expect(stat(file, &st) == 0 && st.st_mode & 0o777 == 0o600)
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.contains("THÔNG BÁO CẤP HỘP THƯ ĐIỆN TỬ"))
            let lines = text.split(separator: "\n")
            let address = try #require(lines.first { $0.contains("Địa chỉ hộp thư:") }?.split(separator: " ").last.map(String.init))
            let password = try #require(lines.first { $0.contains("Mật khẩu ban đầu:") }?.split(separator: " ").last.map(String.init))
            let entry = try s.tool("ldapsearch", ["-LLL", "-b", s.suffix, "(mail=\(address))", "1.1"])
            let dn = String(try #require(entry.stdout.split(separator: "\n").first).dropFirst(4))
            let user = try LDAPConnection.connect(LDAPConnectionOptions(uris: [s.ldapURI]), credentials: .simple(dn: dn, password: Secret(password)))
            #expect(user.bindResult.passwordPolicy == .changeAfterReset)
            // The password is nowhere else: not in the audit log, not in the output.
            let audit = try String(contentsOfFile: s.dir + "/state/audit.jsonl", encoding: .utf8)
            #expect(!audit.contains(password) && !first.stdout.contains(password) && !first.stderr.contains(password))
            #expect(audit.contains("\"result\":\"done\""))
            let metrics = try String(contentsOfFile: s.dir + "/state/metrics/rostersync.prom", encoding: .utf8)
            #expect(metrics.contains("rostersync_last_run_result{result=\"nothing\"} 1"))
        }
    }

    @Test("a staff file cut to a tenth trips the threshold and writes nothing; --force --reason applies it and the audit names the reason")
    func truncatedExport() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            #expect(try sync(sc).status == 0)
            let lines = try String(contentsOfFile: samples + "/staff.csv", encoding: .utf8).split(separator: "\r\n")
            // The header and the first 30 rows: the heads stay (they are early ids) or the roster is invalid.
            let heads = Set(try String(contentsOfFile: samples + "/units.csv", encoding: .utf8).split(separator: "\r\n").dropFirst().compactMap { $0.split(separator: ",", omittingEmptySubsequences: false)[4] })
            let kept = [lines[0]] + lines.dropFirst().filter { l in heads.contains(l.split(separator: ",")[0]) || Int(l.prefix(6)) ?? 0 <= 30 }
            try kept.joined(separator: "\r\n").write(toFile: s.dir + "/cut.csv", atomically: true, encoding: .utf8)
            let cut = try Scenario(s, units: samples + "/units.csv", staff: s.dir + "/cut.csv")
            let before = try count(s, "(rsState=active)")
            let tripped = try sync(cut)
            #expect(tripped.status == 3, "\(tripped.stdout)\(tripped.stderr)")
            #expect(tripped.stderr.contains("disables are") && tripped.stderr.contains("over safety.max_percent") && tripped.stderr.contains("--force --reason"))
            #expect(try count(s, "(rsState=active)") == before, "nothing may be written")

            let bad = try sync(cut, ["--force"])
            #expect(bad.status != 0 && bad.stderr.contains("--force and --reason go together"))
            let forced = try sync(cut, ["--force", "--reason", "HR confirmed the reorganisation (CV 12/TTTT)"])
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(try count(s, "(rsState=disabled)") > 200)
            let audit = try String(contentsOfFile: s.dir + "/state/audit.jsonl", encoding: .utf8)
            #expect(audit.contains("forced: HR confirmed the reorganisation (CV 12/TTTT)"))
            #expect(audit.contains("\"result\":\"threshold\""))
        }
    }

    @Test("quarter 2 synced: the directory then holds what the rosters say; deleted entries restore from their backup")
    func quarterTwoAndRestore() throws {
        try withSlapd { s in
            #expect(try sync(try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")).status == 0)
            let (q2, asOf, _) = try Scenario.quarterTwo(s)
            let out = try sync(q2, ["--as-of", asOf])
            #expect(out.status == 0, "\(out.stderr)")
            #expect(try q2.plan(["--as-of", asOf]).status == 0, "the plan after a sync is empty")
            let backups = s.dir + "/state/backups"
            #expect(try FileManager.default.contentsOfDirectory(atPath: backups).count == 1, "disables and moves were backed up")

            // Half a year on the departed are past their retention: deleted, after a backup.
            let later = dayString(offset: 30 + 200)
            let del = try sync(q2, ["--as-of", later, "--force", "--reason", "test: retention passed"])
            #expect(del.status == 0, "\(del.stderr)")
            let deleted = del.stdout.split(separator: "\n").filter { $0.hasPrefix("did deleteAccount") }.count
            #expect(deleted >= 4)
            let runs = try FileManager.default.contentsOfDirectory(atPath: backups).sorted()
            let ldif = "\(backups)/\(try #require(runs.last))/entries.ldif"
            let before = try count(s, "(objectClass=rsAccount)")
            let restore = try s.tool("ldapadd", ["-c", "-f", ldif])
            // Entries that still exist (locked ones) say "already exists"; the deleted come back.
            #expect(try count(s, "(objectClass=rsAccount)") == before + deleted, "\(restore.stderr.prefix(300))")
        }
    }

    @Test("a second run while one holds the lock stops at once and says so")
    func lock() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            let state = s.dir + "/state"
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            let fd = open(state + "/rostersync.lock", O_RDWR | O_CREAT, 0o640)
            #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
            let out = try sync(sc)
            flock(fd, LOCK_UN)
            close(fd)
            #expect(out.status == 1 && out.stderr.contains("another run holds"), "\(out.stderr)")
            #expect(try count(s, "(objectClass=rsAccount)") == 0)
        }
    }
}

@Suite("rostersync apply and unlock against a real slapd")
struct ApplyTests {
    let samples = Slapd.repoRoot + "/samples"

    /// Quarter 1 synced, quarter 2's plan saved: its config, as-of day, file and changes.
    func savedQuarterTwo(_ s: Slapd) throws -> (Scenario, String, String, [[String: Any]]) {
        let q1 = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
        #expect(try rostersync(["sync", "--config", q1.config]).status == 0)
        let (q2, asOf, _) = try Scenario.quarterTwo(s)
        let planFile = s.dir + "/q2.json"
        #expect(try q2.plan(["--as-of", asOf, "--out", planFile]).status == 2)
        let plan = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: planFile))) as? [String: Any]
        return (q2, asOf, planFile, plan?["changes"] as? [[String: Any]] ?? [])
    }

    @Test("a saved plan applied after someone edited one entry applies all but that one, named")
    func assertionProtectsEditedEntry() throws {
        try withSlapd { s in
            let (q2, asOf, planFile, changes) = try savedQuarterTwo(s)
            // Someone edits the entry of a person the plan updates.
            let update = try #require(changes.first { $0["kind"] as? String == "updateAccount" })
            let dn = try #require(update["dn"] as? String)
            let edit = try s.tool("ldapmodify", [], stdin: "dn: \(dn)\nchangetype: modify\nreplace: cn\ncn: Edited By Hand\n")
            #expect(edit.status == 0, "\(edit.stderr)")
            let out = try rostersync(["apply", "--config", q2.config, planFile])
            #expect(out.status == 4, "\(out.stdout)\(out.stderr)")
            let failed = out.stderr.split(separator: "\n").filter { $0.hasPrefix("FAILED") }
            #expect(failed.count == 1)
            #expect(failed.first?.contains("updateAccount") == true && failed.first?.contains("assertionFailed (122)") == true)
            #expect(try s.tool("ldapsearch", ["-LLL", "-b", dn, "-s", "base", "cn"]).stdout.contains("cn: Edited By Hand"))
            // The rest went in: a new plan only wants that one update.
            let next = try q2.plan(["--as-of", asOf, "--format", "json"])
            let rest = (try JSONSerialization.jsonObject(with: Data(next.stdout.utf8)) as? [String: Any])?["changes"] as? [[String: Any]]
            #expect(rest?.map { $0["kind"] as? String } == ["updateAccount"])
        }
    }

    @Test("a new mailbox whose add fails is left out of the notices: no password is handed out for a mailbox that does not exist")
    func failedCreationLeftOutOfNotices() throws {
        try withSlapd { s in
            let (q2, _, planFile, changes) = try savedQuarterTwo(s)
            let creations = changes.filter { $0["kind"] as? String == "createAccount" }
            #expect(creations.count >= 2)
            // Someone makes an entry where the first new mailbox was to go.
            let taken = try #require(creations.first?["dn"] as? String)
            let uid = String(taken.prefix { $0 != "," }.dropFirst(4))
            let add = try s.tool("ldapadd", [], stdin: "dn: \(taken)\nobjectClass: inetOrgPerson\nuid: \(uid)\ncn: Made By Hand\nsn: Hand\n")
            #expect(add.status == 0, "\(add.stderr)")
            let before = Set((try? FileManager.default.contentsOfDirectory(atPath: s.dir + "/state/notices")) ?? [])
            let out = try rostersync(["apply", "--config", q2.config, planFile])
            #expect(out.status == 4, "\(out.stdout)\(out.stderr)")
            let run = try #require(Set(try FileManager.default.contentsOfDirectory(atPath: s.dir + "/state/notices")).subtracting(before).first)
            var notices = ""
            for f in try FileManager.default.contentsOfDirectory(atPath: s.dir + "/state/notices/" + run) {
                notices += try String(contentsOfFile: s.dir + "/state/notices/\(run)/\(f)", encoding: .utf8)
            }
            let addresses = Set(notices.split(separator: "\n").filter { $0.contains("Địa chỉ hộp thư:") }.compactMap { $0.split(separator: " ").last.map(String.init) })
            #expect(!addresses.contains("\(uid)@cema.gov.vn"), "the failed mailbox's password is not handed out")
            let other = try #require(creations.dropFirst().first?["dn"] as? String)
            #expect(addresses.contains(String(other.prefix { $0 != "," }.dropFirst(4)) + "@cema.gov.vn"), "the others' are")
        }
    }

    @Test("a plan whose roster changed since is refused; unlock reopens a locked mailbox with an exemption")
    func refusalsAndUnlock() throws {
        try withSlapd { s in
            try FileManager.default.copyItem(atPath: samples + "/staff.csv", toPath: s.dir + "/staff.csv")
            let sc = try Scenario(s, units: samples + "/units.csv", staff: s.dir + "/staff.csv")
            #expect(try sc.plan(["--out", s.dir + "/p.json"]).status == 2)
            try (String(contentsOfFile: s.dir + "/staff.csv", encoding: .utf8) + "999999,Lê Văn Mới,VP,,,,,,\r\n").write(toFile: s.dir + "/staff.csv", atomically: true, encoding: .utf8)
            let refused = try rostersync(["apply", "--config", sc.config, s.dir + "/p.json"])
            #expect(refused.status == 1 && refused.stderr.contains("has changed since"), "\(refused.stderr)")
            #expect(try s.tool("ldapsearch", ["-LLL", "-b", "ou=units,\(s.suffix)", "-s", "one", "1.1"]).stdout.isEmpty)

            #expect(try rostersync(["sync", "--config", sc.config]).status == 0)
            // Four months on, nobody logged in: everyone is locked (forced: it is everyone).
            let later = dayString(offset: 125)
            #expect(try rostersync(["sync", "--config", sc.config, "--as-of", later, "--force", "--reason", "test"]).status == 0)
            let out = try rostersync(["unlock", "--config", sc.config, "annv2@cema.gov.vn", "--reason", "CV 45/VP ngày 01/03/2027"])
            #expect(out.status == 0, "\(out.stderr)")
            let e = try s.tool("ldapsearch", ["-LLL", "-b", s.suffix, "(mail=annv2@cema.gov.vn)", "rsState", "rsLockExemptUntil", "pwdAccountLockedTime"])
            #expect(e.stdout.contains("rsState: active") && e.stdout.contains("rsLockExemptUntil:") && !e.stdout.contains("pwdAccountLockedTime"))
            // The next sync leaves it open.
            let again = try rostersync(["plan", "--config", sc.config, "--as-of", later, "--format", "json"])
            #expect(!again.stdout.contains("annv2@"), "reopened mailboxes are exempt")
            let twice = try rostersync(["unlock", "--config", sc.config, "annv2@cema.gov.vn", "--reason", "again"])
            #expect(twice.status == 1 && twice.stderr.contains("not locked"))
            #expect(try String(contentsOfFile: s.dir + "/state/audit.jsonl", encoding: .utf8).contains("CV 45/VP"))
        }
    }

    @Test("kill -9 in the middle of a large sync: the next run converges to the same directory")
    func killAndConverge() throws {
        try withSlapd { s in
            let dir = s.dir + "/big"
            #expect(try Slapd.run(rosterGenBinary, ["--staff", "3000", "--out", dir]).status == 0)
            let sc = try Scenario(s, units: dir + "/units.csv", staff: dir + "/staff.csv")
            // Start a sync and kill it at several points: early, then (the next run) late.
            var partials: [Int] = []
            for threshold in [50, 1000] {
                var pid: pid_t = 0
                let words: [String] = [rostersyncBinary, "sync", "--config", sc.config]
                let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
                #expect(posix_spawn(&pid, rostersyncBinary, &actions, nil, argv, environ) == 0)
                posix_spawn_file_actions_destroy(&actions)
                argv.forEach { free($0) }
                for _ in 0..<600 {
                    if ((try? SyncTests().count(s, "(objectClass=rsAccount)")) ?? 0) > threshold { break }
                    usleep(10_000)
                }
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                partials.append(try SyncTests().count(s, "(objectClass=rsAccount)"))
            }
            #expect(partials[0] > 0 && partials[1] > partials[0] && partials[1] < 2800, "killed mid-run: \(partials) accounts")
            // The next run finishes the work; the one after has nothing to do.
            let rerun = try rostersync(["sync", "--config", sc.config])
            #expect(rerun.status == 0, "\(rerun.stderr)")
            #expect(try rostersync(["sync", "--config", sc.config]).stdout.hasPrefix("nothing to do"))
            let total = try SyncTests().count(s, "(objectClass=rsAccount)")
            // The same directory as an uninterrupted run: compare with a plan on a fresh server.
            try withSlapd { fresh in
                let clean = try Scenario(fresh, units: dir + "/units.csv", staff: dir + "/staff.csv")
                #expect(try rostersync(["sync", "--config", clean.config]).status == 0)
                let dump = { (x: Slapd) throws -> [String] in
                    try x.tool("ldapsearch", ["-LLL", "-o", "ldif_wrap=no", "-E", "pr=1000/noprompt", "-b", "ou=units,\(x.suffix)",
                                              "(objectClass=*)", "uid", "mail", "cn", "employeeNumber", "departmentNumber", "rsState", "rsUnitCode"])
                        .stdout.components(separatedBy: "\n\n").map { $0.split(separator: "\n").filter { !$0.hasPrefix("#") }.sorted().joined(separator: "\n") }
                        .filter { !$0.isEmpty }.sorted()
                }
                let (a, b) = (try dump(s), try dump(fresh))
                let onlyA = Set(a).subtracting(b), onlyB = Set(b).subtracting(a)
                #expect(onlyA.isEmpty && onlyB.isEmpty, "\(onlyA.count) vs \(onlyB.count): \(onlyA.sorted().prefix(2)) / \(onlyB.sorted().prefix(2))")
                #expect(try SyncTests().count(fresh, "(objectClass=rsAccount)") == total)
            }
        }
    }
}
