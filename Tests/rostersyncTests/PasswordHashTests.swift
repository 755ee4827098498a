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

    @Test("on a stock slapd (olcPPolicyHashCleartext off) new mailboxes and a handover get {SSHA} values that log in and must be changed")
    func stockServerGetsHashes() throws {
        try withSlapd { s in
            let off = "dn: olcOverlay={0}ppolicy,olcDatabase={1}mdb,cn=config\nchangetype: modify\nreplace: olcPPolicyHashCleartext\nolcPPolicyHashCleartext: FALSE\n"
            #expect(try s.tool("ldapmodify", [], stdin: off).status == 0)
            let units = s.dir + "/units.csv", staff = s.dir + "/staff.csv"
            try writeRoster(units, ["unit_code,unit_name,parent_code,mailbox,head_employee_id", "VP,Văn phòng,,,000001"])
            try writeRoster(staff, ["employee_id,full_name,unit_code", "000001,Nguyễn Văn An,VP", "000002,Lê Thị Bình,VP"])
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
}
