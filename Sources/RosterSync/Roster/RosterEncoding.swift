import Foundation

/// The text encodings HR exports arrive in.
public enum RosterEncoding: String, Sendable, CaseIterable, CustomStringConvertible {
    case utf8 = "utf-8"
    /// "Unicode Text" from Excel: UTF-16 with a BOM (LE or BE); without one, guessed from NULs.
    case utf16 = "utf-16"
    /// Windows-1258: some letters precomposed, tone marks as separate combining bytes.
    case cp1258
    /// TCVN 5712:1993 / TCVN3 (ABC), the .VnTime fonts' encoding.
    case tcvn3
    /// VNI-Windows: a base letter followed by a byte that draws its marks.
    case vni

    public var description: String { rawValue }

    /// Accepts the names people write: `utf8`, `UTF-16LE`, `windows-1258`, `tcvn`, `abc`, `vni-windows`.
    public init?(name: String) {
        let n = name.lowercased().replacingOccurrences(of: "_", with: "-")
        switch n {
        case "utf-8", "utf8": self = .utf8
        case "utf-16", "utf16", "utf-16le", "utf-16be", "unicode": self = .utf16
        case "cp1258", "windows-1258", "win1258": self = .cp1258
        case "tcvn3", "tcvn", "abc", "tcvn5712-1", "tcvn-5712": self = .tcvn3
        case "vni", "vni-windows": self = .vni
        default: return nil
        }
    }
}

/// Text decoded from a roster file, in Unicode NFC.
public struct DecodedText: Sendable {
    public var text: String
    public var encoding: RosterEncoding
    /// How the encoding was known: "BOM", "declared", "valid UTF-8", or the detection scores.
    public var how: String
}

/// Why a file could not be decoded.
public struct EncodingError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var message: String
    public var description: String { "\(file): \(message)" }
}

