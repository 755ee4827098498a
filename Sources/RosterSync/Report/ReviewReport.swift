import Foundation
import LDAPModel

/// What every report starts from: the rosters, the directory as read, the plan made from them.
public struct ReportInput: Sendable {
    public var roster: Roster
    public var snapshot: DirectorySnapshot
    public var plan: Plan
    public var config: Config
    public var asOf: Day
    /// Last logins from the mail server's export (`policy.last_login_file`), by address.
    public var lastLogins: [String: Day]

    public init(roster: Roster, snapshot: DirectorySnapshot, plan: Plan, config: Config, asOf: Day, lastLogins: [String: Day] = [:]) {
        self.roster = roster
        self.snapshot = snapshot
        self.plan = plan
        self.config = config
        self.asOf = asOf
        self.lastLogins = lastLogins
    }

    /// The later of the directory's and the export's last login of an account; the export
    /// is matched on the address and on every alias (`mailLocalAddress`), since a mail
    /// server may log a login under the address the user typed.
    func lastLogin(_ a: DirectoryAccount) -> Day? {
        exportLogin(a.mail, a.aliases).map { max($0, a.lastLogin ?? $0) } ?? a.lastLogin
    }

    /// The same for a unit mailbox (the unit's entry logs in like a person's).
    func lastLogin(_ u: DirectoryUnit) -> Day? {
        exportLogin(u.mail?.lowercased(), u.aliases).map { max($0, u.lastLogin ?? $0) } ?? u.lastLogin
    }

    /// The latest day the last-login export gives for any of these addresses.
    private func exportLogin(_ mail: String?, _ aliases: [String]) -> Day? {
        guard !lastLogins.isEmpty else { return nil }
        var best = mail.flatMap { lastLogins[$0] }
        for alias in aliases { if let d = lastLogins[alias] { best = best.map { max($0, d) } ?? d } }
        return best
    }

    /// Directory units by code (managed ones).
    func directoryUnits() -> [String: DirectoryUnit] {
        var out: [String: DirectoryUnit] = [:]
        for u in snapshot.units where u.managed { if let c = u.code { out[c] = u } }
        return out
    }

    /// The accounts placed directly under a unit's entry, in the order a Vietnamese reader
    /// expects (`byParent`: from `accountsByParent()`).
    func mailboxes(of dir: DirectoryUnit?, _ byParent: [String: [DirectoryAccount]]) -> [DirectoryAccount] {
        (dir.map { byParent[$0.dn.normalized] ?? [] } ?? []).sorted(by: Self.vietnameseOrder)
    }

    static func vietnameseOrder(_ a: DirectoryAccount, _ b: DirectoryAccount) -> Bool {
        (Words.sortKey(a.cn ?? ""), a.mail ?? "") < (Words.sortKey(b.cn ?? ""), b.mail ?? "")
    }

    /// The accounts placed directly under each unit DN (by its comparison key).
    func accountsByParent() -> [String: [DirectoryAccount]] {
        var out: [String: [DirectoryAccount]] = [:]
        for a in snapshot.accounts { out[a.parent.normalized, default: []].append(a) }
        return out
    }
}

/// Art. 5.2: each unit reviews its directory listing every quarter and sends corrections
/// back. One document per unit, laid out as a Vietnamese administrative document (heading,
/// place and date, title, body, recipients, signature) that ends with the unit's confirmation:
/// its mailbox and head, every mailbox of the unit with the employee id, state and last login,
/// the changes pending for it, and the people HR lists who have no mailbox yet.
public struct ReviewReport: Sendable {
    public struct Mailbox: Sendable, Hashable {
        public var employeeId: String
        public var name: String
        public var address: String
        public var title: String
        public var state: String
        public var lastLogin: String
    }

    public struct Person: Sendable, Hashable {
        public var employeeId: String
        public var name: String
        public var title: String
        public var starts: String
    }

