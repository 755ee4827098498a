import Foundation

extension RosterParser {
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
                    let cols = header(
                        record, aliases: aliases, extra: extra, required: required, file: file, issues: &found)
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
        if columns != nil && rows == 0 {
            issues.append(RosterIssue(file: file, line: 1, column: 1, message: "the file has a header and no rows"))
        }
        return usable && rows > 0 ? columns : nil
    }
}

/// One data row with its header map, for located messages.
struct RosterRow {
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
        // Looked for by bytes (every field of every row passes here); placed only when found.
        if raw.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D) || $0 == 0x7F }),
            let bad = raw.unicodeScalars.firstIndex(where: {
                $0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r" || $0.value == 0x7F
            })
        {
            let offset = raw.unicodeScalars.distance(from: raw.unicodeScalars.startIndex, to: bad)
            let code = String(format: "%04X", raw.unicodeScalars[bad].value)
            problems.append(issue(field, "\(field) holds a control character (U+\(code)) at character \(offset + 1)"))
            return nil
        }
        let v = RosterParser.clean(raw)
        // Characters are never more than bytes: the limit is looked up, and characters counted,
        // only for a value longer in bytes than the shortest limit (few fields of real rows).
        if v.utf8.count > 32, let limit = RosterParser.maxLength[field], v.utf8.count > limit, v.count > limit {
            problems.append(
                issue(field, "\(field) is \(v.count) characters long, more than \(limit): \"\(v.prefix(24))…\""))
            return nil
        }
        return v.isEmpty ? nil : v
    }

    /// An id or a code: `isIdentifier`, else an issue and nil.
    mutating func identifier(_ field: String, _ value: String?) -> String? {
        guard let value else { return nil }
        guard RosterParser.isIdentifier(value) else {
            problems.append(
                issue(
                    field,
                    "\(field) \"\(value)\" may hold only letters, digits and . _ - / (no spaces, commas or wildcards)"))
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

    mutating func enumerated<T>(
        _ field: String, _ values: [String: T], default d: T, allowed: String, cache: inout [String: T?],
        issues: inout [RosterIssue]
    ) -> T {
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
