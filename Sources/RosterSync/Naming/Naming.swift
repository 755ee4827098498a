import Foundation

/// A Vietnamese full name split into family, middle and given names.
public struct PersonName: Sendable, Hashable {
    public var family: String
    public var middle: [String]
    public var given: String

    /// Kinh names read family, middle…, given ("Nguyễn Văn An"; "Hoàng A Sáng", "Lò Văn Pấng").
    /// Ê Đê and other Highland names put a gender prefix first and the clan name last: "Y"
    /// (men) or "H'" (women) + given + family ("Y Moan Ênuôl", "H'Hen Niê"); the prefix then
    /// counts as a middle name.
    public init(parsing fullName: String) {
        let words = Self.words(fullName)
        guard let first = words.first else {
            self.init(family: "", middle: [], given: "")
            return
        }
        guard words.count > 1 else {
            self.init(family: "", middle: [], given: first)
            return
        }
        if first == "Y" || first == "y", words.count >= 3 {
            self.init(family: words[words.count - 1], middle: ["Y"] + words[2..<(words.count - 1)], given: words[1])
            return
        }
        if first.hasPrefix("H'") || first.hasPrefix("H’") || first.hasPrefix("h'") || first.hasPrefix("h’"), first.count > 2 {
            let given = String(first.dropFirst(2))
            self.init(family: words[words.count - 1], middle: ["H"] + words[1..<(words.count - 1)], given: given)
            return
        }
        self.init(family: first, middle: Array(words[1..<(words.count - 1)]), given: words[words.count - 1])
    }

    /// Family and given name of a Kinh name written with single ASCII spaces, as `init(parsing:)`
    /// gives them, without splitting it into words; nil for anything else (Highland prefixes,
    /// other whitespace, leading or trailing or double spaces), which takes the full parse.
    public static func simpleParts(_ name: String) -> (family: Substring, given: Substring)? {
        let u = name.utf8
        guard let first = u.first, first != 0x20, u.last != 0x20 else { return nil }
        var prev: UInt8 = 0
        var firstSpace: String.Index?, lastSpace: String.Index?
        var i = u.startIndex
        while i < u.endIndex {
            let b = u[i]
            if b == 0x20 {
                if prev == 0x20 { return nil }
                if firstSpace == nil { firstSpace = i }
                lastSpace = i
            } else if (b >= 0x09 && b <= 0x0D) || b == 0xE2 || b == 0xE3 || (prev == 0xC2 && (b == 0x85 || b == 0xA0)) || (prev == 0xE1 && (b == 0x9A || b == 0xA0)) {
                return nil
            }
            prev = b
            i = u.index(after: i)
        }
        guard let firstSpace, let lastSpace else { return (name[name.startIndex..<name.startIndex], Substring(name)) }
        let family = name[..<firstSpace]
        // Highland clan prefixes (Y, H'), looked at by bytes: Character comparisons of
        // Vietnamese text cost more than the rest. (H’ with U+2019 never gets here: 0xE2.)
        let f = family.utf8
        if (f.count == 1 && (first == UInt8(ascii: "Y") || first == UInt8(ascii: "y")))
            || (f.count >= 2 && (first == UInt8(ascii: "H") || first == UInt8(ascii: "h")) && f[f.index(after: f.startIndex)] == UInt8(ascii: "'")) {
            return nil
        }
        return (family, name[u.index(after: lastSpace)...])
    }

    /// The words of a name. Roster names arrive with single ASCII spaces, split here by bytes;
    /// any other whitespace (tab, no-break and Unicode spaces) takes the general path.
    static func words(_ name: String) -> [String] {
        var u = name.utf8.makeIterator()
        var prev: UInt8 = 0
        while let b = u.next() {
            let other = (b >= 0x09 && b <= 0x0D) || b == 0xE2 || b == 0xE3
                || (prev == 0xC2 && (b == 0x85 || b == 0xA0)) || (prev == 0xE1 && (b == 0x9A || b == 0xA0))
            if other { return name.split(whereSeparator: { $0.isWhitespace }).map(String.init) }
            prev = b
        }
        return name.utf8.split(separator: 0x20).map { String(Substring($0)) }
    }

    public init(family: String, middle: [String], given: String) {
        self.family = family
        self.middle = middle
        self.given = given
    }
}

