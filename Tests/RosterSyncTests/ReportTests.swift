import Foundation
import LDAPModel
import RosterSync
import Testing

/// The reports rendered from fixed inputs and compared with committed snapshots
/// (Tests/RosterSyncTests/Snapshots; `RECORD_SNAPSHOTS=1 swift test --filter ReportTests`
/// writes them anew, to be read and committed by hand).
@Suite("Reports")
struct ReportTests {
    static let base = "ou=units,dc=cema,dc=gov,dc=vn"
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    static let config = testConfig("reports:\n  holidays: [2026-09-02]\n")

    /// Two units (one named like markup), people in every state, a newcomer without a
    /// mailbox, a name that looks like a spreadsheet formula.
    static func input(asOf: String = "2026-09-30") throws -> ReportInput {
        let units = """
            unit_code,unit_name,mailbox,head_employee_id
            VP,Văn phòng Ủy ban,vp,000001
            XSS,<script>alert('x')</script> & Co,xss,

            """
        let staff = """
            employee_id,full_name,unit_code,title,status,start_date
            000001,Nguyễn Văn An,VP,Chánh Văn phòng,active,2015-01-05
            000002,Trần Thị Bích Ngọc,VP,Chuyên viên,active,2018-03-01
            000003,Lê Văn Tám,VP,Chuyên viên,on_leave,2019-06-01
            000004,=HYPERLINK("http://x"),XSS,@SUM(1+1),active,2020-01-01
            000005,Phạm Thị Hà,VP,Văn thư,active,2026-09-24

            """
        let roster = try RosterParser().parse(unitsText: units, unitsFile: "units.csv", staffText: staff, staffFile: "staff.csv")
        func entry(_ dn: String, _ attrs: [String: [String]]) -> LDAPEntry {
            LDAPEntry(dn: dn, attributes: attrs.mapValues { $0.map { Data($0.utf8) } })
        }
        func unit(_ code: String, _ ou: String, _ name: String, head: String?, owner: String? = nil) -> LDAPEntry {
            var a: [String: [String]] = ["objectClass": ["organizationalUnit", "rsUnit"], "ou": [ou], "rsUnitCode": [code], "rsState": ["active"],
                                         "mail": ["\(ou)@cema.gov.vn"], "displayName": [name], "pwdLastSuccess": ["20260920080000Z"]]
            if let head { a["rsHeadEmployeeNumber"] = [head] }
            if let owner { a["owner"] = ["\(owner),\(base)"] }
            return entry("ou=\(ou),\(base)", a)
        }
        func person(_ id: String, _ uid: String, _ name: String, ou: String, unit: String, title: String, state: String = "active", _ extra: [String: [String]] = [:]) -> LDAPEntry {
            let n = PersonName(parsing: name)
            var a: [String: [String]] = [
                "objectClass": ["inetOrgPerson", "rsAccount"], "uid": [uid], "cn": [name], "sn": [n.family.isEmpty ? name : n.family],
                "displayName": [name], "mail": ["\(uid)@cema.gov.vn"], "employeeNumber": [id], "departmentNumber": [unit],
                "title": [title], "rsState": [state], "createTimestamp": ["20250101000000Z"],
            ]
            if !n.given.isEmpty { a["givenName"] = [n.given] }
            for (k, v) in extra { a[k] = v }
            return entry("uid=\(uid),ou=\(ou),\(base)", a)
        }
        let entries = [
            unit("VP", "vp", "Văn phòng Ủy ban", head: "000001", owner: "uid=annv,ou=vp"),
            unit("XSS", "xss", "<script>alert('x')</script> & Co", head: nil),
            person("000001", "annv", "Nguyễn Văn An", ou: "vp", unit: "VP", title: "Chánh Văn phòng", ["pwdLastSuccess": ["20260928101500Z"]]),
            person("000002", "ngocttb", "Trần Thị Bích Ngọc", ou: "vp", unit: "VP", title: "Chuyên viên", state: "locked",
                   ["rsStateSince": ["20260801000000Z"], "pwdLastSuccess": ["20260410090000Z"], "mailLocalAddress": ["ngoc.tran@cema.gov.vn"]]),
            person("000003", "tamlv", "Lê Văn Tám", ou: "vp", unit: "VP", title: "Chuyên viên"),
            person("000009", "cuongdv", "Đỗ Văn Cường", ou: "vp", unit: "VP", title: "Chuyên viên", state: "disabled", ["rsStateSince": ["20260915000000Z"]]),
            person("000004", "hyperlink", "=HYPERLINK(\"http://x\")", ou: "xss", unit: "XSS", title: "@SUM(1+1)"),
            // A unit the roster no longer names, with someone still in it.
            unit("OLD", "cu", "Phòng cũ", head: nil),
            person("000777", "binhtv", "Trịnh Văn Bình", ou: "cu", unit: "OLD", title: "Chuyên viên"),
        ]
        let snapshot = DirectorySnapshot(entries: separatingUnitMailboxes(entries), unitsBase: try DN(base))
        let day = Day(parsing: asOf)!
        let plan = Planner.plan(PlannerInput(roster: roster, snapshot: snapshot, config: config, asOf: day, lastLogins: [:], directory: "ldapi:/// dc=cema,dc=gov,dc=vn"))
        return ReportInput(roster: roster, snapshot: snapshot, plan: plan, config: config, asOf: day)
    }

