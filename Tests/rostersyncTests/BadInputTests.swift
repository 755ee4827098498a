import Foundation
import SlapdHarness
import Testing

/// A corpus of bad rosters and configs (issue #14, item 8): each is refused by `sync` with
/// exit 1 and a message that names the file, line and column (or key), and the directory is
/// left exactly as it was.
@Suite("bad input changes nothing")
struct BadInputTests {
    static let units = ["unit_code,unit_name,parent_code,mailbox,head_employee_id", "VP,Văn phòng,,,000001", "TTTT,Trung tâm Thông tin,VP,tttt,"]
    static let staff = ["employee_id,full_name,unit_code,title,email,status,start_date,end_date,phone",
                        "000001,Nguyễn Văn An,VP,Chánh Văn phòng,,active,,,", "000002,Lê Thị Bình,TTTT,Chuyên viên,,active,,,0912345678"]

    /// One bad input: which file gets which row (replacing row `row`, or appended), and a piece
    /// of the message expected (`FILE` stands for the file's path).
    struct Case: Sendable {
        var name: String
        var units: [String]? = nil
        var staff: [String]? = nil
        var config: String? = nil
        var expected: String
    }

    static func staffWith(_ row: String) -> [String] { staff + [row] }
    static func unitsWith(_ row: String) -> [String] { units + [row] }

