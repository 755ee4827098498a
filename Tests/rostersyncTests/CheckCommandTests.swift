import Foundation
import SlapdHarness
import Testing

/// The built `rostersync` executable, next to the test bundle.
let rostersyncBinary: String = {
    if let env = ProcessInfo.processInfo.environment["ROSTERSYNC_BIN"] { return env }
    let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    return here.appendingPathComponent("rostersync").path
}()

func rostersync(_ args: [String]) throws -> Slapd.ProcessOutput {
    try Slapd.run(rostersyncBinary, args)
}

func writeConfig(_ s: Slapd, uris: [String]? = nil, bind: String = "method: sasl-external", extra: String = "") throws -> String {
    let path = s.dir + "/config-\(UUID().uuidString.prefix(8)).yaml"
    let yaml = """
        directory:
          uris: [\((uris ?? [s.ldapiURI]).map { "\"\($0)\"" }.joined(separator: ", "))]
          base: \(s.suffix)
          bind:
            \(bind.replacingOccurrences(of: "\n", with: "\n    "))
          connect_timeout: 2
          operation_timeout: 5
        mail:
          domain: cema.gov.vn
        state_dir: state
        \(extra)
        """
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite("rostersync check, run as a user would")
struct CheckCommandTests {
    @Test("against the dev slapd every check passes, over ldapi with SASL EXTERNAL")
    func allGreen() throws {
        try withSlapd { s in
            let out = try rostersync(["check", "--config", try writeConfig(s)])
            #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
            for line in ["ok    directory", "ok    bind        SASL EXTERNAL → dn:\(s.adminDN)", "ok    schema", "ok    ppolicy", "ok    last bind", "ok    units"] {
                #expect(out.stdout.contains(line), "missing \(line) in\n\(out.stdout)")
            }
        }
    }

    @Test("simple bind with a password file, after a dead first URI")
    func simpleBindFailover() throws {
        try withSlapd { s in
            let secret = s.dir + "/bind.secret"
            try (s.adminPassword + "\n").write(toFile: secret, atomically: true, encoding: .utf8)
            chmod(secret, 0o600)
            let config = try writeConfig(s, uris: ["ldap://127.0.0.1:1", s.ldapURI], bind: "method: simple\ndn: \(s.adminDN)\npassword_file: \(secret)")
            let out = try rostersync(["check", "--config", config])
            #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
            #expect(out.stdout.contains("reachable at \(s.ldapURI) (URI 2 of 2)"))
            #expect(!out.stdout.contains(s.adminPassword) && !out.stderr.contains(s.adminPassword))
        }
    }

    @Test("a wrong password, a world-readable secret and a stopped server each fail with exit 1 and a reason")
    func failures() throws {
        try withSlapd { s in
            let secret = s.dir + "/wrong.secret"
            try "not-the-password".write(toFile: secret, atomically: true, encoding: .utf8)
            chmod(secret, 0o600)
            let config = try writeConfig(s, uris: [s.ldapURI], bind: "method: simple\ndn: \(s.adminDN)\npassword_file: \(secret)")
            var out = try rostersync(["check", "--config", config])
            #expect(out.status == 1)
            #expect(out.stdout.contains("invalidCredentials (49)"))
            #expect(!out.stdout.contains("not-the-password"))
            chmod(secret, 0o644)
            out = try rostersync(["check", "--config", config])
            #expect(out.status == 1 && out.stdout.contains("readable by every user"))
            s.kill9()
            usleep(200_000)
            out = try rostersync(["check", "--config", try writeConfig(s, uris: [s.ldapURI])])
            #expect(out.status == 1)
            #expect(out.stdout.contains("serverDown") || out.stdout.contains("Can't contact"), "\(out.stdout)")
        }
    }

    @Test("a config with a misspelt key is refused before any connection, naming file, line and key")
    func badConfig() throws {
        try withSlapd { s in
            let config = try writeConfig(s, extra: "polcy:\n  lock_after: 3 months")
            let out = try rostersync(["check", "--config", config])
            #expect(out.status == 1)
            #expect(out.stderr.contains("\(config):11:1: polcy: unknown key (did you mean policy?)"), "\(out.stderr)")
            #expect(out.stdout.isEmpty)
        }
    }

    @Test("a directory without the rostersync schema fails the schema check with the fix")
    func missingSchema() throws {
        try withSlapd { s in
            // Remove the schema the dev script loaded: possible while no entry uses it.
            let del = try s.tool("ldapmodify", [], stdin: "dn: olcDatabase={1}mdb,cn=config\nchangetype: modify\ndelete: olcDbIndex\nolcDbIndex: rsUnitCode eq\n")
            #expect(del.status == 0, "\(del.stderr)")
            let schemaDN = "cn={4}rostersync,cn=schema,cn=config"
            let out1 = try s.tool("ldapdelete", [schemaDN])
            if out1.status != 0 {
                // slapd 2.5 cannot delete schema entries: empty the classes instead.
                let mod = try s.tool("ldapmodify", [], stdin: "dn: \(schemaDN)\nchangetype: modify\ndelete: olcObjectClasses\n")
                #expect(mod.status == 0, "\(mod.stderr)")
            }
            let out = try rostersync(["check", "--config", try writeConfig(s)])
            #expect(out.status == 1)
            #expect(out.stdout.contains("FAIL  schema      missing rsAccount, rsUnit"), "\(out.stdout)")
        }
    }

    @Test("last-login tracking: the lastbind overlay (authTimestamp) passes like olcLastBind; neither fails naming the fix")
    func lastBindOverlay() throws {
        try withSlapd { s in
            let db = "olcDatabase={1}mdb,cn=config"
            let overlay = """
                dn: \(db)
                changetype: modify
                delete: olcLastBind

                dn: cn=module{0},cn=config
                changetype: modify
                add: olcModuleLoad
                olcModuleLoad: lastbind

                dn: olcOverlay=lastbind,\(db)
                changetype: add
                objectClass: olcOverlayConfig
                objectClass: olcLastBindConfig
                olcOverlay: lastbind
                olcLastBindPrecision: 3600

                """
            let loaded = try s.tool("ldapmodify", [], stdin: overlay)
            #expect(loaded.status == 0, "\(loaded.stderr)")
            var out = try rostersync(["check", "--config", try writeConfig(s)])
            #expect(out.status == 0, "\(out.stdout)")
            #expect(out.stdout.contains("ok    last bind   lastbind overlay: successful logins are recorded in authTimestamp (at most every 3600 s)"), "\(out.stdout)")
            let removed = try s.tool("ldapdelete", ["olcOverlay={2}lastbind,\(db)"])
            #expect(removed.status == 0, "\(removed.stderr)")
            out = try rostersync(["check", "--config", try writeConfig(s)])
            #expect(out.status == 1)
            #expect(out.stdout.contains("FAIL  last bind   no last-login tracking on \(s.suffix)") && out.stdout.contains("run: deploy/slapd/setup \(s.ldapiURI)"), "\(out.stdout)")
        }
    }

    @Test("the write test: an identity that may only read fails it, naming the step; --read-only skips it")
    func writeProbe() throws {
        try withSlapd { s in
            // A service DN the dev ACLs let read everything and write nothing but itself.
            let reader = "dn: cn=reader,ou=services,\(s.suffix)\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: reader\nuserPassword: reader-secret-1\n"
            #expect(try s.tool("ldapadd", [], stdin: reader).status == 0)
            let secret = s.dir + "/reader.secret"
            try "reader-secret-1\n".write(toFile: secret, atomically: true, encoding: .utf8)
            chmod(secret, 0o600)
            let config = try writeConfig(s, uris: [s.ldapURI], bind: "method: simple\ndn: cn=reader,ou=services,\(s.suffix)\npassword_file: \(secret)")
            var out = try rostersync(["check", "--config", config])
            #expect(out.status == 1)
            #expect(out.stdout.contains("FAIL  write       the bind identity cannot add under ou=units,\(s.suffix) as sync does: ")
                    && out.stdout.contains("insufficientAccessRights (50)"), "\(out.stdout)")
            out = try rostersync(["check", "--config", config, "--read-only"])
            #expect(out.stdout.contains("warn  write       not tested (--read-only)"), "\(out.stdout)")
            // The admin may: the probe entry is added, changed, renamed and deleted, and gone.
            out = try rostersync(["check", "--config", try writeConfig(s)])
            #expect(out.status == 0 && out.stdout.contains("ok    write"), "\(out.stdout)")
            let left = try s.tool("ldapsearch", ["-LLL", "-b", "ou=units,\(s.suffix)", "(cn=rostersync-check-probe*)", "dn"])
            #expect(left.stdout.isEmpty, "\(left.stdout)")
        }
    }

    @Test("--help and --version answer without a config")
    func help() throws {
        let out = try rostersync(["--help"])
        #expect(out.status == 0 && out.stdout.contains("check") && out.stdout.contains("Exit codes"))
        let v = try rostersync(["--version"])
        #expect(v.status == 0 && v.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
        let c = try rostersync(["check", "--help"])
        #expect(c.stdout.contains("--config"))
    }
}

