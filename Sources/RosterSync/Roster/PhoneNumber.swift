import LDAPModel

/// Telephone numbers as HR types them, reduced to one form so that a number re-typed in
/// another notation is not a change: `+84 78 929 6668`, `078.929.6668`, `(078) 929-6668` and
/// `0789296668` are all `0789296668`.
///
/// The stored form is the national one with the trunk 0: it is how the agency writes its
/// numbers, and the form most directories already hold (no mass rewrite on upgrade).
public enum PhoneNumber {
    /// The canonical form of `text`: for a Vietnamese number (`+84`, `0084`, `84` followed by
    /// 9–10 digits, or a trunk `0` and 9–10 digits) the national digits `0…`; for another
    /// country's number `+` and its digits; anything else (an extension, words) as typed,
    /// with runs of spaces collapsed.
    public static func canonical(_ text: String) -> String {
        var digits: [UInt8] = []
        var plus = false
        for (i, b) in text.utf8.enumerated() {
            switch b {
            case 0x30...0x39: digits.append(b)
            case UInt8(ascii: "+") where i == 0 || digits.isEmpty: plus = true
            case UInt8(ascii: " "), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "/"), 0x09: continue
            default: return collapsed(text)  // "ext. 12", words: kept as typed
            }
        }
        var national: ArraySlice<UInt8>? = nil
        if plus {
            if digits.starts(with: [0x38, 0x34]) { national = digits.dropFirst(2) }
        } else if digits.starts(with: [0x30, 0x30, 0x38, 0x34]) {
            national = digits.dropFirst(4)
        } else if digits.first == 0x30 {
            national = digits.dropFirst(1)
        } else if digits.starts(with: [0x38, 0x34]), digits.count == 11 || digits.count == 12 {
            national = digits.dropFirst(2)
        }
        if let n = national, n.first != 0x30, (9...10).contains(n.count) { return "0" + String(decoding: n, as: UTF8.self) }
        if plus, (7...15).contains(digits.count) { return "+" + String(decoding: digits, as: UTF8.self) }
        return collapsed(text)
    }

    /// True when two values name the same number (the directory's may predate the canonical form).
    public static func same(_ a: String?, _ b: String?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case let (x?, y?): x.sameBytes(y) || canonical(x) == canonical(y)
        default: false
        }
    }

    private static func collapsed(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