    public struct Unit: Sendable {
        public var code: String
        public var name: String
        public var mailbox: String
        public var head: String
        public var mailboxes: [Mailbox]
        public var pending: [String]
        public var scheduled: [String]
        public var withoutMailbox: [Person]
        /// A file name for the unit: its code, made safe.
        public var slug: String {
            let s = String(code.unicodeScalars.map { c in
                (c.properties.isAlphabetic && c.isASCII) || ("0"..."9").contains(c) || c == "-" || c == "_" ? Character(c) : "_"
            })
            return s.isEmpty ? "unit" : s
        }
    }

    public var asOf: Day
    /// The directory as the documents name it (`documents.directory_label`), not its URI.
    public var directory: String
    public var documents: Config.Documents
    public var units: [Unit]

    /// `only`: unit codes to include (all when empty).
    public init(_ input: ReportInput, only: Set<String> = []) {
        asOf = input.asOf
        documents = input.config.documents
        directory = documents.directoryLabel
        let dirUnits = input.directoryUnits()
        let byParent = input.accountsByParent()
        let staffById = Dictionary(input.roster.staff.map { ($0.employeeId, $0) }, uniquingKeysWith: { a, _ in a })
        let withAccount = Set(input.snapshot.accounts.compactMap(\.employeeId))
        let adopted = Set(input.plan.changes.filter { $0.kind == .adoptAccount }.compactMap(\.employeeId))
        var units: [Unit] = []
        for u in input.roster.units where u.status == .active && (only.isEmpty || only.contains(u.code)) {
            let dir = u.directoryEntry(dirUnits)
            let mailboxes = input.mailboxes(of: dir, byParent).map { a in
                Mailbox(
                    employeeId: a.employeeId ?? "", name: a.cn ?? a.uid ?? "", address: a.mail ?? "", title: a.title ?? "",
                    state: Words.state(a.state, since: a.stateSince), lastLogin: input.lastLogin(a).map { Words.date($0) } ?? "chưa đăng nhập")
            }
            let mine = { (c: Change) in c.groupUnit == u.code }
            let people = input.roster.staff.filter {
                $0.unitCode == u.code && $0.status != .departed && !withAccount.contains($0.employeeId) && !adopted.contains($0.employeeId)
            }.sorted { $0.employeeId < $1.employeeId }
            units.append(Unit(
                code: u.code, name: u.name, mailbox: dir?.mail ?? "",
                head: u.headEmployeeId.map { id in staffById[id].map { "\($0.fullName) (\(id))" } ?? id } ?? "",
                mailboxes: mailboxes,
                pending: input.plan.changes.filter(mine).map(Words.change),
                scheduled: input.plan.scheduled.filter(mine).map(Words.change),
                withoutMailbox: people.map { Person(employeeId: $0.employeeId, name: $0.fullName, title: $0.title ?? "", starts: Words.date($0.startDate)) }))
        }
        self.units = units
    }

    /// The columns, named plainly (the date is the last login, not a creation day).
    static let mailboxHeader = ["STT", "Mã cán bộ", "Họ và tên", "Chức vụ", "Địa chỉ thư điện tử", "Trạng thái hộp thư", "Lần đăng nhập cuối"]
    static let personHeader = ["STT", "Mã cán bộ", "Họ và tên", "Chức vụ", "Ngày bắt đầu làm việc"]

    static func rows(_ m: [Mailbox]) -> [[String]] {
        m.enumerated().map { i, m in [String(i + 1), m.employeeId, m.name, m.title, m.address, m.state, m.lastLogin] }
    }

    static func rows(_ p: [Person]) -> [[String]] {
        p.enumerated().map { i, p in [String(i + 1), p.employeeId, p.name, p.title, p.starts] }
    }

    var meta: String { "Số liệu ngày \(Words.date(asOf)) của \(directory)." }

    // MARK: HTML

