import Foundation
import SlapdHarness
import Testing

/// Postfix and Dovecot, configured from deploy/, reading what rostersync wrote.
@Suite("Mail servers on the synced directory")
struct MailServerTests {
    let samples = Slapd.repoRoot + "/samples"

    /// A deploy/ file with the test server's URI and an identity that may read.
    func configured(_ file: String, _ s: Slapd, uri: String) throws -> String {
        try String(contentsOfFile: Slapd.repoRoot + "/deploy/" + file, encoding: .utf8)
            .replacingOccurrences(of: "ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi", with: uri)
            .replacingOccurrences(of: "cn=mailserver,ou=services,dc=cema,dc=gov,dc=vn", with: s.adminDN)
            .replacingOccurrences(of: "CHANGE-ME", with: s.adminPassword)
    }

    /// (address, password) of a person in a notice, by employee id.
    func credential(_ noticeDir: String, employeeId: String) throws -> (String, String)? {
        for f in try FileManager.default.contentsOfDirectory(atPath: noticeDir) {
            let lines = try String(contentsOfFile: noticeDir + "/" + f, encoding: .utf8).split(separator: "\n").map(String.init)
            guard let i = lines.firstIndex(where: { $0.contains(". \(employeeId) ") }), i + 2 < lines.count else { continue }
            return (String(lines[i + 1].split(separator: " ").last ?? ""), String(lines[i + 2].split(separator: " ").last ?? ""))
        }
        return nil
    }

