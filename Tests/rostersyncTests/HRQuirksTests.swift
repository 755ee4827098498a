import Foundation
import SlapdHarness
import Testing

/// Entries of a search as attribute → values (names in lower case), read with ldapsearch as
/// the admin; base64 values (`attr::`) decoded.
func ldapEntries(_ s: Slapd, _ filter: String, _ attributes: [String] = [], base: String? = nil) throws -> [String: [String: [String]]] {
    let out = try s.tool("ldapsearch", ["-LLL", "-o", "ldif-wrap=no", "-E", "pr=1000/noprompt", "-b", base ?? s.suffix, filter] + attributes)
    var result: [String: [String: [String]]] = [:]
    var dn: String?
    for line in out.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
        guard let colon = line.firstIndex(of: ":") else { dn = nil; continue }
        let name = line[..<colon].lowercased()
        var value = line[line.index(after: colon)...]
        var decoded: String
        if value.hasPrefix(":") {
            value = value.dropFirst()
            decoded = Data(base64Encoded: value.trimmingCharacters(in: .whitespaces)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        } else {
            decoded = value.trimmingCharacters(in: .whitespaces)
        }
        if name == "dn" {
            dn = decoded
            result[decoded] = [:]
        } else if let dn {
            result[dn, default: [:]][name, default: []].append(decoded)
        }
    }
    return result
}

/// Writes a roster file (CRLF, as HR's spreadsheet exports it).
func writeRoster(_ path: String, _ rows: [String]) throws {
    try (rows.joined(separator: "\r\n") + "\r\n").write(toFile: path, atomically: true, encoding: .utf8)
}

/// What real HR exports and real quarters do that the project's own generator never did
/// (issue #13): each test fails on the version before the fix.
@Suite("HR quirks synced into a real slapd")
struct HRQuirksTests {
    static let unitsHeader = "unit_code,unit_name,parent_code,mailbox,head_employee_id"
    static let staffHeader = "employee_id,full_name,unit_code,title,status,start_date,end_date,phone"

    func sync(_ sc: Scenario, _ args: [String] = []) throws -> Slapd.ProcessOutput {
        try rostersync(["sync", "--config", sc.config] + args)
    }

    func expectQuiet(_ sc: Scenario, _ args: [String] = [], _ note: Comment) throws {
        let again = try sync(sc, args)
        #expect(again.status == 0 && again.stdout.hasPrefix("nothing to do"), "\(note): \(again.stdout)\(again.stderr)")
    }

    @Test("the agency as HR's root unit owns the shared mailbox ubdt; later runs rename nothing")
    func rootUnitOwnsSharedMailbox() throws {
        try withSlapd { s in
            let units = s.dir + "/units.csv", staff = s.dir + "/staff.csv"
            try writeRoster(units, [Self.unitsHeader, "UBDT,Ủy ban Dân tộc,,ubdt,000001", "VP,Văn phòng Ủy ban,UBDT,,000002", "TTTT,Trung tâm Thông tin,UBDT,,"])
            try writeRoster(staff, [Self.staffHeader, "000001,Hầu A Lềnh,UBDT,Bộ trưởng,active,,,", "000002,Nguyễn Văn An,VP,Chánh Văn phòng,active,,,",
                                    "000003,Lê Thị Bình,TTTT,Chuyên viên,active,,,"])
            let sc = try Scenario(s, units: units, staff: staff)
            let first = try sync(sc)
            #expect(first.status == 0, "\(first.stderr)")
            let root = try ldapEntries(s, "(rsUnitCode=UBDT)", ["mail", "mailLocalAddress"])
            #expect(root.keys.sorted() == ["cn=unit mailbox,ou=ubdt,ou=units,\(s.suffix)", "ou=ubdt,ou=units,\(s.suffix)"], "\(root)")
            #expect(root["cn=unit mailbox,ou=ubdt,ou=units,\(s.suffix)"]?["mail"] == ["ubdt@cema.gov.vn"], "\(root)")
            for run in 2...4 { try expectQuiet(sc, [], "run \(run)") }
            #expect(try ldapEntries(s, "(rsUnitCode=UBDT)", ["mailLocalAddress"]).values.allSatisfy { $0["maillocaladdress"] == nil }, "no alias piled up")
        }
    }

