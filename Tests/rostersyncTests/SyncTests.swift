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
            let asOf = dayString(offset: 30)
            let q2dir = s.dir + "/q2"
            #expect(try Slapd.run(rosterGenBinary, ["mutate", "--from", samples, "--out", q2dir, "--as-of", asOf]).status == 0)
            let q2 = try Scenario(s, units: q2dir + "/units.csv", staff: q2dir + "/staff.csv", extra: "policy:\n  last_login_file: \(q2dir)/lastlogin.csv\n")
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