    /// One self-contained document for a unit, to print, sign and send back.
    public func html(_ u: Unit) -> String {
        let d = documents
        var b = "<p class=\"nav\"><a href=\"index.html\">Danh sách đơn vị</a></p>\n"
        b += OfficialDocument.heading(d)
        b += OfficialDocument.dateLine(d.place, asOf)
        b += OfficialDocument.title("Danh sách hộp thư điện tử của đơn vị", subtitle: "để đơn vị rà soát hằng quý (khoản 2 Điều 5 Quy chế sử dụng Hệ thống thư điện tử)")
        b += "<p class=\"to\">Kính gửi: <b>\(HTML.escape(u.name))</b> (mã đơn vị \(HTML.escape(u.code)))</p>\n"
        b += "<p class=\"body\">Thực hiện khoản 2 Điều 5 Quy chế sử dụng Hệ thống thư điện tử của Ủy ban Dân tộc (ban hành kèm theo Quyết định số 207/QĐ-UBDT "
            + "ngày 28/8/2012), \(HTML.escape(d.issuingUnit)) gửi đơn vị danh sách các hộp thư điện tử của đơn vị theo số liệu ngày "
            + "\(Words.date(asOf)) của \(HTML.escape(directory)).</p>\n"
        b += "<p class=\"body\">Đề nghị đơn vị kiểm tra từng dòng (mã cán bộ, họ và tên, chức vụ, trạng thái hộp thư), ghi những điểm cần sửa "
            + "vào phần <b>Xác nhận của đơn vị</b> ở cuối văn bản, trình Thủ trưởng đơn vị ký và gửi lại \(HTML.escape(d.issuingUnit)). "
            + "Mục III là những thay đổi sẽ được thực hiện theo danh sách đơn vị và cán bộ hiện hành; nếu có sai sót, đề nghị đơn vị báo ngay.</p>\n"
        b += "<h2>I. Hộp thư của đơn vị</h2>\n"
        b += HTML.table(["Địa chỉ hộp thư đơn vị", "Người giữ hộp thư (Thủ trưởng đơn vị, mã cán bộ)"],
                        [[u.mailbox.isEmpty ? "chưa có" : u.mailbox, u.head.isEmpty ? "chưa có" : u.head]])
        b += "<h2>II. Hộp thư của cán bộ (\(u.mailboxes.count))</h2>\n"
        b += u.mailboxes.isEmpty ? "<p class=\"none\">Không có hộp thư nào.</p>\n" : HTML.table(Self.mailboxHeader, Self.rows(u.mailboxes), numeric: [0])
        b += "<h2>III. Thay đổi sẽ thực hiện (\(u.pending.count))</h2>\n" + list(u.pending, none: "Không có thay đổi nào.")
        if !u.scheduled.isEmpty { b += "<h3>Thay đổi đã lên lịch (\(u.scheduled.count))</h3>\n" + list(u.scheduled, none: "") }
        b += "<h2>IV. Cán bộ chưa có hộp thư (\(u.withoutMailbox.count))</h2>\n"
        b += u.withoutMailbox.isEmpty ? "<p class=\"none\">Không có.</p>\n" : HTML.table(Self.personHeader, Self.rows(u.withoutMailbox), numeric: [0])
        b += OfficialDocument.closing(recipients: ["Như trên", "Lưu: \(d.issuingUnit)"], signerTitle: d.signerTitle, signerName: d.signerName)
        b += confirmation()
        return HTML.page(title: "Rà soát hộp thư điện tử — \(u.name)", body: b)
    }

    /// The part the unit fills in: the listing is correct, or the corrections; the date and
    /// the head of unit's signature.
    func confirmation() -> String {
        var s = "<div class=\"confirm\">\n<h2>XÁC NHẬN CỦA ĐƠN VỊ</h2>\n"
        s += "<p><span class=\"box\">☐</span> Danh sách trên đúng, đầy đủ.</p>\n"
        s += "<p><span class=\"box\">☐</span> Danh sách cần sửa như sau:</p>\n"
        s += "<table class=\"fill\">\n<thead><tr><th class=\"n\">STT</th><th>Mã cán bộ</th><th>Họ và tên</th><th>Nội dung cần sửa</th></tr></thead>\n<tbody>\n"
        for i in 1...5 { s += "<tr><td class=\"n\">\(i)</td><td></td><td></td><td style=\"width:55%\"></td></tr>\n" }
        s += "</tbody>\n</table>\n"
        s += "<table class=\"closing\"><tr>\n<td class=\"recipients\"></td>\n<td class=\"signature\">"
        s += "<div class=\"note\">\(HTML.escape(OfficialDocument.placeAndDate("……………", nil)))</div>"
        s += "<div class=\"title\">THỦ TRƯỞNG ĐƠN VỊ</div><div class=\"note\">(Ký, ghi rõ họ tên)</div><div class=\"space\"></div></td>\n</tr></table>\n"
        return s + "</div>\n"
    }

