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

/// Art. 5.2: each unit reviews its directory listing every quarter. One section per unit:
/// its mailbox and head, every mailbox of the unit with its state and last login, the changes
/// pending for it, and the people HR lists who have no mailbox yet.
public struct ReviewReport: Sendable {
    public struct Mailbox: Sendable, Hashable {
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
    public var directory: String
    public var units: [Unit]

    /// `only`: unit codes to include (all when empty).
    public init(_ input: ReportInput, only: Set<String> = []) {
        asOf = input.asOf
        directory = input.plan.directory
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
                    name: a.cn ?? a.uid ?? "", address: a.mail ?? "", title: a.title ?? "", state: Words.state(a.state, since: a.stateSince),
                    lastLogin: input.lastLogin(a).map { Words.date($0) } ?? "chưa đăng nhập")
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

    static let mailboxHeader = ["Họ và tên", "Địa chỉ thư", "Chức vụ", "Trạng thái", "Đăng nhập lần cuối"]
    static let personHeader = ["Mã cán bộ", "Họ và tên", "Chức vụ", "Ngày bắt đầu"]

    var meta: String { "Số liệu ngày \(Words.date(asOf)), đọc từ \(directory)." }

    // MARK: HTML

    /// One self-contained page for a unit.
    public func html(_ u: Unit) -> String {
        var b = "<p class=\"meta\"><a href=\"index.html\">Danh sách đơn vị</a></p>\n"
        b += "<h1>Rà soát danh bạ thư điện tử — \(HTML.escape(u.name))</h1>\n"
        b += "<p class=\"meta\">Mã đơn vị \(HTML.escape(u.code)). \(HTML.escape(meta))</p>\n"
        b += HTML.table(["Hộp thư đơn vị", "Trưởng đơn vị (người giữ hộp thư)"], [[u.mailbox.isEmpty ? "chưa có" : u.mailbox, u.head.isEmpty ? "chưa có" : u.head]])
        b += "<h2>Các hộp thư của đơn vị (\(u.mailboxes.count))</h2>\n"
        b += u.mailboxes.isEmpty ? "<p class=\"none\">Không có hộp thư nào.</p>\n"
            : HTML.table(Self.mailboxHeader, u.mailboxes.map { [$0.name, $0.address, $0.title, $0.state, $0.lastLogin] })
        b += "<h2>Thay đổi sẽ thực hiện (\(u.pending.count))</h2>\n" + list(u.pending, none: "Không có thay đổi nào.")
        if !u.scheduled.isEmpty { b += "<h2>Thay đổi đã lên lịch (\(u.scheduled.count))</h2>\n" + list(u.scheduled, none: "") }
        b += "<h2>Cán bộ chưa có hộp thư (\(u.withoutMailbox.count))</h2>\n"
        b += u.withoutMailbox.isEmpty ? "<p class=\"none\">Không có.</p>\n"
            : HTML.table(Self.personHeader, u.withoutMailbox.map { [$0.employeeId, $0.name, $0.title, $0.starts] })
        return HTML.page(title: "Rà soát danh bạ — \(u.name)", body: b)
    }

    func list(_ items: [String], none: String) -> String {
        guard !items.isEmpty else { return "<p class=\"none\">\(HTML.escape(none))</p>\n" }
        return "<ul>\n" + items.map { "<li>\(HTML.escape($0))</li>\n" }.joined() + "</ul>\n"
    }

    /// The index: every unit with its counts and a link to its page.
    public func htmlIndex() -> String {
        var b = "<h1>Rà soát danh bạ thư điện tử theo đơn vị</h1>\n<p class=\"meta\">\(HTML.escape(meta))</p>\n"
        b += "<table>\n<thead><tr><th>Mã</th><th>Đơn vị</th><th class=\"n\">Hộp thư</th><th class=\"n\">Thay đổi</th><th class=\"n\">Chưa có hộp thư</th></tr></thead>\n<tbody>\n"
        for u in units {
            b += "<tr><td>\(HTML.escape(u.code))</td><td><a href=\"\(HTML.escape(u.slug)).html\">\(HTML.escape(u.name))</a></td>"
            b += "<td class=\"n\">\(u.mailboxes.count)</td><td class=\"n\">\(u.pending.count)</td><td class=\"n\">\(u.withoutMailbox.count)</td></tr>\n"
        }
        b += "</tbody>\n</table>\n"
        return HTML.page(title: "Rà soát danh bạ thư điện tử", body: b)
    }

