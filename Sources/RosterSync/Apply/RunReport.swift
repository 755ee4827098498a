import Foundation
import LDAPModel

/// The safety thresholds of a run, checked on the whole plan before the first write.
public enum SafetyCheck {
    /// The groups of changes the thresholds count: every kind that writes. Unit moves and
    /// renames are counted against the managed units (a handful of units moved under a new
    /// root is a small share of the entries but most of the tree); creations and adoptions
    /// are not limited in a directory that holds no managed entry yet (the first load).
    static let groups: [(name: String, kinds: Set<ChangeKind>, ofUnits: Bool, firstLoadFree: Bool)] = [
        ("deletions", [.deleteAccount, .dissolveUnit], false, false),
        ("disables", [.disableAccount], false, false),
        ("locks", [.lockAccount], false, false),
        ("moves", [.moveAccount], false, false),
        ("unit moves and renames", [.moveUnit, .renameUnit], true, false),
        ("creations", [.createAccount, .createUnit], false, true),
        ("adoptions", [.adoptAccount], false, true),
        ("handovers", [.handoverUnitMailbox], true, false),
        ("updates", [.updateAccount, .updateUnit, .enableAccount, .reopenAccount], false, false),
    ]

    /// Every threshold the plan exceeds, in words; empty when it may run. `allowance`: the
    /// changes by kind of an earlier run that was let through (under the limits, forced, or a
    /// first load) and died before its end: finishing it is not a new mass change, so a group
    /// is limited only beyond what that run was allowed.
    public static func violations(_ plan: Plan, _ safety: Config.Safety, allowance: [ChangeKind: Int] = [:]) -> [String] {
        var out: [String] = []
        // A renumbered staff file would make a new mailbox beside each old one.
        if plan.renumbered.count > safety.minCount {
            let some = plan.renumbered.prefix(3).map { "\($0.oldId) → \($0.newId) \($0.name)" }.joined(separator: ", ")
            out.append("\(plan.renumbered.count) new employee ids have the name and unit of an account whose id left the staff roster (\(some)…): "
                + "the staff file looks renumbered (a prefix added, leading zeros dropped by a spreadsheet), which would make a second mailbox for each")
        }
        for g in groups {
            let n = plan.changes.filter { g.kinds.contains($0.kind) }.count
            guard n > 0, !(g.firstLoadFree && plan.managedEntries == 0) else { continue }
            if n <= g.kinds.reduce(0, { $0 + (allowance[$1] ?? 0) }) { continue }
            let managed = max(g.ofUnits ? plan.managedUnits : plan.managedEntries, 0)
            // Each limit on its own: a kind over both is named under both.
            if n > safety.maxCount {
                out.append("\(n) \(g.name) exceed safety.max_count (\(safety.maxCount))")
            }
            if n > safety.minCount, managed > 0 {
                let share = Double(n) * 100 / Double(managed)
                if share > safety.maxPercent {
                    out.append(String(format: "%d %@ are %.1f %% of the %d managed %@, over safety.max_percent (%g %%)", n, g.name, share, managed, g.ofUnits ? "units" : "entries", safety.maxPercent))
                }
            }
        }
        return out
    }
}

/// An initial password handed to a person or a unit's head, for the unit's written notice.
public struct Credential: Sendable {
    public var unitCode: String
    public var holder: String
    public var address: String
    public var password: Secret
    /// Why: a new mailbox, a new unit mailbox, a unit mailbox handed over to a new head.
    public var occasion: String

    public init(unitCode: String, holder: String, address: String, password: Secret, occasion: String) {
        self.unitCode = unitCode
        self.holder = holder
        self.address = address
        self.password = password
        self.occasion = occasion
    }
}

