import Foundation

/// A distinguished name (RFC 4514): parsed into RDNs, printed with every special character
/// escaped, compared the way a directory compares names.
///
/// Values are kept as Unicode strings in NFC; printing leaves non-ASCII characters as UTF-8
/// (RFC 4514 allows it, and slapd stores them so), escaping only what the grammar requires.
public struct DN: Sendable, Hashable, CustomStringConvertible, Comparable {
    /// One attribute-value assertion of an RDN, e.g. `ou=vu-dan-toc`.
    public struct AVA: Sendable, Hashable {
        public var type: String
        public var value: String
        public init(type: String, value: String) {
            self.type = type
            self.value = value.utf8.allSatisfy { $0 < 0x80 } ? value : value.precomposedStringWithCanonicalMapping
        }
        fileprivate init(ascii type: String, _ value: String) {
            self.type = type
            self.value = value
        }
    }

    /// A relative distinguished name: usually one AVA, several when multi-valued (`a=1+b=2`).
    public struct RDN: Sendable, Hashable, CustomStringConvertible {
        public let avas: [AVA]
        /// The comparison form, computed once: planning 100,000 entries compares DNs millions of times.
        let key: String
        public init(_ avas: [AVA]) {
            self.avas = avas
            if avas.count == 1 {
                self.key = DN.foldForComparison(avas[0].type) + "=" + DN.foldForComparison(avas[0].value)
            } else {
                self.key = avas.map { "\($0.type.lowercased())=\(DN.foldForComparison($0.value))" }.sorted().joined(separator: "+")
            }
        }
        public init(type: String, value: String) { self.init([AVA(type: type, value: value)]) }

        /// The same for a type and value of plain ASCII (no space, nothing to escape), as
        /// nearly every entry's RDN is (`uid=annv`): its key lower-cased straight from the
        /// bytes. The general rules cost several allocations an entry on a 100,000-entry read.
        /// Other text is taken the general way.
        public init(plainType type: String, value: String) {
            func plain(_ s: String) -> Bool {
                s.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x2C && $0 != 0x2B && $0 != 0x5C && $0 != 0x22 && $0 != 0x3D && $0 != 0x3B && $0 != 0x3C && $0 != 0x3E }
            }
            guard !type.isEmpty, !value.isEmpty, plain(type), plain(value), value.utf8.first != 0x23 else {
                self.init(type: type, value: value)
                return
            }
            let n = type.utf8.count + 1 + value.utf8.count
            let key = String(unsafeUninitializedCapacity: n) { buffer in
                var i = 0
                for b in type.utf8 { buffer[i] = b >= 0x41 && b <= 0x5A ? b + 0x20 : b; i += 1 }
                buffer[i] = UInt8(ascii: "="); i += 1
                for b in value.utf8 { buffer[i] = b >= 0x41 && b <= 0x5A ? b + 0x20 : b; i += 1 }
                return n
            }
            self.init(avas: [AVA(ascii: type, value)], key: key)
        }

