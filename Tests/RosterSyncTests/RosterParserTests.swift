@testable import RosterSync
import Testing

let unitsCSV = """
    unit_code,unit_name,parent_code,mailbox,head_employee_id
    VP,Văn phòng Ủy ban,,,001
    TTTT,Trung tâm Thông tin,VP,tttt,003

    """

func parse(units: String = unitsCSV, staff: String, parser: RosterParser = RosterParser()) throws(RosterValidationError) -> Roster {
    try parser.parse(unitsText: units, unitsFile: "units.csv", staffText: staff, staffFile: "staff.csv")
}

func issues(units: String = unitsCSV, staff: String, parser: RosterParser = RosterParser()) -> [String] {
    do {
        _ = try parse(units: units, staff: staff, parser: parser)
        return []
    } catch {
        return error.issues.map(\.description)
    }
}

@Suite("CSV")
struct CSVTests {
    @Test("RFC 4180: quotes, doubled quotes, quoted separators and newlines, CRLF; records keep their first line")
    func quoting() throws {
        let text = "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n2,\"two\nlines\",z\n\n3,,\n"
        let r = try CSVReader.records(text)
        #expect(r.map(\.line) == [1, 2, 3, 6])
        #expect(r[1].fields == ["1", "x, y", "say \"hi\""])
        #expect(r[2].fields == ["2", "two\nlines", "z"])
        #expect(r[3].fields == ["3", "", ""])
    }

    @Test("the separator is detected from the header line", arguments: [(",", "a,b;c"), (";", "a;b;c,d"), ("\t", "a\tb\tc")])
    func separators(expected: String, header: String) {
        #expect(CSVReader.detectSeparator(Substring(header + "\n1,2,3")) == Character(expected))
    }

    @Test("an unterminated quote is an error at the line it opened")
    func unterminated() {
        let e = #expect(throws: CSVReader.Failure.self) { _ = try CSVReader.records("a,b\n1,\"open\n2,3\n") }
        #expect(e?.line == 2 && e?.column == 2)
    }
}

@Suite("Roster parsing and validation")
struct RosterParserTests {
    @Test("Vietnamese headers in any case and accents, ';' separator, dd/mm/yyyy dates, Vietnamese statuses")
    func vietnameseHeaders() throws {
        let staff = """
            MÃ CÁN BỘ;Họ và tên;đơn vị;Chức vụ;Trạng thái;Ngày bắt đầu;Ngày nghỉ việc;Thư điện tử
            001;  Nguyễn   Văn An ;VP;Chánh Văn phòng;Đang làm việc;01/02/2020;;AnNV@cema.gov.vn
            002;Lò Văn Pấng;VP;Chuyên viên;Nghỉ việc;2019-03-04;30/09/2026;
            003;H'Hen Niê;TTTT;Giám đốc;nghỉ phép;5/1/2021;;
            """
        let r = try parse(staff: staff)
        #expect(r.staff.count == 3)
        let an = r.staff[0]
        #expect(an.fullName == "Nguyễn Văn An" && an.email == "annv@cema.gov.vn" && an.startDate?.description == "2020-02-01")
        #expect(r.staff[1].status == .departed && r.staff[1].endDate?.description == "2026-09-30")
        #expect(r.staff[2].status == .onLeave && r.staff[2].startDate?.description == "2021-01-05")
        #expect(r.units.first { $0.code == "TTTT" }?.parentCode == "VP")
        #expect(r.warnings.isEmpty, "\(r.warnings)")
    }

    @Test("a column mapping from the config names headers the aliases do not know")
    func columnMapping() throws {
        let staff = "Số hiệu CB,Tên đầy đủ,Phòng ban\n001,Nguyễn Văn An,VP\n003,H'Hen Niê,TTTT\n"
        #expect(issues(staff: staff).contains { $0.contains("no employee_id column") })
        let parser = RosterParser(staffColumns: ["employee_id": ["Số hiệu CB"], "full_name": ["Tên đầy đủ"], "unit_code": ["phong ban"]])
        #expect(try parse(staff: staff, parser: parser).staff.map(\.employeeId) == ["001", "003"])
    }

