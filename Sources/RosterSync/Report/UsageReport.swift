import Foundation

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
        sources = Self.sources(mail: mail, sizesSource: sizesSource, lastLoginFile: input.config.policy.lastLoginFile, period: period, auditSource: auditSource)
    }

    /// Where the figures come from, and the gaps in them: each mail log read, the days no log
    /// covers, the sizes, the last logins and the audit log.
    static func sources(mail: MailLogCounter?, sizesSource: String?, lastLoginFile: String?, period: ReportPeriod, auditSource: String) -> [String] {
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
            + (lastLoginFile.map { " và \($0)" } ?? "") + "; người sử dụng là người đăng nhập từ \(Words.date(period.from)) trở đi.")
        sources.append("Thay đổi trong kỳ: \(auditSource).")
        return sources
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
}
