import Foundation
import LDAPClient
import LDAPModel
import SlapdHarness
import Testing

/// A small directory: unit UB (mailbox `uyban`), VP below it, four people.
struct SmallRosters {
    let dir: String
    let units: String
    let staff: String

    static let unitHeader = "unit_code,unit_name,parent_code,mailbox,head_employee_id,status\r\n"
    static let staffHeader = "employee_id,full_name,unit_code,title,email,status,start_date,end_date,phone\r\n"

    init(_ s: Slapd, name: String = "small") throws {
        dir = s.dir + "/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        units = dir + "/units.csv"
        staff = dir + "/staff.csv"
        try write(ubMailbox: "uyban", ubHead: "000001", departed: [])
    }

    /// Rewrites both rosters: UB's mailbox and head, and who has left (today).
    func write(ubMailbox: String, ubHead: String, departed: Set<String>, departedOn: String = dayString(offset: 0)) throws {
        try (Self.unitHeader + "UB,Ủy ban,,\(ubMailbox),\(ubHead),active\r\nVP,Văn phòng,UB,,000002,active\r\n")
            .write(toFile: units, atomically: true, encoding: .utf8)
        var rows = Self.staffHeader
        for (id, name, unit) in [("000001", "Nguyễn Văn An", "UB"), ("000002", "Trần Thị Bình", "VP"), ("000003", "Lê Văn Cường", "VP"), ("000004", "Phạm Thị Dung", "UB")] {
            let gone = departed.contains(id)
            rows += "\(id),\(name),\(unit),Chuyên viên,,\(gone ? "departed" : "active"),2020-01-01,\(gone ? departedOn : ""),\r\n"
        }
        try rows.write(toFile: staff, atomically: true, encoding: .utf8)
    }
}

/// The backups folder's runs, oldest first.
func backupRuns(_ s: Slapd) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: s.dir + "/state/backups").sorted()
}

/// The DNs of an LDIF file (plain or base64 `dn::`).
func ldifDNs(_ path: String) throws -> [String] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap { line -> String? in
        if line.hasPrefix("dn:: ") { return Data(base64Encoded: String(line.dropFirst(5))).map { String(decoding: $0, as: UTF8.self) } }
        if line.hasPrefix("dn: ") { return String(line.dropFirst(4)) }
        return nil
    }
}

/// Every initial password handed out so far, by address (from the notices).
func initialPasswords(_ s: Slapd) throws -> [String: String] {
    var out: [String: String] = [:]
    let notices = s.dir + "/state/notices"
    for run in try FileManager.default.contentsOfDirectory(atPath: notices) {
        for f in try FileManager.default.contentsOfDirectory(atPath: "\(notices)/\(run)") {
            let lines = try String(contentsOfFile: "\(notices)/\(run)/\(f)", encoding: .utf8).split(separator: "\n")
            for (i, l) in lines.enumerated() where l.contains("Địa chỉ hộp thư:") && i + 1 < lines.count {
                if let a = l.split(separator: " ").last, let p = lines[i + 1].split(separator: " ").last { out[String(a)] = String(p) }
            }
        }
    }
    return out
}

func dnOfMail(_ s: Slapd, _ mail: String) throws -> String? {
    let out = try s.tool("ldapsearch", ["-LLL", "-o", "ldif_wrap=no", "-b", s.suffix, "(mail=\(mail))", "1.1"])
    return ldifLinesDN(out.stdout)
}

func ldifLinesDN(_ text: String) -> String? {
    guard let line = text.split(separator: "\n").first else { return nil }
    if line.hasPrefix("dn:: ") { return Data(base64Encoded: String(line.dropFirst(5))).map { String(decoding: $0, as: UTF8.self) } }
    return line.hasPrefix("dn: ") ? String(line.dropFirst(4)) : nil
}

/// The result of a simple bind: nil when it succeeded, else the LDAP error.
func bindError(_ s: Slapd, dn: String, password: String) -> LDAPError? {
    do {
        _ = try LDAPConnection.connect(LDAPConnectionOptions(uris: [s.ldapURI]), credentials: .simple(dn: dn, password: Secret(password)))
        return nil
    } catch {
        return error
    }
}