    func list(_ items: [String], none: String) -> String {
        guard !items.isEmpty else { return "<p class=\"none\">\(HTML.escape(none))</p>\n" }
        return "<ul>\n" + items.map { "<li>\(HTML.escape($0))</li>\n" }.joined() + "</ul>\n"
    }

    /// The index: every unit with its counts and a link to its page.
    public func htmlIndex() -> String {
        var b = OfficialDocument.heading(documents) + OfficialDocument.dateLine(documents.place, asOf)
        b += OfficialDocument.title("Rà soát hộp thư điện tử theo đơn vị", subtitle: meta)
        b += "<table>\n<thead><tr><th>Mã đơn vị</th><th>Đơn vị</th><th class=\"n\">Số hộp thư</th><th class=\"n\">Thay đổi sẽ thực hiện</th><th class=\"n\">Cán bộ chưa có hộp thư</th></tr></thead>\n<tbody>\n"
        for u in units {
            b += "<tr><td>\(HTML.escape(u.code))</td><td><a href=\"\(HTML.escape(u.slug)).html\">\(HTML.escape(u.name))</a></td>"
            b += "<td class=\"n\">\(u.mailboxes.count)</td><td class=\"n\">\(u.pending.count)</td><td class=\"n\">\(u.withoutMailbox.count)</td></tr>\n"
        }
        b += "</tbody>\n</table>\n"
        return HTML.page(title: "Rà soát hộp thư điện tử", body: b)
    }

    // MARK: CSV

    static let csvHeader = ["Mục", "Mã cán bộ", "Họ và tên / nội dung", "Địa chỉ thư điện tử", "Chức vụ", "Trạng thái hộp thư", "Lần đăng nhập cuối / ngày bắt đầu"]

    /// The rows of a unit's CSV: a section column says which list a row belongs to.
    func sectionRows(_ u: Unit) -> [[String]] {
        var rows: [[String]] = []
        rows.append(["Đơn vị", u.code, u.name, u.mailbox, "Thủ trưởng đơn vị: \(u.head)", "", ""])
        for m in u.mailboxes { rows.append(["Hộp thư", m.employeeId, m.name, m.address, m.title, m.state, m.lastLogin]) }
        for p in u.pending { rows.append(["Thay đổi sẽ thực hiện", "", p, "", "", "", ""]) }
        for p in u.scheduled { rows.append(["Thay đổi đã lên lịch", "", p, "", "", "", ""]) }
        for p in u.withoutMailbox { rows.append(["Chưa có hộp thư", p.employeeId, p.name, "", p.title, "", p.starts]) }
        return rows
    }

    public func csv(_ u: Unit) -> String { CSVWriter.document(Self.csvHeader, sectionRows(u)) }

    static let indexHeader = ["Mã đơn vị", "Đơn vị", "Hộp thư đơn vị", "Số hộp thư", "Thay đổi sẽ thực hiện", "Cán bộ chưa có hộp thư"]

    func indexRows() -> [[String]] {
        units.map { [$0.code, $0.name, $0.mailbox, String($0.mailboxes.count), String($0.pending.count), String($0.withoutMailbox.count)] }
    }

    public func csvIndex() -> String { CSVWriter.document(Self.indexHeader, indexRows()) }

    // MARK: xlsx

