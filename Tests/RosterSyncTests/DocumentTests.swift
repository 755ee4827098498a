import Foundation
import LDAPModel
import RosterSync
import Testing

/// The written documents (review pages, notices), the workbooks and the plan's text, from
/// fixed inputs: snapshots, escaping, the administrative layout and its configured names.
@Suite("Documents")
struct DocumentTests {
    let reports = ReportTests()

    static func credentials() -> [Credential] {
        [
            Credential(unitCode: "XSS", holder: "<script>alert(1)</script>", address: "a&b@cema.gov.vn", password: Secret("p<&>\"'w0rdAAAAAA"), occasion: "hộp thư mới"),
            Credential(unitCode: "XSS", holder: "=cmd|' /C calc'!A0", address: "cmd@cema.gov.vn", password: Secret("Zq7rT2mK9vX4wN8s"), occasion: "hộp thư mới"),
            Credential(unitCode: "XSS", holder: "Nguyễn Thị Thu Diệp", address: "diepntt@cema.gov.vn", password: Secret("Hh3Jk5Lm7Np9Qr2S"), occasion: "bàn giao hộp thư đơn vị cho trưởng đơn vị mới"),
        ]
    }

    static let day = Day(parsing: "2026-02-05")!

    @Test("documents: CEMA's names by default, each configurable; an unknown key or an empty name refused")
    func config() throws {
        let d = testConfig().documents
        #expect(d.agency == "Ủy ban Dân tộc" && d.issuingUnit == "Trung tâm Thông tin" && d.signerTitle == "Giám đốc" && d.signerName == nil && d.place == "Hà Nội")
        let c = testConfig("""
            documents:
              agency: Bộ Thông tin và Truyền thông
              issuing_unit: Cục Tin học hóa
              signer_title: KT. Cục trưởng
              signer_name: Trần Văn B
              place: Đà Nẵng
              directory_label: Danh bạ của Cục
            """).documents
        #expect(c.agency == "Bộ Thông tin và Truyền thông" && c.issuingUnit == "Cục Tin học hóa" && c.signerTitle == "KT. Cục trưởng")
        #expect(c.signerName == "Trần Văn B" && c.place == "Đà Nẵng" && c.directoryLabel == "Danh bạ của Cục")
        let unknown = #expect(throws: ConfigError.self) { _ = try Config.parse(yaml: minimalConfigYAML() + "\ndocuments:\n  agencies: X\n", path: "c.yaml") }
        #expect(unknown?.description.contains("documents.agencies: unknown key") == true, "\(String(describing: unknown))")
        let empty = #expect(throws: ConfigError.self) { _ = try Config.parse(yaml: minimalConfigYAML() + "\ndocuments:\n  place: \"  \"\n", path: "c.yaml") }
        #expect(empty?.description.contains("documents.place") == true)
    }

    @Test("place and date as the decree writes them: a zero before days under 10 and months 1 and 2", arguments: [
        ("2026-02-05", "Hà Nội, ngày 05 tháng 02 năm 2026"), ("2026-09-30", "Hà Nội, ngày 30 tháng 9 năm 2026"),
        ("2026-12-01", "Hà Nội, ngày 01 tháng 12 năm 2026"), ("2026-01-15", "Hà Nội, ngày 15 tháng 01 năm 2026"),
    ])
    func placeAndDate(day: String, expected: String) {
        #expect(OfficialDocument.placeAndDate("Hà Nội", Day(parsing: day)) == expected)
    }

    @Test("the review page is a document a unit signs: heading, motto, date, title, employee ids, recipients, signature, confirmation; no URI")
    func reviewDocument() throws {
        var input = try ReportTests.input()
        input.config.documents.signerName = "Lê Văn C"
        let report = ReviewReport(input)
        let page = report.html(report.units[0])
        reports.checkHTML(page)
        let order = ["ỦY BAN DÂN TỘC", "TRUNG TÂM THÔNG TIN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "Hà Nội, ngày 30 tháng 9 năm 2026", "DANH SÁCH HỘP THƯ ĐIỆN TỬ CỦA ĐƠN VỊ", "Kính gửi: <b>Văn phòng Ủy ban</b>",
                     "<th>Mã cán bộ</th>", "<th>Lần đăng nhập cuối</th>", "Nơi nhận:", "GIÁM ĐỐC", "Lê Văn C",
                     "XÁC NHẬN CỦA ĐƠN VỊ", "Danh sách trên đúng", "Danh sách cần sửa như sau:", "THỦ TRƯỞNG ĐƠN VỊ", "(Ký, ghi rõ họ tên)"]
        var at = page.startIndex
        for part in order {
            let r = try #require(page.range(of: part, range: at..<page.endIndex), "\(part) missing or out of order")
            at = r.upperBound
        }
        #expect(page.contains("<td>000002</td>"), "the employee id column")
        #expect(page.contains("Hệ thống thư điện tử của Ủy ban Dân tộc") && !page.contains("ldapi:") && !page.contains("dc=cema"))
        // The configured names replace CEMA's.
        input.config.documents.agency = "Bộ <X>"
        input.config.documents.issuingUnit = "Cục Y"
        let other = ReviewReport(input)
        let otherPage = other.html(other.units[0])
        #expect(otherPage.contains("BỘ &lt;X&gt;") && otherPage.contains("CỤC Y") && !otherPage.contains("TRUNG TÂM THÔNG TIN"))
    }