@Suite("backups and restore against a real slapd")
struct BackupRestoreTests {
    @Test("a unit renamed in the run that disables a person below it: the backup holds both entries at their DNs before the run")
    func backupReadsEntriesWhereTheyWereBeforeTheRun() throws {
        try withSlapd { s in
            let r = try SmallRosters(s)
            let sc = try Scenario(s, units: r.units, staff: r.staff)
            let first = try rostersync(["sync", "--config", sc.config])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(try backupRuns(s).isEmpty)
            try r.write(ubMailbox: "uybandt", ubHead: "000001", departed: ["000003"])
            let second = try rostersync(["sync", "--config", sc.config])
            #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
            #expect(second.stdout.contains("did renameUnit") && second.stdout.contains("did disableAccount"))
            let run = try #require(try backupRuns(s).last)
            let dns = try ldifDNs(s.dir + "/state/backups/\(run)/entries.ldif")
            #expect(dns.count == 2, "\(dns)")
            #expect(dns.allSatisfy { $0.contains("ou=uyban,ou=units,") }, "read where they were before the run: \(dns)")
            #expect(dns.contains { $0.hasPrefix("uid=") }, "the disabled person is in the backup: \(dns)")
            // Both still exist, renamed or moved: restore leaves them alone instead of duplicating them.
            let restore = try rostersync(["restore", "--config", sc.config, run])
            #expect(restore.status == 4 && restore.stderr.contains("moved or renamed since"), "\(restore.stdout)\(restore.stderr)")
            #expect(try s.tool("ldapsearch", ["-LLL", "-b", s.suffix, "(|(&(objectClass=rsUnit)(rsUnitCode=UB))(employeeNumber=000003))", "1.1"]).stdout.split(separator: "\n").filter { $0.hasPrefix("dn") }.count == 2)
        }
    }

