import LDAPModel

/// Text compared and hashed by its UTF-8 bytes, for dictionary keys that are known to be NFC
/// already (everything the rosters and the directory hold is). `String`'s own `==` and hash
/// work on canonical equivalence: for non-ASCII text (most Vietnamese names) each lookup
/// normalizes both sides, which cost more than the rest of a roster row.
struct ExactText: Hashable, Sendable {
    let text: Substring

    init(_ text: Substring) { self.text = text }
    init(_ text: String) { self.text = Substring(text) }

    static func == (a: ExactText, b: ExactText) -> Bool { a.text.sameBytes(b.text) }

    func hash(into h: inout Hasher) {
        let u = text.utf8
        if u.withContiguousStorageIfAvailable({ h.combine(bytes: UnsafeRawBufferPointer($0)) }) == nil {
            for b in u { h.combine(b) }
        }
    }
}

/// Byte equality of two optional texts (both nil counts as equal).
func sameBytes(_ a: (some StringProtocol)?, _ b: (some StringProtocol)?) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case let (x?, y?): x.sameBytes(y)
    default: false
    }
}