    /// A unit's workbook: its mailboxes, the pending and scheduled changes, the people
    /// without a mailbox, one sheet each (opens in any Excel, whatever its list separator).
    public func workbook(_ u: Unit) -> Workbook {
        Workbook(sheets: [
            .init(name: "Hộp thư", header: Self.mailboxHeader, rows: u.mailboxes.enumerated().map { i, m in
                [.number(Int64(i + 1)), .text(m.employeeId), .text(m.name), .text(m.title), .text(m.address), .text(m.state), .text(m.lastLogin)]
            }),
            .init(name: "Thay đổi", header: ["STT", "Thay đổi", "Khi nào"],
                  rows: u.pending.enumerated().map { [.number(Int64($0 + 1)), .text($1), .text("lần đồng bộ tới")] }
                      + u.scheduled.enumerated().map { [.number(Int64(u.pending.count + $0 + 1)), .text($1), .text("đã lên lịch")] }),
            .init(name: "Chưa có hộp thư", header: Self.personHeader, rows: u.withoutMailbox.enumerated().map { i, p in
                [.number(Int64(i + 1)), .text(p.employeeId), .text(p.name), .text(p.title), .text(p.starts)]
            }),
        ], title: "\(u.name) (\(u.code)): \(meta)")
    }

    public func workbookIndex() -> Workbook {
        Workbook(sheets: [.init(name: "Đơn vị", header: Self.indexHeader, rows: units.map { u in
            [.text(u.code), .text(u.name), .text(u.mailbox), .number(Int64(u.mailboxes.count)), .number(Int64(u.pending.count)), .number(Int64(u.withoutMailbox.count))]
        })], title: meta)
    }

    // MARK: Markdown

    public func markdown(_ u: Unit) -> String {
        var s = "# Rà soát hộp thư điện tử — \(Markdown.escape(u.name))\n\n"
        s += "Mã đơn vị \(Markdown.escape(u.code)). \(Markdown.escape(meta))\n\n"
        s += "- Hộp thư đơn vị: \(Markdown.escape(u.mailbox.isEmpty ? "chưa có" : u.mailbox))\n"
        s += "- Thủ trưởng đơn vị (người giữ hộp thư): \(Markdown.escape(u.head.isEmpty ? "chưa có" : u.head))\n\n"
        s += "## Hộp thư của cán bộ (\(u.mailboxes.count))\n\n"
        s += u.mailboxes.isEmpty ? "Không có hộp thư nào.\n\n" : Markdown.table(Self.mailboxHeader, Self.rows(u.mailboxes)) + "\n"
        s += "## Thay đổi sẽ thực hiện (\(u.pending.count))\n\n"
        s += u.pending.isEmpty ? "Không có thay đổi nào.\n\n" : u.pending.map { "- \(Markdown.escape($0))\n" }.joined() + "\n"
        if !u.scheduled.isEmpty { s += "## Thay đổi đã lên lịch (\(u.scheduled.count))\n\n" + u.scheduled.map { "- \(Markdown.escape($0))\n" }.joined() + "\n" }
        s += "## Cán bộ chưa có hộp thư (\(u.withoutMailbox.count))\n\n"
        s += u.withoutMailbox.isEmpty ? "Không có.\n" : Markdown.table(Self.personHeader, Self.rows(u.withoutMailbox))
        return s
    }

    public func markdownIndex() -> String {
        "# Rà soát hộp thư điện tử theo đơn vị\n\n\(Markdown.escape(meta))\n\n"
            + Markdown.table(["Mã đơn vị", "Đơn vị", "Tệp", "Số hộp thư", "Thay đổi sẽ thực hiện", "Cán bộ chưa có hộp thư"],
                             units.map { [$0.code, $0.name, "\($0.slug).md", String($0.mailboxes.count), String($0.pending.count), String($0.withoutMailbox.count)] })
    }

    /// Every file of the report in `format` (html, csv, md or xlsx), by file name.
    public func files(format: String) throws -> [(name: String, data: Data)] {
        func text(_ list: [(String, String)]) -> [(name: String, data: Data)] { list.map { ($0.0, Data($0.1.utf8)) } }
        switch format {
        case "csv": return text([("index.csv", csvIndex())] + units.map { ("\($0.slug).csv", csv($0)) })
        case "md": return text([("index.md", markdownIndex())] + units.map { ("\($0.slug).md", markdown($0)) })
        case "xlsx":
            return [("index.xlsx", try workbookIndex().data(modified: asOf))] + (try units.map { ("\($0.slug).xlsx", try workbook($0).data(modified: asOf)) })
        default: return text([("index.html", htmlIndex())] + units.map { ("\($0.slug).html", html($0)) })
        }
    }
}