    @Test("a unit whose mailbox another entry holds keeps the address it has: no rename back and forth")
    func heldMailboxIsNotChased() throws {
        try withSlapd { s in
            let units = s.dir + "/units.csv", staff = s.dir + "/staff.csv"
            // The shared mailbox exists already as the agency's own entry (art. 8).
            let shared = "dn: uid=ubdt,ou=units,\(s.suffix)\nobjectClass: inetOrgPerson\nuid: ubdt\ncn: Hộp thư chung\nsn: UBDT\nmail: ubdt@cema.gov.vn\n"
            #expect(try s.tool("ldapadd", [], stdin: shared).status == 0)
            try writeRoster(units, [Self.unitsHeader, "UBDT,Ủy ban Dân tộc,,ubdt,", "VP,Văn phòng Ủy ban,UBDT,,"])
            try writeRoster(staff, [Self.staffHeader, "000002,Nguyễn Văn An,VP,Chuyên viên,active,,,"])
            let sc = try Scenario(s, units: units, staff: staff, extra: "protected: [\"uid=ubdt,ou=units,\(s.suffix)\"]\n")
            #expect(try sync(sc).status == 0)
            let root = try ldapEntries(s, "(&(objectClass=rsUnitMailbox)(rsUnitCode=UBDT))", ["mail"])
            #expect(root.count == 1 && root.values.first?["mail"] == ["ubdt2@cema.gov.vn"], "\(root)")
            for run in 2...3 { try expectQuiet(sc, [], "run \(run)") }
        }
    }

