import Foundation
import SlapdHarness
import Testing

/// Postfix and Dovecot, configured from deploy/, reading what rostersync wrote.
@Suite("Mail servers on the synced directory")
struct MailServerTests {
    let samples = Slapd.repoRoot + "/samples"

    /// A deploy/ file with the test server's URI and an identity that may read.
    func configured(_ file: String, _ s: Slapd, uri: String, stock: Bool = false) throws -> String {
        var text = try String(contentsOfFile: Slapd.repoRoot + "/deploy/" + file, encoding: .utf8)
        if stock, let (ours, theirs) = Self.stockFilters[file] {
            precondition(text.contains(ours), "\(file) no longer has \(ours)")
            text = text.replacingOccurrences(of: ours, with: theirs)
        }
        return text
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

    /// (address, password) of the mailbox at `address` in a notice (a unit mailbox's, say).
    func credential(_ noticeDir: String, address: String) throws -> (String, String)? {
        for f in try FileManager.default.contentsOfDirectory(atPath: noticeDir) {
            let lines = try String(contentsOfFile: noticeDir + "/" + f, encoding: .utf8).split(separator: "\n").map(String.init)
            guard let i = lines.firstIndex(where: { $0.hasSuffix(" " + address) }), i + 1 < lines.count else { continue }
            return (address, String(lines[i + 1].split(separator: " ").last ?? ""))
        }
        return nil
    }

    /// The filters most Postfix and Dovecot LDAP setups already have, which know nothing of
    /// rostersync: a person class and the address.
    static let stockFilters = [
        "postfix/ldap-recipients.cf": ("query_filter = (&(mail=%s)(rsState=active))", "query_filter = (&(objectClass=inetOrgPerson)(mail=%s))"),
        "postfix/ldap-aliases.cf": ("query_filter = (&(mailLocalAddress=%s)(rsState=active))", "query_filter = (&(objectClass=inetOrgPerson)(mailLocalAddress=%s))"),
        "dovecot/dovecot-ldap.conf.ext": ("pass_filter = (&(|(objectClass=rsAccount)(objectClass=rsUnitMailbox))(mail=%u)(rsState=active))",
                                          "pass_filter = (&(objectClass=inetOrgPerson)(mail=%u))"),
    ]

    @Test("Postfix resolves active addresses (units' too) and a renamed unit's old address, not disabled ones; Dovecot accepts the notice's password, a unit mailbox's too, and refuses disabled and locked accounts",
          arguments: [false, true])
    func postfixAndDovecot(stock: Bool) throws {
        for tool in ["/usr/sbin/postmap", "/usr/sbin/dovecot", "/usr/bin/doveadm"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) missing: apt-get install postfix postfix-ldap dovecot-core dovecot-ldap (make deps)")
        }
        try withSlapd { s in
            let q1 = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            #expect(try rostersync(["sync", "--config", q1.config]).status == 0)
            let q1Notices = s.dir + "/state/notices/" + (try FileManager.default.contentsOfDirectory(atPath: s.dir + "/state/notices").sorted().first ?? "")
            let (q2, asOf, q2dir) = try Scenario.quarterTwo(s)
            let intended = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: q2dir + "/intended.json"))) as? [[String: String]] ?? []
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
            try configured("postfix/ldap-recipients.cf", s, uri: s.ldapURI, stock: stock).write(toFile: pf + "/recipients.cf", atomically: true, encoding: .utf8)
            try configured("postfix/ldap-aliases.cf", s, uri: s.ldapURI, stock: stock).write(toFile: pf + "/aliases.cf", atomically: true, encoding: .utf8)
            sleep(3)  // Postfix ignores table files younger than about 2 s
            func postmap(_ table: String, _ key: String) throws -> Slapd.ProcessOutput {
                try Slapd.run("/usr/sbin/postmap", ["-c", pf, "-q", key, "ldap:\(pf)/\(table).cf"])
            }
            let active = try postmap("recipients", activeAddress)
            #expect(active.status == 0 && active.stdout.contains(activeAddress), "\(active.stderr)")
            let gone = try postmap("recipients", disabledAddress)
            if !stock {
                #expect(gone.status == 1 && gone.stdout.isEmpty && gone.stderr.isEmpty, "a disabled mailbox receives no mail: \(gone.stdout)\(gone.stderr)")
            }
            let unit = try postmap("recipients", newUnitAddress)
            #expect(unit.stdout.contains(newUnitAddress), "the unit mailbox resolves: \(unit.stdout)\(unit.stderr)")
            let alias = try postmap("aliases", oldUnitAddress)
            // deploy's alias table answers with the mailbox's address; a stock one with the entry's mail.
            #expect(alias.status == 0 && alias.stdout.contains(newUnitAddress), "the old unit address still delivers: \(alias.stdout)\(alias.stderr)")

            // Dovecot: passdb of deploy/dovecot, auth by bind, asked with doveadm auth test.
            let dv = s.dir + "/dovecot"
            try FileManager.default.createDirectory(atPath: dv + "/run", withIntermediateDirectories: true)
            try configured("dovecot/dovecot-ldap.conf.ext", s, uri: s.ldapiURI, stock: stock).write(toFile: dv + "/ldap.conf.ext", atomically: true, encoding: .utf8)
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
            // The unit mailbox logs in with the password of its notice, at its new address.
            let (_, unitPassword) = try #require(try credential(q1Notices, address: oldUnitAddress))
            let unitLogin = try auth(newUnitAddress, unitPassword)
            #expect(unitLogin.status == 0 && unitLogin.stdout.contains("auth succeeded"), "\(unitLogin.stdout)\(unitLogin.stderr)")
        }
    }
}

