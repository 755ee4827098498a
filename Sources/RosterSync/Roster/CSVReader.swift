import Foundation

/// One record of a CSV file: its fields and the line it starts on (1-based; a quoted field
/// may span lines).
public struct CSVRecord: Sendable {
    public var line: Int
    public var fields: [String]
}

/// RFC 4180 CSV with the separator detected from the header line (`,` `;` or tab, as Excel
/// writes them by locale): quoted fields, doubled quotes, quoted newlines, CRLF or LF.
/// It works on the UTF-8 bytes (every byte it looks for is ASCII, and no byte of a multi-byte
/// UTF-8 character is ASCII), which is much faster than walking Characters.
public enum CSVReader {
    public struct Failure: Error, Sendable {
        public var line: Int
        public var column: Int
        public var message: String
    }

    static let quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n"), space = UInt8(ascii: " ")

    /// The separator the header line uses most, outside quotes.
    public static func detectSeparator(_ text: Substring) -> Character {
        var counts: [UInt8: Int] = [UInt8(ascii: ","): 0, UInt8(ascii: ";"): 0, UInt8(ascii: "\t"): 0]
        var quoted = false
        for b in text.utf8 {
            if b == quote { quoted.toggle() } else if !quoted {
                if b == lf || b == cr { break }
                if counts[b] != nil { counts[b, default: 0] += 1 }
            }
        }
        let best = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t")].max { counts[$0]! < counts[$1]! } ?? UInt8(ascii: ",")
        return Character(UnicodeScalar(best))
    }

    /// All records; blank lines are skipped. Throws on an unterminated quote or text after a closing quote.
    public static func records(_ text: String, separator: Character? = nil) throws(Failure) -> [CSVRecord] {
        var out: [CSVRecord] = []
        try forEachRecord(text, separator: separator) { out.append($0) }
        return out
    }

    /// Hands each record to `body` as it is read, so a large file is never held twice.
    public static func forEachRecord(_ text: String, separator: Character? = nil, _ body: (CSVRecord) -> Void) throws(Failure) {
        var text = text
        var skip = 0
        if text.unicodeScalars.first == "\u{FEFF}" { skip = 3 }
        let sep = (separator ?? detectSeparator(Substring(text).dropFirst(skip == 0 ? 0 : 1))).asciiValue ?? UInt8(ascii: ",")
        let failure: Failure? = text.withUTF8 { bytes in
            do throws(Failure) {
                try parse(UnsafeBufferPointer(rebasing: bytes[skip...]), sep: sep, body)
                return nil
            } catch { return error }
        }
        if let failure { throw failure }
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>, sep: UInt8, _ emit: (CSVRecord) -> Void) throws(Failure) {
        var fields: [String] = []
        var line = 1, recordLine = 1
        var i = 0
        let n = bytes.count
        var field: [UInt8] = []

        func unquotedField(_ start: Int, _ end: Int) -> String {
            var s = start, e = end
            while s < e && bytes[s] == space { s += 1 }
            while e > s && bytes[e - 1] == space { e -= 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[s..<e]), as: UTF8.self)
        }

        while i < n {
            // At the start of a field.
            var start = i
            while start < n && bytes[start] == space { start += 1 }
            if start < n && bytes[start] == quote {
                let openLine = line
                field.removeAll(keepingCapacity: true)
                var j = start + 1
                while true {
                    guard j < n else { throw Failure(line: openLine, column: fields.count + 1, message: "a quoted field is never closed") }
                    let b = bytes[j]
                    if b == quote {
                        if j + 1 < n && bytes[j + 1] == quote { field.append(quote); j += 2; continue }
                        j += 1
                        break
                    }
                    if b == cr {
                        field.append(lf)
                        line += 1
                        j += (j + 1 < n && bytes[j + 1] == lf) ? 2 : 1
                        continue
                    }
                    if b == lf { line += 1 }
                    field.append(b)
                    j += 1
                }
                while j < n && bytes[j] == space { j += 1 }
                if j < n && bytes[j] != sep && bytes[j] != cr && bytes[j] != lf {
                    throw Failure(line: line, column: fields.count + 1, message: "text after a closing quote")
                }
                fields.append(String(decoding: field, as: UTF8.self))
                i = j
            } else {
                var j = i
                while j < n && bytes[j] != sep && bytes[j] != cr && bytes[j] != lf { j += 1 }
                fields.append(unquotedField(i, j))
                i = j
            }
            // After a field: a separator, an end of line, or the end.
            if i < n && bytes[i] == sep {
                i += 1
                if i == n { fields.append("") }
                continue
            }
            if !(fields.count == 1 && fields[0].isEmpty) { emit(CSVRecord(line: recordLine, fields: fields)) }
            fields.removeAll(keepingCapacity: true)
            if i < n {
                if bytes[i] == cr && i + 1 < n && bytes[i + 1] == lf { i += 1 }
                i += 1
                line += 1
            }
            recordLine = line
        }
        if !fields.isEmpty && !(fields.count == 1 && fields[0].isEmpty) { emit(CSVRecord(line: recordLine, fields: fields)) }
    }
}
