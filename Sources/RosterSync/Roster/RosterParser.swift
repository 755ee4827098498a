import Foundation

/// Turns the two decoded roster files into a validated `Roster`, or every problem at once.
public struct RosterParser: Sendable {
    /// Extra header names per field, from the config (`rosters.columns`), e.g.
    /// `["employee_id": ["Số hiệu CB"]]`. Matched like the built-in aliases.
    public var unitColumns: [String: [String]]
    public var staffColumns: [String: [String]]
    /// The mail domain (`mail.domain`), when known: an `email` or `mailbox` in another
    /// domain is then an error instead of being ignored.
    public var domain: String?

    public init(unitColumns: [String: [String]] = [:], staffColumns: [String: [String]] = [:], domain: String? = nil) {
        self.unitColumns = unitColumns
        self.staffColumns = staffColumns
        self.domain = domain?.lowercased()
    }

    /// The most characters a field may hold. Generous for real data (the longest unit name
    /// of the agency is ~70 characters), small enough that a pasted document or a runaway
    /// cell never reaches the directory, the audit log or a plan.
    static let maxLength: [String: Int] = [  // none below 32: Row.value skips shorter values
        "employee_id": 32, "head_employee_id": 32, "unit_code": 32, "parent_code": 32, "previous_code": 32,
        "full_name": 128, "unit_name": 256, "title": 128, "phone": 32, "email": 254, "mailbox": 254,
        "status": 64, "start_date": 32, "end_date": 32, "effective_date": 32,
    ]