    @Test("a dissolved unit restored comes back with its mailbox; one restored without it is dissolved again by the next sync")
    func restoreDissolvedUnit() throws {
        try withSlapd { s in
            let r = try SmallRosters(s)
            let sc = try Scenario(s, units: r.units, staff: r.staff)
            let withPC = SmallRosters.unitHeader + "UB,Ủy ban,,uyban,000001,active\r\nVP,Văn phòng,UB,,000002,active\r\nPC,Phòng C,UB,phongc,,active\r\n"
            try withPC.write(toFile: r.units, atomically: true, encoding: .utf8)
            #expect(try rostersync(["sync", "--config", sc.config]).status == 0)
            let unitDN = try #require(try s.tool("ldapsearch", ["-LLL", "-o", "ldif_wrap=no", "-b", s.suffix, "(&(objectClass=rsUnit)(rsUnitCode=PC))", "1.1"]).stdout
                .split(separator: "\n").first.map { String($0.dropFirst(4)) })
            // HR drops the unit: the empty unit and its mailbox are deleted, backed up first.
            try r.write(ubMailbox: "uyban", ubHead: "000001", departed: [])
            let dissolve = try rostersync(["sync", "--config", sc.config])
            #expect(dissolve.status == 0 && dissolve.stdout.contains("did dissolveUnit"), "\(dissolve.stdout)\(dissolve.stderr)")
            let run = try #require(try backupRuns(s).last)
            #expect(try ldifDNs(s.dir + "/state/backups/\(run)/entries.ldif").count == 2)

            // The whole backup: the unit and its mailbox, neither taken for the other.
            let restore = try rostersync(["restore", "--config", sc.config, run])
            #expect(restore.status == 0, "\(restore.stdout)\(restore.stderr)")
            #expect(try dnOfMail(s, "phongc@cema.gov.vn") == "cn=unit mailbox,\(unitDN)")
            let again = try rostersync(["sync", "--config", sc.config])
            #expect(again.status == 0 && again.stdout.contains("did dissolveUnit"), "\(again.stdout)\(again.stderr)")
            #expect(try dnOfMail(s, "phongc@cema.gov.vn") == nil)

            // The unit alone: a unit without a mailbox entry is dissolved without writing to one.
            let unitOnly = try rostersync(["restore", "--config", sc.config, run, unitDN])
            #expect(unitOnly.status == 0, "\(unitOnly.stdout)\(unitOnly.stderr)")
            let plan = try rostersync(["plan", "--config", sc.config, "--format", "ldif"])
            #expect(plan.status == 2 && !plan.stdout.contains("cn=unit mailbox"), "\(plan.stdout)")
            let last = try rostersync(["sync", "--config", sc.config])
            #expect(last.status == 0, "\(last.stdout)\(last.stderr)")
            let left = try s.tool("ldapsearch", ["-LLL", "-b", s.suffix, "(rsUnitCode=PC)", "1.1"]).stdout
            #expect(!left.contains("dn:"), "\(left)")
        }
    }

    @Test("a deleted disabled account restored from its backup with ldapadd keeps its lock: the old password is refused")
    func ldapaddOfBackupKeepsLock() throws {
        try withSlapd { s in
            let (dn, password, run) = try deleteDepartedPerson(s)
            let add = try s.tool("ldapadd", ["-c", "-f", s.dir + "/state/backups/\(run)/entries.ldif"])
            #expect(add.stderr.contains("Already exists") || add.status == 0, "\(add.stderr)")
            let back = try s.tool("ldapsearch", ["-LLL", "-b", dn, "-s", "base", "rsState", "pwdAccountLockedTime"])
            #expect(back.stdout.contains("rsState: disabled") && back.stdout.contains("pwdAccountLockedTime: 000001010000Z"), "\(back.stdout)")
            let e = bindError(s, dn: dn, password: password)
            #expect(e?.code == .invalidCredentials, "a disabled account restored must not bind: \(String(describing: e))")
        }
    }

    @Test("rostersync restore puts a deleted entry back with its lock, audited; an entry that exists is named and left alone")
    func restoreCommand() throws {
        try withSlapd { s in
            let (dn, password, run) = try deleteDepartedPerson(s)
            let config = try #require(try FileManager.default.contentsOfDirectory(atPath: s.dir).first { $0.hasPrefix("config-") })
            let help = try rostersync(["restore", "--help"])
            #expect(help.status == 0 && help.stdout.contains("Exit codes"), "\(help.stdout)\(help.stderr)")
            // The whole run: the deleted person comes back, the entries that exist are named.
            let all = try rostersync(["restore", "--config", s.dir + "/" + config, run])
            #expect(all.status == 4, "\(all.stdout)\(all.stderr)")
            #expect(all.stdout.contains("restored \(dn)"), "\(all.stdout)")
            #expect(all.stderr.contains("exists"), "\(all.stderr)")
            let back = try s.tool("ldapsearch", ["-LLL", "-b", dn, "-s", "base", "rsState", "pwdAccountLockedTime"])
            #expect(back.stdout.contains("rsState: disabled") && back.stdout.contains("pwdAccountLockedTime: 000001010000Z"), "\(back.stdout)")
            #expect(bindError(s, dn: dn, password: password)?.code == .invalidCredentials)
            let audit = try String(contentsOfFile: s.dir + "/state/audit.jsonl", encoding: .utf8)
            let restored = audit.split(separator: "\n").filter { $0.contains("\"kind\":\"restoreEntry\"") && $0.contains("\"result\":\"ok\"") }
            #expect(restored.count == 1 && restored.first?.contains(dn) == true, "\(restored)")
            // Named alone, now that it exists: refused, nothing written.
            let again = try rostersync(["restore", "--config", s.dir + "/" + config, run, dn])
            #expect(again.status == 4 && again.stderr.contains(dn) && again.stderr.contains("exists"), "\(again.stdout)\(again.stderr)")
            // A DN the backup does not hold.
            let unknown = try rostersync(["restore", "--config", s.dir + "/" + config, run, "uid=nobody,ou=units,\(s.suffix)"])
            #expect(unknown.status == 1 && unknown.stderr.contains("not in"), "\(unknown.stderr)")
            // Delete it by hand and restore it by name: exit 0.
            #expect(try s.tool("ldapdelete", [dn]).status == 0)
            let named = try rostersync(["restore", "--config", s.dir + "/" + config, run, dn])
            #expect(named.status == 0, "\(named.stdout)\(named.stderr)")
            #expect(bindError(s, dn: dn, password: password)?.code == .invalidCredentials)
        }
    }

    /// Syncs the small rosters, disables 000003 (departed), then deletes it 200 days on; returns
    /// its DN, its initial password and the deletion run's backup.
    func deleteDepartedPerson(_ s: Slapd) throws -> (dn: String, password: String, run: String) {
        let r = try SmallRosters(s)
        let sc = try Scenario(s, units: r.units, staff: r.staff)
        #expect(try rostersync(["sync", "--config", sc.config]).status == 0)
        let passwords = try initialPasswords(s)
        // Whose is 000003's mailbox.
        let found = try s.tool("ldapsearch", ["-LLL", "-o", "ldif_wrap=no", "-b", s.suffix, "(employeeNumber=000003)", "mail"])
        let mail = try #require(found.stdout.split(separator: "\n").first { $0.hasPrefix("mail: ") }?.dropFirst(6)).description
        let dn = try #require(ldifLinesDN(found.stdout))
        let password = try #require(passwords[mail])
        #expect(bindError(s, dn: dn, password: password) == nil, "the initial password binds")
        try r.write(ubMailbox: "uyban", ubHead: "000001", departed: ["000003"])
        let disable = try rostersync(["sync", "--config", sc.config])
        #expect(disable.status == 0 && disable.stdout.contains("did disableAccount"), "\(disable.stdout)\(disable.stderr)")
        #expect(bindError(s, dn: dn, password: password)?.code == .invalidCredentials, "disabled: refused")
        let before = try backupRuns(s)
        let del = try rostersync(["sync", "--config", sc.config, "--as-of", dayString(offset: 200)])
        #expect(del.status == 0 && del.stdout.contains("did deleteAccount"), "\(del.stdout)\(del.stderr)")
        let run = try #require(Set(try backupRuns(s)).subtracting(before).first)
        #expect(try s.tool("ldapsearch", ["-LLL", "-b", dn, "-s", "base", "1.1"]).status == 32, "deleted")
        return (dn, password, run)
    }
}
