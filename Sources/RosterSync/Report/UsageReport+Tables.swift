import Foundation

// The usage report's figures as tables: CSV files, a workbook, JSON.
extension UsageReport {
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
