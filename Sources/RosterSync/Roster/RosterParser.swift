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

    /// Parses and validates both files' decoded text.
    public func parse(
        unitsText: String, unitsFile: String, staffText: String, staffFile: String
    ) throws(RosterValidationError) -> Roster {
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
            units: units?.records ?? [], staff: staff?.records ?? [], unitsFile: unitsFile, staffFile: staffFile,
            warnings: warnings.sorted(),
            staffIndex: staffIndex)
    }

    /// The records, and the header's column of each field; nil when the file cannot be read as a roster.
    func parseUnits(
        _ text: String, file: String, issues: inout [RosterIssue]
    ) -> (records: [UnitRecord], columns: [String: Int])? {
        var out: [UnitRecord] = []
        var cache: [String: UnitStatus?] = [:]
        let cols = readRows(
            text, file: file, aliases: Self.unitAliases, extra: unitColumns, required: ["unit_code", "unit_name"],
            issues: &issues
        ) { r, cols, issues in
            var row = RosterRow(record: r, columns: cols, file: file)
            let rawCode = row.required("unit_code", issues: &issues)
            let code = rawCode.isEmpty ? "" : row.identifier("unit_code", rawCode) ?? ""
            let name = row.required("unit_name", issues: &issues)
            let status: UnitStatus = row.enumerated(
                "status", Self.unitStatuses, default: .active, allowed: "active, dissolved", cache: &cache,
                issues: &issues)
            var mailbox = row.optional("mailbox")?.lowercased()
            if let m = mailbox, Self.mailboxLocal(m, domain: domain) == nil {
                row.problems.append(
                    row.issue(
                        "mailbox",
                        "mailbox \"\(m)\" is not a local part ([a-z0-9._-], at most \(LocalPartPattern.maxLength))"
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

    func parseStaff(
        _ text: String, file: String, issues: inout [RosterIssue], warnings: inout [RosterIssue]
    ) -> (records: [StaffRecord], columns: [String: Int])? {
        var records: [StaffRecord] = []
        var names = NameCheck()
        var statusCache: [String: StaffStatus?] = [:]
        let required = ["employee_id", "full_name", "unit_code"]
        let columns = readRows(
            text, file: file, aliases: Self.staffAliases, extra: staffColumns, required: required, issues: &issues
        ) { record, columns, issues in
            var row = RosterRow(record: record, columns: columns, file: file)
            if let person = staffRecord(&row, statusCache: &statusCache, names: &names, issues: &issues) {
                records.append(person)
            }
        }
        names.judge(file: file, issues: &issues, warnings: &warnings)
        return columns.map { (records, $0) }
    }

    /// One staff row as a record, or nil when it has a problem (recorded in `issues`).
    func staffRecord(
        _ row: inout RosterRow, statusCache: inout [String: StaffStatus?], names: inout NameCheck,
        issues: inout [RosterIssue]
    ) -> StaffRecord? {
        let rawId = row.required("employee_id", issues: &issues)
        let id = rawId.isEmpty ? "" : row.identifier("employee_id", rawId) ?? ""
        var name = row.required("full_name", issues: &issues)
        let rawUnit = row.required("unit_code", issues: &issues)
        let unit = rawUnit.isEmpty ? "" : row.identifier("unit_code", rawUnit) ?? ""
        let status: StaffStatus = row.enumerated(
            "status", Self.staffStatuses, default: .active, allowed: "active, departed, on_leave", cache: &statusCache,
            issues: &issues)
        let start = row.date("start_date", issues: &issues)
        let end = row.date("end_date", issues: &issues)
        if let start, let end, end < start {
            issues.append(row.issue("end_date", "end date \(end) is before the start date \(start)"))
        }
        let email = self.email(&row, issues: &issues)
        // An all-capitals export ("NGUYỄN VĂN AN") is a formatting habit, not the name.
        if !name.utf8.contains(where: { $0 >= 0x61 && $0 <= 0x7A }), name == name.uppercased(),
            name != name.lowercased()
        {
            name = name.lowercased().capitalized
        }
        names.check(name, row: row)
        let phone = row.optional("phone").map(PhoneNumber.canonical)
        let title = row.optional("title")
        issues.append(contentsOf: row.problems)
        guard !id.isEmpty && !name.isEmpty && !unit.isEmpty && row.problems.isEmpty else { return nil }
        return StaffRecord(
            employeeId: id, fullName: name, unitCode: unit, title: title, email: email, status: status,
            startDate: start, endDate: end, phone: phone, line: row.record.line)
    }

    /// The row's `email`, in lower case; nil (with an issue) when it is not an address in the
    /// mail domain.
    func email(_ row: inout RosterRow, issues: inout [RosterIssue]) -> String? {
        guard let email = row.optional("email").map(Self.lowercased) else { return nil }
        if !Self.isEmailAddress(email) {
            issues.append(row.issue("email", "\"\(email)\" is not an e-mail address (ASCII local@domain)"))
            return nil
        }
        if let domain, !email.hasSuffix("@" + domain) {
            // Never replaced silently by a made-up address: HR must say which one.
            issues.append(row.issue(
                "email", "\"\(email)\" is not in the mail domain \(domain): "
                    + "leave the column empty for a new address, or correct it"))
            return nil
        }
        return email
    }

    /// A staff file with more than half its names failing the syllable check is refused (at
    /// least 5 names: a tiny file of foreign names stays a warning). Mojibake and VIQR fail on
    /// nearly every name; real exports fail on a few foreign or mistyped ones.
    static let encodingCheckShare = 0.5
    static let encodingCheckMinimum = 5
    /// The end of that message, where the loader adds the encodings that would read the file.
    public static let encodingHint = "Say which it is with --encoding NAME or rosters.encoding."
}

/// Whether a staff file's names read as Vietnamese. A name here and there that does not is a
/// warning (a foreign name, a typo); most of them is the file's encoding, not the names:
/// nothing from it may be stored.
struct NameCheck {
    /// Names repeat a lot: each distinct word is judged once.
    private var plausible: [ExactText: Bool] = [:]
    /// The names that do not read as Vietnamese, one issue each.
    private(set) var found: [RosterIssue] = []
    /// How many names were checked.
    private(set) var named = 0

    /// Checks one cleaned name (single spaces), split by bytes.
    mutating func check(_ name: String, row: RosterRow) {
        if !name.isEmpty { named += 1 }
        for word in RosterParser.words(name) {
            let key = ExactText(word)
            let ok: Bool
            if let known = plausible[key] { ok = known } else {
                ok = VietnameseText.isPlausibleNameWord(String(word))
                plausible[key] = ok
            }
            if !ok {
                found.append(
                    row.issue(
                        "full_name",
                        "\"\(word)\" in \"\(name)\" does not read as a Vietnamese name: check the file's encoding"))
                break
            }
        }
    }

    /// The names found are warnings, or one issue that refuses the file when there are too many.
    func judge(file: String, issues: inout [RosterIssue], warnings: inout [RosterIssue]) {
        guard named >= RosterParser.encodingCheckMinimum,
            Double(found.count) > Double(named) * RosterParser.encodingCheckShare
        else {
            warnings.append(contentsOf: found)
            return
        }
        let examples = found.prefix(3).compactMap {
            $0.message.split(separator: "\"").dropFirst(2).first.map { "\"\($0)\"" }
        }
        let share = Int((Double(found.count) * 100 / Double(named)).rounded())
        issues.append(RosterIssue(
            file: file, line: 1, column: 1,
            message: "\(share) % of the names (\(found.count) of \(named)) do not read as Vietnamese, "
                + "e.g. \(examples.joined(separator: ", ")): the file's encoding is wrong "
                + "(or it is VIQR, which is not read); nothing was stored. \(RosterParser.encodingHint)"))
    }
}