    /// A workbook's parts, one after another, for a snapshot.
    static func dump(_ w: Workbook) -> String {
        w.parts().map { "== \($0.path)\n\($0.xml)" }.joined()
    }

    /// Compares `text` with the committed snapshot `name` (or records it).
    func matchesSnapshot(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = Self.snapshots.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            try FileManager.default.createDirectory(at: Self.snapshots, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            return
        }
        let stored = try #require(FileManager.default.contents(atPath: url.path), "no snapshot \(name): record with RECORD_SNAPSHOTS=1", sourceLocation: sourceLocation)
        #expect(String(decoding: stored, as: UTF8.self) == text, "\(name) differs from its snapshot", sourceLocation: sourceLocation)
    }

    /// No external reference and balanced tags: what "self-contained and valid" means here.
    func checkHTML(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for banned in ["<script", "<link", "<img", "<iframe", " src=", "url(", "@import", "javascript:"] {
            #expect(!html.lowercased().contains(banned), "HTML contains \(banned)", sourceLocation: sourceLocation)
        }
        // The only absolute URL allowed is SVG's namespace name, which nothing fetches.
        let urls = html.components(separatedBy: "=\"http").count - 1 + html.components(separatedBy: "='http").count - 1
        let namespaces = html.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1
        #expect(urls == namespaces, "HTML references an external URL", sourceLocation: sourceLocation)
        for href in html.components(separatedBy: "href=\"").dropFirst() {
            let target = href.prefix { $0 != "\"" }
            #expect(target.hasSuffix(".html") && !target.contains("/") && !target.contains(":"), "link to \(target)", sourceLocation: sourceLocation)
        }
        var stack: [String] = []
        let void: Set<String> = ["meta", "br", "hr", "!doctype"]
        var rest = Substring(html)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { Issue.record("unclosed <", sourceLocation: sourceLocation); return }
            let tag = rest[rest.index(after: open)..<close]
            rest = rest[rest.index(after: close)...]
            let name = tag.prefix { !$0.isWhitespace && $0 != "/" && $0 != ">" }.lowercased()
            if tag.hasSuffix("/") || void.contains(name) { continue }
            if tag.hasPrefix("/") {
                let closing = String(tag.dropFirst()).lowercased()
                #expect(stack.last == closing, "</\(closing)> closes <\(stack.last ?? "nothing")>", sourceLocation: sourceLocation)
                if !stack.isEmpty { stack.removeLast() }
            } else {
                stack.append(name)
            }
        }
        #expect(stack.isEmpty, "unclosed tags \(stack)", sourceLocation: sourceLocation)
    }

    @Test("the review report: every unit, its mailboxes in every state, its changes, its people without a mailbox")
    func review() throws {
        let report = ReviewReport(try Self.input())
        #expect(report.units.map(\.code) == ["VP", "XSS"])
        let vp = try #require(report.units.first)
        #expect(vp.mailbox == "vp@cema.gov.vn" && vp.head == "Nguyễn Văn An (000001)")
        // Vietnamese order: Đỗ with the Ds, not after Z.
        #expect(vp.mailboxes.map(\.name) == ["Đỗ Văn Cường", "Lê Văn Tám", "Nguyễn Văn An", "Trần Thị Bích Ngọc"])
        #expect(vp.mailboxes.map(\.state) == ["Ngừng sử dụng từ 15/09/2026", "Đang hoạt động", "Đang hoạt động", "Tạm khoá từ 01/08/2026"])
        #expect(vp.mailboxes.first { $0.address == "annv@cema.gov.vn" }?.lastLogin == "28/09/2026")
        #expect(vp.withoutMailbox.map(\.employeeId) == ["000005"])
        #expect(vp.pending.contains { $0.hasPrefix("Tạo hộp thư mới: 000005 Phạm Thị Hà — địa chỉ ") })
        // Three people of one name differ by their employee id: the column is there.
        #expect(vp.mailboxes.map(\.employeeId) == ["000009", "000003", "000001", "000002"])
        for f in try report.files(format: "html") {
            let text = String(decoding: f.data, as: UTF8.self)
            checkHTML(text)
            try matchesSnapshot(text, "review-\(f.name)")
        }
        for f in try report.files(format: "md") { try matchesSnapshot(String(decoding: f.data, as: UTF8.self), "review-\(f.name)") }
        for f in try report.files(format: "csv") { try matchesSnapshot(String(decoding: f.data, as: UTF8.self), "review-\(f.name)") }
        // The workbooks: every part of the package, as XML.
        try matchesSnapshot(Self.dump(report.workbookIndex()), "review-index.xlsx.txt")
        for u in report.units { try matchesSnapshot(Self.dump(report.workbook(u)), "review-\(u.slug).xlsx.txt") }
        #expect(try report.files(format: "xlsx").map(\.name) == ["index.xlsx", "VP.xlsx", "XSS.xlsx"])
    }

    @Test("HTML escapes every value: a unit named <script> prints as text")
    func htmlEscaping() throws {
        let report = ReviewReport(try Self.input())
        let page = report.html(report.units[1])
        #expect(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co"))
        #expect(!page.contains("<script>"))
        #expect(report.htmlIndex().contains("&lt;script&gt;"))
        #expect(HTML.escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;")
    }

    @Test("CSV opens in Excel as UTF-8 and never runs a formula", arguments: ["=1+1", "+84 24 3823", "-2", "@SUM(A1)", "\tx", "\r=x"])
    func csvNeutralised(cell: String) throws {
        let doc = CSVWriter.document(["a"], [[cell]])
        #expect(doc.hasPrefix("\u{FEFF}"))
        #expect(doc.hasSuffix("\r\n"))
        let line = doc.dropFirst().components(separatedBy: "\r\n")[1]
        let unquoted = line.hasPrefix("\"") ? String(line.dropFirst()) : line
        #expect(unquoted.hasPrefix("'"), "\(cell) → \(line)")
        let report = ReviewReport(try Self.input())
        let csv = report.csv(report.units[1])
        #expect(csv.contains("'=HYPERLINK"), "a formula-looking name is neutralised")
        #expect(csv.contains("'@SUM(1+1)"))
        #expect(!csv.contains(",=") && !csv.contains(",\"=") && !csv.contains(",@"))
    }

    @Test("Markdown cells escape the characters tables and markup act on")
    func markdown() {
        #expect(Markdown.escape("a|b*c_<d>") == "a\\|b\\*c\\_\\<d\\>")
        #expect(Markdown.escape("x\ny") == "x y")
    }

    static let logLines = """
        Sep 30 10:15:01 mx postfix/qmgr[812]: 4F1A2B3C4D: from=<annv@cema.gov.vn>, size=2210, nrcpt=3 (queue active)
        Sep 30 10:15:02 mx postfix/lmtp[901]: 4F1A2B3C4D: to=<NGOCTTB@cema.gov.vn>, relay=mail[private/dovecot-lmtp], delay=0.1, dsn=2.0.0, status=sent (250 Ok)
        Sep 30 10:15:02 mx postfix/smtp[902]: 4F1A2B3C4D: to=<x@example.com>, relay=mx.example.com[1.2.3.4]:25, dsn=4.4.1, status=deferred (timed out)
        Sep 30 10:20:02 mx postfix/smtp[902]: 4F1A2B3C4D: to=<x@example.com>, relay=mx.example.com[1.2.3.4]:25, dsn=2.0.0, status=sent (250 ok)
        Sep 30 10:20:03 mx postfix/local[903]: 4F1A2B3C4D: to=<tamlv@cema.gov.vn>, orig_to=<vp@cema.gov.vn>, relay=local, status=sent (delivered)
        Sep 30 10:20:04 mx postfix/qmgr[812]: 4F1A2B3C4D: removed
        2026-09-29T08:00:00.123+07:00 mx postfix/qmgr[812]: 5A5A5A5A5A: from=<x@example.com>, size=100, nrcpt=1 (queue active)
        2026-09-29T08:00:01.000+07:00 mx postfix/lmtp[901]: 5A5A5A5A5A: to=<ngoc.tran@cema.gov.vn>, relay=mail, status=sent (250 Ok)
        2026-09-29T08:00:02.000+07:00 mx postfix/qmgr[812]: 6B6B6B6B6B: from=<ngocttb@cema.gov.vn>, size=100, nrcpt=1 (queue active)
        2026-09-29T08:00:03.000+07:00 mx postfix/smtp[902]: 6B6B6B6B6B: to=<nobody@example.com>, relay=mx, dsn=5.1.1, status=bounced (User unknown)
        Jun 30 23:59:59 mx postfix/qmgr[812]: 7C7C7C7C7C: from=<annv@cema.gov.vn>, size=100, nrcpt=1 (queue active)
        Jun 30 23:59:59 mx postfix/lmtp[901]: 7C7C7C7C7C: to=<ngocttb@cema.gov.vn>, relay=mail, status=sent (250 Ok)
        Sep 30 11:00:00 mx dovecot[77]: imap-login: Login: user=<annv@cema.gov.vn>
        Sep 30 11:00:01 mx postfix/smtpd[88]: connect from unknown[1.2.3.4]
        Sep 30 11:00:02 mx postfix/anvil[89]: statistics: max connection rate 1/60s
        """

    func count(_ text: String, chunk: Int, period: ReportPeriod) -> MailLogCounter {
        let index = ["annv@cema.gov.vn": 0, "ngocttb@cema.gov.vn": 1, "ngoc.tran@cema.gov.vn": 1, "tamlv@cema.gov.vn": 2, "vp@cema.gov.vn": 3]
        var c = MailLogCounter(from: period.from, to: period.to, mailboxes: index, count: 4)
        c.begin(source: "mail.log")
        var pending: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            pending += bytes[i..<min(i + chunk, bytes.count)]
            i += chunk
            let used = pending.withUnsafeBytes { c.feed($0, final: i >= bytes.count) }
            pending.removeFirst(used)
        }
        return c
    }

    @Test("Postfix lines: sent once per delivered message, received per delivered recipient, aliases and case resolved", arguments: [1, 7, 64, 1 << 20])
    func mailLog(chunk: Int) throws {
        let q3 = try #require(ReportPeriod(parsing: "2026Q3"))
        let c = count(Self.logLines, chunk: chunk, period: q3)
        // annv: one message in Q3 (a deferral and an alias delivery do not make it two; its June message is not in Q3).
        #expect(c.sent == [1, 0, 0, 0])
        // ngocttb: one to the uppercase address, one to the alias; the bounce of its own message counts for nobody.
        #expect(c.received == [0, 2, 1, 0])
        #expect(c.sources.first?.lines == 15 && c.sources.first?.postfixLines == 14)
        #expect(c.sources.first?.first == Day(parsing: "2026-06-30") && c.sources.first?.last == Day(parsing: "2026-09-30"))
        // Every day of July to September 28 has no line: one gap.
        #expect(c.gaps.count == 1 && c.gaps[0].from == q3.from && c.gaps[0].to == Day(parsing: "2026-09-28"))
        let june = count(Self.logLines, chunk: chunk, period: try #require(ReportPeriod(parsing: "2026-06-30..2026-06-30")))
        #expect(june.sent == [1, 0, 0, 0] && june.received == [0, 1, 0, 0] && june.gaps.isEmpty)
    }

    @Test("periods: quarters, halves and ranges", arguments: [
        ("2026Q3", "2026-07-01", "2026-09-30"), ("2026q1", "2026-01-01", "2026-03-31"), ("2026H2", "2026-07-01", "2026-12-31"),
        ("2024H1", "2024-01-01", "2024-06-30"), ("2026-02-03..2026-02-28", "2026-02-03", "2026-02-28"),
    ])
    func periods(text: String, from: String, to: String) throws {
        let p = try #require(ReportPeriod(parsing: text))
        #expect(p.from.description == from && p.to.description == to)
    }

    @Test("bad periods are refused", arguments: ["2026Q5", "2026H3", "2026", "Q3", "2026-09-01..2026-08-01", "x..y"])
    func badPeriods(text: String) { #expect(ReportPeriod(parsing: text) == nil) }

    @Test("the usage report: totals, users, traffic, changes from the audit log, sources and gaps")
    func usage() throws {
        let input = try Self.input()
        let q3 = try #require(ReportPeriod(parsing: "2026Q3"))
        let index = ["annv@cema.gov.vn": 0, "ngocttb@cema.gov.vn": 1, "ngoc.tran@cema.gov.vn": 1, "tamlv@cema.gov.vn": 2, "vp@cema.gov.vn": 3]
        let mail = count(Self.logLines, chunk: 1 << 20, period: q3)
        let audit = [
            #"{"time":"2026-08-03T02:00:00Z","run":"r1","actor":"cron","kind":"createAccount","dn":"uid=x","employeeId":"000002","unitCode":"VP","result":"ok","code":0,"message":""}"#,
            #"{"time":"2026-08-03T02:00:00Z","run":"r1","actor":"cron","kind":"lockAccount","dn":"uid=y","employeeId":"000002","unitCode":"VP","result":"ok","code":0,"message":""}"#,
            #"{"time":"2026-08-03T02:00:00Z","run":"r1","actor":"cron","kind":"lockAccount","dn":"uid=z","unitCode":"VP","result":"failed","code":50,"message":"no"}"#,
            #"{"time":"2026-05-03T02:00:00Z","run":"r0","actor":"cron","kind":"createAccount","dn":"uid=w","unitCode":"VP","result":"ok","code":0,"message":""}"#,
            "not json",
        ].compactMap { AuditEntry(line: $0) }
        #expect(audit.count == 4)
        let report = UsageReport(input, period: q3, mail: mail, mailboxIndex: index, sizes: ["annv@cema.gov.vn": (1_073_741_824, 52_428_800)],
                                 sizesSource: "sizes.csv", audit: audit, auditSource: "audit.jsonl")
        let vp = try #require(report.units.first)
        #expect(vp.mailboxes == 5 && vp.users == 2)  // the unit mailbox and annv logged in during Q3
        #expect(vp.sent == 1 && vp.received == 3)
        #expect(vp.changes == ["created": 1, "locked": 1])
        #expect(report.mailboxes == 9 && report.used == 52_428_800)
        try matchesSnapshot(Self.dump(report.workbook()), "usage-2026Q3.xlsx.txt")
        // What lies outside every listed unit is counted too, so the total is the directory's.
        #expect(report.units.last?.code == "—" && report.units.last?.people.map(\.address) == ["cu@cema.gov.vn", "binhtv@cema.gov.vn"])
        #expect(report.sources.contains { $0.contains("Thiếu nhật ký từ 01/07/2026 đến 28/09/2026") })
        let html = report.html()
        checkHTML(html)
        #expect(html.contains("<svg") && html.contains("&lt;script&gt;"))
        try matchesSnapshot(html, "usage-2026Q3.html")
        try matchesSnapshot(report.json(), "usage-2026Q3.json")
        for f in report.csv() { try matchesSnapshot(f.text, f.name) }
        let noLogs = UsageReport(input, period: q3, mail: nil, mailboxIndex: index, sizes: [:], sizesSource: nil, audit: [], auditSource: "audit.jsonl")
        #expect(noLogs.sent == nil && noLogs.sources.contains { $0.contains("Không có nhật ký Postfix") })
        // A missing source is said in words where its column is empty.
        let bare = noLogs.html()
        #expect(bare.contains("“Dung lượng đã dùng” để trống") && bare.contains("“Thư gửi”, “Thư nhận” để trống"))
        #expect(!html.contains("“Dung lượng đã dùng” để trống") && !html.contains("“Thư gửi”, “Thư nhận” để trống"))
    }

    @Test("working days skip weekends and holidays", arguments: [
        ("2026-09-25", 2, "2026-09-29"),  // Friday → Tuesday
        ("2026-09-01", 2, "2026-09-04"),  // Tuesday, with 2 September a holiday → Friday
        ("2026-09-30", 0, "2026-09-30"), ("2026-09-26", 1, "2026-09-28"),
    ])
    func workingDays(from: String, n: Int, expected: String) {
        let cal = WorkCalendar(holidays: [Day(parsing: "2026-09-02")!])
        #expect(cal.adding(workingDays: n, to: Day(parsing: from)!).description == expected)
    }

    @Test("overdue: active people without a mailbox past two working days, counted from the audit log or the start date")
    func overdue() throws {
        let cal = WorkCalendar(holidays: Self.config.reports.holidays)
        // 000005 starts Thursday 24 September: due Monday 28, overdue from Tuesday 29.
        let onTime = OverdueReport(try Self.input(asOf: "2026-09-28"), firstSeen: [:], rosterDay: Day(parsing: "2026-01-01")!, calendar: cal)
        #expect(onTime.rows.isEmpty)
        #expect(onTime.text().hasPrefix("Không có"))
        let late = OverdueReport(try Self.input(asOf: "2026-09-30"), firstSeen: [:], rosterDay: Day(parsing: "2026-01-01")!, calendar: cal)
        #expect(late.rows.map(\.employeeId) == ["000005"])
        #expect(late.rows.first?.deadline.description == "2026-09-28" && late.rows.first?.workingDaysLate == 2 && late.rows.first?.source == "start_date")
        // The audit log saw them later than their start date: the clock starts then.
        let seen = OverdueReport(try Self.input(asOf: "2026-09-30"), firstSeen: ["000005": Day(parsing: "2026-09-29")!], rosterDay: Day(parsing: "2026-01-01")!, calendar: cal)
        #expect(seen.rows.isEmpty)
        try matchesSnapshot(late.text(), "overdue.txt")
        try matchesSnapshot(late.json(), "overdue.json")
    }
}
