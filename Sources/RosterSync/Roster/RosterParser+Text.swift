import Foundation

/// Byte-level checks and clean-ups of field values.
extension RosterParser {
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
            (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x2E || b == 0x5F || b == 0x2D
                || b == 0x2F
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
            local.utf8.allSatisfy({
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D
            }),
            local.first != ".", local.last != "."
        else { return nil }
        return String(local)
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

    /// ASCII `local@domain` in lower case, a dot in the domain, at most 254 bytes.
    static func isEmailAddress(_ s: String) -> Bool {
        var ats = 0, localLength = 0, domainDots = 0, count = 0
        for b in s.utf8 {
            count += 1
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"),
                UInt8(ascii: "-"), UInt8(ascii: "+"):
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
}