    @Test("upper-case exports are title-cased; spaces are collapsed; text is NFC")
    func normalization() throws {
        let staff = "employee_id,full_name,unit_code\n001,NGUYỄN VĂN AN,VP\n003,\"H'Hen   Nie\u{0302}\",TTTT\n"
        let r = try parse(staff: staff)
        #expect(r.staff[0].fullName == "Nguyễn Văn An")
        #expect(r.staff[1].fullName.unicodeScalars.elementsEqual("H'Hen Niê".unicodeScalars))
    }

    @Test("every problem at once, each as file:line:column with the value quoted")
    func allErrors() {
        let units = """
            unit_code,unit_name,parent_code,head_employee_id
            VP,Văn phòng,,001
            A,Vụ A,B,
            B,Vụ B,A,
            C,Vụ C,ZZ,002
            VP,Văn phòng 2,,
            D,Vụ D,,009
            """
        let staff = """
            employee_id,full_name,unit_code,status,start_date,end_date,email
            001,Nguyễn Văn An,VP,active,2020-01-01,,annv@cema.gov.vn
            001,Trần Văn B,VP,active,2020-01-01,,
            002,Lê Thị C,A,retired,2020-13-01,,
            003,,VP,active,,,
            004,Phạm D,NOPE,active,,,annv@cema.gov.vn
            005,Hồ E,VP,active,2021-05-01,2020-01-01,
            009,Vũ F,VP,departed,,,
            """
        let found = issues(units: units, staff: staff)
        let expected = [
            "units.csv:3:3: units form a cycle through their parents: A → B → A",
            "units.csv:5:3: parent unit \"ZZ\" of \"C\" is not in the unit roster",
            "units.csv:5:4: head 002 Lê Thị C of unit \"C\" belongs to unit \"A\" (staff.csv:4)",
            "units.csv:6:1: unit code \"VP\" is already used on line 2",
            "units.csv:7:4: head 009 Vũ F of unit \"D\" belongs to unit \"VP\" (staff.csv:8)",
            "staff.csv:3:1: employee id \"001\" is already used on line 2",
            "staff.csv:4:4: status \"retired\" is not one of active, departed, on_leave",
            "staff.csv:4:5: start_date \"2020-13-01\" is not a date (write 2026-09-30 or 30/09/2026)",
            "staff.csv:5:2: full_name is empty",
            "staff.csv:6:3: unit \"NOPE\" of 004 Phạm D is not in the unit roster",
            "staff.csv:6:7: 004 Phạm D and 001 Nguyễn Văn An (line 2) both claim annv@cema.gov.vn",
            "staff.csv:7:6: end date 2020-01-01 is before the start date 2021-05-01",
        ]
        for e in expected { #expect(found.contains(e), "missing: \(e)\nfound:\n\(found.joined(separator: "\n"))") }
        #expect(found.count == expected.count, "\(found.joined(separator: "\n"))")
    }

    @Test("a departed head and a departed person in a unit merged away are warnings; a missing required column, an empty file are errors")
    func moreErrors() throws {
        let staff = "employee_id,full_name,unit_code,status\n001,Nguyễn Văn An,VP,departed\n003,Lê B,TTTT,active\n004,Lê C,TCDT,departed\n"
        let r = try parse(staff: staff)
        #expect(r.warnings.map(\.description) == [
            "staff.csv:4:3: unit \"TCDT\" of departed 004 Lê C is not in the unit roster (a unit merged away?)",
            "units.csv:2:5: head 001 Nguyễn Văn An of unit \"VP\" has departed: the unit mailbox is not handed over until the unit roster names a new head",
        ])
        #expect(issues(staff: staff + "005,Lê D,TCDT,active\n") == ["staff.csv:5:3: unit \"TCDT\" of 005 Lê D is not in the unit roster"])
        #expect(issues(staff: "employee_id,full_name\n001,A\n").contains { $0.hasPrefix("staff.csv:1:1: no unit_code column") })
        #expect(issues(staff: "").contains("staff.csv:1:1: the file is empty"))
        #expect(issues(staff: "employee_id,full_name,unit_code\n").contains("staff.csv:1:1: the file has a header and no rows"))
    }

    @Test("a name that does not read as Vietnamese is a warning naming the line")
    func implausibleName() throws {
        let staff = "employee_id,full_name,unit_code\n001,Nguyễn Văn An,VP\n003,NguyÔn V¨n An,TTTT\n"
        let r = try parse(staff: staff)
        #expect(r.warnings.map(\.description) == ["staff.csv:3:2: \"NguyÔn\" in \"NguyÔn V¨n An\" does not read as a Vietnamese name: check the file's encoding"])
    }

    @Test("dates: ISO and day-first only, validated", arguments: [
        ("2026-09-30", "2026-09-30"), ("30/09/2026", "2026-09-30"), ("1/9/2026", "2026-09-01"), ("30.09.2026", "2026-09-30"),
        ("29/02/2024", "2024-02-29"), ("29/02/2026", nil), ("09/30/2026", nil), ("2026/09/30", nil), ("30-09-26", nil), ("hôm nay", nil),
    ])
    func dates(text: String, iso: String?) {
        #expect(Day(parsing: text)?.description == iso)
    }

    @Test("dates: a time after a space is ignored; five digits, a fourth field, mixed separators are not dates", arguments: [
        ("30/09/2026 00:00", "2026-09-30"), (" 30/09/2026", "2026-09-30"), ("2026-9-3", "2026-09-03"), ("30/09/20266", nil),
        ("1/2/3/2026", nil), ("30/09-2026", nil), ("30//2026", nil), ("/09/2026", nil), ("2026-09-", nil), ("", nil),
    ])
    func moreDates(text: String, iso: String?) {
        #expect(Day(parsing: text)?.description == iso)
    }

    @Test("e-mail addresses: one @, a dotted domain, lower-case ASCII letters, digits and ._-+ only, 254 bytes at most", arguments: [
        ("an.nv@cema.gov.vn", true), ("a+b_c-d@x.vn", true), ("a@b.c", true), ("@cema.gov.vn", false), ("an@cemagovvn", false),
        ("an@@cema.gov.vn", false), ("an@x@cema.gov.vn", false), ("An@cema.gov.vn", false), ("ân@cema.gov.vn", false),
        ("an nv@cema.gov.vn", false), ("an", false), ("", false),
        (String(repeating: "a", count: 244) + "@cema.gov.vn", false), (String(repeating: "a", count: 242) + "@cema.gov.vn", true),
    ])
    func emailAddresses(text: String, valid: Bool) {
        #expect(RosterParser.isEmailAddress(text) == valid)
    }

    @Test("names split into words at their spaces; ASCII lower-casing leaves other text to the full rules")
    func wordsAndLowercasing() {
        #expect(RosterParser.words("Nguyễn Thị Hương").map(String.init) == ["Nguyễn", "Thị", "Hương"])
        #expect(RosterParser.words("H'Hen Niê").map(String.init) == ["H'Hen", "Niê"])
        #expect(RosterParser.words("An").map(String.init) == ["An"] && RosterParser.words("").isEmpty)
        #expect(RosterParser.lowercased("AnNV@CEMA.gov.vn") == "annv@cema.gov.vn")
        #expect(RosterParser.lowercased("annv@cema.gov.vn") == "annv@cema.gov.vn")
        #expect(RosterParser.lowercased("ĐỨC@cema.gov.vn") == "đức@cema.gov.vn")
    }

    @Test("day arithmetic: ordinals, months clamp to the month's end, weekdays")
    func dayArithmetic() throws {
        let d = try #require(Day(year: 2026, month: 3, day: 31))
        #expect(Day(ordinal: d.ordinal) == d)
        #expect(d.adding(months: 1).description == "2026-04-30")
        #expect(d.adding(days: 1).description == "2026-04-01")
        #expect(try #require(Day(year: 2026, month: 11, day: 29)).weekday == 6)  // a Sunday
        #expect(try #require(Day(year: 1970, month: 1, day: 1)).ordinal == 0)
    }

    @Test("a GeneralizedTime's UTC day from its first eight digits; anything else is no day")
    func generalizedTimeDays() {
        #expect(Day(generalizedTime: "20261129031547Z")?.description == "2026-11-29")
        #expect(Day(generalizedTime: "20240229000000.123456Z")?.description == "2024-02-29")
        #expect(Day(generalizedTime: "20260101")?.description == "2026-01-01")
        #expect(Day(generalizedTime: "000001010000Z") == nil)  // ppolicy's permanent lock: no day
        for bad in ["", "2026112", "2026-11-29", "2026112x031547Z", "20230229000000Z", "20261300000000Z", " 20261129000000Z"] {
            #expect(Day(generalizedTime: bad) == nil, "\(bad)")
        }
    }
}
