import Foundation
import ZIPFoundation

/// A report's tables as an Excel workbook (`.xlsx`, Office Open XML SpreadsheetML): opens as
/// columns in any Excel whatever its list separator (a CSV does not, where the Vietnamese
/// separator `;` is set), and in LibreOffice and Google Sheets.
///
/// Texts are inline strings and numbers numbers; no cell ever holds a formula (`<f>`), so a
/// name such as `=cmd|' /C calc'!A0` is text in every reader, without the `'` a CSV needs. The
/// header row is bold and frozen, the columns as wide as their longest value.
///
/// The sheet XML is written as text through one escaping function rather than with XMLCoder:
/// SpreadsheetML wants a fixed element order with attributes and elements mixed, which a
/// Codable mapping expresses only with custom coding keys per element, and XML 1.0 forbids
/// most control characters, which an encoder would pass through into a file Excel refuses to
/// open; `XML.escape` removes them. The zip is ZIPFoundation's, in memory.
public struct Workbook: Sendable {
    public enum Cell: Sendable, Hashable {
        case text(String)
        case number(Int64)
    }

    public struct Sheet: Sendable {
        public var name: String
        public var header: [String]
        public var rows: [[Cell]]

        public init(name: String, header: [String], rows: [[Cell]]) {
            self.name = name
            self.header = header
            self.rows = rows
        }
    }

    public var sheets: [Sheet]
    /// The document's title (File → Properties).
    public var title: String

    public init(sheets: [Sheet], title: String) {
        self.sheets = sheets
        self.title = title
    }

    /// Excel's limits: a sheet name of at most 31 characters without `[]:*?/\`, unique in
    /// the workbook; a cell of at most 32,767 characters.
    static func sheetName(_ name: String, taken: Set<String>) -> String {
        var base = String(name.filter { !"[]:*?/\\".contains($0) }.prefix(28))
        if base.isEmpty { base = "Sheet" }
        var out = base, n = 2
        while taken.contains(out.lowercased()) { out = "\(base) \(n)"; n += 1 }
        return out
    }

    /// A1-style column letters: 0 → A, 25 → Z, 26 → AA.
    public static func column(_ i: Int) -> String {
        var n = i + 1, s = ""
        while n > 0 { n -= 1; s = String(UnicodeScalar(UInt8(65 + n % 26))) + s; n /= 26 }
        return s
    }

    /// Every part of the package, path → XML, in the order they are zipped.
    public func parts() -> [(path: String, xml: String)] {
        let head = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
        var names: [String] = []
        var taken = Set<String>()
        for s in sheets {
            let n = Self.sheetName(s.name, taken: taken)
            taken.insert(n.lowercased())
            names.append(n)
        }
        var out: [(String, String)] = []
        out.append(("[Content_Types].xml", head
            + "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
            + "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
            + "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
            + "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
            + "<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
            + sheets.indices.map { "<Override PartName=\"/xl/worksheets/sheet\($0 + 1).xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>" }.joined()
            + "<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
            + "</Types>\n"))
        out.append(("_rels/.rels", head
            + "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
            + "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>"
            + "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>"
            + "</Relationships>\n"))
        out.append(("docProps/core.xml", head
            + "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
            + "<dc:title>\(XML.escape(title))</dc:title><dc:creator>rostersync</dc:creator></cp:coreProperties>\n"))
        out.append(("xl/workbook.xml", head
            + "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
            + "<sheets>" + names.enumerated().map { "<sheet name=\"\(XML.escape($1))\" sheetId=\"\($0 + 1)\" r:id=\"rId\($0 + 1)\"/>" }.joined() + "</sheets>"
            + "</workbook>\n"))
        out.append(("xl/_rels/workbook.xml.rels", head
            + "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
            + sheets.indices.map { "<Relationship Id=\"rId\($0 + 1)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet\($0 + 1).xml\"/>" }.joined()
            + "<Relationship Id=\"rId\(sheets.count + 1)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>"
            + "</Relationships>\n"))
        // Style 0: plain, wrapped at the column width; style 1: bold (the header row).
        out.append(("xl/styles.xml", head
            + "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
            + "<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Times New Roman\"/></font><font><b/><sz val=\"11\"/><name val=\"Times New Roman\"/></font></fonts>"
            + "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills>"
            + "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"
            + "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
            + "<cellXfs count=\"2\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
            + "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/></cellXfs>"
            + "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>"
            + "</styleSheet>\n"))
        for (i, s) in sheets.enumerated() { out.append(("xl/worksheets/sheet\(i + 1).xml", sheetXML(s))) }
        return out
    }