/// Decoding and detection of roster files; encoding too, for tests and sample files.
public enum TextDecoder {
    /// Decodes `bytes` as `declared`, or detects the encoding when nil. The result is NFC.
    /// Detection never guesses: when two legacy encodings read equally well, it fails with
    /// the candidates and how to choose.
    public static func decode(_ bytes: [UInt8], declared: RosterEncoding?, file: String) throws(EncodingError) -> DecodedText {
        if let declared {
            return DecodedText(text: try decode(bytes, as: declared, file: file), encoding: declared, how: "declared")
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            let text = try decode(bytes, as: .utf8, file: file)
            return try repairedMojibake(text, file: file) ?? DecodedText(text: text, encoding: .utf8, how: "UTF-8 BOM")
        }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            return DecodedText(text: try decode(bytes, as: .utf16, file: file), encoding: .utf16, how: "UTF-16 BOM")
        }
        if looksLikeUTF16(bytes) {
            return DecodedText(text: try decode(bytes, as: .utf16, file: file), encoding: .utf16, how: "UTF-16 without BOM (NUL bytes)")
        }
        if let s = String(validating: bytes, as: UTF8.self) {
            // Legacy Vietnamese text practically never forms valid multi-byte UTF-8.
            let text = nfc(s)
            return try repairedMojibake(text, file: file) ?? DecodedText(text: text, encoding: .utf8, how: "valid UTF-8")
        }
        // Mostly well-formed UTF-8 with a stray byte (a bad copy, a field pasted from another
        // file) is broken UTF-8, not a legacy encoding: say where.
        if let where_ = brokenUTF8(bytes) { throw EncodingError(file: file, message: where_) }
        // A legacy single-byte encoding: read it each way and keep the one that reads as Vietnamese.
        let sample = Array(bytes.prefix(256 * 1024))
        var scored: [(RosterEncoding, Double, String)] = []
        for e in [RosterEncoding.cp1258, .tcvn3, .vni] {
            let text = decodeSingleByte(sample, e)
            scored.append((e, VietnameseText.readability(text), text))
        }
        scored.sort { $0.1 > $1.1 }
        let (best, second) = (scored[0], scored[1])
        let scores = scored.map { "\($0.0) \(Int(($0.1 * 100).rounded()))%" }.joined(separator: ", ")
        guard best.1 >= 0.8, best.1 - second.1 >= 0.15 else {
            throw EncodingError(file: file, message: """
                the encoding could not be told with confidence (share of words that read as Vietnamese: \(scores)). \
                Say which it is with --encoding NAME or rosters.encoding in the config (utf-8, utf-16, cp1258, tcvn3, vni)
                """)
        }
        return DecodedText(text: try decode(bytes, as: best.0, file: file), encoding: best.0, how: "detected (\(scores))")
    }

    /// Decodes as the given encoding, into NFC.
    public static func decode(_ bytes: [UInt8], as encoding: RosterEncoding, file: String) throws(EncodingError) -> String {
        switch encoding {
        case .utf8:
            let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
            guard let s = String(validating: body, as: UTF8.self) else {
                throw EncodingError(file: file, message: invalidUTF8Message(bytes, bomLength: bytes.count - body.count)
                    + "; if it is a legacy Vietnamese file, say --encoding cp1258, tcvn3 or vni")
            }
            return nfc(s)
        case .utf16:
            var body = bytes[...]
            var bigEndian = false
            if body.starts(with: [0xFF, 0xFE]) { body = body.dropFirst(2) } else if body.starts(with: [0xFE, 0xFF]) { body = body.dropFirst(2); bigEndian = true } else {
                // No BOM: the side with the NULs of ASCII text is the high byte.
                let evenNULs = stride(from: body.startIndex, to: body.endIndex, by: 2).filter { body[$0] == 0 }.count
                let oddNULs = stride(from: body.startIndex + 1, to: body.endIndex, by: 2).filter { body[$0] == 0 }.count
                bigEndian = evenNULs > oddNULs
            }
            guard body.count % 2 == 0 else { throw EncodingError(file: file, message: "UTF-16 text with an odd number of bytes") }
            var units: [UInt16] = []
            units.reserveCapacity(body.count / 2)
            var i = body.startIndex
            while i < body.endIndex {
                let a = UInt16(body[i]), b = UInt16(body[i + 1])
                units.append(bigEndian ? a << 8 | b : b << 8 | a)
                i += 2
            }
            guard let s = String(validating: units, as: UTF16.self) else {
                throw EncodingError(file: file, message: "not valid UTF-16 (unpaired surrogate)")
            }
            return nfc(s)
        case .cp1258, .tcvn3, .vni:
            let s = decodeSingleByte(bytes, encoding)
            if encoding == .cp1258, s.unicodeScalars.contains("\u{FFFD}") {
                throw EncodingError(file: file, message: "bytes undefined in Windows-1258 (0x81, 0x8A, 0x8D-0x90, 0x9A, 0x9D, 0x9E): is it really cp1258?")
            }
            return s
        }
    }

    /// TCVN3 as Windows writes it: the .VnTime fonts draw capitals with the lower-case codes
    /// (a separate font), so 0x80–0x9F hold what Windows-1252 puts there, and Word's ’ “ ” – —
    /// (the Ê Đê apostrophe in H’Hen, for one) arrive as those bytes. glibc's VN1 table has
    /// toned capitals there; for the eight punctuation bytes Windows-1252 wins (those capitals
    /// are still read as a base letter and a tone byte).
    static func tcvn3Unit(_ b: UInt8) -> UInt16 {
        b == 0x85 || (b >= 0x91 && b <= 0x97) ? cp1252Table[Int(b)] : tcvn3Table[Int(b)]
    }

    static func decodeSingleByte(_ bytes: [UInt8], _ encoding: RosterEncoding) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.reserveCapacity(bytes.count)
        switch encoding {
        case .cp1258:
            for b in bytes { scalars.append(Unicode.Scalar(cp1258Table[Int(b)]) ?? "\u{FFFD}") }
        case .tcvn3:
            for b in bytes { scalars.append(Unicode.Scalar(tcvn3Unit(b)) ?? "\u{FFFD}") }
        case .vni:
            for b in bytes {
                if let seq = vniTable[Int(b)] { scalars.append(contentsOf: seq) } else { scalars.append(Unicode.Scalar(cp1252Table[Int(b)]) ?? "\u{FFFD}") }
            }
        case .utf8, .utf16:
            preconditionFailure("not a single-byte encoding")
        }
        return nfc(String(scalars))
    }

    /// `text` in NFC. Vietnamese text is NFC unless it holds a combining mark (decomposed
    /// exports, Windows-1258 and TCVN3 tone bytes, VNI mark bytes), so the one full
    /// normalization pass runs only then.
    public static func nfc(_ text: String) -> String {
        hasCombiningMark(text) ? text.precomposedStringWithCanonicalMapping : text
    }

    /// Whether `text` holds a scalar of U+0300…U+036F, found by its UTF-8 lead byte (0xCC,
    /// or 0xCD before 0xB0) without decoding the scalars of a 10 MB roster.
    static func hasCombiningMark(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return false }
            if memchr(base, 0xCC, bytes.count) != nil { return true }
            var from = 0
            while from < bytes.count, let hit = memchr(base + from, 0xCD, bytes.count - from) {
                let i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if i + 1 < bytes.count, bytes[i + 1] < 0xB0 { return true }
                from = i + 1
            }
            return false
        }
    }

    static func looksLikeUTF16(_ bytes: [UInt8]) -> Bool {
        let sample = bytes.prefix(4096)
        guard sample.count >= 8 else { return false }
        return sample.filter { $0 == 0 }.count * 4 >= sample.count  // a quarter or more NULs
    }

    /// Excel's usual accident: a TCVN3 or VNI (or Windows-1258) file opened as Western text
    /// (Windows-1252) and saved as "CSV UTF-8". The file is valid UTF-8 but every non-ASCII
    /// character in it is one of Windows-1252's, and `Ủy ban Dân tộc` reads `ñy ban D©n téc`.
    /// Windows-1252 maps back to the original bytes, so the damage is undone: the bytes are
    /// decoded each legacy way and the one that reads as Vietnamese is taken when it is
    /// clear-cut (at least 80 % of words, 30 points better than the text as it came, 15 better
    /// than the next), else the file is refused. Genuine Vietnamese UTF-8 has ư, ơ, đ, ạ…,
    /// which Windows-1252 lacks: one of those ends the check at once.
    static func repairedMojibake(_ text: String, file: String) throws(EncodingError) -> DecodedText? {
        var bytes: [UInt8] = []
        var nonASCII = false
        for s in text.unicodeScalars {
            if s.value < 0x80 { bytes.append(UInt8(s.value)); continue }
            guard let b = cp1252Byte[s.value] else { return nil }
            bytes.append(b)
            nonASCII = true
        }
        guard nonASCII else { return nil }
        let before = VietnameseText.readability(text)
        guard before < 0.8 else { return nil }
        let sample = Array(bytes.prefix(256 * 1024))
        var scored = [RosterEncoding.tcvn3, .vni, .cp1258].map { e in (e, VietnameseText.readability(decodeSingleByte(sample, e))) }
        scored.sort { $0.1 > $1.1 }
        let (best, second) = (scored[0], scored[1])
        func pct(_ x: Double) -> String { "\(Int((x * 100).rounded())) %" }
        guard best.1 >= 0.8, best.1 - before >= 0.3, best.1 - second.1 >= 0.15 else {
            guard best.1 - before >= 0.3 else { return nil }  // not mojibake: left to the name checks
            throw EncodingError(file: file, message: "this UTF-8 file looks like a legacy Vietnamese file saved through Windows-1252 (Excel), "
                + "but which one is not clear (words that read as Vietnamese: as it is \(pct(before)), "
                + scored.map { "as \($0.0) \(pct($0.1))" }.joined(separator: ", ") + "): save it again from the original, or say --encoding")
        }
        let name = best.0 == .tcvn3 ? "TCVN3 (ABC)" : best.0 == .vni ? "VNI" : "Windows-1258"
        return DecodedText(text: decodeSingleByte(bytes, best.0), encoding: best.0,
                           how: "repaired: \(name) text that was opened as Windows-1252 and saved as UTF-8 (Excel); "
                               + "words that read as Vietnamese \(pct(before)) as it came, \(pct(best.1)) repaired")
    }

    /// The character Windows-1252 (as Excel reads it) shows for `byte` (tests, sample files).
    public static func windows1252(_ byte: UInt8) -> UInt32 {
        let u = UInt32(cp1252Table[Int(byte)])
        return u == 0xFFFD || (u == 0 && byte != 0) ? UInt32(byte) : u
    }

    /// Windows-1252's character → its byte; its five undefined bytes as the C1 controls Excel
    /// turns them into.
    static let cp1252Byte: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for b in 0x80...0xFF {
            let u = UInt32(cp1252Table[b])
            map[u == 0 || u == 0xFFFD ? UInt32(b) : u] = UInt8(b)
        }
        for b: UInt32 in [0x81, 0x8D, 0x8F, 0x90, 0x9D] where map[b] == nil { map[b] = UInt8(b) }
        return map
    }()

    /// "line L, column C: byte 0xNN is not valid UTF-8" for the first bad byte of `bytes`.
    static func invalidUTF8Message(_ bytes: [UInt8], bomLength: Int = 0) -> String {
        let body = Array(bytes.dropFirst(bomLength))
        let offset = firstInvalidUTF8(body)
        let lineStart = body[..<offset].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let line = body[..<offset].filter { $0 == 0x0A }.count + 1
        let column = String(decoding: body[lineStart..<offset], as: UTF8.self).count + 1
        return "line \(line), column \(column): byte 0x\(String(format: "%02X", offset < body.count ? body[offset] : 0)) is not valid UTF-8"
    }

    /// The message for a file that is UTF-8 but for a few bytes, or nil. Legacy Vietnamese
    /// text makes almost no well-formed multi-byte sequences; UTF-8 Vietnamese makes one per
    /// accented letter. Ten well-formed ones per bad byte is far from either.
    static func brokenUTF8(_ bytes: [UInt8]) -> String? {
        var good = 0, bad = 0, i = 0
        let n = min(bytes.count, 1 << 20)
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let len = b >= 0xF0 && b < 0xF5 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 0
            if len > 0, i + len <= bytes.count, String(validating: bytes[i..<(i + len)], as: UTF8.self) != nil {
                good += 1
                i += len
            } else {
                bad += 1
                i += 1
            }
        }
        guard bad > 0, good >= 10 * bad else { return nil }
        return invalidUTF8Message(bytes, bomLength: bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0)
            + " (the rest of the file is UTF-8: \(good) well-formed characters, \(bad) bad byte\(bad == 1 ? "" : "s")); fix the file, or say --encoding"
    }

    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int {
        var lo = 0, hi = bytes.count
        // The longest valid prefix, by bisection (a prefix cut inside a character is invalid
        // too, so this finds the offending character within a few bytes).
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if String(validating: bytes[0..<mid], as: UTF8.self) != nil { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    // MARK: - Encoding (tests, sample files)

    /// Encodes NFC text; characters the encoding cannot hold become `?`.
    public static func encode(_ text: String, as encoding: RosterEncoding) -> [UInt8] {
        switch encoding {
        case .utf8: return Array(text.utf8)
        case .utf16:
            var out: [UInt8] = [0xFF, 0xFE]
            for u in text.utf16 { out.append(UInt8(u & 0xFF)); out.append(UInt8(u >> 8)) }
            return out
        case .cp1258, .tcvn3, .vni:
            let map = reverseMap(encoding)
            var out: [UInt8] = []
            out.reserveCapacity(text.utf8.count)
            for ch in text.precomposedStringWithCanonicalMapping {
                if let bytes = map[String(ch)] {
                    out.append(contentsOf: bytes)
                } else if ch.unicodeScalars.allSatisfy(\.isASCII) {
                    out.append(contentsOf: ch.unicodeScalars.map { UInt8($0.value) })  // "\r\n" is one Character
                } else {
                    out.append(UInt8(ascii: "?"))
                }
            }
            return out
        }
    }

    /// NFC character -> the shortest byte sequence that decodes to it. One- and two-byte
    /// sequences cover every Vietnamese letter in all three encodings.
    private static func reverseMap(_ encoding: RosterEncoding) -> [String: [UInt8]] {
        var map: [String: [UInt8]] = [:]
        func scalars(_ b: UInt8) -> [Unicode.Scalar] {
            switch encoding {
            case .cp1258: [Unicode.Scalar(cp1258Table[Int(b)]) ?? "\u{FFFD}"]
            case .tcvn3: [Unicode.Scalar(tcvn3Unit(b)) ?? "\u{FFFD}"]
            default: vniTable[Int(b)] ?? [Unicode.Scalar(cp1252Table[Int(b)]) ?? "\u{FFFD}"]
            }
        }
        for b in (0...255).map(UInt8.init) {
            let s = String(String.UnicodeScalarView(scalars(b))).precomposedStringWithCanonicalMapping
            if s.count == 1, map[s] == nil, !s.unicodeScalars.contains("\u{FFFD}") { map[s] = [b] }
        }
        // Base letters followed by a mark byte. For VNI, an upper-case base takes the
        // upper-case mark bytes (as VNI fonts are typed), so those pairs are tried first.
        let bases = (0...255).map(UInt8.init).filter { b in
            let s = scalars(b)
            return s.count == 1 && s[0].properties.isAlphabetic
        }
        let marks = (0...255).map(UInt8.init).filter { b in
            scalars(b).allSatisfy { $0.properties.canonicalCombiningClass.rawValue > 0 }
        }
        for base in bases {
            let upper = scalars(base)[0].properties.isUppercase
            let ordered = marks.sorted { a, b in
                let au = a < 0xE0, bu = b < 0xE0
                return (au == upper ? 0 : 1, a) < (bu == upper ? 0 : 1, b)
            }
            for mark in ordered {
                let s = String(String.UnicodeScalarView(scalars(base) + scalars(mark))).precomposedStringWithCanonicalMapping
                if s.count == 1, map[s] == nil { map[s] = [base, mark] }
            }
        }
        return map
    }
}

/// VNI-Windows bytes that are not drawn as their Windows-1252 glyph: a mark that follows its
/// base letter (as combining characters) or a letter of its own. Derived from the VNI key
/// tables of xvnkb (vni.h, Dao Hai Lam, 2002) and VBKey (mdlCodeTable.bas,
/// VNI_WINDOWS_TABLE), which agree: e.g. "a" + 0xE1 is "ấ", 0xF4 alone is "ơ".
let vniTable: [[Unicode.Scalar]?] = {
    var t = [[Unicode.Scalar]?](repeating: nil, count: 256)
    let acute: Unicode.Scalar = "\u{0301}", grave: Unicode.Scalar = "\u{0300}", hook: Unicode.Scalar = "\u{0309}"
    let tilde: Unicode.Scalar = "\u{0303}", dot: Unicode.Scalar = "\u{0323}", circ: Unicode.Scalar = "\u{0302}", breve: Unicode.Scalar = "\u{0306}"
    // (upper-case byte, lower-case byte, what it draws)
    let marks: [(UInt8, UInt8, [Unicode.Scalar])] = [
        (0xD9, 0xF9, [acute]), (0xD8, 0xF8, [grave]), (0xDB, 0xFB, [hook]), (0xD5, 0xF5, [tilde]), (0xCF, 0xEF, [dot]),
        (0xC2, 0xE2, [circ]), (0xC1, 0xE1, [circ, acute]), (0xC0, 0xE0, [circ, grave]), (0xC5, 0xE5, [circ, hook]),
        (0xC3, 0xE3, [circ, tilde]), (0xC4, 0xE4, [circ, dot]),
        (0xCA, 0xEA, [breve]), (0xC9, 0xE9, [breve, acute]), (0xC8, 0xE8, [breve, grave]), (0xDA, 0xFA, [breve, hook]),
        (0xDC, 0xFC, [breve, tilde]), (0xCB, 0xEB, [breve, dot]),
    ]
    for (u, l, seq) in marks { t[Int(u)] = seq; t[Int(l)] = seq }
    let letters: [(UInt8, UInt8, Unicode.Scalar, Unicode.Scalar)] = [
        (0xD4, 0xF4, "Ơ", "ơ"), (0xD6, 0xF6, "Ư", "ư"), (0xCD, 0xED, "Í", "í"), (0xCC, 0xEC, "Ì", "ì"),
        (0xC6, 0xE6, "Ỉ", "ỉ"), (0xD3, 0xF3, "Ĩ", "ĩ"), (0xD2, 0xF2, "Ị", "ị"), (0xCE, 0xEE, "Ỵ", "ỵ"), (0xD1, 0xF1, "Đ", "đ"),
    ]
    for (u, l, su, sl) in letters { t[Int(u)] = [su]; t[Int(l)] = [sl] }
    return t
}()
