import Foundation
import LDAPModel
import RosterSync
import Testing

@Suite("Config parsing")
struct ConfigTests {
    let minimal = minimalConfigYAML(stateDir: "/var/lib/rostersync")

    @Test("a minimal config gets the documented defaults")
    func defaults() throws {
        let c = try Config.parse(yaml: minimal, path: "/etc/rostersync/config.yaml")
        #expect(c.directory.uris == ["ldapi:///"])
        #expect(c.directory.unitsBase == (try DN("ou=units,dc=cema,dc=gov,dc=vn")))
        #expect(c.directory.bind == .saslExternal)
        #expect(c.directory.tls.verify && c.directory.tls.mode == "none")
        #expect(c.directory.window == 8 && c.directory.pageSize == 1000)
        #expect(c.directory.connectTimeout == 5 && c.directory.operationTimeout == 30)
        #expect(c.mail.sharedMailbox == "ubdt" && c.mail.reserved.contains("postmaster"))
        #expect(c.policy.lockAfter == .months(3) && c.policy.deleteUnusedAfter == .months(6))
        #expect(c.policy.disabledRetention == .days(180) && c.policy.newMailboxWorkingDays == 2)
        #expect(c.rosters.unitsEncoding == "auto" && c.rosters.staffEncoding == "auto")
        #expect(c.stateDir == "/var/lib/rostersync")
    }

    @Test("rosters.encoding: one name for both files, or one per file")
    func encodingPerFile() throws {
        let both = try Config.parse(yaml: minimal + "\nrosters:\n  encoding: TCVN3\n", path: "c.yaml")
        #expect(both.rosters.unitsEncoding == "tcvn3" && both.rosters.staffEncoding == "tcvn3")
        let each = try Config.parse(yaml: minimal + "\nrosters:\n  encoding:\n    staff: vni\n", path: "c.yaml")
        #expect(each.rosters.unitsEncoding == "auto" && each.rosters.staffEncoding == "vni")
    }

    @Test("the example config in deploy/ parses")
    func exampleParses() throws {
        let c = try Config.parse(yaml: exampleConfig, path: "/etc/rostersync/config.yaml")
        #expect(c.directory.uris.count == 2)
        #expect(c.directory.bind == .simple(dn: "cn=rostersync,ou=services,dc=cema,dc=gov,dc=vn", password: .file("/etc/rostersync/bind.secret")))
        #expect(c.protected.count == 1)
        #expect(c.rosters.staff == "/var/lib/rostersync/inbox/staff.csv")
    }

    @Test("relative paths are taken from the config file's folder")
    func relativePaths() throws {
        let yaml = minimal.replacingOccurrences(of: "state_dir: /var/lib/rostersync", with: "state_dir: state\nrosters:\n  staff: hr/staff.csv")
        let c = try Config.parse(yaml: yaml, path: "/srv/rs/config.yaml")
        #expect(c.stateDir == "/srv/rs/state")
        #expect(c.rosters.staff == "/srv/rs/hr/staff.csv")
    }

    @Test("errors name the file, line, column and key", arguments: [
        ("mail:\n  domian: x", "mail.domian: unknown key (did you mean domain?)"),
        ("directory:\n  window: 0", "directory.window: expected a whole number from 1 to 1024, got \"0\""),
        ("directory:\n  bind:\n    method: kerberos", "directory.bind.method: expected sasl-external or simple, got \"kerberos\""),
        ("directory:\n  uris: [http://x]", "directory.uris[0]: expected an ldap://, ldaps:// or ldapi:// URI"),
        ("directory:\n  base: not-a-dn", "directory.base: not a valid DN"),
        ("policy:\n  lock_after: soon", "policy.lock_after: expected a period"),
        ("policy:\n  lock_after: 7 months", "policy.delete_unused_after: must be longer than lock_after"),
        ("directory:\n  tls:\n    verify: maybe", "directory.tls.verify: expected true or false, got \"maybe\""),
        ("rosters:\n  encoding: latin1", "rosters.encoding: expected one of auto, utf-8"),
        ("rosters:\n  encoding:\n    staff: latin1", "rosters.encoding.staff: expected one of auto, utf-8"),
        ("rosters:\n  encoding:\n    unit: tcvn3", "rosters.encoding.unit: unknown key"),
        ("extra: 1", "extra: unknown key"),
    ])
    func located(change: String, expected: String) throws {
        let yaml = apply(change)
        let e = #expect(throws: ConfigError.self) { _ = try Config.parse(yaml: yaml, path: "c.yaml") }
        let text = e.map { "\($0)" } ?? ""
        #expect(text.hasPrefix("c.yaml:"), "\(text)")
        #expect(text.contains(expected), "\(text)")
        #expect((e?.line ?? 0) > 0)
    }