    /// Ids and codes name entries and go into DNs and filters: letters, digits and `. _ - /`
    /// only (ASCII), so a pasted DN fragment or a filter wildcard is refused, not escaped away.
    static func isIdentifier(_ s: String) -> Bool {
        s.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x2E || b == 0x5F || b == 0x2D || b == 0x2F
        }
    }

    /// A unit's `mailbox` column: a local part (`[a-z0-9._-]`, at most 30) or an address in
    /// `domain`; nil when it is neither.
    static func mailboxLocal(_ value: String, domain: String?) -> String? {
        var local = Substring(value)
        if let at = value.firstIndex(of: "@") {
            if let domain, value[value.index(after: at)...] != domain { return nil }
            local = value[..<at]
        }
        guard !local.isEmpty, local.count <= LocalPartPattern.maxLength,
              local.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }),
              local.first != ".", local.last != "."
        else { return nil }
        return String(local)
    }

    // Built-in header aliases, written as `headerKey` leaves them (lower case, no accents,
    // words joined by "_"): "Mã cán bộ" -> "ma_can_bo".
    static let unitAliases: [String: [String]] = [
        "unit_code": ["unit_code", "code", "ma_don_vi", "ma_dv", "ma"],
        "unit_name": ["unit_name", "name", "ten_don_vi", "ten_dv", "don_vi", "ten"],
        "parent_code": ["parent_code", "parent", "ma_don_vi_cha", "ma_cap_tren", "don_vi_cap_tren", "truc_thuoc", "ma_truc_thuoc"],
        "mailbox": ["mailbox", "hop_thu", "dia_chi_thu", "thu_dien_tu", "email"],
        "head_employee_id": ["head_employee_id", "head", "thu_truong", "ma_thu_truong", "truong_don_vi", "ma_truong_don_vi"],
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
        "start_date": ["start_date", "ngay_bat_dau", "ngay_vao", "ngay_tuyen_dung", "ngay_nhan_viec", "ngay_vao_co_quan"],
        "end_date": ["end_date", "ngay_nghi_viec", "ngay_nghi", "ngay_ket_thuc", "ngay_thoi_viec"],
        "phone": ["phone", "dien_thoai", "so_dien_thoai", "sdt"],
    ]
    static let staffStatuses: [String: StaffStatus] = [
        "active": .active, "dang_lam_viec": .active, "dang_cong_tac": .active, "lam_viec": .active, "hoat_dong": .active,
        "departed": .departed, "nghi_viec": .departed, "da_nghi_viec": .departed, "thoi_viec": .departed,
        "nghi_huu": .departed, "chuyen_cong_tac": .departed, "chuyen_di": .departed,
        "on_leave": .onLeave, "onleave": .onLeave, "nghi_phep": .onLeave, "tam_nghi": .onLeave,
        "nghi_thai_san": .onLeave, "di_hoc": .onLeave, "nghi_om": .onLeave,
    ]
    static let unitStatuses: [String: UnitStatus] = [
        "active": .active, "hoat_dong": .active, "dang_hoat_dong": .active,
        "dissolved": .dissolved, "giai_the": .dissolved, "da_giai_the": .dissolved, "sap_nhap": .dissolved, "da_sap_nhap": .dissolved,
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

    /// Parses and validates both files' decoded text.
    public func parse(unitsText: String, unitsFile: String, staffText: String, staffFile: String) throws(RosterValidationError) -> Roster {
        var issues: [RosterIssue] = []
        var warnings: [RosterIssue] = []
        let units = parseUnits(TextDecoder.nfc(unitsText), file: unitsFile, issues: &issues)
        let staff = parseStaff(TextDecoder.nfc(staffText), file: staffFile, issues: &issues, warnings: &warnings)
        // Cross-file checks only between files that could be read: a broken file would make
        // every reference into it look wrong.
        let staffIndex = validate(
            units: units?.records ?? [], unitsFile: unitsFile, unitColumns: units?.columns ?? [:],
            staff: staff?.records ?? [], staffFile: staffFile, staffColumns: staff?.columns ?? [:],
            crossChecks: units != nil && staff != nil, issues: &issues, warnings: &warnings)
        guard issues.isEmpty else { throw RosterValidationError(issues: issues.sorted()) }
        return Roster(
            units: units?.records ?? [], staff: staff?.records ?? [], unitsFile: unitsFile, staffFile: staffFile, warnings: warnings.sorted(),
            staffIndex: staffIndex)
    }

    /// The header row mapped to field names; unknown columns are ignored (HR sheets carry
    /// many), missing required ones and ambiguous ones are errors.
    func header(_ record: CSVRecord, aliases: [String: [String]], extra: [String: [String]], required: [String], file: String, issues: inout [RosterIssue]) -> [String: Int] {
        var lookup: [String: String] = [:]
        for (field, names) in aliases { for n in names { lookup[n] = lookup[n] ?? field } }
        // Configured names win over built-in aliases.
        for (field, names) in extra { for n in names { lookup[RosterParser.key(n)] = field } }
        var columns: [String: Int] = [:]
        for (i, h) in record.fields.enumerated() {
            guard let field = lookup[RosterParser.key(h)] else { continue }
            if let first = columns[field] {
                issues.append(RosterIssue(file: file, line: record.line, column: i + 1, message: "column \"\(h)\" is \(field) again (already column \(first + 1))"))
                continue
            }
            columns[field] = i
        }
        for field in required where columns[field] == nil {
            let known = (aliases[field] ?? []).prefix(3).joined(separator: "\", \"")
            issues.append(RosterIssue(file: file, line: record.line, column: 1, message: "no \(field) column (a header such as \"\(known)\"; or map one in rosters.columns)"))
        }
        return columns
    }

    /// Reads the header, then hands each data row to `row` as the CSV is read. Returns the
    /// header's columns, or nil (with the issue recorded) when the file cannot be read.
    func readRows(
        _ text: String, file: String, aliases: [String: [String]], extra: [String: [String]], required: [String],
        issues: inout [RosterIssue], _ row: (CSVRecord, Columns, inout [RosterIssue]) -> Void
    ) -> [String: Int]? {
        var columns: [String: Int]?
        var list = Columns([:])
        var usable = true
        var rows = 0
        var found: [RosterIssue] = []
        do {
            try CSVReader.forEachRecord(text) { record in
                guard columns != nil else {
                    let cols = header(record, aliases: aliases, extra: extra, required: required, file: file, issues: &found)
                    columns = cols
                    list = Columns(cols)
                    usable = required.allSatisfy { cols[$0] != nil }
                    return
                }
                rows += 1
                if usable { row(record, list, &found) }
            }
        } catch {
            issues.append(contentsOf: found)
            issues.append(RosterIssue(file: file, line: error.line, column: error.column, message: error.message))
            return nil
        }
        issues.append(contentsOf: found)
        if columns == nil { issues.append(RosterIssue(file: file, line: 1, column: 1, message: "the file is empty")) }
        if columns != nil && rows == 0 { issues.append(RosterIssue(file: file, line: 1, column: 1, message: "the file has a header and no rows")) }
        return usable && rows > 0 ? columns : nil
    }

    /// Text as stored: whitespace runs collapsed to one space, trimmed. (The whole file was
    /// made NFC before.) Most fields need nothing: they are returned as they are.
    static func clean(_ s: String) -> String {
        var prevSpace = true
        var needsWork = false
        for b in s.utf8 {
            switch b {
            case 0x20:
                if prevSpace { needsWork = true }
                prevSpace = true
            case 0x09, 0x0A, 0x0D, 0x0B, 0x0C, 0xC2, 0xE2, 0xE3:  // other spaces, NBSP, U+2000…, U+3000
                needsWork = true
            default:
                prevSpace = false
            }
            if needsWork { break }
        }
        if !needsWork && !prevSpace { return s }
        if !needsWork && s.isEmpty { return s }
        return s.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// The records, and the header's column of each field; nil when the file cannot be read as a roster.
    func parseUnits(_ text: String, file: String, issues: inout [RosterIssue]) -> (records: [UnitRecord], columns: [String: Int])? {
        var out: [UnitRecord] = []
        var cache: [String: UnitStatus?] = [:]
        let cols = readRows(text, file: file, aliases: Self.unitAliases, extra: unitColumns, required: ["unit_code", "unit_name"], issues: &issues) { r, cols, issues in
            var row = Row(record: r, columns: cols, file: file)
            let rawCode = row.required("unit_code", issues: &issues)
            let code = rawCode.isEmpty ? "" : row.identifier("unit_code", rawCode) ?? ""
            let name = row.required("unit_name", issues: &issues)
            let status: UnitStatus = row.enumerated("status", Self.unitStatuses, default: .active, allowed: "active, dissolved", cache: &cache, issues: &issues)
            var mailbox = row.optional("mailbox")?.lowercased()
            if let m = mailbox, Self.mailboxLocal(m, domain: domain) == nil {
                row.problems.append(row.issue("mailbox", "mailbox \"\(m)\" is not a local part ([a-z0-9._-], at most \(LocalPartPattern.maxLength))"
                    + (domain.map { " or an address @\($0)" } ?? " or an address")))
                mailbox = nil
            }
            let parent = row.identifier("parent_code", row.optional("parent_code"))
            let head = row.identifier("head_employee_id", row.optional("head_employee_id"))
            let previous = row.identifier("previous_code", row.optional("previous_code"))
            let unit = UnitRecord(
                code: code, name: name, parentCode: parent, mailbox: mailbox,
                headEmployeeId: head, previousCode: previous, status: status,
                effectiveDate: row.date("effective_date", issues: &issues), line: r.line)
            issues.append(contentsOf: row.problems)
            if !code.isEmpty && !name.isEmpty && row.problems.isEmpty { out.append(unit) }
        }
        return cols.map { (out, $0) }
    }

    func parseStaff(_ text: String, file: String, issues: inout [RosterIssue], warnings: inout [RosterIssue]) -> (records: [StaffRecord], columns: [String: Int])? {
        var out: [StaffRecord] = []
        // Names repeat a lot: judge each distinct word once.
        var plausible: [ExactText: Bool] = [:]
        var statusCache: [String: StaffStatus?] = [:]
        var found: [RosterIssue] = []
        var named = 0
        let cols = readRows(text, file: file, aliases: Self.staffAliases, extra: staffColumns, required: ["employee_id", "full_name", "unit_code"], issues: &issues) { r, cols, issues in
            var row = Row(record: r, columns: cols, file: file)
            let rawId = row.required("employee_id", issues: &issues)
            let id = rawId.isEmpty ? "" : row.identifier("employee_id", rawId) ?? ""
            var name = row.required("full_name", issues: &issues)
            let rawUnit = row.required("unit_code", issues: &issues)
            let unit = rawUnit.isEmpty ? "" : row.identifier("unit_code", rawUnit) ?? ""
            let status: StaffStatus = row.enumerated("status", Self.staffStatuses, default: .active, allowed: "active, departed, on_leave", cache: &statusCache, issues: &issues)
            let start = row.date("start_date", issues: &issues)
            let end = row.date("end_date", issues: &issues)
            if let start, let end, end < start {
                issues.append(row.issue("end_date", "end date \(end) is before the start date \(start)"))
            }
            var email = row.optional("email").map(Self.lowercased)
            if let e = email, !Self.isEmailAddress(e) {
                issues.append(row.issue("email", "\"\(e)\" is not an e-mail address (ASCII local@domain)"))
                email = nil
            } else if let e = email, let domain, !e.hasSuffix("@" + domain) {
                // Never replaced silently by a made-up address: HR must say which one.
                issues.append(row.issue("email", "\"\(e)\" is not in the mail domain \(domain): leave the column empty for a new address, or correct it"))
                email = nil
            }
            // An all-capitals export ("NGUYỄN VĂN AN") is a formatting habit, not the name.
            if !name.utf8.contains(where: { $0 >= 0x61 && $0 <= 0x7A }), name == name.uppercased(), name != name.lowercased() {
                name = name.lowercased().capitalized
            }
            // Split by bytes: the name is cleaned (single spaces), and a Character walk costs
            // more than the rest of the row.
            if !name.isEmpty { named += 1 }
            for word in Self.words(name) {
                let key = ExactText(word)
                let ok: Bool
                if let known = plausible[key] { ok = known } else {
                    ok = VietnameseText.isPlausibleNameWord(String(word))
                    plausible[key] = ok
                }
                if !ok {
                    found.append(row.issue("full_name", "\"\(word)\" in \"\(name)\" does not read as a Vietnamese name: check the file's encoding"))
                    break
                }
            }
            let phone = row.optional("phone").map(PhoneNumber.canonical)
            let title = row.optional("title")
            issues.append(contentsOf: row.problems)
            if !id.isEmpty && !name.isEmpty && !unit.isEmpty && row.problems.isEmpty {
                out.append(StaffRecord(
                    employeeId: id, fullName: name, unitCode: unit, title: title, email: email, status: status,
                    startDate: start, endDate: end, phone: phone, line: r.line))
            }
        }
        // A name here and there that is not Vietnamese is a warning (a foreign name, a typo);
        // most of them is the file's encoding, not the names: nothing from it may be stored.
        if named >= Self.encodingCheckMinimum, Double(found.count) > Double(named) * Self.encodingCheckShare {
            let examples = found.prefix(3).compactMap { $0.message.split(separator: "\"").dropFirst(2).first.map { "\"\($0)\"" } }
            issues.append(RosterIssue(file: file, line: 1, column: 1, message: "\(Int((Double(found.count) * 100 / Double(named)).rounded())) % of the names "
                + "(\(found.count) of \(named)) do not read as Vietnamese, e.g. \(examples.joined(separator: ", ")): "
                + "the file's encoding is wrong (or it is VIQR, which is not read); nothing was stored. \(Self.encodingHint)"))
        } else {
            warnings.append(contentsOf: found)
        }
        return cols.map { (out, $0) }
    }

    /// A staff file with more than half its names failing the syllable check is refused (at
    /// least 5 names: a tiny file of foreign names stays a warning). Mojibake and VIQR fail on
    /// nearly every name; real exports fail on a few foreign or mistyped ones.
    static let encodingCheckShare = 0.5
    static let encodingCheckMinimum = 5
    /// The end of that message, where the loader adds the encodings that would read the file.
    public static let encodingHint = "Say which it is with --encoding NAME or rosters.encoding."

    /// ASCII `local@domain` in lower case, a dot in the domain, at most 254 bytes.
    static func isEmailAddress(_ s: String) -> Bool {
        var ats = 0, localLength = 0, domainDots = 0, count = 0
        for b in s.utf8 {
            count += 1
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "+"):
                break
            case UInt8(ascii: "."):
                if ats == 1 { domainDots += 1 }
            case UInt8(ascii: "@"):
                ats += 1
                if ats == 1 { localLength = count - 1 }
            default:
                return false
            }
        }
        return ats == 1 && localLength > 0 && domainDots > 0 && count <= 254
    }

    /// `s` lower-cased; ASCII text (nearly every address and code) without a copy when it has
    /// no capital.
    static func lowercased(_ s: String) -> String {
        var upper = false
        for b in s.utf8 {
            if b >= 0x80 { return s.lowercased() }
            if b >= 0x41 && b <= 0x5A { upper = true }
        }
        return upper ? s.lowercased() : s
    }

    /// The words of a cleaned name (single spaces), cut at the space bytes.
    static func words(_ name: String) -> [Substring] {
        var out: [Substring] = []
        let u = name.utf8
        var start = u.startIndex
        var i = start
        while i < u.endIndex {
            if u[i] == 0x20 {
                if start < i { out.append(Substring(u[start..<i])) }
                start = u.index(after: i)
            }
            i = u.index(after: i)
        }
        if start < u.endIndex { out.append(Substring(u[start...])) }
        return out
    }

    func validate(
        units: [UnitRecord], unitsFile: String, unitColumns uc: [String: Int], staff: [StaffRecord], staffFile: String,
        staffColumns sc: [String: Int], crossChecks: Bool, issues: inout [RosterIssue], warnings: inout [RosterIssue]
    ) -> [String: Int] {
        func col(_ map: [String: Int], _ field: String) -> Int { (map[field] ?? 0) + 1 }
        var unitByCode: [String: UnitRecord] = [:]
        for u in units {
            if let first = unitByCode[u.code] {
                issues.append(RosterIssue(file: unitsFile, line: u.line, column: col(uc, "unit_code"), message: "unit code \"\(u.code)\" is already used on line \(first.line)"))
            } else {
                unitByCode[u.code] = u
            }
        }
        for u in units {
            if let p = u.parentCode, !unitByCode.keys.contains(p) {
                issues.append(RosterIssue(file: unitsFile, line: u.line, column: col(uc, "parent_code"), message: "parent unit \"\(p)\" of \"\(u.code)\" is not in the unit roster"))
            }
        }
        // Cycles in parent_code: walk up from each unit.
        var reported = Set<String>()
        for u in units {
            var seen: [String] = [u.code]
            var cur = u.parentCode
            while let c = cur, let parent = unitByCode[c] {
                if c == u.code {
                    if reported.insert(seen.sorted().joined()).inserted {
                        issues.append(RosterIssue(file: unitsFile, line: u.line, column: col(uc, "parent_code"), message: "units form a cycle through their parents: \((seen + [c]).joined(separator: " → "))"))
                    }
                    break
                }
                if seen.contains(c) { break }  // a cycle above, reported from its own member
                seen.append(c)
                cur = parent.parentCode
            }
        }
        // Indexes into `staff`, not copies: a 100,000-person roster is hashed once.
        var staffById: [String: Int] = [:]
        staffById.reserveCapacity(staff.count)
        var emailOwner: [String: Int] = [:]
        emailOwner.reserveCapacity(staff.count)
        for index in staff.indices {
            // By index: a copy of each record would retain and release all its strings.
            let id = staff[index].employeeId
            // One hash per row: insert, and put the first back in the rare case of a repeat.
            if let first = staffById.updateValue(index, forKey: id) {
                staffById[id] = first
                issues.append(RosterIssue(file: staffFile, line: staff[index].line, column: col(sc, "employee_id"), message: "employee id \"\(id)\" is already used on line \(staff[first].line)"))
                continue
            }
            if crossChecks, !unitByCode.keys.contains(staff[index].unitCode) {  // not `== nil`: that copies the record
                let p = staff[index]
                // HR keeps departed staff with the code of their last unit, merged away or not:
                // such a row changes nothing the roster needs a unit for (their mailbox, if any,
                // is disabled where it is).
                if p.status == .departed {
                    warnings.append(RosterIssue(file: staffFile, line: p.line, column: col(sc, "unit_code"), message: "unit \"\(p.unitCode)\" of departed \(p.employeeId) \(p.fullName) is not in the unit roster (a unit merged away?)"))
                } else {
                    issues.append(RosterIssue(file: staffFile, line: p.line, column: col(sc, "unit_code"), message: "unit \"\(p.unitCode)\" of \(p.employeeId) \(p.fullName) is not in the unit roster"))
                }
            }
            if let e = staff[index].email, let o = emailOwner.updateValue(index, forKey: e) {
                emailOwner[e] = o
                let p = staff[index], other = staff[o]
                issues.append(RosterIssue(file: staffFile, line: p.line, column: col(sc, "email"), message: "\(p.employeeId) \(p.fullName) and \(other.employeeId) \(other.fullName) (line \(other.line)) both claim \(e)"))
            }
        }
        for u in units where u.status == .active && crossChecks {
            guard let head = u.headEmployeeId else { continue }
            guard let person = staffById[head].map({ staff[$0] }) else {
                issues.append(RosterIssue(file: unitsFile, line: u.line, column: col(uc, "head_employee_id"), message: "head \"\(head)\" of unit \"\(u.code)\" is not in the staff roster"))
                continue
            }
            if person.unitCode != u.code {
                issues.append(RosterIssue(file: unitsFile, line: u.line, column: col(uc, "head_employee_id"), message: "head \(head) \(person.fullName) of unit \"\(u.code)\" belongs to unit \"\(person.unitCode)\" (\(staffFile):\(person.line))"))
            } else if person.status == .departed {
                // HR updates the head column after the departure: until then the unit mailbox
                // stays with whoever holds it.
                warnings.append(RosterIssue(file: unitsFile, line: u.line, column: col(uc, "head_employee_id"), message: "head \(head) \(person.fullName) of unit \"\(u.code)\" has departed: the unit mailbox is not handed over until the unit roster names a new head"))
            }
        }
        return staffById
    }
}

