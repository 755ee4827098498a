import Foundation

/// A reporting period: a quarter (`2026Q3`), a half-year (`2026H2`) or `FROM..TO`.
public struct ReportPeriod: Sendable, Hashable, CustomStringConvertible {
    public var from: Day
    public var to: Day
    public var label: String

    public init?(parsing s: String) {
        let t = s.trimmingCharacters(in: .whitespaces).uppercased()
        if let r = t.range(of: "..") {
            guard let a = Day(parsing: String(t[..<r.lowerBound])), let b = Day(parsing: String(t[r.upperBound...])), a <= b else { return nil }
            (from, to, label) = (a, b, "\(Words.date(a)) – \(Words.date(b))")
            return
        }
        guard t.count == 6, let year = Int(t.prefix(4)), let n = Int(t.suffix(1)) else { return nil }
        let kind = t[t.index(t.startIndex, offsetBy: 4)]
        let months: (Int, Int)
        switch (kind, n) {
        case ("Q", 1...4): months = (3 * n - 2, 3 * n); label = "Quý \(n)/\(year)"
        case ("H", 1...2): months = (6 * n - 5, 6 * n); label = "\(n == 1 ? "6 tháng đầu" : "6 tháng cuối") năm \(year)"
        default: return nil
        }
        guard let a = Day(year: year, month: months.0, day: 1), let b = Day(year: year, month: months.1, day: Day.daysIn(month: months.1, year: year)) else { return nil }
        (from, to) = (a, b)
    }

    public var description: String { label }
    public var slug: String { "\(from)_\(to)" }
    public func contains(_ d: Day) -> Bool { d >= from && d <= to }
}

/// One line of the audit log, as far as the reports need it.
public struct AuditEntry: Sendable, Hashable {
    public var day: Day
    public var kind: ChangeKind?
    public var result: String
    public var employeeId: String?
    public var unitCode: String?

    /// Parses one JSONL line of `audit.jsonl`; nil for a line that is not an audit record.
    public init?(line: some StringProtocol) {
        guard let data = String(line).data(using: .utf8),
              let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let time = o["time"] as? String, let day = Day(parsing: String(time.prefix(10))), let result = o["result"] as? String
        else { return nil }
        self.day = day
        self.result = result
        self.kind = (o["kind"] as? String).flatMap(ChangeKind.init(rawValue:))
        self.employeeId = o["employeeId"] as? String
        self.unitCode = o["unitCode"] as? String
    }
}

/// Art. 17.2 and 18.3: mailbox numbers, sizes, users and non-users, mail traffic and the
/// period's changes, per unit and per person.
public struct UsageReport: Sendable {
    public struct Person: Sendable, Hashable {
        public var unitCode: String
        public var name: String
        public var address: String
        public var state: String
        public var quota: Int64?
        public var used: Int64?
        public var lastLogin: Day?
        public var user: Bool
        public var sent: Int?
        public var received: Int?
    }

    public struct Unit: Sendable {
        public var code: String
        public var name: String
        /// The parent unit's name, to tell apart sub-units of the same name.
        public var parent: String?
        public var people: [Person]
        /// created, moved, renamed, disabled, locked, deleted: counts from the audit log.
        public var changes: [String: Int]
        public var mailboxes: Int { people.count }
        public var users: Int { people.filter(\.user).count }
        public var sent: Int? { people.contains { $0.sent != nil } ? people.reduce(0) { $0 + ($1.sent ?? 0) } : nil }
        public var received: Int? { people.contains { $0.received != nil } ? people.reduce(0) { $0 + ($1.received ?? 0) } : nil }
        public var used: Int64? { people.contains { $0.used != nil } ? people.reduce(0) { $0 + ($1.used ?? 0) } : nil }
        public var quota: Int64? { people.contains { $0.quota != nil } ? people.reduce(0) { $0 + ($1.quota ?? 0) } : nil }
    }

    public static let changeColumns = ["created", "moved", "renamed", "disabled", "locked", "deleted"]
    static let changeWords = ["created": "Tạo mới", "moved": "Chuyển", "renamed": "Đổi tên", "disabled": "Ngừng sử dụng", "locked": "Tạm khoá", "deleted": "Xoá"]

