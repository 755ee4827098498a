import Foundation

/// The header: built-in aliases of each field, the config's own, and the matching of a
/// header row to fields.
extension RosterParser {
    // Built-in header aliases, written as `headerKey` leaves them (lower case, no accents,
    // words joined by "_"): "Mã cán bộ" -> "ma_can_bo".
    static let unitAliases: [String: [String]] = [
        "unit_code": ["unit_code", "code", "ma_don_vi", "ma_dv", "ma"],
        "unit_name": ["unit_name", "name", "ten_don_vi", "ten_dv", "don_vi", "ten"],
        "parent_code": [
            "parent_code", "parent", "ma_don_vi_cha", "ma_cap_tren", "don_vi_cap_tren", "truc_thuoc", "ma_truc_thuoc",
        ],
        "mailbox": ["mailbox", "hop_thu", "dia_chi_thu", "thu_dien_tu", "email"],
        "head_employee_id": [
            "head_employee_id", "head", "thu_truong", "ma_thu_truong", "truong_don_vi", "ma_truong_don_vi",
        ],
        "previous_code": ["previous_code", "ma_cu", "ma_don_vi_cu"],
        "status": ["status", "trang_thai"],
        "effective_date": ["effective_date", "ngay_hieu_luc"],
    ]
    static let staffAliases: [String: [String]] = [
        "employee_id": ["employee_id", "ma_can_bo", "ma_cb", "ma_nhan_vien", "ma_nv", "so_hieu_can_bo", "so_hieu"],
        "full_name": ["full_name", "name", "ho_va_ten", "ho_ten", "ten"],
        "unit_code": ["unit_code", "unit", "don_vi", "ma_don_vi", "ma_dv"],
        "title": ["title", "chuc_vu", "chuc_danh"],
        "email": ["email", "e_mail", "thu_dien_tu", "hop_thu", "dia_chi_thu"],
        "status": ["status", "trang_thai"],
        "start_date": [
            "start_date", "ngay_bat_dau", "ngay_vao", "ngay_tuyen_dung", "ngay_nhan_viec", "ngay_vao_co_quan",
        ],
        "end_date": ["end_date", "ngay_nghi_viec", "ngay_nghi", "ngay_ket_thuc", "ngay_thoi_viec"],
        "phone": ["phone", "dien_thoai", "so_dien_thoai", "sdt"],
    ]
    static let staffStatuses: [String: StaffStatus] = [
        "active": .active, "dang_lam_viec": .active, "dang_cong_tac": .active, "lam_viec": .active,
        "hoat_dong": .active,
        "departed": .departed, "nghi_viec": .departed, "da_nghi_viec": .departed, "thoi_viec": .departed,
        "nghi_huu": .departed, "chuyen_cong_tac": .departed, "chuyen_di": .departed,
        "on_leave": .onLeave, "onleave": .onLeave, "nghi_phep": .onLeave, "tam_nghi": .onLeave,
        "nghi_thai_san": .onLeave, "di_hoc": .onLeave, "nghi_om": .onLeave,
    ]
    static let unitStatuses: [String: UnitStatus] = [
        "active": .active, "hoat_dong": .active, "dang_hoat_dong": .active,
        "dissolved": .dissolved, "giai_the": .dissolved, "da_giai_the": .dissolved, "sap_nhap": .dissolved,
        "da_sap_nhap": .dissolved,
    ]

    /// "Mã cán bộ" -> "ma_can_bo": lower case, accents and đ folded, any other run of
    /// non-alphanumerics a single "_". Header matching and enumerated values use it.
    static func key(_ text: String) -> String {
        var out = ""
        var pendingSep = false
        for s in text.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars {
            let c: Character?
            switch s {
            case "a"..."z", "0"..."9": c = Character(s)
            case "đ": c = "d"
            default: c = nil
            }
            if let c {
                if pendingSep && !out.isEmpty { out.append("_") }
                pendingSep = false
                out.append(c)
            } else if !(s.properties.canonicalCombiningClass.rawValue > 0) {
                pendingSep = true
            }
        }
        return out
    }

    /// The header row mapped to field names; unknown columns are ignored (HR sheets carry
    /// many), missing required ones and ambiguous ones are errors.
    func header(
        _ record: CSVRecord, aliases: [String: [String]], extra: [String: [String]], required: [String], file: String,
        issues: inout [RosterIssue]
    ) -> [String: Int] {
        var lookup: [String: String] = [:]
        for (field, names) in aliases { for n in names { lookup[n] = lookup[n] ?? field } }
        // Configured names win over built-in aliases.
        for (field, names) in extra { for n in names { lookup[RosterParser.key(n)] = field } }
        var columns: [String: Int] = [:]
        for (i, h) in record.fields.enumerated() {
            guard let field = lookup[RosterParser.key(h)] else { continue }
            if let first = columns[field] {
                issues.append(
                    RosterIssue(
                        file: file, line: record.line, column: i + 1,
                        message: "column \"\(h)\" is \(field) again (already column \(first + 1))"))
                continue
            }
            columns[field] = i
        }
        for field in required where columns[field] == nil {
            let known = (aliases[field] ?? []).prefix(3).joined(separator: "\", \"")
            issues.append(
                RosterIssue(
                    file: file, line: record.line, column: 1,
                    message: "no \(field) column (a header such as \"\(known)\"; or map one in rosters.columns)"))
        }
        return columns
    }

}

/// The header's column of each field, looked up by a scan of a few pairs: field names are
/// short literals that compare in one step, without hashing on every lookup of every row.
struct Columns {
    private let pairs: [(field: String, column: Int)]
    init(_ map: [String: Int]) { pairs = map.map { ($0.key, $0.value) } }
    subscript(_ field: String) -> Int? {
        for p in pairs where p.field == field { return p.column }
        return nil
    }
}

