import Foundation

// The usage report as a page to print: totals, bar charts per unit, each unit's mailboxes.
extension UsageReport {
    /// What the report cannot say for want of a source, in plain words (nil: nothing missing).
    var missingSizes: String? {
        used == nil ? "Cột “Dung lượng đã dùng” để trống: không có số liệu dung lượng hộp thư (chưa có tệp reports.mailbox_sizes, hoặc tệp không có hộp thư nào trong báo cáo)." : nil
    }

    var missingMail: String? {
        sent == nil ? "Cột “Thư gửi”, “Thư nhận” để trống: không có nhật ký máy chủ thư (Postfix) của kỳ báo cáo (reports.mail_logs)." : nil
    }

    var missingNotes: String {
        [missingMail, missingSizes].compactMap { $0 }.map { "<p class=\"note\">\(HTML.escape($0))</p>\n" }.joined()
    }

    /// Each unit's name for the charts: a name that several units share gets its parent's
    /// name (sixteen "Phòng Tổng hợp" of different departments), and the code when even that
    /// is not enough.
    public var chartLabels: [String] {
        let counts = Dictionary(units.map { ($0.name, 1) }, uniquingKeysWith: +)
        let withParent = units.map { u in counts[u.name, default: 0] > 1 ? u.name + (u.parent.map { " — \($0)" } ?? "") : u.name }
        let again = Dictionary(withParent.map { ($0, 1) }, uniquingKeysWith: +)
        return zip(units, withParent).map { u, l in again[l, default: 0] > 1 && u.code != "—" ? "\(l) (\(u.code))" : l }
    }

    public func html() -> String {
        var b = "<h1>Báo cáo sử dụng thư điện tử — \(HTML.escape(period.label))</h1>\n"
        b += "<p class=\"meta\">Từ \(Words.date(period.from)) đến \(Words.date(period.to)); số liệu của \(HTML.escape(directoryLabel)).</p>\n"
        b += "<h2>Tổng hợp</h2>\n"
        b += HTML.table(["Số hộp thư", "Người sử dụng", "Không sử dụng", "Thư gửi", "Thư nhận", "Dung lượng đã dùng"],
                        [[String(mailboxes), String(users), String(mailboxes - users), Self.count(sent), Self.count(received), Self.bytes(used)]],
                        numeric: [0, 1, 2, 3, 4, 5])
        b += missingNotes
        let labels = chartLabels
        b += "<h2>Hộp thư theo đơn vị</h2>\n" + chart(zip(labels, units).map { ($0, $1.users, $1.mailboxes - $1.users) }, legend: ("Người sử dụng", "Không sử dụng"))
        if sent != nil {
            b += "<h2>Thư gửi và nhận theo đơn vị</h2>\n" + chart(zip(labels, units).map { ($0, $1.sent ?? 0, $1.received ?? 0) }, legend: ("Thư gửi", "Thư nhận"))
        } else {
            b += "<h2>Thư gửi và nhận theo đơn vị</h2>\n<p class=\"none\">Không có biểu đồ: không có nhật ký máy chủ thư của kỳ báo cáo.</p>\n"
        }
        b += "<h2>Số liệu theo đơn vị</h2>\n"
        b += HTML.table(["Mã", "Đơn vị", "Hộp thư", "Sử dụng", "Không sử dụng", "Gửi", "Nhận", "Đã dùng"],
                        zip(labels, units).map { l, u in
                            [u.code, l, String(u.mailboxes), String(u.users), String(u.mailboxes - u.users), Self.count(u.sent), Self.count(u.received), Self.bytes(u.used)]
                        }, numeric: Set(2..<8))
        b += missingNotes
        // A table of its own: fourteen columns do not fit the width of an A4 page.
        b += "<h2>Thay đổi trong kỳ theo đơn vị (nhật ký của rostersync)</h2>\n"
        b += HTML.table(["Mã", "Đơn vị"] + Self.changeColumns.map { Self.changeWords[$0] ?? $0 },
                        zip(labels, units).map { l, u in [u.code, l] + Self.changeColumns.map { String(u.changes[$0] ?? 0) } },
                        numeric: Set(2..<(2 + Self.changeColumns.count)))
        for (l, u) in zip(labels, units) {
            b += "<h2>\(HTML.escape(l)) (\(HTML.escape(u.code)))</h2>\n"
            b += u.people.isEmpty ? "<p class=\"none\">Không có hộp thư.</p>\n" : HTML.table(
                ["Họ và tên", "Địa chỉ", "Trạng thái", "Lần đăng nhập cuối", "Sử dụng", "Gửi", "Nhận", "Đã dùng / hạn mức"],
                u.people.map { p in
                    [p.name, p.address, p.state, p.lastLogin.map { Words.date($0) } ?? "chưa đăng nhập", p.user ? "có" : "không",
                     Self.count(p.sent), Self.count(p.received), [Self.bytes(p.used), Self.bytes(p.quota)].filter { !$0.isEmpty }.joined(separator: " / ")]
                }, numeric: [5, 6, 7])
        }
        b += "<h2>Nguồn số liệu</h2>\n<ul>\n" + sources.map { "<li>\(HTML.escape($0))</li>\n" }.joined() + "</ul>\n"
        return HTML.page(title: "Báo cáo sử dụng thư điện tử — \(period.label)", body: b)
    }