    public var period: ReportPeriod
    public var directory: String
    /// The directory as the documents name it (`documents.directory_label`).
    public var directoryLabel: String
    public var units: [Unit]
    /// Where the figures come from, and the gaps in them, in plain words.
    public var sources: [String]

    /// - Parameters:
    ///   - mail: the counts of the period's Postfix logs (nil: no log given).
    ///   - sizes: quota and used bytes by address, from a mail-server export.
    public init(_ input: ReportInput, period: ReportPeriod, mail: MailLogCounter?, mailboxIndex: [String: Int],
                sizes: [String: (quota: Int64?, used: Int64?)], sizesSource: String?, audit: [AuditEntry], auditSource: String) {
        self.period = period
        directory = input.plan.directory
        directoryLabel = input.config.documents.directoryLabel
        let unitNames = Dictionary(input.roster.units.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        let dirUnits = input.directoryUnits()
        let byParent = input.accountsByParent()
        var changes: [String: [String: Int]] = [:]
        for a in audit where a.result == "ok" && period.contains(a.day) {
            guard let kind = a.kind, let code = a.unitCode, let column = Self.column(kind) else { continue }
            changes[code, default: [:]][column, default: 0] += 1
        }
        func person(unit: String, name: String, address: String, state: String, last: Day?) -> Person {
            let index = mailboxIndex[address]
            let size = sizes[address]
            return Person(
                unitCode: unit, name: name, address: address, state: state, quota: size?.quota, used: size?.used, lastLogin: last,
                user: last.map { $0 >= period.from } ?? false,
                sent: mail.flatMap { m in index.map { m.sent[$0] } ?? 0 }, received: mail.flatMap { m in index.map { m.received[$0] } ?? 0 })
        }
        var units: [Unit] = []
        var listed = Set<String>()
        for u in input.roster.units {
            let dir = u.directoryEntry(dirUnits)
            guard u.status == .active || dir != nil else { continue }
            if let d = dir { listed.insert(d.dn.normalized) }
            var people: [Person] = []
            if let d = dir, let mail = d.mail {
                people.append(person(unit: u.code, name: "Hộp thư đơn vị: \(u.name)", address: mail, state: Words.state(d.state, since: d.stateSince), last: input.lastLogin(d)))
            }
            for a in input.mailboxes(of: dir, byParent) {
                guard let mail = a.mail else { continue }
                people.append(person(unit: u.code, name: a.cn ?? a.uid ?? "", address: mail, state: Words.state(a.state, since: a.stateSince), last: input.lastLogin(a)))
            }
            units.append(Unit(code: u.code, name: u.name, parent: u.parentCode.flatMap { unitNames[$0] }, people: people, changes: changes[u.code] ?? [:]))
        }
        // Mailboxes outside every listed unit (a dissolved unit's last entries, orphans, a
        // unit the roster no longer names): counted too, so the total is the directory's.
        let unitsBase = input.config.directory.unitsBase
        let others = input.snapshot.accounts.filter { a in
            a.mail != nil && a.parent.isWithin(unitsBase) && !listed.contains(a.parent.normalized)
        }
        let otherUnits = input.snapshot.units.filter { $0.mail != nil && !listed.contains($0.dn.normalized) && $0.dn.isDescendant(of: unitsBase) }
        if !others.isEmpty || !otherUnits.isEmpty {
            let unitBoxes = otherUnits.sorted { Words.sortKey($0.name ?? "") < Words.sortKey($1.name ?? "") }.map { d in
                person(unit: d.code ?? "—", name: "Hộp thư đơn vị: \(d.name ?? d.code ?? "")", address: d.mail ?? "",
                       state: Words.state(d.state, since: d.stateSince), last: input.lastLogin(d))
            }
            let accounts = others.sorted(by: ReportInput.vietnameseOrder).map { a in
                person(unit: a.unitCode ?? "—", name: a.cn ?? a.uid ?? "", address: a.mail ?? "", state: Words.state(a.state, since: a.stateSince), last: input.lastLogin(a))
            }
            units.append(Unit(code: "—", name: "Ngoài các đơn vị trong danh sách", parent: nil, people: unitBoxes + accounts, changes: [:]))
        }
        self.units = units
        var sources: [String] = []
        if let mail {
            if mail.sources.isEmpty { sources.append("Nhật ký Postfix: không có tệp nào khớp; số thư không tính được.") }
            for s in mail.sources {
                sources.append("Nhật ký Postfix \(s.name): \(s.lines) dòng (\(s.postfixLines) của Postfix)"
                    + (s.first.map { f in ", từ \(Words.date(f)) đến \(Words.date(s.last ?? f))" } ?? ", không có dòng nào đọc được"))
            }
            for g in mail.gaps {
                sources.append("Thiếu nhật ký " + (g.from == g.to ? "ngày \(Words.date(g.from))" : "từ \(Words.date(g.from)) đến \(Words.date(g.to))")
                    + ": số thư gửi, nhận của những ngày này không được tính.")
            }
        } else {
            sources.append("Không có nhật ký Postfix (reports.mail_logs): không có số thư gửi, nhận.")
        }
        sources.append(sizesSource.map { "Dung lượng: \($0)." } ?? "Không có số liệu dung lượng (reports.mailbox_sizes).")
        sources.append("Đăng nhập lần cuối: pwdLastSuccess/authTimestamp của danh bạ"
            + (input.config.policy.lastLoginFile.map { " và \($0)" } ?? "") + "; người sử dụng là người đăng nhập từ \(Words.date(period.from)) trở đi.")
        sources.append("Thay đổi trong kỳ: \(auditSource).")
        self.sources = sources
    }

    static func column(_ k: ChangeKind) -> String? {
        switch k {
        case .createAccount, .createUnit: "created"
        case .moveAccount, .moveUnit: "moved"
        case .renameUnit: "renamed"
        case .disableAccount: "disabled"
        case .lockAccount: "locked"
        case .deleteAccount, .dissolveUnit: "deleted"
        default: nil
        }
    }

    // MARK: Totals

    public var mailboxes: Int { units.reduce(0) { $0 + $1.mailboxes } }
    public var users: Int { units.reduce(0) { $0 + $1.users } }
    public var sent: Int? { units.contains { $0.sent != nil } ? units.reduce(0) { $0 + ($1.sent ?? 0) } : nil }
    public var received: Int? { units.contains { $0.received != nil } ? units.reduce(0) { $0 + ($1.received ?? 0) } : nil }
    public var used: Int64? { units.contains { $0.used != nil } ? units.reduce(0) { $0 + ($1.used ?? 0) } : nil }

    static func bytes(_ v: Int64?) -> String {
        guard let v else { return "" }
        let mb = Double(v) / 1_048_576
        return mb >= 1024 ? String(format: "%.1f GB", mb / 1024) : String(format: "%.0f MB", mb)
    }

    static func count(_ v: Int?) -> String { v.map(String.init) ?? "" }

    // MARK: HTML

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

    // MARK: CSV and JSON

    /// Per-unit and per-person tables, as two CSV files.
    public func csv() -> [(name: String, text: String)] {
        let units = CSVWriter.document(
            ["Mã đơn vị", "Đơn vị", "Số hộp thư", "Người sử dụng", "Không sử dụng", "Thư gửi", "Thư nhận", "Đã dùng (byte)", "Hạn mức (byte)"]
                + Self.changeColumns.map { Self.changeWords[$0] ?? $0 },
            self.units.map { u in
                [u.code, u.name, String(u.mailboxes), String(u.users), String(u.mailboxes - u.users), Self.count(u.sent), Self.count(u.received),
                 u.used.map(String.init) ?? "", u.quota.map(String.init) ?? ""] + Self.changeColumns.map { String(u.changes[$0] ?? 0) }
            })
        let people = CSVWriter.document(
            ["Mã đơn vị", "Họ và tên", "Địa chỉ", "Trạng thái", "Đăng nhập lần cuối", "Sử dụng", "Thư gửi", "Thư nhận", "Đã dùng (byte)", "Hạn mức (byte)"],
            self.units.flatMap { u in
                u.people.map { p in
                    [p.unitCode, p.name, p.address, p.state, p.lastLogin?.description ?? "", p.user ? "có" : "không", Self.count(p.sent), Self.count(p.received),
                     p.used.map(String.init) ?? "", p.quota.map(String.init) ?? ""]
                }
            })
        return [("usage-\(period.slug)-units.csv", units), ("usage-\(period.slug)-people.csv", people)]
    }

    /// The per-unit and per-person tables as one workbook of two sheets (sizes in bytes,
    /// counts as numbers, an empty cell where a source is missing).
    public func workbook() -> Workbook {
        func n(_ v: Int?) -> Workbook.Cell { v.map { .number(Int64($0)) } ?? .text("") }
        func n64(_ v: Int64?) -> Workbook.Cell { v.map { .number($0) } ?? .text("") }
        let unitSheet = Workbook.Sheet(
            name: "Đơn vị",
            header: ["Mã đơn vị", "Đơn vị", "Số hộp thư", "Người sử dụng", "Không sử dụng", "Thư gửi", "Thư nhận", "Đã dùng (byte)", "Hạn mức (byte)"]
                + Self.changeColumns.map { Self.changeWords[$0] ?? $0 },
            rows: zip(chartLabels, units).map { l, u in
                [.text(u.code), .text(l), .number(Int64(u.mailboxes)), .number(Int64(u.users)), .number(Int64(u.mailboxes - u.users)), n(u.sent), n(u.received),
                 n64(u.used), n64(u.quota)] + Self.changeColumns.map { .number(Int64(u.changes[$0] ?? 0)) }
            })
        let peopleSheet = Workbook.Sheet(
            name: "Cá nhân",
            header: ["Mã đơn vị", "Họ và tên", "Địa chỉ", "Trạng thái", "Lần đăng nhập cuối", "Sử dụng", "Thư gửi", "Thư nhận", "Đã dùng (byte)", "Hạn mức (byte)"],
            rows: units.flatMap { u in
                u.people.map { p in
                    [.text(p.unitCode), .text(p.name), .text(p.address), .text(p.state), .text(p.lastLogin.map { Words.date($0) } ?? ""), .text(p.user ? "có" : "không"),
                     n(p.sent), n(p.received), n64(p.used), n64(p.quota)]
                }
            })
        let notes = Workbook.Sheet(name: "Nguồn số liệu", header: ["Nguồn số liệu"], rows: sources.map { [.text($0)] } + [missingMail, missingSizes].compactMap { $0.map { [.text($0)] } })
        return Workbook(sheets: [unitSheet, peopleSheet, notes], title: "Báo cáo sử dụng thư điện tử — \(period.label)")
    }

    public func json() -> String {
        func opt(_ v: Int?) -> JSON { v.map { .int($0) } ?? .null }
        func opt64(_ v: Int64?) -> JSON { v.map { .int(Int($0)) } ?? .null }
        let doc = JSON.object([
            ("period", .object([("label", .string(period.label)), ("from", .string(period.from.description)), ("to", .string(period.to.description))])),
            ("directory", .string(directory)),
            ("totals", .object([("mailboxes", .int(mailboxes)), ("users", .int(users)), ("nonUsers", .int(mailboxes - users)),
                                ("sent", opt(sent)), ("received", opt(received)), ("usedBytes", opt64(used))])),
            ("units", .array(units.map { u in
                .object([
                    ("code", .string(u.code)), ("name", .string(u.name)), ("mailboxes", .int(u.mailboxes)), ("users", .int(u.users)),
                    ("nonUsers", .int(u.mailboxes - u.users)), ("sent", opt(u.sent)), ("received", opt(u.received)), ("usedBytes", opt64(u.used)),
                    ("quotaBytes", opt64(u.quota)),
                    ("changes", .object(Self.changeColumns.map { ($0, .int(u.changes[$0] ?? 0)) })),
                    ("people", .array(u.people.map { p in
                        .object([
                            ("name", .string(p.name)), ("address", .string(p.address)), ("state", .string(p.state)),
                            ("lastLogin", .optional(p.lastLogin?.description)), ("user", .bool(p.user)), ("sent", opt(p.sent)),
                            ("received", opt(p.received)), ("usedBytes", opt64(p.used)), ("quotaBytes", opt64(p.quota)),
                        ])
                    })),
                ])
            })),
            ("sources", .array(sources.map(JSON.string))),
        ])
        return doc.rendered() + "\n"
    }
}