    @Test("a simple bind needs exactly one password source, never the password itself")
    func simpleBindSecret() {
        let none = minimal.replacingOccurrences(of: "method: sasl-external", with: "method: simple\n    dn: cn=x,dc=vn")
        let e1 = #expect(throws: ConfigError.self) { _ = try Config.parse(yaml: none, path: "c.yaml") }
        #expect(e1?.message.contains("password_file or password_env") == true)
        // The password itself in the config is not a key it knows.
        let inline = none.replacingOccurrences(of: "dn: cn=x,dc=vn", with: "dn: cn=x,dc=vn\n    password: hunter2")
        let e2 = #expect(throws: ConfigError.self) { _ = try Config.parse(yaml: inline, path: "c.yaml") }
        #expect(e2?.key == "directory.bind.password" && e2?.message.hasPrefix("unknown key") == true)
        #expect(e2.map { "\($0)" }?.contains("hunter2") == false)
        let both = none.replacingOccurrences(of: "dn: cn=x,dc=vn", with: "dn: cn=x,dc=vn\n    password_file: a\n    password_env: B")
        let e3 = #expect(throws: ConfigError.self) { _ = try Config.parse(yaml: both, path: "c.yaml") }
        #expect(e3?.message.contains("not both") == true)
    }

    @Test("starttls with an ldaps:// or ldapi:// URI is refused")
    func starttlsOnlyForLDAP() {
        let yaml = minimal.replacingOccurrences(of: "    method: sasl-external", with: "    method: sasl-external\n  tls:\n    mode: starttls")
        let e = #expect(throws: ConfigError.self) { _ = try Config.parse(yaml: yaml, path: "c.yaml") }
        #expect(e?.key == "directory.tls.mode")
    }

    /// Merges a small YAML change into the minimal config by replacing its top-level section.
    func apply(_ change: String) -> String {
        let section = String(change.prefix { $0 != ":" })
        var lines = minimal.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let start = lines.firstIndex(where: { $0.hasPrefix(section + ":") }) {
            let end = lines[(start + 1)...].firstIndex { !$0.hasPrefix(" ") } ?? lines.count
            // Keep the section's other keys, add the change's keys after its header.
            let added = change.split(separator: "\n").dropFirst().map(String.init)
            var existing = Array(lines[(start + 1)..<end])
            for a in added where a.hasPrefix("  ") && !a.hasPrefix("    ") {
                let key = a.trimmingCharacters(in: .whitespaces).prefix { $0 != ":" }
                if let i = existing.firstIndex(where: { $0.hasPrefix("  \(key):") }) {
                    var j = i + 1
                    while j < existing.count && existing[j].hasPrefix("    ") { j += 1 }
                    existing.removeSubrange(i..<j)
                }
            }
            lines.replaceSubrange(start..<end, with: [lines[start]] + added + existing)
            return lines.joined(separator: "\n")
        }
        return minimal + "\n" + change
    }
}

/// deploy/rostersync.example.yaml, as shipped.
let exampleConfig: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return (try? String(contentsOf: url.appendingPathComponent("deploy/rostersync.example.yaml"), encoding: .utf8)) ?? ""
}()
