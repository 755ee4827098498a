import Foundation

/// One record of a CSV file: its fields and the line it starts on (1-based; a quoted field
/// may span lines).
public struct CSVRecord: Sendable {
    public var line: Int
    public var fields: [String]
}

/// RFC 4180 CSV with the separator detected from the header line (`,` `;` or tab, as Excel
/// writes them by locale): quoted fields, doubled quotes, quoted newlines, CRLF or LF.
public enum CSVReader {
    public struct Failure: Error, Sendable {
        public var line: Int
        public var column: Int
        public var message: String
    }

    /// The separator the header line uses most, outside quotes.
    public static func detectSeparator(_ text: Substring) -> Character {
        var counts: [Character: Int] = [",": 0, ";": 0, "\t": 0]
        var quoted = false
        for ch in text {
            if ch == "\"" { quoted.toggle() } else if !quoted {
                if ch == "\n" || ch == "\r\n" || ch == "\r" { break }
                if counts[ch] != nil { counts[ch, default: 0] += 1 }
            }
        }
        return [",", ";", "\t"].max { counts[$0]! < counts[$1]! } ?? ","
    }

    /// All records; blank lines are skipped. Throws on an unterminated quote or stray text after a closing quote.
    public static func records(_ text: String, separator: Character? = nil) throws(Failure) -> [CSVRecord] {
        var body = Substring(text)
        if body.first == "\u{FEFF}" { body = body.dropFirst() }
        let sep = separator ?? detectSeparator(body)
        var out: [CSVRecord] = []
        var fields: [String] = []
        var field = ""
        var line = 1, recordLine = 1
        var inQuotes = false, wasQuoted = false, afterQuote = false
        var quoteLine = 1

        func endField() {
            fields.append(wasQuoted ? field : field.trimmingCharacters(in: .whitespaces))
            field = ""
            wasQuoted = false
            afterQuote = false
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) { out.append(CSVRecord(line: recordLine, fields: fields)) }
            fields = []
        }

        for ch in body {
            if inQuotes {
                if ch == "\"" { inQuotes = false; afterQuote = true; continue }
                if ch == "\n" || ch == "\r\n" || ch == "\r" { line += 1; field.append("\n"); continue }
                field.append(ch)
                continue
            }
            if afterQuote && ch == "\"" {  // a doubled quote inside a quoted field
                field.append("\"")
                inQuotes = true
                afterQuote = false
                continue
            }
            switch ch {
            case sep:
                endField()
            case "\n", "\r\n", "\r":
                endRecord()
                line += 1
                recordLine = line
            case "\"" where field.allSatisfy({ $0 == " " }) && !wasQuoted:
                field = ""
                inQuotes = true
                wasQuoted = true
                quoteLine = line
            default:
                if afterQuote && ch != " " {
                    throw Failure(line: line, column: fields.count + 1, message: "text after a closing quote")
                }
                if !afterQuote { field.append(ch) }
            }
        }
        if inQuotes { throw Failure(line: quoteLine, column: fields.count + 1, message: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty || wasQuoted { endRecord() }
        return out
    }
}
