import Foundation

/// Escaping and wording shared by the reports: HTML, CSV for Excel, Markdown, and the
/// Vietnamese words units read.
public enum HTML {
    /// Text for element content and quoted attribute values: `& < > " '` escaped, so a unit
    /// named `<script>` prints as text.
    public static func escape(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 16)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A whole page: no script, no external asset, A4 when printed.
    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="vi">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        @page { size: A4; margin: 20mm 15mm 20mm 30mm; }
        body { font-family: "Times New Roman", "Liberation Serif", "DejaVu Serif", serif; font-size: 12pt; color: #111; max-width: 165mm; margin: 8mm auto; }
        h1 { font-size: 15pt; margin: 0 0 2mm; } h2 { font-size: 12.5pt; margin: 6mm 0 2mm; border-bottom: 1px solid #999; } h3 { font-size: 12pt; margin: 4mm 0 1mm; }
        p.meta { color: #444; font-size: 10.5pt; margin: 0 0 3mm; }
        p.nav { font-size: 10pt; margin: 0 0 3mm; }
        table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm; font-size: 10.5pt; page-break-inside: auto; }
        th, td { border: 1px solid #777; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
        th { background: #eee; } tr { page-break-inside: avoid; } thead { display: table-header-group; }
        td.n, th.n { text-align: right; white-space: nowrap; }
        .locked { color: #8a5a00; } .disabled { color: #a00; } .none { color: #555; font-style: italic; }
        p.note { font-size: 10.5pt; font-style: italic; color: #333; margin: 0 0 3mm; }
        ul { margin: 1mm 0 3mm 5mm; padding: 0; } li { margin: 0.6mm 0; }
        svg { display: block; width: 100%; height: auto; }
        svg.key { display: inline-block; width: 3mm; height: 3mm; vertical-align: -0.3mm; }
        p.legend { font-size: 11pt; margin: 1mm 0 1mm; }
        svg text { font-family: "Times New Roman", "Liberation Serif", "DejaVu Serif", serif; }
        a { color: #114; }
        @media print { a { color: inherit; text-decoration: none; } p.nav { display: none; } }
        \(OfficialDocument.style)
        </style>
        </head>
        <body>
        \(body)
        </body>
        </html>

        """
    }

    /// A table with a header row; the columns in `numeric` are right-aligned (class `n`).
    static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int> = []) -> String {
        // The attribute is chosen outside the interpolations: a string literal nested in one
        // reads as braces and quotes out of place to line-based tools (the length check).
        func cellClass(_ i: Int) -> String { numeric.contains(i) ? " class=\"n\"" : "" }
        var out = "<table>\n<thead><tr>"
        for (i, h) in header.enumerated() { out += "<th\(cellClass(i))>\(escape(h))</th>" }
        out += "</tr></thead>\n<tbody>\n"
        for r in rows {
            out += "<tr>"
            for (i, c) in r.enumerated() { out += "<td\(cellClass(i))>\(escape(c))</td>" }
            out += "</tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }
}

/// CSV that Excel opens as UTF-8 (a byte-order mark first, CRLF lines) and that can never
/// run a formula: a cell beginning with `=` `+` `-` `@` (or a tab or CR, which Excel skips
/// before one) is prefixed with `'`, as OWASP advises against CSV injection.
public enum CSVWriter {
    public static func neutralise(_ cell: String) -> String {
        guard let first = cell.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return cell }
        return "'" + cell
    }

    public static func field(_ cell: String) -> String {
        let safe = neutralise(cell)
        guard safe.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D || $0 == 0x3B }) else { return safe }
        return "\"" + safe.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The whole file: BOM, header, rows. Counts are written as plain digits.
    public static func document(_ header: [String], _ rows: [[String]]) -> String {
        var out = "\u{FEFF}"
        for r in [header] + rows { out += r.map(field).joined(separator: ",") + "\r\n" }
        return out
    }
}

public enum Markdown {
    /// Text safe in a table cell: no line breaks, `|` and the characters Markdown acts on
    /// escaped, so a name prints as written.
    public static func escape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\n", "\r", "\t": out += " "
            case "|", "\\", "*", "_", "`", "[", "]", "<", ">", "#", "~": out += "\\"; out.unicodeScalars.append(c)
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var out = "| " + header.map(escape).joined(separator: " | ") + " |\n"
        out += "|" + header.map { _ in " --- |" }.joined() + "\n"
        for r in rows { out += "| " + r.map { $0.isEmpty ? " " : escape($0) }.joined(separator: " | ") + " |\n" }
        return out
    }
}

/// The words of the reports, in Vietnamese: what units read.
public enum Words {
    /// A key that sorts names as a Vietnamese reader expects (Đỗ with the Ds, accents after
    /// the bare letter), not by code point (which puts Đ after Z).
    public static func sortKey(_ name: String) -> String {
        VietnameseText.asciiFold(name).lowercased() + "\u{0}" + name
    }

    public static func date(_ d: Day?) -> String {
        guard let d else { return "" }
        return String(format: "%02d/%02d/%04d", d.day, d.month, d.year)
    }

    /// A mailbox's state in plain words: active (its `since` is not shown), locked since…,
    /// disabled since….
    public static func state(_ s: EntryState, since: Day?) -> String {
        switch s {
        case .active: "Đang hoạt động"
        case .locked: "Tạm khoá" + (since.map { " từ \(date($0))" } ?? "")
        case .disabled: "Ngừng sử dụng" + (since.map { " từ \(date($0))" } ?? "")
        }
    }

    public static func kind(_ k: ChangeKind) -> String {
        switch k {
        case .createUnit: "Tạo đơn vị và hộp thư đơn vị"
        case .updateUnit: "Cập nhật thông tin đơn vị"
        case .renameUnit: "Đổi tên (địa chỉ) đơn vị"
        case .moveUnit: "Chuyển đơn vị sang đơn vị cấp trên khác"
        case .dissolveUnit: "Giải thể đơn vị"
        case .createAccount: "Tạo hộp thư mới"
        case .updateAccount: "Cập nhật thông tin cá nhân"
        case .moveAccount: "Chuyển công tác (giữ nguyên địa chỉ và mật khẩu)"
        case .adoptAccount: "Đưa hộp thư có sẵn vào quản lý"
        case .disableAccount: "Ngừng sử dụng hộp thư"
        case .enableAccount: "Mở lại hộp thư"
        case .reopenAccount: "Mở lại hộp thư bị khoá, theo đề nghị bằng văn bản của đơn vị (Điều 9.3a)"
        case .deleteAccount: "Xoá hộp thư (đã sao lưu trước)"
        case .lockAccount: "Tạm khoá hộp thư không được sử dụng"
        case .handoverUnitMailbox: "Bàn giao hộp thư đơn vị cho trưởng đơn vị mới"
        case .separateUnitMailbox: "Tách hộp thư đơn vị thành mục riêng (giữ nguyên địa chỉ và mật khẩu)"
        case .createContainer: "Tạo thư mục lưu hồ sơ của hệ thống"
        case .orphan: "Mục không có trong danh sách (chỉ báo cáo, không thay đổi)"
        }
    }

    public static func attribute(_ name: String) -> String {
        switch name.lowercased() {
        case "cn": "Họ và tên"
        case "sn": "Họ"
        case "givenname": "Tên"
        case "displayname": "Tên hiển thị"
        case "title": "Chức vụ"
        case "telephonenumber": "Điện thoại"
        case "departmentnumber", "rsunitcode": "Mã đơn vị"
        case "mail": "Địa chỉ thư"
        case "maillocaladdress": "Địa chỉ phụ"
        case "rsstate": "Trạng thái"
        case "owner": "Người giữ hộp thư"
        case "rsheademployeenumber": "Mã cán bộ trưởng đơn vị"
        case "employeenumber": "Mã cán bộ"
        case "objectclass": "Loại mục"
        default: name
        }
    }

    /// One change in plain words: what happens, to whom, which values change.
    public static func change(_ c: Change) -> String {
        var s = "\(kind(c.kind)): \(c.subject)"
        if c.kind == .createAccount || c.kind == .createUnit {
            if let mail = c.newValue("mail") { s += " — địa chỉ \(mail)" }
        } else {
            let shown = c.attributes.filter { !["objectClass", "rsState", "owner", "rsHeadEmployeeNumber"].contains($0.name) }
            if !shown.isEmpty {
                s += " — " + shown.map { a in
                    "\(attribute(a.name)): \(a.old.isEmpty ? "(trống)" : a.old.joined(separator: ", ")) → \(a.new.isEmpty ? "(bỏ)" : a.new.joined(separator: ", "))"
                }.joined(separator: "; ")
            }
        }
        if let due = c.due { s += " (dự kiến ngày \(date(due)))" }
        return s
    }
}