/// The written notice a unit receives with its new addresses and initial passwords (art.
/// 6.1a, 12.3), in Vietnamese: a text file and its printable twin, a page laid out as an
/// administrative document (`OfficialDocument`). The only places a password is ever written,
/// both mode 0600 in the run's notices folder.
public enum Notice {
    public static func text(unitName: String, unitCode: String, day: Day, credentials: [Credential]) -> String {
        var out = """
            ỦY BAN DÂN TỘC — TRUNG TÂM THÔNG TIN
            THÔNG BÁO CẤP HỘP THƯ ĐIỆN TỬ

            Kính gửi: \(unitName) (\(unitCode))
            Ngày: \(String(format: "%02d/%02d/%04d", day.day, day.month, day.year))

            Theo Quy chế sử dụng Hệ thống thư điện tử của Ủy ban Dân tộc (Quyết định số 207/QĐ-UBDT),
            Trung tâm Thông tin thông báo địa chỉ hộp thư và mật khẩu ban đầu dưới đây.
            Người sử dụng phải đổi mật khẩu ngay trong lần đăng nhập đầu tiên và tự bảo mật mật khẩu của mình.


            """
        for (i, c) in credentials.enumerated() {
            out += "\(i + 1). \(c.holder) — \(c.occasion)\n   Địa chỉ hộp thư:   \(c.address)\n   Mật khẩu ban đầu:  \(c.password.reveal())\n\n"
        }
        out += "Trung tâm Thông tin\n"
        return out
    }

    /// The notice's file name beside the text one (`VP.txt` → `VP.html`).
    public static func htmlTwin(of textFile: String) -> String {
        (textFile.hasSuffix(".txt") ? String(textFile.dropLast(4)) : textFile) + ".html"
    }

    static let entriesStart = "<tbody id=\"entries\">"
    static let entriesEnd = "</tbody>"

    /// One row of the notice's table, on a line of its own between the entries markers so
    /// that `droppingHTML` can take it out; the address also in `data-address`.
    static func row(_ number: Int, holder: String, occasion: String, address: String, password: String) -> String {
        "<tr data-address=\"\(HTML.escape(address))\"><td class=\"n\">\(number)</td><td>\(HTML.escape(holder))<br><i>\(HTML.escape(occasion))</i></td>"
            + "<td>\(HTML.escape(address))</td><td><code class=\"secret\">\(HTML.escape(password))</code></td></tr>\n"
    }

    /// The printable notice: heading, place and date, title, the unit addressed, the
    /// regulation's words, a table of holders, addresses and initial passwords, recipients and
    /// the signature block.
    public static func html(unitName: String, unitCode: String, day: Day, credentials: [Credential], documents d: Config.Documents) -> String {
        var b = OfficialDocument.heading(d, number: "Số:        /TB-\(abbreviation(d.issuingUnit))")
        b += OfficialDocument.dateLine(d.place, day)
        b += OfficialDocument.title("Thông báo", subtitle: "Về việc cấp hộp thư điện tử và mật khẩu ban đầu")
        b += "<p class=\"to\">Kính gửi: <b>\(HTML.escape(unitName))</b> (mã đơn vị \(HTML.escape(unitCode)))</p>\n"
        b += "<p class=\"body\">Căn cứ Quy chế sử dụng Hệ thống thư điện tử của Ủy ban Dân tộc (ban hành kèm theo Quyết định số 207/QĐ-UBDT ngày 28/8/2012), "
            + "\(HTML.escape(d.issuingUnit)) thông báo địa chỉ hộp thư điện tử và mật khẩu ban đầu dưới đây.</p>\n"
        b += "<table class=\"credentials\">\n<thead><tr><th class=\"n\">STT</th><th>Người sử dụng</th><th>Địa chỉ thư điện tử</th><th>Mật khẩu ban đầu</th></tr></thead>\n"
        b += entriesStart + "\n"
        for (i, c) in credentials.enumerated() {
            b += row(i + 1, holder: c.holder, occasion: c.occasion, address: c.address, password: c.password.reveal())
        }
        b += entriesEnd + "\n</table>\n"
        b += "<p class=\"body\">Người sử dụng phải đổi mật khẩu ngay trong lần đăng nhập đầu tiên và tự bảo mật mật khẩu của mình; "
            + "đơn vị giao thông báo này cho đúng người sử dụng và không sao chép, chuyển tiếp mật khẩu qua thư điện tử.</p>\n"
        b += OfficialDocument.closing(recipients: ["Như trên", "Lưu: \(d.issuingUnit)"], signerTitle: d.signerTitle, signerName: d.signerName)
        return HTML.page(title: "Thông báo cấp hộp thư điện tử — \(unitName)", body: b)
    }