    /// One worksheet: column widths from the longest value (in characters, 6 to 60), the
    /// header bold and frozen, every text an inline string.
    func sheetXML(_ s: Sheet) -> String {
        let columns = max(s.header.count, s.rows.map(\.count).max() ?? 0)
        var widths = [Int](repeating: 6, count: columns)
        func width(_ text: String) -> Int { text.split(separator: "\n").map(\.count).max() ?? 0 }
        for (i, h) in s.header.enumerated() { widths[i] = max(widths[i], width(h) + 2) }
        for r in s.rows {
            for (i, c) in r.enumerated() {
                let w: Int
                switch c {
                case let .text(t): w = width(t)
                case let .number(n): w = String(n).count
                }
                widths[i] = max(widths[i], min(60, w + 2))
            }
        }
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
        x += "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
        x += "<sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews>"
        x += "<sheetFormatPr defaultRowHeight=\"15\"/>"
        if columns > 0 {
            x += "<cols>" + widths.enumerated().map { "<col min=\"\($0 + 1)\" max=\"\($0 + 1)\" width=\"\($1)\" customWidth=\"1\"/>" }.joined() + "</cols>"
        }
        x += "<sheetData>\n"
        func row(_ n: Int, _ cells: [Cell], style: Int) -> String {
            var r = "<row r=\"\(n)\">"
            for (i, c) in cells.enumerated() {
                let ref = Self.column(i) + String(n)
                let st = style == 0 ? "" : " s=\"\(style)\""
                switch c {
                case let .text(t):
                    guard !t.isEmpty else { continue }
                    r += "<c r=\"\(ref)\"\(st) t=\"inlineStr\"><is><t xml:space=\"preserve\">\(XML.escape(String(t.prefix(32_767))))</t></is></c>"
                case let .number(v):
                    r += "<c r=\"\(ref)\"\(st)><v>\(v)</v></c>"
                }
            }
            return r + "</row>\n"
        }
        x += row(1, s.header.map(Cell.text), style: 1)
        for (i, r) in s.rows.enumerated() { x += row(i + 2, r, style: 0) }
        x += "</sheetData></worksheet>\n"
        return x
    }

    /// The `.xlsx` file: the parts zipped (deflate), each dated `modified` so that the same
    /// report makes the same file.
    public func data(modified: Day) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        var c = DateComponents()
        (c.year, c.month, c.day, c.hour) = (modified.year, modified.month, modified.day, 12)
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC") ?? cal.timeZone
        let date = cal.date(from: c) ?? Date(timeIntervalSince1970: 0)
        for (path, xml) in parts() {
            let bytes = Data(xml.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(bytes.count), modificationDate: date, compressionMethod: .deflate) { position, size in
                bytes.subdata(in: Int(position)..<min(bytes.count, Int(position) + size))
            }
        }
        guard let data = archive.data else { throw WorkbookError(message: "the xlsx archive could not be made in memory") }
        return data
    }
}

public struct WorkbookError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

/// XML 1.0 character data and attribute values.
public enum XML {
    /// `& < > " '` escaped, and the characters XML 1.0 forbids (controls other than tab, LF
    /// and CR; U+FFFE, U+FFFF) removed: a file holding one is refused by Excel.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(c)
            default:
                if c.value < 0x20 || c.value == 0xFFFE || c.value == 0xFFFF { continue }
                out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