    @Test("the printable notice: same passwords as its text, escaped, the administrative layout; snapshot")
    func noticeHTML() throws {
        let creds = Self.credentials()
        let html = Notice.html(unitName: "<script>x</script>", unitCode: "XSS", day: Self.day, credentials: creds, documents: Config.Documents())
        let text = Notice.text(unitName: "<script>x</script>", unitCode: "XSS", day: Self.day, credentials: creds)
        reports.checkHTML(html)
        try reports.matchesSnapshot(html, "notice-XSS.html")
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && html.contains("p&lt;&amp;&gt;&quot;&#39;w0rdAAAAAA"))
        #expect(html.contains("Số:        /TB-TTTT") && html.contains("THÔNG BÁO") && html.contains("Hà Nội, ngày 05 tháng 02 năm 2026"))
        // Every password of the text is in the page, and no other.
        let textPasswords = Set(Notice.parse(text).entries.map(\.password))
        #expect(textPasswords.count == 3)
        for p in textPasswords { #expect(html.contains(HTML.escape(p)), "\(p)") }
        #expect(html.components(separatedBy: "<code class=\"secret\">").count - 1 == 3)
        // Other tests read every file of a notices folder as text notices: the page must not
        // look like one.
        #expect(!html.contains("Địa chỉ hộp thư:") && !html.contains("Mật khẩu ban đầu:"))
    }

    @Test("a notice page loses the rows its text loses, numbered again; none left: no page")
    func noticeHTMLDropping() throws {
        let creds = Self.credentials()
        let html = Notice.html(unitName: "Văn phòng", unitCode: "VP", day: Self.day, credentials: creds, documents: Config.Documents())
        let kept = try #require(Notice.droppingHTML(["a&b@cema.gov.vn"], from: html))
        reports.checkHTML(kept)
        #expect(!kept.contains("a&amp;b@cema.gov.vn") && !kept.contains("p&lt;&amp;&gt;"))
        #expect(kept.contains("<td class=\"n\">1</td><td>=cmd|") && kept.contains("<td class=\"n\">2</td><td>Nguyễn Thị Thu Diệp"))
        #expect(kept.contains("Zq7rT2mK9vX4wN8s") && kept.contains("Hh3Jk5Lm7Np9Qr2S"))
        #expect(Notice.droppingHTML(["nobody@cema.gov.vn"], from: html) == html)
        #expect(Notice.droppingHTML(Set(creds.map(\.address)), from: html) == nil)
        #expect(Notice.htmlTwin(of: "/s/notices/R/VP.txt") == "/s/notices/R/VP.html")
    }

    @Test("xlsx: a unit named <script> or =cmd| is text, never markup nor a formula; control characters removed")
    func workbookEscaping() throws {
        let w = Workbook(sheets: [.init(name: "A/B:[x]", header: ["Tên", "Số"], rows: [
            [.text("<script>alert('x')</script> & Co"), .number(3)],
            [.text("=cmd|' /C calc'!A0"), .number(-1)],
            [.text("bell\u{07}tab\tend\u{FFFE}"), .text("")],
        ])], title: "<t>")
        let sheet = try #require(w.parts().first { $0.path == "xl/worksheets/sheet1.xml" }?.xml)
        #expect(sheet.contains("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; Co"))
        #expect(sheet.contains("<t xml:space=\"preserve\">=cmd|&apos; /C calc&apos;!A0</t>"))
        #expect(!sheet.contains("<f>") && !sheet.contains("<script"))
        #expect(sheet.contains("belltab\tend") && !sheet.contains("\u{07}"))
        #expect(sheet.contains("<c r=\"B2\"><v>3</v></c>") && sheet.contains("<c r=\"A1\" s=\"1\" t=\"inlineStr\">"))
        let book = try #require(w.parts().first { $0.path == "xl/workbook.xml" }?.xml)
        #expect(book.contains("<sheet name=\"ABx\""))
        #expect(Workbook.column(0) == "A" && Workbook.column(25) == "Z" && Workbook.column(26) == "AA" && Workbook.column(701) == "ZZ")
        // The zip holds the parts, and the same workbook makes the same bytes.
        let a = try w.data(modified: Self.day), b = try w.data(modified: Self.day)
        #expect(a == b && a.prefix(2) == Data("PK".utf8))
    }