    @Test("after a unit rename every owner names the head's entry where it now is")
    func ownersFollowRenames() throws {
        try withSlapd { s in
            let units = s.dir + "/units.csv", staff = s.dir + "/staff.csv"
            try writeRoster(units, [Self.unitsHeader, "UB,Ủy ban,,uyban,000001", "VP,Văn phòng,UB,,000002"])
            try writeRoster(staff, [Self.staffHeader, "000001,Hầu A Lềnh,UB,Chủ nhiệm,active,,,", "000002,Nguyễn Văn An,VP,Chánh Văn phòng,active,,,"])
            let sc = try Scenario(s, units: units, staff: staff)
            #expect(try sync(sc).status == 0)
            try writeRoster(units, [Self.unitsHeader, "UB,Ủy ban,,ubnd,000001", "VP,Văn phòng,UB,,000002"])
            let renamed = try sync(sc)
            #expect(renamed.status == 0, "\(renamed.stderr)")
            let all = try ldapEntries(s, "(objectClass=*)", ["owner"], base: "ou=units,\(s.suffix)")
            let owners = all.values.compactMap { $0["owner"]?.first }
            #expect(owners.count == 2)
            let existing = Set(all.keys.map { $0.lowercased() })
            for o in owners { #expect(existing.contains(o.lowercased()), "owner \(o) names no entry") }
            try expectQuiet(sc, [], "after the rename")
        }
    }

    @Test("a merge quarter: the merged unit's row dropped, departed staff keep its code; the unit is dissolved, the departed disabled")
    func mergeQuarter() throws {
        try withSlapd { s in
            let units = s.dir + "/units.csv", staff = s.dir + "/staff.csv"
            try writeRoster(units, [Self.unitsHeader, "VP,Văn phòng,,,", "TCDT,Tạp chí Dân tộc,,,000002", "BDT,Báo Dân tộc,,,"])
            try writeRoster(staff, [Self.staffHeader, "000001,Nguyễn Văn An,VP,,active,,,", "000002,Lê Thị Bình,TCDT,,active,,,",
                                    "000003,Trần Văn Cường,TCDT,,active,,,", "000004,Phạm Thị Dung,TCDT,,departed,2020-01-01,2021-01-01,",
                                    "000005,Đỗ Văn Em,TCDT,,active,,,"])
            let sc = try Scenario(s, units: units, staff: staff)
            #expect(try sync(sc).status == 0)
            // TCDT merged into BDT: its row is gone; its people moved, one left, and a
            // departed person never in the directory keeps the old code.
            try writeRoster(units, [Self.unitsHeader, "VP,Văn phòng,,,", "BDT,Báo Dân tộc và Tạp chí,,,"])
            try writeRoster(staff, [Self.staffHeader, "000001,Nguyễn Văn An,VP,,active,,,", "000002,Lê Thị Bình,BDT,,active,,,",
                                    "000003,Trần Văn Cường,TCDT,,departed,,2026-01-01,", "000004,Phạm Thị Dung,TCDT,,departed,2020-01-01,2021-01-01,",
                                    "000005,Đỗ Văn Em,BDT,,active,,,"])
            let merged = try sync(sc)
            #expect(merged.status == 0, "\(merged.stdout)\(merged.stderr)")
            #expect(merged.stderr.contains("unit \"TCDT\" of departed 000004"), "a warning, not an error: \(merged.stderr)")
            let tcdt = try ldapEntries(s, "(&(objectClass=rsUnitMailbox)(rsUnitCode=TCDT))", ["rsState", "owner"])
            #expect(tcdt.count == 1, "\(tcdt)")
            #expect(tcdt.values.first?["rsstate"] == ["disabled"], "the merged unit's mailbox stops: \(tcdt)")
            #expect(tcdt.values.first?["owner"] == nil, "nobody holds it; its head moved on: \(tcdt)")
            #expect(try ldapEntries(s, "(employeeNumber=000003)", ["rsState"]).values.first?["rsstate"] == ["disabled"])
            #expect(try ldapEntries(s, "(employeeNumber=000005)", ["departmentNumber"]).keys.first?.contains("ou=bdt") == true)
            try expectQuiet(sc, [], "after the merge")
            // Once the departed person's retention has passed, the empty unit goes too.
            let later = dayString(offset: 200)
            let gone = try sync(sc, ["--as-of", later])
            #expect(gone.status == 0, "\(gone.stdout)\(gone.stderr)")
            #expect(try ldapEntries(s, "(rsUnitCode=TCDT)").isEmpty, "\(gone.stdout)")
            try expectQuiet(sc, ["--as-of", later], "after the dissolution")
        }
    }

    @Test("a person with a future end date moves with the merge of their unit; the dissolution completes")
    func futureEndDateMoves() throws {
        try withSlapd { s in
            let units = s.dir + "/units.csv", staff = s.dir + "/staff.csv"
            let end = dayString(offset: 60)
            try writeRoster(units, [Self.unitsHeader + ",status", "VP,Văn phòng,,,,active", "TH,Vụ Tổng hợp,,,,active"])
            try writeRoster(staff, [Self.staffHeader, "000001,Nguyễn Văn An,VP,,active,,,", "000002,Lê Thị Bình,TH,,active,,\(end),"])
            let sc = try Scenario(s, units: units, staff: staff)
            #expect(try sync(sc).status == 0)
            try writeRoster(units, [Self.unitsHeader + ",status", "VP,Văn phòng,,,,active", "TH,Vụ Tổng hợp,,,,dissolved"])
            try writeRoster(staff, [Self.staffHeader, "000001,Nguyễn Văn An,VP,,active,,,", "000002,Lê Thị Bình,VP,Chuyên viên,active,,\(end),"])
            let out = try sync(sc)
            #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
            let person = try ldapEntries(s, "(employeeNumber=000002)", ["departmentNumber", "title"])
            #expect(person.keys.first?.hasSuffix("ou=vp,ou=units,\(s.suffix)") == true, "\(person)")
            #expect(person.values.first?["title"] == ["Chuyên viên"])
            #expect(try ldapEntries(s, "(rsUnitCode=TH)").isEmpty, "TH is dissolved: \(out.stdout)")
            try expectQuiet(sc, [], "after the transfer")
        }
    }

    @Test("phone numbers re-typed in another notation are not changes; new ones are stored in one form")
    func phonesByMeaning() throws {
        try withSlapd { s in
            let units = s.dir + "/units.csv", staff = s.dir + "/staff.csv"
            try writeRoster(units, [Self.unitsHeader, "VP,Văn phòng,,,"])
            try writeRoster(staff, [Self.staffHeader, "000001,Nguyễn Văn An,VP,,active,,,0789296668", "000002,Lê Thị Bình,VP,,active,,,+84 24 3771 1186",
                                    "000003,Trần Văn Cường,VP,,active,,,091.234.5678"])
            let sc = try Scenario(s, units: units, staff: staff)
            #expect(try sync(sc).status == 0)
            let phones = try ldapEntries(s, "(employeeNumber=*)", ["telephoneNumber"]).values.compactMap { $0["telephonenumber"]?.first }.sorted()
            #expect(phones == ["02437711186", "0789296668", "0912345678"])
            try writeRoster(staff, [Self.staffHeader, "000001,Nguyễn Văn An,VP,,active,,,+84 78 929 6668", "000002,Lê Thị Bình,VP,,active,,,024 3771 1186",
                                    "000003,Trần Văn Cường,VP,,active,,,(091) 234-5678"])
            try expectQuiet(sc, [], "re-typed phones")
            // A directory that holds another notation (an older version, an admin) is not rewritten either.
            #expect(try s.tool("ldapmodify", [], stdin: "dn: \(try #require(try ldapEntries(s, "(employeeNumber=000001)").keys.first))\nchangetype: modify\nreplace: telephoneNumber\ntelephoneNumber: 078 929 6668\n").status == 0)
            try expectQuiet(sc, [], "another notation in the directory")
            // A real change still is one.
            try writeRoster(staff, [Self.staffHeader, "000001,Nguyễn Văn An,VP,,active,,,0789296669", "000002,Lê Thị Bình,VP,,active,,,024 3771 1186",
                                    "000003,Trần Văn Cường,VP,,active,,,(091) 234-5678"])
            #expect(try sc.plan().stdout.contains("telephoneNumber: \"078 929 6668\" → \"0789296669\""))
        }
    }

    @Test("a mailbox deleted for disuse stays deleted while its holder is active in HR, is not overdue, and comes back when reopened")
    func deletedForDisuseIsRemembered() throws {
        try withSlapd { s in
            let units = s.dir + "/units.csv", staff = s.dir + "/staff.csv"
            try writeRoster(units, [Self.unitsHeader, "VP,Văn phòng,,,"])
            try writeRoster(staff, [Self.staffHeader, "000001,Nguyễn Văn An,VP,,active,,,", "000002,Lê Thị Bình,VP,,active,,,"])
            // 000002 logs in every day; 000001 never does.
            let logins = s.dir + "/logins.csv"
            let sc = try Scenario(s, units: units, staff: staff, extra: "policy:\n  last_login_file: \(logins)\n")
            try "address,last_login\n".write(toFile: logins, atomically: true, encoding: .utf8)
            #expect(try sync(sc).status == 0)
            func loggedIn(_ day: String) throws {
                try "address,last_login\nbinhlt@cema.gov.vn,\(day)\n".write(toFile: logins, atomically: true, encoding: .utf8)
            }
            let lockDay = dayString(offset: 100), deleteDay = dayString(offset: 200), after = dayString(offset: 210)
            try loggedIn(lockDay)
            let locked = try sync(sc, ["--as-of", lockDay])
            #expect(locked.status == 0 && locked.stdout.contains("did lockAccount"), "\(locked.stdout)\(locked.stderr)")
            try loggedIn(deleteDay)
            let deleted = try sync(sc, ["--as-of", deleteDay])
            #expect(deleted.status == 0 && deleted.stdout.contains("did deleteAccount"), "\(deleted.stdout)\(deleted.stderr)")
            #expect(try ldapEntries(s, "(employeeNumber=000001)", [], base: "ou=units,\(s.suffix)").keys.allSatisfy { !$0.hasPrefix("uid=") })
            // HR still lists them: no new mailbox, no new password, not overdue.
            try loggedIn(after)
            try expectQuiet(sc, ["--as-of", after], "after the deletion for disuse")
            let plan = try sc.plan(["--as-of", after])
            #expect(plan.stdout.contains("deleted for disuse"), "\(plan.stdout)")
            let overdue = try rostersync(["report", "overdue", "--config", sc.config, "--as-of", after])
            #expect(overdue.status == 0, "\(overdue.stdout)\(overdue.stderr)")
            // Reopened at the unit's written request: the next run makes the mailbox again.
            let reopen = try rostersync(["unlock", "--config", sc.config, "annv@cema.gov.vn", "--reason", "CV 15/VP ngày 01/12"])
            #expect(reopen.status == 0, "\(reopen.stderr)")
            let again = try sync(sc, ["--as-of", after])
            #expect(again.status == 0 && again.stdout.contains("did createAccount 000001"), "\(again.stdout)\(again.stderr)")
            #expect(try ldapEntries(s, "(mail=annv@cema.gov.vn)", ["employeeNumber"]).values.first?["employeenumber"] == ["000001"])
            let audit = try String(contentsOfFile: s.dir + "/state/audit.jsonl", encoding: .utf8)
            #expect(audit.contains("CV 15/VP ngày 01/12"))
        }
    }

    @Test("a staff file whose ids were all renumbered stops with exit 3 and says so; nothing is written")
    func renumberedStaffFile() throws {
        try withSlapd { s in
            let units = s.dir + "/units.csv", staff = s.dir + "/staff.csv"
            let names = ["Nguyễn Văn An", "Lê Thị Bình", "Trần Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em", "Vũ Thị Giang", "Đỗ Văn Hải",
                         "Bùi Thị Hoa", "Ngô Văn Khánh", "Dương Thị Lan", "Lý Văn Long", "Hồ Thị Mai", "Đinh Văn Nam", "Lương Thị Ngọc"]
            try writeRoster(units, [Self.unitsHeader, "VP,Văn phòng,,,"])
            try writeRoster(staff, [Self.staffHeader] + names.enumerated().map { String(format: "%06d", $0.offset + 1) + ",\($0.element),VP,,active,,," })
            let sc = try Scenario(s, units: units, staff: staff)
            #expect(try sync(sc).status == 0)
            let before = try directoryDump(s)
            // The spreadsheet dropped the leading zeros.
            try writeRoster(staff, [Self.staffHeader] + names.enumerated().map { "\($0.offset + 1),\($0.element),VP,,active,,," })
            let out = try sync(sc)
            #expect(out.status == 3, "\(out.stdout)\(out.stderr)")
            #expect(out.stderr.contains("14 new employee ids have the name and unit of an account whose id left the staff roster (000001 → 1 Nguyễn Văn An"), "\(out.stderr)")
            #expect(try directoryDump(s) == before)
            #expect(try sc.plan().stdout.contains("Renumbered? 14 new employee ids"))
        }
    }

    @Test("a unit mailbox whose old address (an alias) is still used is not locked")
    func aliasLoginsCount() throws {
        try withSlapd { s in
            let units = s.dir + "/units.csv", staff = s.dir + "/staff.csv"
            try writeRoster(units, [Self.unitsHeader, "VP,Văn phòng,,vanphong,"])
            try writeRoster(staff, [Self.staffHeader, "000001,Nguyễn Văn An,VP,,active,,,"])
            let logins = s.dir + "/logins.csv"
            try "address,last_login\n".write(toFile: logins, atomically: true, encoding: .utf8)
            let sc = try Scenario(s, units: units, staff: staff, extra: "policy:\n  last_login_file: \(logins)\n")
            #expect(try sync(sc).status == 0)
            try writeRoster(units, [Self.unitsHeader, "VP,Văn phòng,,vpub,"])
            #expect(try sync(sc).status == 0)
            let later = dayString(offset: 100)
            try "address,last_login\nvanphong@cema.gov.vn,\(later)\nannv@cema.gov.vn,\(later)\n".write(toFile: logins, atomically: true, encoding: .utf8)
            let plan = try sc.plan(["--as-of", later])
            #expect(!plan.stdout.contains("lockAccount"), "\(plan.stdout)")
        }
    }
}
