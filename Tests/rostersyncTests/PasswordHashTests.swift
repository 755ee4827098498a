import Foundation
import LDAPClient
import LDAPModel
import SlapdHarness
import Testing

/// Issue #15: no cleartext password in the directory, whatever ppolicy's settings.
@Suite("initial passwords are stored hashed")
struct PasswordHashTests {
    /// Every `userPassword` under the units base, by DN.
    func passwords(_ s: Slapd) throws -> [String: [String]] {
        try ldapEntries(s, "(userPassword=*)", ["userPassword"], base: "ou=units,\(s.suffix)").mapValues { $0["userpassword"] ?? [] }
    }

    /// The notice's address → password pairs of one run folder.
    func notices(_ dir: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for f in try FileManager.default.contentsOfDirectory(atPath: dir) where f.hasSuffix(".txt") {
            var address: String?
            for line in try String(contentsOfFile: dir + "/" + f, encoding: .utf8).split(separator: "\n") {
                if line.contains("Địa chỉ hộp thư:") { address = line.split(separator: " ").last.map(String.init) }
                if line.contains("Mật khẩu ban đầu:"), let a = address, let p = line.split(separator: " ").last { out[a] = String(p) }
            }
        }
        return out
    }

    /// The server as Debian ships ppolicy (no hashing of cleartext values), and rosters of one
    /// unit VP headed by 000001 and `staff` rows; returns the two files.
    func stockServer(_ s: Slapd, staff rows: [String]) throws -> (units: String, staff: String) {
        let off = "dn: olcOverlay={0}ppolicy,olcDatabase={1}mdb,cn=config\nchangetype: modify\nreplace: olcPPolicyHashCleartext\nolcPPolicyHashCleartext: FALSE\n"
        #expect(try s.tool("ldapmodify", [], stdin: off).status == 0)
        let units = s.dir + "/units.csv", staff = s.dir + "/staff.csv"
        try writeRoster(units, ["unit_code,unit_name,parent_code,mailbox,head_employee_id", "VP,Văn phòng,,,000001"])
        try writeRoster(staff, ["employee_id,full_name,unit_code"] + rows)
        return (units, staff)
    }