@Suite("schema/")
struct SchemaTests {
    @Test("the committed LDIF is what schema2ldif.sh makes of rostersync.schema")
    func ldifInSync() throws {
        let out = try Slapd.run("/bin/sh", [Slapd.repoRoot + "/schema/schema2ldif.sh"])
        #expect(out.status == 0)
        let committed = try String(contentsOfFile: Slapd.repoRoot + "/schema/rostersync.ldif", encoding: .utf8)
        #expect(out.stdout == committed, "run: sh schema/schema2ldif.sh > schema/rostersync.ldif")
    }

    @Test("rostersync.schema is accepted by slaptest beside core, cosine, inetorgperson and misc")
    func schemaFileLoads() throws {
        var template = Array("/tmp/rs-schema-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/slapd.d", withIntermediateDirectories: true)
        let conf = ["core", "cosine", "inetorgperson", "misc"].map { "include /etc/ldap/schema/\($0).schema" }
            + ["include \(Slapd.repoRoot)/schema/rostersync.schema", "database config"]
        try conf.joined(separator: "\n").write(toFile: dir + "/slapd.conf", atomically: true, encoding: .utf8)
        let out = try Slapd.run("/usr/sbin/slaptest", ["-f", dir + "/slapd.conf", "-F", dir + "/slapd.d"])
        #expect(out.status == 0, "\(out.stderr)")
    }