    /// The initials of a unit's name, for the document's number (`Trung tâm Thông tin` → `TTTT`).
    static func abbreviation(_ name: String) -> String {
        let letters = name.split(separator: " ").compactMap { $0.first }.map { VietnameseText.asciiFold(String($0)).uppercased() }
        return letters.joined().filter { $0.isLetter && $0.isASCII }
    }

    /// The printable notice without the rows of `addresses`, numbered again; nil when none is
    /// left (the file is then removed, as its text twin is).
    public static func droppingHTML(_ addresses: Set<String>, from html: String) -> String? {
        guard let start = html.range(of: entriesStart + "\n"), let end = html.range(of: entriesEnd, range: start.upperBound..<html.endIndex) else { return html }
        var kept: [String] = []
        for line in html[start.upperBound..<end.lowerBound].split(separator: "\n") {
            guard line.hasPrefix("<tr data-address=\""), let q = line.dropFirst(18).firstIndex(of: "\"") else { continue }
            let address = unescape(String(line[line.index(line.startIndex, offsetBy: 18)..<q]))
            if addresses.contains(address) { continue }
            // Renumber: the first cell holds the entry's number.
            guard let cell = line.range(of: "<td class=\"n\">"), let close = line.range(of: "</td>", range: cell.upperBound..<line.endIndex) else { continue }
            kept.append(line[..<cell.upperBound] + String(kept.count + 1) + line[close.lowerBound...])
        }
        guard !kept.isEmpty else { return nil }
        return String(html[..<start.upperBound]) + kept.map { $0 + "\n" }.joined() + String(html[end.lowerBound...])
    }