    /// A rough width of `text` in a serif face at `size` (no font metrics here): wide enough
    /// for Vietnamese words in Times New Roman, so that labels are not cut off.
    static func textWidth(_ text: String, size: Double) -> Double {
        var w = 0.0
        for c in text {
            if c == " " { w += 0.25 } else if c.isUppercase { w += 0.68 } else if c.isNumber { w += 0.5 } else if "iljtf.,:;!|()'".contains(c) { w += 0.3 } else { w += 0.5 }
        }
        return w * size
    }

    /// A label broken into lines of at most `width` (at word boundaries; a word longer than a
    /// line is cut with "…"), at most `maxLines` lines.
    static func wrap(_ text: String, width: Double, size: Double, maxLines: Int = 2) -> [String] {
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ") {
            let candidate = line.isEmpty ? String(word) : line + " " + word
            if textWidth(candidate, size: size) <= width || line.isEmpty { line = candidate } else { lines.append(line); line = String(word) }
        }
        if !line.isEmpty { lines.append(line) }
        if lines.count > maxLines { lines = Array(lines.prefix(maxLines)); lines[maxLines - 1] += " …" }
        return lines.map { l in
            var l = l
            while textWidth(l, size: size) > width, l.count > 2 { l = String(l.dropLast(2)) + "…" }
            return l
        }
    }

    /// A horizontal bar per unit, two stacked parts, inline SVG (no library, prints as drawn).
    /// Drawn in a 560-unit-wide box that the page scales to its text width (165 mm): text of
    /// 13 units prints at about 11 pt. The labels' column is as wide as the longest label
    /// needs (at most 40 % of the width; longer labels take two lines), and the bars leave room
    /// for the figures at their end, so nothing runs past the right edge.
    func chart(_ rows: [(String, Int, Int)], legend: (String, String)) -> String {
        let width = 560.0, font = 13.0, gap = 6.0
        let top = max(1, rows.map { $0.1 + $0.2 }.max() ?? 1)
        let figures = rows.map { "\($0.1) + \($0.2)" }
        let labelWidth = min(width * 0.4, rows.map { Self.textWidth($0.0, size: font) }.max() ?? 0)
        let figureWidth = figures.map { Self.textWidth($0, size: font) }.max() ?? 0
        let barWidth = max(40, width - labelWidth - 2 * gap - figureWidth - 2)
        let colors = ("#2b5c8a", "#b9cde0")
        var body = ""
        var y = 4.0
        for (i, r) in rows.enumerated() {
            let lines = Self.wrap(r.0, width: labelWidth, size: font)
            let rowHeight = max(20.0, Double(lines.count) * (font + 2) + 4)
            let barY = y + (rowHeight - 14) / 2
            let w1 = barWidth * Double(r.1) / Double(top), w2 = barWidth * Double(r.2) / Double(top)
            let firstBaseline = y + (rowHeight - Double(lines.count) * (font + 2)) / 2 + font - 1
            body += "<text x=\"\(Self.fmt(labelWidth))\" y=\"\(Self.fmt(firstBaseline))\" text-anchor=\"end\">"
            for (j, l) in lines.enumerated() {
                body += "<tspan x=\"\(Self.fmt(labelWidth))\"" + (j == 0 ? "" : " dy=\"\(Self.fmt(font + 2))\"") + ">\(HTML.escape(l))</tspan>"
            }
            body += "</text>"
            let x0 = labelWidth + gap
            body += "<rect x=\"\(Self.fmt(x0))\" y=\"\(Self.fmt(barY))\" width=\"\(Self.fmt(w1))\" height=\"14\" fill=\"\(colors.0)\"/>"
            body += "<rect x=\"\(Self.fmt(x0 + w1))\" y=\"\(Self.fmt(barY))\" width=\"\(Self.fmt(w2))\" height=\"14\" fill=\"\(colors.1)\"/>"
            body += "<text x=\"\(Self.fmt(x0 + w1 + w2 + gap))\" y=\"\(Self.fmt(barY + 11.5))\">\(figures[i])</text>\n"
            y += rowHeight
        }
        let height = y + 4
        var s = "<p class=\"legend\">" + key(colors.0) + " \(HTML.escape(legend.0)) &#160; " + key(colors.1) + " \(HTML.escape(legend.1))"
        s += " &#160; — số ở cuối mỗi thanh: \(HTML.escape(legend.0.lowercased())) + \(HTML.escape(legend.1.lowercased()))</p>\n"
        s += "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height.rounded(.up)))\" font-size=\"\(Int(font))\" role=\"img\" aria-label=\"\(HTML.escape(legend.0)), \(HTML.escape(legend.1))\">\n"
        return s + body + "</svg>\n"
    }

    /// A colour key for the legend (an SVG square: printed even where backgrounds are not).
    func key(_ color: String) -> String {
        "<svg class=\"key\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><rect width=\"10\" height=\"10\" fill=\"\(color)\"/></svg>"
    }

    static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
}