    @Test("the schema holds rostersync entries: an account and a unit with every attribute")
    func entriesValidate() throws {
        try withSlapd { s in
            let units = "ou=units,\(s.suffix)"
            let ldif = """
                dn: ou=vu-dtts,\(units)
                objectClass: organizationalUnit
                objectClass: rsUnit
                ou: vu-dtts
                rsUnitCode: VDTTS
                rsState: active
                mail: vudtts@cema.gov.vn
                mailLocalAddress: vudantoc@cema.gov.vn
                rsExpiringAlias: vudantoc@cema.gov.vn 20270301000000Z
                displayName: Vụ Dân tộc thiểu số
                rsHeadEmployeeNumber: 000123
                rsMailQuota: 1073741824

                dn: uid=annv,ou=vu-dtts,\(units)
                objectClass: inetOrgPerson
                objectClass: rsAccount
                uid: annv
                cn: Nguyễn Văn An
                sn: Nguyễn
                givenName: An
                mail: annv@cema.gov.vn
                employeeNumber: 000123
                departmentNumber: VDTTS
                rsState: locked
                rsStateSince: 20261001000000Z
                rsStateReason: no login since 2026-07-01
                rsLockExemptUntil: 20270101000000Z
                """
            let out = try s.tool("ldapadd", [], stdin: ldif)
            #expect(out.status == 0, "\(out.stderr)")
            let found = try s.tool("ldapsearch", ["-b", units, "-LLL", "(&(objectClass=rsAccount)(rsState=locked)(rsLockExemptUntil>=20261201000000Z))", "uid"])
            #expect(found.stdout.contains("uid: annv"))
            // rsAccount requires employeeNumber: an account without one is refused.
            let bad = try s.tool("ldapadd", [], stdin: "dn: uid=x,\(units)\nobjectClass: inetOrgPerson\nobjectClass: rsAccount\nuid: x\ncn: x\nsn: x\nmail: x@cema.gov.vn\nrsState: active\n")
            #expect(bad.status == 65, "objectClassViolation expected: \(bad.stderr)")
        }
    }
}