    static func unescape(_ s: String) -> String {
        guard s.contains("&") else { return s }
        return s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// One line of the audit log (JSON Lines): what was done, by whom, with what result. Never a secret.
public struct AuditRecord: Sendable {
    /// `2026-11-29T09:38:49Z`: the UTC second of `secondsSince1970`, as ISO8601DateFormatter
    /// writes it. Made by hand: Foundation's formatter took ~90 µs a line, nine seconds of a
    /// 100,000-mailbox first sync spent beside the writes.
    public static func timestamp(secondsSince1970 seconds: Int) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let second = seconds - days * 86_400
        let date = Day(ordinal: days)
        let (year, month, day) = (date.year, date.month, date.day)
        var out: [UInt8] = []
        out.reserveCapacity(20)
        func put(_ n: Int, _ width: Int) {
            var div = width == 4 ? 1000 : 10
            while div > 0 { out.append(UInt8(ascii: "0") + UInt8(n / div % 10)); div /= 10 }
        }
        put(year, 4); out.append(UInt8(ascii: "-")); put(month, 2); out.append(UInt8(ascii: "-")); put(day, 2)
        out.append(UInt8(ascii: "T")); put(second / 3600, 2); out.append(UInt8(ascii: ":")); put(second / 60 % 60, 2)
        out.append(UInt8(ascii: ":")); put(second % 60, 2); out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    public var time: String
    public var run: String
    public var actor: String
    public var change: Change?
    public var result: String
    public var code: Int32
    public var message: String
    /// For the run's summary line: counts by kind and outcome.
    public var summary: [String: Int]?
    /// The kind written instead of the change's, for what is not a planned change
    /// (`restoreEntry`: an entry put back from a backup). Reports ignore kinds they do not know.
    public var kindName: String?
    /// The change's place in its run's plan: a `pending` or `unknown` record and the final
    /// record that settles it share it.
    public var seq: Int?
    /// In a `pending` record: what the change's writes leave in the directory, for the run
    /// that settles it.
    public var checks: [WriteEffect]?

    public init(time: String, run: String, actor: String, change: Change?, result: String, code: Int32 = 0, message: String = "", summary: [String: Int]? = nil, kindName: String? = nil,
                seq: Int? = nil, checks: [WriteEffect]? = nil) {
        self.kindName = kindName
        self.seq = seq
        self.checks = checks
        self.time = time
        self.run = run
        self.actor = actor
        self.change = change
        self.result = result
        self.code = code
        self.message = message
        self.summary = summary
    }

    /// One line of JSON.
    public func line() -> String {
        var members: [(String, JSON)] = [("time", .string(time)), ("run", .string(run)), ("actor", .string(actor))]
        if let seq { members.append(("seq", .int(seq))) }
        if let c = change {
            members += [
                ("kind", .string(kindName ?? c.kind.rawValue)), ("dn", .string(c.dn)), ("newDn", .optional(c.newDN)),
                ("employeeId", .optional(c.employeeId)), ("unitCode", .optional(c.unitCode)),
            ]
            // A pending record names the change; its checks say what it does (the final record
            // has the reason and the attributes): half the cost of a line per change.
            if checks == nil {
                members += [
                    ("reason", .string(c.reason)),
                    ("attributes", .array(c.attributes.map { .object([("name", .string($0.name)), ("old", .array($0.old.map(JSON.string))), ("new", .array($0.new.map(JSON.string)))]) })),
                ]
            }
        }
        members += [("result", .string(result)), ("code", .int(Int(code))), ("message", .string(message))]
        if let checks { members.append(("checks", .array(checks.map(\.json)))) }
        if let summary { members.append(("summary", .object(summary.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) }))) }
        var out: [UInt8] = []
        for (i, (k, v)) in members.enumerated() {
            out.append(i == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
            JSON.writeString(k, to: &out)
            out.append(UInt8(ascii: ":"))
            JSON.compact(v, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}

extension JSON {
    /// On one line, for JSON Lines.
    public static func compact(_ v: JSON, to out: inout [UInt8]) {
        switch v {
        case let .array(items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                compact(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            out.append(UInt8(ascii: "{"))
            for (i, (k, item)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(k, to: &out)
                out.append(UInt8(ascii: ":"))
                compact(item, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        default:
            v.write(to: &out, indent: 0)
        }
    }
}

/// The Prometheus textfile (node_exporter's textfile collector) about the last run.
public enum Metrics {
    public static func text(finished: Double, duration: Double, result: String, outcomes: [String: [String: Int]]) -> String {
        var out = """
            # HELP rostersync_last_run_timestamp_seconds When the last run finished.
            # TYPE rostersync_last_run_timestamp_seconds gauge
            rostersync_last_run_timestamp_seconds \(Int(finished))
            # HELP rostersync_last_run_duration_seconds How long the last run took.
            # TYPE rostersync_last_run_duration_seconds gauge
            rostersync_last_run_duration_seconds \(String(format: "%.3f", duration))
            # HELP rostersync_last_run_result 1 for the result of the last run (ok, nothing, threshold, partial, error).
            # TYPE rostersync_last_run_result gauge

            """
        for r in ["ok", "nothing", "threshold", "partial", "error"] {
            out += "rostersync_last_run_result{result=\"\(r)\"} \(r == result ? 1 : 0)\n"
        }
        out += "# HELP rostersync_last_run_changes Changes of the last run by kind and outcome.\n# TYPE rostersync_last_run_changes gauge\n"
        for (kind, byOutcome) in outcomes.sorted(by: { $0.key < $1.key }) {
            for (outcome, n) in byOutcome.sorted(by: { $0.key < $1.key }) {
                out += "rostersync_last_run_changes{kind=\"\(kind)\",outcome=\"\(outcome)\"} \(n)\n"
            }
        }
        return out
    }
}