    // MARK: The plan's text

    static func treePlan() throws -> Plan {
        let units = """
            unit_code,unit_name,parent_code,mailbox,head_employee_id
            VB,Vụ Bảo tồn,,,
            VA,Vụ An ninh,,,
            THB,Phòng Tổng hợp,VB,thvb,
            THA,Phòng Tổng hợp,VA,thva,

            """
        let staff = """
            employee_id,full_name,unit_code,title,status,start_date
            000001,Nguyễn Thị Thu Diệp,THA,Chuyên viên,active,2015-01-05
            000002,Nguyễn Thị Thu Diệp,THB,Chuyên viên,active,2015-01-05
            000003,Lê Văn Tám,VA,Vụ trưởng,active,2015-01-05

            """
        let roster = try RosterParser().parse(unitsText: units, unitsFile: "units.csv", staffText: staff, staffFile: "staff.csv")
        return Planner.plan(PlannerInput(roster: roster, snapshot: DirectorySnapshot(), config: testConfig(), asOf: Day(parsing: "2026-01-05")!))
    }

    static let parents = ["THA": "VA", "THB": "VB"]

    @Test("plan text: the summary first, by kind with its marker and by unit; units in tree order; one marker per kind")
    func planTextSummaryAndTree() throws {
        let plan = try Self.treePlan()
        let text = plan.text(parents: Self.parents, detail: .full)
        let lines = text.components(separatedBy: "\n")
        let summary = try #require(lines.firstIndex { $0.hasPrefix("7 changes: 4 createUnit, 3 createAccount") }, "\(text)")
        let firstSection = try #require(lines.firstIndex { $0.hasPrefix("Vụ An ninh (VA)") })
        #expect(summary < firstSection && lines.firstIndex(of: "By kind")! < firstSection && lines.firstIndex(of: "By unit (tree order)")! < firstSection)
        #expect(lines.contains("  +u createUnit               4") && lines.contains("  +  createAccount            3"))
        // Tree order: each Phòng Tổng hợp under its own Vụ (by name they would come first, together).
        let va = try #require(lines.firstIndex(of: "Vụ An ninh (VA)")), tha = try #require(lines.firstIndex(of: "  Phòng Tổng hợp (THA)"))
        let vb = try #require(lines.firstIndex(of: "Vụ Bảo tồn (VB)")), thb = try #require(lines.firstIndex(of: "  Phòng Tổng hợp (THB)"))
        #expect(va < tha && tha < vb && vb < thb)
        // Without the tree: name order, as before.
        #expect(plan.text(detail: .full).contains("Phòng Tổng hợp (THA)\n"))
        // Every kind its own marker.
        let markers = ChangeKind.allCases.map(Plan.marker)
        #expect(Set(markers).count == ChangeKind.allCases.count, "\(markers)")
        #expect(Plan.marker(.lockAccount) != Plan.marker(.deleteAccount) && Plan.marker(.disableAccount) != Plan.marker(.dissolveUnit))
    }

    @Test("plan text: above 2,000 changes (or asked), counts per unit only; --details gives every change")
    func planTextCompact() throws {
        let plan = try Self.treePlan()
        let compact = plan.text(parents: Self.parents, detail: .compact)
        if ProcessInfo.processInfo.environment["SHOW_PLAN_TEXT"] == "1" { print(plan.text(parents: Self.parents, detail: .full) + "\n-----\n" + compact) }
        #expect(compact.contains("Compact view: every change with --details") && !compact.contains("Nguyễn Thị Thu Diệp"))
        #expect(compact.contains("Vụ An ninh (VA)") && compact.contains("+u 1, + 1"), "\(compact)")
        #expect(plan.text(parents: Self.parents, detail: .auto) == plan.text(parents: Self.parents, detail: .full))
        // A big plan: 2,001 changes are compact unless asked.
        var big = plan
        big.changes = Array(repeating: plan.changes[plan.changes.count - 1], count: Plan.compactAbove + 1)
        let auto = big.text(parents: Self.parents)
        #expect(auto.contains("Compact view (2001 changes, more than 2000)") && auto.components(separatedBy: "\n").count < 30)
        #expect(big.text(parents: Self.parents, detail: .full).components(separatedBy: "\n").count > 2_001)
    }
}