    @Test("on a stock slapd (olcPPolicyHashCleartext off) new mailboxes and a handover get {SSHA} values that log in and must be changed")
    func stockServerGetsHashes() throws {
        try withSlapd { s in
            let (units, staff) = try stockServer(s, staff: ["000001,Nguyễn Văn An,VP", "000002,Lê Thị Bình,VP"])
            let sc = try Scenario(s, units: units, staff: staff)
            #expect(try rostersync(["sync", "--config", sc.config]).status == 0)
            // A handover resets the unit mailbox's password.
            try writeRoster(units, ["unit_code,unit_name,parent_code,mailbox,head_employee_id", "VP,Văn phòng,,,000002"])
            #expect(try rostersync(["sync", "--config", sc.config]).status == 0)

            let stored = try passwords(s)
            #expect(stored.count == 3, "\(stored)")
            for (dn, values) in stored { #expect(values.count == 1 && values[0].hasPrefix("{SSHA}"), "\(dn): \(values)") }
            // The notices' passwords log in (ppolicy: must change first).
            let root = s.dir + "/state/notices"
            // Runs are named by time: a later notice replaces an earlier one's password.
            var current: [String: String] = [:]
            for run in try FileManager.default.contentsOfDirectory(atPath: root).sorted() {
                current.merge(try notices(root + "/" + run)) { _, later in later }
            }
            #expect(current.count == 3, "\(current.keys)")
            for (address, password) in current {
                let dn = try #require(try ldapEntries(s, "(mail=\(address))").keys.first)
                let user = try LDAPConnection.connect(LDAPConnectionOptions(uris: [s.ldapURI]), credentials: .simple(dn: dn, password: Secret(password)))
                #expect(user.bindResult.passwordPolicy == .changeAfterReset, "\(address)")
            }
        }
    }

    @Test("cleartext passwords an earlier version left (directory and backups) are hashed by the next sync, once; they still log in, unchanged")
    func cleartextLeftByEarlierVersion() throws {
        try withSlapd { s in
            let (units, staff) = try stockServer(s, staff: ["000001,Nguyễn Văn An,VP", "000002,Lê Thị Bình,VP", "000003,Trần Văn Cường,VP"])
            let sc = try Scenario(s, units: units, staff: staff)
            #expect(try rostersync(["sync", "--config", sc.config]).status == 0)
            // As 1.1 left them on a stock server: two passwords in cleartext (one changed by its
            // holder, no pwdReset; one initial, pwdReset), one in a backup; no marker yet.
            let people = try ldapEntries(s, "(objectClass=rsAccount)", ["uid"], base: "ou=units,\(s.suffix)").keys.sorted()
            try #require(people.count == 3)
            let (own, initial) = (people[0], people[1])
            let mod = try s.tool("ldapmodify", [], stdin: """
                dn: \(own)
                changetype: modify
                replace: userPassword
                userPassword: Own-Choice-7

                dn: \(own)
                changetype: modify
                delete: pwdReset

                dn: \(initial)
                changetype: modify
                replace: userPassword
                userPassword: Initial-Pass-8

                """)
            #expect(mod.status == 0, "\(mod.stderr)")
            #expect(try passwords(s)[own] == ["Own-Choice-7"], "the server keeps cleartext as sent")
            let backupDir = s.dir + "/state/backups/20261101-000000-1"
            try FileManager.default.createDirectory(atPath: backupDir, withIntermediateDirectories: true)
            let b64 = Data("Backed-Up-9".utf8).base64EncodedString()
            try "version: 1\n\ndn: \(people[2])\nobjectClass: inetOrgPerson\nuserPassword:: \(b64)\ncn: x\n".write(toFile: backupDir + "/entries.ldif", atomically: true, encoding: .utf8)
            chmod(backupDir + "/entries.ldif", 0o600)
            unlink(s.dir + "/state/passwords-hashed")

            let out = try rostersync(["sync", "--config", sc.config])
            #expect(out.status == 0, "\(out.stderr)")
            #expect((out.stdout + out.stderr).contains("hashed the cleartext passwords an earlier version left: 2 in the directory, 1 in backups"), "\(out.stdout.prefix(300))")
            let all = try passwords(s)
            #expect(!all.isEmpty && all.values.allSatisfy { $0.allSatisfy { $0.hasPrefix("{SSHA}") } }, "\(all)")
            #expect(bindError(s, dn: own, password: "Own-Choice-7") == nil, "the holder's own password still works")
            #expect(bindError(s, dn: initial, password: "Initial-Pass-8") == nil)
            let reset = try ldapEntries(s, "(objectClass=rsAccount)", ["pwdReset"], base: "ou=units,\(s.suffix)")
            #expect(reset[own]?["pwdreset"] == nil, "a password its holder chose is not to be changed again: \(reset[own] ?? [:])")
            let backup = try String(contentsOfFile: backupDir + "/entries.ldif", encoding: .utf8)
            #expect(!backup.contains(b64) && backup.contains("userPassword: {SSHA}"), "\(backup)")
            let audit = try String(contentsOfFile: s.dir + "/state/audit.jsonl", encoding: .utf8)
            #expect(audit.components(separatedBy: "rehashPassword").count - 1 == 2, "\(audit.suffix(1500))")
            #expect(!audit.contains("Own-Choice-7") && !audit.contains("Initial-Pass-8"))
            // Once: the next run does not look again.
            #expect(FileManager.default.fileExists(atPath: s.dir + "/state/passwords-hashed"))
            let again = try rostersync(["sync", "--config", sc.config])
            #expect(again.status == 0 && !(again.stdout + again.stderr).contains("hashed the cleartext"), "\(again.stderr)")
        }
    }
}
