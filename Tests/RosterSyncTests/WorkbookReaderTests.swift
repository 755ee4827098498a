import Foundation
import RosterSync
import Testing

/// The workbooks opened by a real reader: openpyxl (Debian's `python3-openpyxl`, the library
/// pandas reads .xlsx with), which refuses a malformed package. Each sheet it reads must hold
/// exactly the rows the report meant, texts as texts (a formula-looking name included) and
/// counts as numbers. A missing reader is a failure that says what to install, not a skip.
@Suite("xlsx read back by openpyxl")
struct WorkbookReaderTests {
    static let python = "/usr/bin/python3"

    /// Every sheet of the file as openpyxl reads it: name → rows of cells (nil for empty).
    static func read(_ data: Data) throws -> [(name: String, rows: [[Any?]])] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rs-xlsx-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("book.xlsx")
        try data.write(to: file)
        let script = """
            import json, sys
            try:
                import openpyxl
            except ImportError:
                print("openpyxl is missing: apt-get install -y python3-openpyxl", file=sys.stderr); sys.exit(3)
            wb = openpyxl.load_workbook(sys.argv[1])
            out = []
            for ws in wb.worksheets:
                out.append({"name": ws.title, "rows": [list(r) for r in ws.iter_rows(values_only=True)],
                            "formulas": sum(1 for r in ws.iter_rows() for c in r if c.data_type == "f"),
                            "boldHeader": all(c.font.b for c in ws[1] if c.value is not None),
                            "frozen": ws.freeze_panes})
            print(json.dumps(out, ensure_ascii=False))
            """
        guard FileManager.default.isExecutableFile(atPath: python) else {
            Issue.record("\(python) is missing: apt-get install -y python3 python3-openpyxl")
            return []
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", script, file.path]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            Issue.record("openpyxl could not read the workbook (exit \(p.terminationStatus)): \(stderr)")
            return []
        }
        let sheets = try #require(try JSONSerialization.jsonObject(with: stdout) as? [[String: Any]])
        return try sheets.map { s in
            #expect(s["formulas"] as? Int == 0, "a formula cell in \(s["name"] ?? "")")
            #expect(s["boldHeader"] as? Bool == true, "header not bold in \(s["name"] ?? "")")
            #expect(s["frozen"] as? String == "A2", "header not frozen in \(s["name"] ?? "")")
            let rows = try #require(s["rows"] as? [[Any]]).map { $0.map { $0 is NSNull ? nil : $0 } as [Any?] }
            return (try #require(s["name"] as? String), rows)
        }
    }

    /// What a reader should see: header and rows, empty texts as empty cells, numbers as numbers.
    static func expected(_ s: Workbook.Sheet) -> [[String]] {
        [s.header] + s.rows.map { r in
            r.map { c in
                switch c {
                case let .text(t): t
                case let .number(n): "n:\(n)"
                }
            }
        }
    }

    static func seen(_ rows: [[Any?]], width: Int) -> [[String]] {
        rows.map { r in
            (0..<width).map { i in
                guard i < r.count, let v = r[i] else { return "" }
                if let s = v as? String { return s }
                if let n = v as? NSNumber { return "n:\(n.int64Value)" }
                return "\(v)"
            }
        }
    }

    func check(_ w: Workbook) throws {
        let read = try Self.read(try w.data(modified: Day(parsing: "2026-09-30")!))
        try #require(read.count == w.sheets.count, "\(read.map(\.name)) for \(w.sheets.map(\.name))")
        for (sheet, got) in zip(w.sheets, read) {
            #expect(got.name == sheet.name)
            let width = max(sheet.header.count, sheet.rows.map(\.count).max() ?? 0)
            #expect(Self.seen(got.rows, width: width) == Self.expected(sheet), "sheet \(sheet.name)")
        }
    }

    @Test("the review workbooks (index and each unit, a unit named <script>, a person named =HYPERLINK) read back row for row")
    func review() throws {
        let report = ReviewReport(try ReportTests.input())
        try check(report.workbookIndex())
        for u in report.units { try check(report.workbook(u)) }
        // The formula-looking name is text, as written (no leading ' as in the CSV).
        let xss = try Self.read(try report.workbook(report.units[1]).data(modified: Day(parsing: "2026-09-30")!))
        #expect(xss.first?.rows.dropFirst().first?[2] as? String == "=HYPERLINK(\"http://x\")")
    }

    @Test("the usage workbook (units, people, sources) reads back row for row, counts as numbers")
    func usage() throws {
        let input = try ReportTests.input()
        let q3 = try #require(ReportPeriod(parsing: "2026Q3"))
        let report = UsageReport(input, period: q3, mail: nil, mailboxIndex: [:], sizes: ["annv@cema.gov.vn": (1_073_741_824, 52_428_800)],
                                 sizesSource: "sizes.csv", audit: [], auditSource: "audit.jsonl")
        try check(report.workbook())
    }

    @Test("a workbook of odd values: markup, formulas, quotes, newlines, control characters, long text, empty sheets")
    func oddValues() throws {
        let odd = ["<script>alert('x')</script>", "=cmd|' /C calc'!A0", "+1", "@SUM(A1)", "a \"quoted\" & 'single'", "two\nlines", "Đỗ Thị Ánh Tuyết", String(repeating: "x", count: 300)]
        try check(Workbook(sheets: [
            .init(name: "Giá trị", header: ["Văn bản", "Số"], rows: odd.enumerated().map { [.text($1), .number(Int64($0) * 1_000_000_007)] }),
            .init(name: "Trống", header: ["Không có dòng"], rows: []),
        ], title: "odd"))
    }
}