@Suite("deploy/slapd ACLs")
struct ACLTests {
    @Test("with the shipped ACLs, the agent's service DN can sync by simple bind; the mail server's DN reads but cannot write")
    func leastPrivilege() throws {
        try withSlapd { s in
            let acl = try String(contentsOfFile: Slapd.repoRoot + "/deploy/slapd/rostersync-acl.ldif", encoding: .utf8)
            let loaded = try s.tool("ldapmodify", [], stdin: acl)
            #expect(loaded.status == 0, "\(loaded.stderr)")
            let services = """
                dn: cn=rostersync,ou=services,\(s.suffix)
                objectClass: organizationalRole
                objectClass: simpleSecurityObject
                cn: rostersync
                userPassword: agent-secret-1

                dn: cn=mailserver,ou=services,\(s.suffix)
                objectClass: organizationalRole
                objectClass: simpleSecurityObject
                cn: mailserver
                userPassword: mail-secret-1
                """
            #expect(try s.tool("ldapadd", [], stdin: services).status == 0)
            let secret = s.dir + "/agent.secret"
            try "agent-secret-1\n".write(toFile: secret, atomically: true, encoding: .utf8)
            chmod(secret, 0o600)
            let samples = Slapd.repoRoot + "/samples"
            let config = try writeConfig(s, uris: [s.ldapURI], bind: "method: simple\ndn: cn=rostersync,ou=services,\(s.suffix)\npassword_file: \(secret)",
                                         extra: "rosters:\n  units: \(samples)/units.csv\n  staff: \(samples)/staff.csv\n")
            let first = try rostersync(["sync", "--config", config])
            #expect(first.status == 0, "\(first.stderr.prefix(500))")
            // Locks need the ppolicy attributes (manage): four months on, forced since it is everyone.
            let locked = try rostersync(["sync", "--config", config, "--as-of", dayString(offset: 125), "--force", "--reason", "test"])
            #expect(locked.status == 0, "\(locked.stderr.prefix(500))")
            #expect(try rostersync(["sync", "--config", config, "--as-of", dayString(offset: 125)]).stdout.hasPrefix("nothing to do"))
            // The mail server's identity reads the units, and may not change them.
            let read = try Slapd.run("/usr/bin/ldapsearch", ["-x", "-H", s.ldapURI, "-D", "cn=mailserver,ou=services,\(s.suffix)", "-w", "mail-secret-1",
                                                             "-b", "ou=units,\(s.suffix)", "-LLL", "(mail=annv2@cema.gov.vn)", "rsState"])
            #expect(read.stdout.contains("rsState: locked"), "\(read.stderr)")
            let write = try Slapd.run("/usr/bin/ldapmodify", ["-x", "-H", s.ldapURI, "-D", "cn=mailserver,ou=services,\(s.suffix)", "-w", "mail-secret-1"],
                                      stdin: "dn: ou=units,\(s.suffix)\nchangetype: modify\nreplace: description\ndescription: x\n")
            #expect(write.status == 50, "insufficientAccess expected: \(write.stderr)")
            // check sees the same with directory.mail_reader: it reads and cannot write.
            let mailSecret = s.dir + "/mail.secret"
            try "mail-secret-1\n".write(toFile: mailSecret, atomically: true, encoding: .utf8)
            chmod(mailSecret, 0o600)
            func checked(_ dn: String, _ file: String) throws -> Slapd.ProcessOutput {
                let text = try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(
                    of: "  bind:\n", with: "  mail_reader:\n    method: simple\n    dn: \(dn)\n    password_file: \(file)\n  bind:\n")
                try text.write(toFile: config + ".reader.yaml", atomically: true, encoding: .utf8)
                return try rostersync(["check", "--config", config + ".reader.yaml", "--read-only"])
            }
            let good = try checked("cn=mailserver,ou=services,\(s.suffix)", mailSecret)
            #expect(good.stdout.contains("ok    mailserver  cn=mailserver,ou=services,\(s.suffix) reads mailboxes (mail, aliases, rsState) and cannot write"), "\(good.stdout)")
            // The agent's own identity can write: as a mail reader it is refused.
            let writer = try checked("cn=rostersync,ou=services,\(s.suffix)", secret)
            #expect(writer.status == 1 && writer.stdout.contains("FAIL  mailserver  cn=rostersync,ou=services,\(s.suffix) may write"), "\(writer.stdout)")
        }
    }
}