        private init(avas: [AVA], key: String) {
            self.avas = avas
            self.key = key
        }
        public var description: String {
            avas.map { "\($0.type)=\(DN.escape($0.value))" }.joined(separator: "+")
        }
        /// The value of the first AVA: what `uid=annv` means by `annv`.
        public var value: String { avas.first?.value ?? "" }
        public var type: String { avas.first?.type ?? "" }
        public static func == (a: RDN, b: RDN) -> Bool { a.key == b.key }
        public func hash(into h: inout Hasher) { h.combine(key) }
    }

    /// Most specific first, as written: `uid=a,ou=b,dc=c` is `[uid=a, ou=b, dc=c]`.
    public let rdns: [RDN]
    /// A key equal for DNs that compare equal; handy as a dictionary key that prints.
    public let normalized: String

    public init(rdns: [RDN]) {
        self.rdns = rdns
        self.normalized = rdns.map(\.key).joined(separator: ",")
    }

    /// For names made from another DN whose key is known: no join over every RDN again.
    private init(rdns: [RDN], normalized: String) {
        self.rdns = rdns
        self.normalized = normalized
    }

    /// The root DSE's empty name.
    public static let root = DN(rdns: [])

    /// Parses an RFC 4514 string. Throws `DNError` naming the offset of the first problem.
    public init(_ string: String) throws(DNError) {
        var parser = DNParser(string)
        self.init(rdns: try parser.parse())
    }

    public var description: String { rdns.map(\.description).joined(separator: ",") }
    public var string: String { description }

    public var isRoot: Bool { rdns.isEmpty }

    /// The number of RDNs of a DN string, without parsing it (escaped commas do not count).
    public static func depth(of string: String) -> Int {
        guard !string.isEmpty else { return 0 }
        var n = 1, escaped = false, quoted = false
        for b in string.utf8 {
            if escaped { escaped = false; continue }
            switch b {
            case UInt8(ascii: "\\"): escaped = true
            case UInt8(ascii: "\""): quoted.toggle()
            case UInt8(ascii: ","), UInt8(ascii: ";"): if !quoted { n += 1 }
            default: break
            }
        }
        return n
    }
    public var rdn: RDN? { rdns.first }
    public var parent: DN? {
        guard let first = rdns.first else { return nil }
        // The parent's key is the end of this one's: cut, not joined again.
        let cut = first.key.utf8.count + (rdns.count > 1 ? 1 : 0)
        return DN(rdns: Array(rdns.dropFirst()), normalized: String(Substring(normalized.utf8.dropFirst(cut))))
    }

    /// True when `self` is an immediate child of `dn` (no DN is built to find out).
    public func isChild(of dn: DN) -> Bool {
        guard let first = rdns.first, rdns.count == dn.rdns.count + 1 else { return false }
        let n = normalized.utf8, p = dn.normalized.utf8
        let cut = first.key.utf8.count + (dn.rdns.isEmpty ? 0 : 1)
        guard n.count == cut + p.count else { return false }
        return Substring(n.dropFirst(cut)).sameBytes(dn.normalized)
    }

    /// `self` with `rdn` prepended: the DN of a child entry.
    public func child(_ rdn: RDN) -> DN {
        var all = [rdn]
        all.reserveCapacity(rdns.count + 1)
        all.append(contentsOf: rdns)
        return DN(rdns: all, normalized: rdns.isEmpty ? rdn.key : rdn.key + "," + normalized)
    }
    public func child(type: String, value: String) -> DN { child(RDN(type: type, value: value)) }

    /// True when `self` is `ancestor` or lies below it.
    public func isWithin(_ ancestor: DN) -> Bool { self == ancestor || isDescendant(of: ancestor) }

    /// True when `self` lies strictly below `ancestor`.
    public func isDescendant(of ancestor: DN) -> Bool {
        guard rdns.count > ancestor.rdns.count else { return false }
        let offset = rdns.count - ancestor.rdns.count
        for i in ancestor.rdns.indices where rdns[offset + i] != ancestor.rdns[i] { return false }
        return true
    }

    /// `self` moved from below `old` to below `new` (for entries under a renamed subtree).
    public func rebased(from old: DN, to new: DN) -> DN? {
        guard isWithin(old) else { return nil }
        return DN(rdns: Array(rdns.prefix(rdns.count - old.rdns.count)) + new.rdns)
    }

    /// Comparison as a directory does it for the caseIgnoreMatch attributes DNs are made of:
    /// attribute types and values case-insensitive, insignificant spaces folded.
    public static func == (a: DN, b: DN) -> Bool { a.normalized == b.normalized }
    public func hash(into h: inout Hasher) { h.combine(normalized) }
    public static func < (a: DN, b: DN) -> Bool { a.normalized < b.normalized }

    /// The comparison form of a value. `,` `+` and `\` are escaped so that keys joined with
    /// `,` and `+` stay unambiguous (`ou=a\,ou=b` is one RDN, `ou=a,ou=b` two).
    static func foldForComparison(_ value: String) -> String {
        if value.utf8.allSatisfy({ $0 < 0x80 && $0 != 0x20 && $0 != 0x2C && $0 != 0x2B && $0 != 0x5C }) {
            // The usual case (uid, ou, dc values): ASCII without spaces, lower-cased by hand.
            return String(decoding: value.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
        }
        let folded = value.precomposedStringWithCanonicalMapping.lowercased()
            .split(whereSeparator: { $0 == " " }).joined(separator: " ")
        guard folded.utf8.contains(where: { $0 == 0x2C || $0 == 0x2B || $0 == 0x5C }) else { return folded }
        var out = ""
        for c in folded.unicodeScalars {
            if c == "," || c == "+" || c == "\\" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(c)
        }
        return out
    }

    /// Escapes an attribute value for use in a DN string (RFC 4514 section 2.4): `"` `+` `,`
    /// `;` `<` `>` `\` and `=` anywhere, `#` or a space first, a space last, NUL as `\00`.
    public static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count + 4)
        let scalars = Array(value.unicodeScalars)
        for (i, s) in scalars.enumerated() {
            switch s {
            case "\"", "+", ",", ";", "<", ">", "\\", "=":
                out.append("\\"); out.unicodeScalars.append(s)
            case "#" where i == 0:
                out.append("\\#")
            case " " where i == 0 || i == scalars.count - 1:
                out.append("\\ ")
            case "\0":
                out.append("\\00")
            default:
                if s.value < 0x20 || s.value == 0x7F {
                    out.append(String(format: "\\%02X", s.value))
                } else {
                    out.unicodeScalars.append(s)
                }
            }
        }
        return out
    }
}

/// A DN string that does not follow RFC 4514.
public struct DNError: Error, Sendable, CustomStringConvertible {
    public var input: String
    public var offset: Int
    public var reason: String
    public var description: String { "invalid DN \"\(input)\" at offset \(offset): \(reason)" }
}