/// How a person's address local part is made from their name: placeholders
/// `{given}` `{family}` `{middle}` (each ASCII-folded), `{g}` `{f}` `{m}` (their initials) and
/// `{initials}` (family then middle initials), with `.`, `-`, `_` or digits between.
/// The default `{given}{initials}` makes "Nguyễn Văn An" → `annv`, the usual Vietnamese
/// agency form.
public struct LocalPartPattern: Sendable, Hashable, CustomStringConvertible {
    public static let `default` = LocalPartPattern(pieces: [.given, .initials], description: "{given}{initials}")
    /// Longest local part made (a numeric suffix may add to it); RFC 5321 allows 64.
    public static let maxLength = 30

    enum Piece: Sendable, Hashable { case literal(String), given, family, middle, g, f, m, initials }
    let pieces: [Piece]
    public let description: String

    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    private init(pieces: [Piece], description: String) {
        self.pieces = pieces
        self.description = description
    }

    public init(_ text: String) throws(Invalid) {
        var pieces: [Piece] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            if rest.first == "{" {
                guard let close = rest.firstIndex(of: "}") else { throw Invalid(description: "unclosed { in \"\(text)\"") }
                let name = rest[rest.index(after: rest.startIndex)..<close]
                switch name {
                case "given": pieces.append(.given)
                case "family": pieces.append(.family)
                case "middle": pieces.append(.middle)
                case "g": pieces.append(.g)
                case "f": pieces.append(.f)
                case "m": pieces.append(.m)
                case "initials": pieces.append(.initials)
                default: throw Invalid(description: "unknown placeholder {\(name)} in \"\(text)\" (known: {given} {family} {middle} {g} {f} {m} {initials})")
                }
                rest = rest[rest.index(after: close)...]
            } else {
                let lit = rest.prefix { $0 != "{" }
                guard lit.allSatisfy({ $0 == "." || $0 == "-" || $0 == "_" || ($0.isASCII && ($0.isNumber || $0.isLowercase)) }) else {
                    throw Invalid(description: "\"\(lit)\" in \"\(text)\": only a-z, 0-9, '.', '-' and '_' may stand between placeholders")
                }
                pieces.append(.literal(String(lit)))
                rest = rest.dropFirst(lit.count)
            }
        }
        guard pieces.contains(where: { if case .literal = $0 { false } else { true } }) else {
            throw Invalid(description: "\"\(text)\" has no placeholder")
        }
        self.pieces = pieces
        self.description = text
    }

    /// The local part for `name`: only `[a-z0-9._-]`, no leading, trailing or doubled
    /// separators, at most `maxLength` characters; "user" if nothing is left.
    public func localPart(for name: PersonName) -> String {
        let given = VietnameseText.asciiFold(name.given)
        let family = VietnameseText.asciiFold(name.family)
        let middle = name.middle.map(VietnameseText.asciiFold)
        var out = ""
        for p in pieces {
            switch p {
            case let .literal(s): out += s
            case .given: out += given
            case .family: out += family
            case .middle: out += middle.joined()
            case .g: out += given.prefix(1)
            case .f: out += family.prefix(1)
            case .m: out += middle.map { String($0.prefix(1)) }.joined()
            case .initials: out += family.prefix(1) + middle.map { String($0.prefix(1)) }.joined()
            }
        }
        return LocalPartPattern.sanitize(out)
    }

    static func sanitize(_ raw: String) -> String {
        var out = ""
        var lastSep = true
        for ch in raw.lowercased() {
            if ch == "." || ch == "-" || ch == "_" {
                if !lastSep { out.append(ch) }
                lastSep = true
            } else if ch.isASCII && (ch.isLetter || ch.isNumber) {
                out.append(ch)
                lastSep = false
            }
        }
        while let last = out.last, last == "." || last == "-" || last == "_" { out.removeLast() }
        if out.count > maxLength {
            out = String(out.prefix(maxLength))
            while let last = out.last, last == "." || last == "-" || last == "_" { out.removeLast() }
        }
        return out.isEmpty ? "user" : out
    }
}

/// A unit mailbox derived from the unit's name when the roster gives none: the initials of
/// its words ("Vụ Tổ chức cán bộ" → `vtccb`), the way agencies name unit mailboxes.
public func derivedUnitMailbox(_ unitName: String) -> String {
    // Roman numerals and numbers stay whole: "Vụ Địa phương II" → vdpii, not vdpi.
    let romanOrDigits = Set("IVXLCDM0123456789")
    let initials = unitName.split(whereSeparator: { $0.isWhitespace || $0 == "-" || $0 == "," })
        .map { w in w.allSatisfy { romanOrDigits.contains($0) } ? w.lowercased() : String(VietnameseText.asciiFold(String(w)).prefix(1)) }
        .joined()
    return LocalPartPattern.sanitize(initials)
}