/// The header's column of each field, looked up by a scan of a few pairs: field names are
/// short literals that compare in one step, where a dictionary hashed each of the ten
/// lookups of every row of a 100,000-person roster.
struct Columns {
    private let pairs: [(field: String, column: Int)]
    init(_ map: [String: Int]) { pairs = map.map { ($0.key, $0.value) } }
    subscript(_ field: String) -> Int? {
        for p in pairs where p.field == field { return p.column }
        return nil
    }
}

/// One data row with its header map, for located messages.
private struct Row {
    let record: CSVRecord
    let columns: Columns
    let file: String
    /// Values refused as they were read (control characters, too long): reported with the
    /// row's other issues, and the field counts as empty.
    var problems: [RosterIssue] = []

    func issue(_ field: String, _ message: String) -> RosterIssue {
        RosterIssue(file: file, line: record.line, column: (columns[field] ?? 0) + 1, message: message)
    }

    mutating func value(_ field: String) -> String? {
        guard let i = columns[field], i < record.fields.count else { return nil }
        let raw = record.fields[i]
        // A control character (NUL, a stray escape…) is no part of a name, a code or a date.
        // Looked for by bytes (every field of 100,000 rows passes here); placed only when found.
        if raw.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D) || $0 == 0x7F }),
           let bad = raw.unicodeScalars.firstIndex(where: { $0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r" || $0.value == 0x7F }) {
            let offset = raw.unicodeScalars.distance(from: raw.unicodeScalars.startIndex, to: bad)
            problems.append(issue(field, "\(field) holds a control character (U+\(String(format: "%04X", raw.unicodeScalars[bad].value))) at character \(offset + 1)"))
            return nil
        }
        let v = RosterParser.clean(raw)
        // Characters are never more than bytes: the limit is looked up, and characters counted,
        // only for a value longer in bytes than the shortest limit (few fields of real rows).
        if v.utf8.count > 32, let limit = RosterParser.maxLength[field], v.utf8.count > limit, v.count > limit {
            problems.append(issue(field, "\(field) is \(v.count) characters long, more than \(limit): \"\(v.prefix(24))…\""))
            return nil
        }
        return v.isEmpty ? nil : v
    }

    /// An id or a code: `isIdentifier`, else an issue and nil.
    mutating func identifier(_ field: String, _ value: String?) -> String? {
        guard let value else { return nil }
        guard RosterParser.isIdentifier(value) else {
            problems.append(issue(field, "\(field) \"\(value)\" may hold only letters, digits and . _ - / (no spaces, commas or wildcards)"))
            return nil
        }
        return value
    }

    mutating func optional(_ field: String) -> String? { value(field) }

    mutating func required(_ field: String, issues: inout [RosterIssue]) -> String {
        guard let v = value(field) else {
            issues.append(issue(field, "\(field) is empty"))
            return ""
        }
        return v
    }

    mutating func date(_ field: String, issues: inout [RosterIssue]) -> Day? {
        guard let v = value(field) else { return nil }
        guard let d = Day(parsing: v) else {
            issues.append(issue(field, "\(field) \"\(v)\" is not a date (write 2026-09-30 or 30/09/2026)"))
            return nil
        }
        return d
    }

    mutating func enumerated<T>(_ field: String, _ values: [String: T], default d: T, allowed: String, cache: inout [String: T?], issues: inout [RosterIssue]) -> T {
        guard let v = value(field) else { return d }
        let found: T?
        if let cached = cache[v] { found = cached } else {
            found = values[RosterParser.key(v)]
            cache[v] = found
        }
        guard let t = found else {
            issues.append(issue(field, "\(field) \"\(v)\" is not one of \(allowed)"))
            return d
        }
        return t
    }
}