/// A recursive-descent parser over the UTF-8 bytes of a DN string.
private struct DNParser {
    let input: String
    let bytes: [UInt8]
    var i = 0

    init(_ input: String) {
        self.input = input
        self.bytes = Array(input.utf8)
    }

    func fail(_ reason: String) -> DNError { DNError(input: input, offset: i, reason: reason) }

    mutating func skipSpaces() { while i < bytes.count && bytes[i] == 0x20 { i += 1 } }

    mutating func parse() throws(DNError) -> [DN.RDN] {
        var rdns: [DN.RDN] = []
        skipSpaces()
        if i == bytes.count { return [] }
        while true {
            var avas: [DN.AVA] = []
            while true {
                avas.append(try parseAVA())
                if i < bytes.count && bytes[i] == UInt8(ascii: "+") { i += 1; continue }
                break
            }
            rdns.append(DN.RDN(avas))
            if i == bytes.count { break }
            guard bytes[i] == UInt8(ascii: ",") || bytes[i] == UInt8(ascii: ";") else {
                throw fail("expected ',' between RDNs")
            }
            i += 1
        }
        return rdns
    }

    mutating func parseAVA() throws(DNError) -> DN.AVA {
        skipSpaces()
        let start = i
        while i < bytes.count, isTypeByte(bytes[i]) { i += 1 }
        guard i > start else { throw fail("expected an attribute type") }
        let type = String(decoding: bytes[start..<i], as: UTF8.self)
        skipSpaces()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { throw fail("expected '=' after \(type)") }
        i += 1
        skipSpaces()
        let value = try parseValue()
        return DN.AVA(type: type, value: value)
    }

    func isTypeByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }

    mutating func parseValue() throws(DNError) -> String {
        if i < bytes.count, bytes[i] == UInt8(ascii: "#") {
            // A BER-encoded value in hex: kept as written, it is compared as a string.
            let start = i
            i += 1
            while i < bytes.count, hexValue(bytes[i]) != nil { i += 1 }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
            // RFC 2253 quoted form, accepted on input for older DNs.
            i += 1
            var out: [UInt8] = []
            while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                if bytes[i] == UInt8(ascii: "\\") { out.append(contentsOf: try parseEscape()) } else { out.append(bytes[i]); i += 1 }
            }
            guard i < bytes.count else { throw fail("unterminated quoted value") }
            i += 1
            skipSpaces()
            return try decode(out)
        }
        var out: [UInt8] = []
        var lastSignificant = 0  // length of `out` up to its last escaped or non-space byte
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: ",") || b == UInt8(ascii: "+") || b == UInt8(ascii: ";") { break }
            if b == UInt8(ascii: "\\") {
                out.append(contentsOf: try parseEscape())
                lastSignificant = out.count
                continue
            }
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "<") || b == UInt8(ascii: ">") || b == 0 {
                throw fail("'\(Character(UnicodeScalar(b)))' must be escaped in a DN value")
            }
            out.append(b)
            i += 1
            if b != 0x20 { lastSignificant = out.count }
        }
        // Unescaped trailing spaces are not part of the value.
        return try decode(Array(out.prefix(lastSignificant)))
    }

    mutating func parseEscape() throws(DNError) -> [UInt8] {
        i += 1  // the backslash
        guard i < bytes.count else { throw fail("a DN cannot end with '\\'") }
        if i + 1 < bytes.count, let hi = hexValue(bytes[i]), let lo = hexValue(bytes[i + 1]) {
            i += 2
            return [hi << 4 | lo]
        }
        let b = bytes[i]
        let specials = Array(" \"#+,;<=>\\".utf8)
        guard specials.contains(b) else { throw fail("invalid escape '\\\(Character(UnicodeScalar(b)))'") }
        i += 1
        return [b]
    }

    func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }

    func decode(_ raw: [UInt8]) throws(DNError) -> String {
        guard let s = String(validating: raw, as: UTF8.self) else { throw fail("value is not valid UTF-8") }
        return s
    }
}

extension StringProtocol {
    /// Byte-for-byte equality, by memcmp when both are contiguous. `==` compares by canonical
    /// equivalence, normalizing non-ASCII text on each call: comparing 100,000 people's names
    /// with the directory's spent most of its time there. Everything rostersync writes is NFC,
    /// so bytes are what to compare (a value held in another form is then rewritten in NFC).
    @inlinable public func sameBytes(_ other: some StringProtocol) -> Bool {
        let x = utf8, y = other.utf8
        guard x.count == y.count else { return false }
        if let same = x.withContiguousStorageIfAvailable({ xb in
            y.withContiguousStorageIfAvailable { yb in xb.count == 0 || memcmp(xb.baseAddress!, yb.baseAddress!, xb.count) == 0 }
        }), let same { return same }
        return x.elementsEqual(y)
    }
}
