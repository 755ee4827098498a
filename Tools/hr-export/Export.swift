import Foundation

/// What HR's spreadsheet shows at the end of a quarter, written as the export of that quarter:
/// odd quarters in English headers, ISO dates, commas; even ones in Vietnamese headers,
/// day-first dates, semicolons, a BOM and CRLF, as Excel saves them.
struct Export {
    var dangling: Bool
    /// Per person: the record as HR means it, and how it was typed, in the previous export.
    var lastMeaning: [String: String] = [:]
    var lastTyping: [String: String] = [:]

    struct Sheet { var header: [String]; var rows: [[String]] }

    static func csv(_ sheet: Sheet, separator: Character, crlf: Bool, bom: Bool) -> String {
        func cell(_ s: String) -> String {
            s.contains(separator) || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        let eol = crlf ? "\r\n" : "\n"
        var out = bom ? "\u{FEFF}" : ""
        for r in [sheet.header] + sheet.rows { out += r.map(cell).joined(separator: String(separator)) + eol }
        return out
    }

    mutating func write(_ a: inout Agency, quarter q: Int, to dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let vn = q % 2 == 0
        func date(_ d: Date8?, _ i: Int) -> String {
            guard let d else { return "" }
            return vn ? (i % 3 == 0 ? d.dayFirstShort : d.dayFirst) : d.iso
        }
        let alive = a.units.filter(\.alive)

        // Units: the agency first, then by code, as HR's sheet sorts them.
        var unitRows: [[String]] = []
        for (n, u) in alive.sorted(by: { ($0.code == rootCode ? 0 : 1, $0.code) < ($1.code == rootCode ? 0 : 1, $1.code) }).enumerated() {
            let name = a.fullName(u)
            unitRows.append(vn ? [String(n + 1), u.code, name, u.parent ?? "", u.mailbox, u.head ?? "", ""]
                               : [u.code, name, u.parent ?? "", u.mailbox, u.head ?? ""])
        }
        let unitHeader = vn ? ["STT", "Mã đơn vị", "Tên đơn vị", "Mã đơn vị cha", "Hộp thư", "Thủ trưởng", "Ghi chú"]
                            : ["unit_code", "unit_name", "parent_code", "mailbox", "head_employee_id"]

        // Staff, sorted by unit then id. Quirks of typing this quarter: decomposed (NFD)
        // names, runs of spaces, rows in capitals; phones re-typed in another style.
        var staffRows: [[String]] = []
        var renderingOnly: [String] = [], danglingIds: [String] = [], activeIds: [String] = [], stopped: [String] = []
        var quirkCount: [String: Int] = [:]
        let aliveCodes = Set(alive.map(\.code))
        for i in a.people.indices where a.draw.chance(0.012) {
            a.people[i].phoneStyle = (a.people[i].phoneStyle + 1 + a.draw.below(3)) % 4
        }
        let order = a.people.indices.sorted { (a.people[$0].unit, a.people[$0].id) < (a.people[$1].unit, a.people[$1].id) }
        for (n, i) in order.enumerated() {
            let p = a.people[i]
            var unit = p.unit
            if p.status == .departed, !aliveCodes.contains(unit) {
                if dangling { danglingIds.append(p.id) } else {
                    while let next = a.mergedInto[unit] { unit = next }
                }
            }
            if p.status != .departed && (p.end.map { $0 > a.asOf } ?? true) && p.start <= a.asOf { activeIds.append(p.id) }
            if p.status == .active && p.stoppedLogging { stopped.append(p.id) }
            var name = p.name
            var quirks: [String] = []
            if a.draw.chance(0.01) { name = name.decomposedStringWithCanonicalMapping; quirks.append("nfd") }
            if a.draw.chance(0.01) { name = " " + name.replacingOccurrences(of: " ", with: "  ") + " "; quirks.append("spaces") }
            if !name.contains("'"), a.draw.chance(0.008) { name = name.uppercased(); quirks.append("caps") }
            let phone = p.phone.map { renderPhone($0, style: p.phoneStyle) } ?? ""
            for qk in quirks { quirkCount[qk, default: 0] += 1 }
            let status: String
            switch p.status {
            case .active: status = vn ? "Đang làm việc" : "active"
            case .onLeave: status = vn ? "Nghỉ phép" : "on_leave"
            case .departed: status = vn ? (p.id.hasSuffix("7") ? "Nghỉ hưu" : "Nghỉ việc") : "departed"
            }
            let meaning = [p.name, unit, p.title, p.status.rawValue, p.start.iso, p.end?.iso ?? "", p.phone ?? "", p.email ?? ""].joined(separator: "|")
            let typing = [name, phone].joined(separator: "|")
            if lastMeaning[p.id] == meaning, let t = lastTyping[p.id], t != typing { renderingOnly.append(p.id) }
            lastMeaning[p.id] = meaning
            lastTyping[p.id] = typing
            let fields = [p.id, name, unit, p.title, p.email ?? "", status, date(p.start, n), date(p.end, n), phone]
            staffRows.append(vn ? [String(n + 1)] + fields : fields)
        }
        let staffHeader = vn ? ["STT", "Mã cán bộ", "Họ và tên", "Đơn vị", "Chức vụ", "Thư điện tử", "Trạng thái", "Ngày bắt đầu", "Ngày nghỉ việc", "Điện thoại"]
                             : ["employee_id", "full_name", "unit_code", "title", "email", "status", "start_date", "end_date", "phone"]

        let sep: Character = vn ? ";" : ","
        try Export.csv(Sheet(header: unitHeader, rows: unitRows), separator: sep, crlf: vn, bom: vn).write(toFile: dir + "/units.csv", atomically: true, encoding: .utf8)
        try Export.csv(Sheet(header: staffHeader, rows: staffRows), separator: sep, crlf: vn, bom: vn).write(toFile: dir + "/staff.csv", atomically: true, encoding: .utf8)
        try (a.asOf.iso + "\n").write(toFile: dir + "/as-of", atomically: true, encoding: .utf8)

        // The mail server's last logins: by address where it is known to HR (unit mailboxes,
        // the old system's addresses); the rest by employee id (logins.csv), which the soak
        // test turns into addresses from the directory, as the mail server itself would know them.
        var known = "address,last_login\n", byId = "kind,id,last_login\n"
        for u in alive {
            let day = a.asOf.adding(days: -((u.code.unicodeScalars.map { Int($0.value) }.reduce(0, +) + q) % 12))
            known += "\(u.mailbox)@cema.gov.vn,\(day.iso)\n"
            byId += "unit,\(u.code),\(day.iso)\n"
        }
        for p in a.people.sorted(by: { $0.id < $1.id }) {
            guard let last = p.lastLogin else { continue }
            if let e = p.email { known += "\(e),\(last.iso)\n" }
            byId += "staff,\(p.id),\(last.iso)\n"
        }
        try known.write(toFile: dir + "/last-logins.csv", atomically: true, encoding: .utf8)
        try byId.write(toFile: dir + "/logins.csv", atomically: true, encoding: .utf8)

        var kinds: [String: Int] = [:]
        for e in a.events { kinds[e.kind, default: 0] += 1 }
        let expected: [String: Any] = [
            "quarter": q, "asOf": a.asOf.iso, "format": vn ? "vietnamese" : "english", "danglingCodes": dangling,
            "units": alive.count, "staffRows": staffRows.count, "active": activeIds.count,
            "summary": kinds, "quirks": quirkCount,
            "events": a.events.map { e -> [String: String] in
                var o = ["kind": e.kind, "detail": e.detail]
                if let id = e.id { o["id"] = id }
                if let c = e.code { o["code"] = c }
                return o
            },
            "renderingOnly": renderingOnly, "dangling": danglingIds, "activeIds": activeIds, "stoppedLoggingIn": stopped,
            "unitOf": Dictionary(uniqueKeysWithValues: activeIds.map { ($0, a.people[a.personIndex[$0]!].unit) }),
            "mergedCodes": a.mergedInto, "unitPaths": Dictionary(uniqueKeysWithValues: alive.map { ($0.code, a.path($0)) }),
        ]
        let json = try JSONSerialization.data(withJSONObject: expected, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: URL(fileURLWithPath: dir + "/expected.json"))
    }
}