    static let cases: [Case] = [
        Case(name: "NUL in a name", staff: staffWith("000003,Trần\u{0}Văn C,VP,,,active,,,"), expected: "staff.csv:4:2: full_name holds a control character (U+0000)"),
        Case(name: "escape character in a title", staff: staffWith("000003,Trần Văn C,VP,Chuyên\u{1B}[31m viên,,active,,,"), expected: "staff.csv:4:4: title holds a control character (U+001B)"),
        Case(name: "DEL in a unit name", units: unitsWith("X1,Phòng\u{7F}A,VP,,"), expected: "units.csv:4:2: unit_name holds a control character (U+007F)"),
        Case(name: "a 10,000-character title", staff: staffWith("000003,Trần Văn C,VP,\(String(repeating: "a", count: 10_000)),,active,,,"), expected: "staff.csv:4:4: title is 10000 characters long, more than 128"),
        Case(name: "a 200-character name", staff: staffWith("000003,\(String(repeating: "Văn ", count: 50))C,VP,,,active,,,"), expected: "staff.csv:4:2: full_name is 201 characters long, more than 128"),
        Case(name: "a 300-character unit name", units: unitsWith("X1,\(String(repeating: "Phòng ", count: 50)),VP,,"), expected: "units.csv:4:2: unit_name is 299 characters long, more than 256"),
        Case(name: "a 40-character employee id", staff: staffWith("\(String(repeating: "9", count: 40)),Trần Văn C,VP,,,active,,,"), expected: "staff.csv:4:1: employee_id is 40 characters long, more than 32"),
        Case(name: "a 40-character phone", staff: staffWith("000003,Trần Văn C,VP,,,active,,,\(String(repeating: "1", count: 40))"), expected: "staff.csv:4:9: phone is 40 characters long, more than 32"),
        Case(name: "an employee id with a space", staff: staffWith("900 014,Trần Văn C,VP,,,active,,,"), expected: "staff.csv:4:1: employee_id \"900 014\" may hold only letters, digits"),
        Case(name: "an employee id with a comma", staff: staffWith("\"900,014\",Trần Văn C,VP,,,active,,,"), expected: "staff.csv:4:1: employee_id \"900,014\" may hold only"),
        Case(name: "an employee id with a wildcard", staff: staffWith("9*,Trần Văn C,VP,,,active,,,"), expected: "staff.csv:4:1: employee_id \"9*\" may hold only"),
        Case(name: "an employee id with parentheses", staff: staffWith("9)(uid=*,Trần Văn C,VP,,,active,,,"), expected: "staff.csv:4:1: employee_id \"9)(uid=*\" may hold only"),
        Case(name: "an employee id with Vietnamese letters", staff: staffWith("CBĐ01,Trần Văn C,VP,,,active,,,"), expected: "staff.csv:4:1: employee_id \"CBĐ01\" may hold only"),
        Case(name: "a unit code with a DN fragment", units: unitsWith("\"X3,ou=evil*\",Phòng X,VP,,"), expected: "units.csv:4:1: unit_code \"X3,ou=evil*\" may hold only"),
        Case(name: "a unit code with a space", units: unitsWith("X 3,Phòng X,VP,,"), expected: "units.csv:4:1: unit_code \"X 3\" may hold only"),
        Case(name: "a parent code with an equals sign", units: unitsWith("X3,Phòng X,VP=1,,"), expected: "units.csv:4:3: parent_code \"VP=1\" may hold only"),
        Case(name: "a head id with a backslash", units: unitsWith("X3,Phòng X,VP,,00\\1"), expected: "units.csv:4:5: head_employee_id \"00\\1\" may hold only"),
        Case(name: "a person's unit code with a wildcard", staff: staffWith("000003,Trần Văn C,V*,,,active,,,"), expected: "staff.csv:4:3: unit_code \"V*\" may hold only"),
        Case(name: "a mailbox with a DN fragment", units: unitsWith("X2,Phòng X,VP,\"x2,ou=evil\","), expected: "units.csv:4:4: mailbox \"x2,ou=evil\" is not a local part"),
        Case(name: "a mailbox with a space", units: unitsWith("X2,Phòng X,VP,van phong,"), expected: "units.csv:4:4: mailbox \"van phong\" is not a local part"),
        Case(name: "a mailbox with Vietnamese letters", units: unitsWith("X2,Phòng X,VP,vănphòng,"), expected: "units.csv:4:4: mailbox \"vănphòng\" is not a local part"),
        Case(name: "a mailbox in another domain", units: unitsWith("X2,Phòng X,VP,x2@gmail.com,"), expected: "units.csv:4:4: mailbox \"x2@gmail.com\" is not a local part ([a-z0-9._-], at most 30) or an address @cema.gov.vn"),
        Case(name: "a 40-character mailbox", units: unitsWith("X2,Phòng X,VP,\(String(repeating: "x", count: 40)),"), expected: "units.csv:4:4: mailbox \"xxxxxxxx"),
        Case(name: "a mailbox starting with a dot", units: unitsWith("X2,Phòng X,VP,.x2,"), expected: "units.csv:4:4: mailbox \".x2\" is not a local part"),
        Case(name: "an email in a foreign domain", staff: staffWith("000003,Trần Văn C,VP,,tranc@gmail.com,active,,,"), expected: "staff.csv:4:5: \"tranc@gmail.com\" is not in the mail domain cema.gov.vn"),
        Case(name: "an email that is not one", staff: staffWith("000003,Trần Văn C,VP,,tranc,active,,,"), expected: "staff.csv:4:5: \"tranc\" is not an e-mail address"),
        Case(name: "an email with Vietnamese letters", staff: staffWith("000003,Trần Văn C,VP,,trần@cema.gov.vn,active,,,"), expected: "staff.csv:4:5: \"trần@cema.gov.vn\" is not an e-mail address"),
        Case(name: "two people claim one email", staff: staffWith("000003,Trần Văn C,VP,,x@cema.gov.vn,active,,,") + ["000004,Trần Văn D,VP,,x@cema.gov.vn,active,,,"], expected: "staff.csv:5:5: 000004 Trần Văn D and 000003 Trần Văn C (line 4) both claim x@cema.gov.vn"),
        Case(name: "a duplicate employee id", staff: staffWith("000001,Trần Văn C,VP,,,active,,,"), expected: "staff.csv:4:1: employee id \"000001\" is already used on line 2"),
        Case(name: "a duplicate unit code", units: unitsWith("VP,Văn phòng 2,,,"), expected: "units.csv:4:1: unit code \"VP\" is already used on line 2"),
        Case(name: "an active person in an unknown unit", staff: staffWith("000003,Trần Văn C,NOPE,,,active,,,"), expected: "staff.csv:4:3: unit \"NOPE\" of 000003 Trần Văn C is not in the unit roster"),
        Case(name: "an unknown parent", units: unitsWith("X3,Phòng X,NOPE,,"), expected: "units.csv:4:3: parent unit \"NOPE\" of \"X3\" is not in the unit roster"),
        Case(name: "a cycle of parents", units: [units[0], "VP,Văn phòng,TTTT,,000001", "TTTT,Trung tâm Thông tin,VP,tttt,"], expected: "units form a cycle through their parents"),
        Case(name: "a head from another unit", units: [units[0], "VP,Văn phòng,,,000002", units[2]], expected: "units.csv:2:5: head 000002 Lê Thị Bình of unit \"VP\" belongs to unit \"TTTT\""),
        Case(name: "a head not in the staff roster", units: [units[0], "VP,Văn phòng,,,009999", units[2]], expected: "units.csv:2:5: head \"009999\" of unit \"VP\" is not in the staff roster"),
        Case(name: "a month-first date", staff: staffWith("000003,Trần Văn C,VP,,,active,12/31/2026,,"), expected: "staff.csv:4:7: start_date \"12/31/2026\" is not a date"),
        Case(name: "a date with words", staff: staffWith("000003,Trần Văn C,VP,,,active,tomorrow,,"), expected: "staff.csv:4:7: start_date \"tomorrow\" is not a date"),
        Case(name: "an impossible date", staff: staffWith("000003,Trần Văn C,VP,,,active,2026-02-30,,"), expected: "staff.csv:4:7: start_date \"2026-02-30\" is not a date"),
        Case(name: "an end before the start", staff: staffWith("000003,Trần Văn C,VP,,,active,2026-05-01,2026-01-01,"), expected: "staff.csv:4:8: end date 2026-01-01 is before the start date 2026-05-01"),
        Case(name: "an unknown staff status", staff: staffWith("000003,Trần Văn C,VP,,,retired,,,"), expected: "staff.csv:4:6: status \"retired\" is not one of active, departed, on_leave"),
        Case(name: "an unknown unit status", units: [units[0] + ",status", "VP,Văn phòng,,,000001,closed", "TTTT,Trung tâm Thông tin,VP,tttt,,active"], expected: "units.csv:2:6: status \"closed\" is not one of active, dissolved"),
        Case(name: "an empty name", staff: staffWith("000003,,VP,,,active,,,"), expected: "staff.csv:4:2: full_name is empty"),
        Case(name: "an empty employee id", staff: staffWith(",Trần Văn C,VP,,,active,,,"), expected: "staff.csv:4:1: employee_id is empty"),
        Case(name: "an empty unit code", units: unitsWith(",Phòng X,VP,,"), expected: "units.csv:4:1: unit_code is empty"),
        Case(name: "no unit_code column in the staff file", staff: ["employee_id,full_name", "000001,Nguyễn Văn An"], expected: "staff.csv:1:1: no unit_code column"),
        Case(name: "an empty staff file", staff: [], expected: "staff.csv:1:1: the file is empty"),
        Case(name: "a header and no rows", staff: [staff[0]], expected: "staff.csv:1:1: the file has a header and no rows"),
        Case(name: "an unclosed quote", staff: staffWith("000003,\"Trần Văn C,VP,,,active,,,"), expected: "staff.csv:4:"),
        Case(name: "config: an unknown key", config: "mail:\n  domian: cema.gov.vn\n", expected: "mail.domian: unknown key"),
        Case(name: "config: no mail domain", config: "mail:\n  pattern: \"{given}\"\n", expected: "mail.domain: is required"),
        Case(name: "config: a bad period", config: "policy:\n  lock_after: three months\n", expected: "policy.lock_after"),
        Case(name: "config: delete before lock", config: "policy:\n  lock_after: 6 months\n  delete_unused_after: 3 months\n", expected: "policy.delete_unused_after"),
        Case(name: "config: a negative threshold", config: "safety:\n  max_percent: -5\n", expected: "safety.max_percent"),
        Case(name: "config: a bad pattern", config: "mail:\n  domain: cema.gov.vn\n  pattern: \"{nickname}\"\n", expected: "mail.pattern"),
        Case(name: "config: a bad protected DN", config: "protected: [\"cn=a,,b\"]\n", expected: "protected"),
        Case(name: "config: a bad orphans policy", config: "policy:\n  orphans: delete\n", expected: "policy.orphans"),
        Case(name: "config: not YAML", config: "rosters: [units\n", expected: "not valid YAML"),
        Case(name: "config: a list where a value belongs", config: "state_dir: [a, b]\n", expected: "state_dir"),
        Case(name: "config: an unknown encoding", config: "rosters:\n  encoding: latin9\n", expected: "rosters.encoding"),
        Case(name: "config: a missing roster file", config: "rosters:\n  units: /nonexistent/units.csv\n  staff: /nonexistent/staff.csv\n", expected: "/nonexistent/units.csv"),
    ]