    // MARK: CSV

    /// One CSV per unit: a section column says which list a row belongs to.
    public func csv(_ u: Unit) -> String {
        var rows: [[String]] = []
        rows.append(["Đơn vị", u.name, u.code, "Hộp thư đơn vị: \(u.mailbox)", "Trưởng đơn vị: \(u.head)", ""])
        for m in u.mailboxes { rows.append(["Hộp thư", m.name, m.address, m.title, m.state, m.lastLogin]) }
        for p in u.pending { rows.append(["Thay đổi sẽ thực hiện", p, "", "", "", ""]) }
        for p in u.scheduled { rows.append(["Thay đổi đã lên lịch", p, "", "", "", ""]) }
        for p in u.withoutMailbox { rows.append(["Chưa có hộp thư", p.name, p.employeeId, p.title, "", p.starts]) }
        return CSVWriter.document(["Mục", "Họ và tên / nội dung", "Địa chỉ / mã", "Chức vụ", "Trạng thái", "Ngày"], rows)
    }

    public func csvIndex() -> String {
        CSVWriter.document(["Mã đơn vị", "Đơn vị", "Hộp thư đơn vị", "Số hộp thư", "Số thay đổi", "Chưa có hộp thư"],
                           units.map { [$0.code, $0.name, $0.mailbox, String($0.mailboxes.count), String($0.pending.count), String($0.withoutMailbox.count)] })
    }

    // MARK: Markdown

    public func markdown(_ u: Unit) -> String {
        var s = "# Rà soát danh bạ thư điện tử — \(Markdown.escape(u.name))\n\n"
        s += "Mã đơn vị \(Markdown.escape(u.code)). \(Markdown.escape(meta))\n\n"
        s += "- Hộp thư đơn vị: \(Markdown.escape(u.mailbox.isEmpty ? "chưa có" : u.mailbox))\n"
        s += "- Trưởng đơn vị: \(Markdown.escape(u.head.isEmpty ? "chưa có" : u.head))\n\n"
        s += "## Các hộp thư của đơn vị (\(u.mailboxes.count))\n\n"
        s += u.mailboxes.isEmpty ? "Không có hộp thư nào.\n\n" : Markdown.table(Self.mailboxHeader, u.mailboxes.map { [$0.name, $0.address, $0.title, $0.state, $0.lastLogin] }) + "\n"
        s += "## Thay đổi sẽ thực hiện (\(u.pending.count))\n\n"
        s += u.pending.isEmpty ? "Không có thay đổi nào.\n\n" : u.pending.map { "- \(Markdown.escape($0))\n" }.joined() + "\n"
        if !u.scheduled.isEmpty { s += "## Thay đổi đã lên lịch (\(u.scheduled.count))\n\n" + u.scheduled.map { "- \(Markdown.escape($0))\n" }.joined() + "\n" }
        s += "## Cán bộ chưa có hộp thư (\(u.withoutMailbox.count))\n\n"
        s += u.withoutMailbox.isEmpty ? "Không có.\n" : Markdown.table(Self.personHeader, u.withoutMailbox.map { [$0.employeeId, $0.name, $0.title, $0.starts] })
        return s
    }

    public func markdownIndex() -> String {
        "# Rà soát danh bạ thư điện tử theo đơn vị\n\n\(Markdown.escape(meta))\n\n"
            + Markdown.table(["Mã", "Đơn vị", "Tệp", "Hộp thư", "Thay đổi", "Chưa có hộp thư"],
                             units.map { [$0.code, $0.name, "\($0.slug).md", String($0.mailboxes.count), String($0.pending.count), String($0.withoutMailbox.count)] })
    }

    /// Every file of the report in `format` (html, csv or md), by file name.
    public func files(format: String) -> [(name: String, text: String)] {
        switch format {
        case "csv": [("index.csv", csvIndex())] + units.map { ("\($0.slug).csv", csv($0)) }
        case "md": [("index.md", markdownIndex())] + units.map { ("\($0.slug).md", markdown($0)) }
        default: [("index.html", htmlIndex())] + units.map { ("\($0.slug).html", html($0)) }
        }
    }
}