    @Test("Postfix resolves active addresses and a renamed unit's old address, not disabled ones; Dovecot accepts the notice's password and refuses disabled and locked accounts")
    func postfixAndDovecot() throws {
        for tool in ["/usr/sbin/postmap", "/usr/sbin/dovecot", "/usr/bin/doveadm"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) missing: apt-get install postfix postfix-ldap dovecot-core dovecot-ldap (make deps)")
        }
        try withSlapd { s in
            let q1 = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            #expect(try rostersync(["sync", "--config", q1.config]).status == 0)
            let q1Notices = s.dir + "/state/notices/" + (try FileManager.default.contentsOfDirectory(atPath: s.dir + "/state/notices").sorted().first ?? "")
            let asOf = dayString(offset: 30)
            let q2dir = s.dir + "/q2"
            #expect(try Slapd.run(rosterGenBinary, ["mutate", "--from", samples, "--out", q2dir, "--as-of", asOf]).status == 0)
            let intended = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: q2dir + "/intended.json"))) as? [[String: String]] ?? []
            let q2 = try Scenario(s, units: q2dir + "/units.csv", staff: q2dir + "/staff.csv", extra: "policy:\n  last_login_file: \(q2dir)/lastlogin.csv\n")
            let plan = try JSONSerialization.jsonObject(with: Data(q2.plan(["--as-of", asOf, "--format", "json"]).stdout.utf8)) as? [String: Any]
            let rename = try #require((plan?["changes"] as? [[String: Any]])?.first { $0["kind"] as? String == "renameUnit" })
            let renameAttrs = rename["attributes"] as? [[String: Any]] ?? []
            let oldUnitAddress = try #require((renameAttrs.first { $0["name"] as? String == "mail" }?["old"] as? [String])?.first)
            let newUnitAddress = try #require((renameAttrs.first { $0["name"] as? String == "mail" }?["new"] as? [String])?.first)
            #expect(try rostersync(["sync", "--config", q2.config, "--as-of", asOf]).status == 0)

            let disabledId = try #require(intended.first { $0["kind"] == "disableAccount" }?["id"])
            let lockedId = try #require(intended.first { $0["kind"] == "lockAccount" }?["id"])
            let activeId = try #require(intended.first { $0["kind"] == "updateAccount" }?["id"])
            let (disabledAddress, disabledPassword) = try #require(try credential(q1Notices, employeeId: disabledId))
            let (lockedAddress, lockedPassword) = try #require(try credential(q1Notices, employeeId: lockedId))
            let (activeAddress, activePassword) = try #require(try credential(q1Notices, employeeId: activeId))

            // Postfix: the LDAP tables of deploy/postfix, queried with postmap.
            let pf = s.dir + "/postfix"
            try FileManager.default.createDirectory(atPath: pf, withIntermediateDirectories: true)
            try "".write(toFile: pf + "/main.cf", atomically: true, encoding: .utf8)
            try configured("postfix/ldap-recipients.cf", s, uri: s.ldapURI).write(toFile: pf + "/recipients.cf", atomically: true, encoding: .utf8)
            try configured("postfix/ldap-aliases.cf", s, uri: s.ldapURI).write(toFile: pf + "/aliases.cf", atomically: true, encoding: .utf8)
            sleep(3)  // Postfix ignores table files younger than about 2 s
            func postmap(_ table: String, _ key: String) throws -> Slapd.ProcessOutput {
                try Slapd.run("/usr/sbin/postmap", ["-c", pf, "-q", key, "ldap:\(pf)/\(table).cf"])
            }
            let active = try postmap("recipients", activeAddress)
            #expect(active.status == 0 && active.stdout.contains(activeAddress), "\(active.stderr)")
            let gone = try postmap("recipients", disabledAddress)
            #expect(gone.status == 1 && gone.stdout.isEmpty && gone.stderr.isEmpty, "a disabled mailbox receives no mail: \(gone.stdout)\(gone.stderr)")
            #expect(try postmap("recipients", newUnitAddress).stdout.contains(newUnitAddress))
            let alias = try postmap("aliases", oldUnitAddress)
            #expect(alias.status == 0 && alias.stdout.contains(newUnitAddress), "the old unit address still delivers: \(alias.stderr)")

            // Dovecot: passdb of deploy/dovecot, auth by bind, asked with doveadm auth test.
            let dv = s.dir + "/dovecot"
            try FileManager.default.createDirectory(atPath: dv + "/run", withIntermediateDirectories: true)
            try configured("dovecot/dovecot-ldap.conf.ext", s, uri: s.ldapiURI).write(toFile: dv + "/ldap.conf.ext", atomically: true, encoding: .utf8)
            try """
                base_dir = \(dv)/run
                log_path = \(dv)/dovecot.log
                protocols =
                ssl = no
                default_internal_user = root
                default_internal_group = root
                default_login_user = root
                auth_mechanisms = plain
                passdb {
                  driver = ldap
                  args = \(dv)/ldap.conf.ext
                }
                userdb {
                  driver = static
                  args = uid=root gid=root home=\(dv)/home/%u
                }
                """.write(toFile: dv + "/dovecot.conf", atomically: true, encoding: .utf8)
            var pid: pid_t = 0
            let words = ["/usr/sbin/dovecot", "-F", "-c", dv + "/dovecot.conf"]
            let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
            // Its own process group, so that the master and its auth processes stop together.
            var attr = posix_spawnattr_t()
            posix_spawnattr_init(&attr)
            posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
            posix_spawnattr_setpgroup(&attr, 0)
            #expect(posix_spawn(&pid, words[0], nil, &attr, argv, environ) == 0)
            posix_spawnattr_destroy(&attr)
            argv.forEach { free($0) }
            defer {
                kill(-pid, SIGKILL)
                var st: Int32 = 0
                waitpid(pid, &st, 0)
            }
            var ready = false
            for _ in 0..<100 where !ready {
                ready = FileManager.default.fileExists(atPath: dv + "/run/auth-client")
                if !ready { usleep(50_000) }
            }
            #expect(ready, "dovecot did not start: \(Slapd.readText(dv + "/dovecot.log"))")
            func auth(_ user: String, _ password: String) throws -> Slapd.ProcessOutput {
                try Slapd.run("/usr/bin/doveadm", ["-c", dv + "/dovecot.conf", "auth", "test", "-x", "service=imap", user, password])
            }
            let ok = try auth(activeAddress, activePassword)
            #expect(ok.status == 0 && ok.stdout.contains("auth succeeded"), "\(ok.stdout)\(ok.stderr)")
            #expect(try auth(activeAddress, "not-the-password").status != 0)
            let disabled = try auth(disabledAddress, disabledPassword)
            #expect(disabled.status != 0 && disabled.stdout.contains("auth failed"), "\(disabled.stdout)")
            let locked = try auth(lockedAddress, lockedPassword)
            #expect(locked.status != 0 && locked.stdout.contains("auth failed"), "\(locked.stdout)")
        }
    }
}