    @Test("each bad roster or config exits 1, names where, and writes nothing")
    func refused() throws {
        #expect(Self.cases.count >= 60)
        try withSlapd { s in
            let base = s.dir + "/base"
            try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
            try writeRoster(base + "/units.csv", Self.units)
            try writeRoster(base + "/staff.csv", Self.staff)
            let first = try rostersync(["sync", "--config", try Scenario(s, units: base + "/units.csv", staff: base + "/staff.csv").config])
            try #require(first.status == 0, "\(first.stderr)")
            let before = try Self.dump(s)
            for (n, c) in Self.cases.enumerated() {
                let dir = s.dir + "/case\(n)"
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                let units = dir + "/units.csv", staff = dir + "/staff.csv"
                try writeRoster(units, c.units ?? Self.units)
                if let rows = c.staff, rows.isEmpty {
                    try "".write(toFile: staff, atomically: true, encoding: .utf8)
                } else {
                    try writeRoster(staff, c.staff ?? Self.staff)
                }
                let config = try c.config.map { try Self.rawConfig(s, dir: dir, extra: $0) } ?? Scenario(s, units: units, staff: staff).config
                let out = try rostersync(["sync", "--config", config])
                let expected = c.expected.replacingOccurrences(of: "staff.csv:", with: staff + ":").replacingOccurrences(of: "units.csv:", with: units + ":")
                #expect(out.status == 1, "\(c.name): exit \(out.status)\n\(out.stdout)\(out.stderr)")
                #expect(out.stderr.contains(expected), "\(c.name): expected \(expected) in\n\(out.stderr)")
            }
            #expect(try Self.dump(s) == before, "the directory changed")
        }
    }

    /// Every entry with its operational attributes (CSNs included): any write changes it.
    static func dump(_ s: Slapd) throws -> String {
        try directoryDump(s)
    }

    /// A config whose `extra` may replace the usual keys (the base keys are left out where
    /// `extra` names them, so that a bad value is the only one).
    static func rawConfig(_ s: Slapd, dir: String, extra: String) throws -> String {
        let top = Set(extra.split(separator: "\n").compactMap { l -> String? in
            guard let c = l.firstIndex(of: ":"), !l.hasPrefix(" ") else { return nil }
            return String(l[..<c])
        })
        var yaml = "directory:\n  uris: [\"\(s.ldapiURI)\"]\n  base: \(s.suffix)\n  bind:\n    method: sasl-external\n"
        if !top.contains("mail") { yaml += "mail:\n  domain: cema.gov.vn\n" }
        if !top.contains("state_dir") { yaml += "state_dir: \(s.dir)/state\n" }
        if !top.contains("rosters") { yaml += "rosters:\n  units: \(dir)/units.csv\n  staff: \(dir)/staff.csv\n" }
        let path = dir + "/config.yaml"
        try (yaml + extra).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
