import Foundation
@testable import RosterSync
import Testing

/// The 134 precomposed Vietnamese letters: 12 vowels × 6 tones less the 6 plain ASCII vowels,
/// plus đ; lower and upper case.
let vietnameseLetters: [String] = {
    let vowels = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"]
    let tones = ["", "\u{0300}", "\u{0301}", "\u{0309}", "\u{0303}", "\u{0323}"]
    var lower: [String] = []
    for v in vowels {
        for t in tones where !(t.isEmpty && v.unicodeScalars.allSatisfy(\.isASCII)) {
            lower.append((v + t).precomposedStringWithCanonicalMapping)
        }
    }
    lower.append("đ")
    return lower + lower.map { $0.uppercased() }
}()

let legacy: [RosterEncoding] = [.cp1258, .tcvn3, .vni]

@Suite("Encodings")
struct EncodingTests {
    @Test("there are 134 letters, each one precomposed character")
    func letterCount() {
        #expect(vietnameseLetters.count == 134)
        #expect(Set(vietnameseLetters).count == 134)
        #expect(vietnameseLetters.allSatisfy { $0.count == 1 && $0.unicodeScalars.count == 1 })
    }

    @Test("every letter in both cases round-trips through every encoding", arguments: RosterEncoding.allCases)
    func everyLetterRoundTrips(encoding: RosterEncoding) throws {
        for letter in vietnameseLetters {
            let bytes = TextDecoder.encode(letter, as: encoding)
            #expect(!bytes.contains(UInt8(ascii: "?")), "\(letter) cannot be written in \(encoding)")
            let back = try TextDecoder.decode(bytes, as: encoding, file: "t")
            #expect(back == letter, "\(letter) came back as \(back) through \(encoding)")
        }
        let all = vietnameseLetters.joined(separator: " ")
        #expect(try TextDecoder.decode(TextDecoder.encode(all, as: encoding), as: encoding, file: "t") == all)
    }

    @Test("encode, detect, decode round-trips random Vietnamese text in every encoding", arguments: RosterEncoding.allCases)
    func detectRoundTrip(encoding: RosterEncoding) throws {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<40 {
            let text = (0..<30).map { _ in randomSyllableName(&rng) }.joined(separator: ";") + "\n"
            let bytes = TextDecoder.encode(text, as: encoding)
            let decoded = try TextDecoder.decode(bytes, declared: nil, file: "t.csv")
            #expect(decoded.encoding == encoding, "detected \(decoded.encoding) (\(decoded.how)) for \(encoding)")
            #expect(decoded.text == text)
        }
    }

    @Test("decomposed UTF-8 (base letters + combining marks) becomes NFC")
    func decomposedInput() throws {
        let nfd = "Nguyễn Văn Đức".decomposedStringWithCanonicalMapping
        #expect(nfd.unicodeScalars.count > "Nguyễn Văn Đức".unicodeScalars.count)
        let d = try TextDecoder.decode(Array(nfd.utf8), declared: nil, file: "t")
        #expect(d.text.unicodeScalars.elementsEqual("Nguyễn Văn Đức".unicodeScalars))
        // Windows-1258 writes tones as combining bytes after the letter: ễ is ê (0xEA) + tilde (0xDE).
        #expect(try TextDecoder.decode([0x4E, 0x67, 0x75, 0x79, 0xEA, 0xDE, 0x6E], as: .cp1258, file: "t") == "Nguyễn")
    }

    @Test("combining marks are found by their UTF-8 lead bytes: U+0300 to U+036F, not the letters around them")
    func combiningMarks() {
        #expect(TextDecoder.hasCombiningMark("a\u{0300}") && TextDecoder.hasCombiningMark("a\u{033F}"))
        #expect(TextDecoder.hasCombiningMark("a\u{0340}") && TextDecoder.hasCombiningMark("Văn a\u{036F}"))
        // U+0370 (0xCD 0xB0) and U+02FF (0xCB 0xBF) are letters and modifiers, not combining marks.
        #expect(!TextDecoder.hasCombiningMark("\u{0370}\u{02FF}") && !TextDecoder.hasCombiningMark("Nguyễn Văn Đức"))
        #expect(!TextDecoder.hasCombiningMark(""))
    }

    @Test("UTF-16 with either BOM, and without one, as Excel's Unicode Text")
    func utf16() throws {
        let text = "Mã cán bộ\tHọ và tên\n001\tLò Văn Pấng\n"
        let le = TextDecoder.encode(text, as: .utf16)
        #expect(le.starts(with: [0xFF, 0xFE]))
        #expect(try TextDecoder.decode(le, declared: nil, file: "t").text == text)
        var be: [UInt8] = [0xFE, 0xFF]
        for u in text.utf16 { be += [UInt8(u >> 8), UInt8(u & 0xFF)] }
        #expect(try TextDecoder.decode(be, declared: nil, file: "t").text == text)
        let noBOM = Array(le.dropFirst(2))
        let d = try TextDecoder.decode(noBOM, declared: nil, file: "t")
        #expect(d.text == text && d.encoding == .utf16)
    }

    @Test("a UTF-8 BOM is dropped")
    func utf8BOM() throws {
        let d = try TextDecoder.decode([0xEF, 0xBB, 0xBF] + Array("Đơn vị".utf8), declared: nil, file: "t")
        #expect(d.text == "Đơn vị" && d.how == "UTF-8 BOM")
    }

    @Test("when the legacy encodings read alike, detection refuses and names the candidates")
    func ambiguous() {
        // Bytes that read as implausible text in all three: nothing to choose from.
        let bytes: [UInt8] = Array("ten;".utf8) + [0xBC, 0xBD, 0xBE, 0x3B, 0xA4, 0xA5, 0x0A]
        let e = #expect(throws: EncodingError.self) { _ = try TextDecoder.decode(bytes, declared: nil, file: "staff.csv") }
        let text = e?.description ?? ""
        #expect(text.hasPrefix("staff.csv: "))
        for name in ["cp1258", "tcvn3", "vni", "--encoding"] { #expect(text.contains(name), "\(text)") }
    }

    @Test("invalid UTF-8 declared as UTF-8 is an error naming line and column")
    func invalidUTF8() {
        let bytes = Array("mã,tên\n1,Họ tên".utf8) + [0xC3, 0x28]
        let e = #expect(throws: EncodingError.self) { _ = try TextDecoder.decode(bytes, as: .utf8, file: "s.csv") }
        #expect(e?.description.hasPrefix("s.csv: line 2, column 9: byte 0xC3 is not valid UTF-8") == true, "\(String(describing: e))")
    }

    @Test("a UTF-8 file with one bad byte is not taken for a legacy encoding: the bad byte is named")
    func brokenUTF8Detected() throws {
        var text = "employee_id,full_name,unit_code\n"
        for i in 1...20 { text += "\(i),Nguyễn Thị Hương Giang,VP\n" }
        var bytes = Array(text.utf8)
        bytes += Array("21,Trần Văn ".utf8) + [0xE1] + Array("n,VP\n".utf8)  // a truncated ấ
        let e = #expect(throws: EncodingError.self) { _ = try TextDecoder.decode(bytes, declared: nil, file: "s.csv") }
        #expect(e?.description.hasPrefix("s.csv: line 22, column 13: byte 0xE1 is not valid UTF-8 (the rest of the file is UTF-8") == true, "\(String(describing: e))")
        // Real legacy files still decode.
        let legacy = TextDecoder.encode(text, as: .tcvn3)
        #expect(try TextDecoder.decode(legacy, declared: nil, file: "s.csv").encoding == .tcvn3)
    }

    @Test("encoding names people write are understood")
    func names() {
        #expect(RosterEncoding(name: "Windows-1258") == .cp1258)
        #expect(RosterEncoding(name: "ABC") == .tcvn3)
        #expect(RosterEncoding(name: "VNI-Windows") == .vni)
        #expect(RosterEncoding(name: "UTF-16LE") == .utf16)
        #expect(RosterEncoding(name: "latin1") == nil)
    }

    @Test("the sample staff roster in every encoding decodes to the same text as the UTF-8 one")
    func samplesAgree() throws {
        let dir = repoRoot + "/samples/encodings"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".csv") }.sorted()
        #expect(files.count == 7)
        var texts: [String: String] = [:]
        for f in files {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + f)))
            let d = try TextDecoder.decode(bytes, declared: nil, file: f)
            texts[f] = d.text.replacingOccurrences(of: "\t", with: ";").replacingOccurrences(of: "\u{FEFF}", with: "")
            let expected = f.replacingOccurrences(of: "staff.", with: "").replacingOccurrences(of: ".csv", with: "").replacingOccurrences(of: "-bom", with: "")
                .replacingOccurrences(of: "-excel-utf-8", with: "")
            #expect(d.encoding.rawValue == expected, "\(f) detected as \(d.encoding)")
            #expect(d.how.hasPrefix("repaired: ") == f.contains("-excel-"), "\(f): \(d.how)")
        }
        #expect(Set(texts.values).count == 1, "the seven files decode differently")
    }

    @Test("Excel mojibake of TCVN3 and VNI is repaired; genuine UTF-8 with Western letters is left alone")
    func mojibake() throws {
        let name = "Ủy ban Dân tộc, H’Hen Niê, Nguyễn Thị Thu Diệp, Đặng Văn Ơn, Lò Văn Pấng, Sùng A Dình"
        for enc in [RosterEncoding.tcvn3, .vni] {
            let western = String(String.UnicodeScalarView(TextDecoder.encode(name, as: enc).map { Unicode.Scalar(TextDecoder.windows1252($0))! }))
            let d = try TextDecoder.decode(Array(western.utf8), declared: nil, file: "s.csv")
            #expect(d.text == name && d.encoding == enc, "\(enc): \(western) → \(d.text)")
        }
        // Names of another language in Western letters are no mojibake: left as they are.
        let french = "José Müller, François Léger, Zoë Dupré"
        #expect(try TextDecoder.decode(Array(french.utf8), declared: nil, file: "s.csv").text == french)
    }

    @Test("random Vietnamese text in TCVN3 or VNI, opened as Western and saved as UTF-8, is repaired exactly",
          arguments: [RosterEncoding.tcvn3, .vni])
    func mojibakeRoundTrip(encoding: RosterEncoding) throws {
        var rng = SeededRandom(seed: 11)
        for _ in 0..<40 {
            let text = (0..<30).map { _ in randomSyllableName(&rng) }.joined(separator: ";") + "\n"
            let western = String(String.UnicodeScalarView(TextDecoder.encode(text, as: encoding).map { Unicode.Scalar(TextDecoder.windows1252($0))! }))
            let d = try TextDecoder.decode(Array(western.utf8), declared: nil, file: "s.csv")
            #expect(d.encoding == encoding && d.how.hasPrefix("repaired: "), "\(encoding): \(d.encoding) (\(d.how))")
            #expect(d.text == text, "\(western.prefix(60)) → \(d.text.prefix(60))")
        }
    }

    @Test("TCVN3 keeps Windows-1252's curly quotes and dashes (Word's apostrophe in Ê Đê names)")
    func tcvn3Punctuation() throws {
        let text = "H’Hen Niê – “Phòng Tổng hợp” — Ặ Ị Ò Ỏ Õ Ó Ọ Ộ…"
        let bytes = TextDecoder.encode(text, as: .tcvn3)
        #expect(bytes.contains(0x92) && bytes.contains(0x96), "the quotes and dashes are Windows-1252's bytes")
        #expect(try TextDecoder.decode(bytes, as: .tcvn3, file: "s.csv") == text)
    }
}

@Suite("Vietnamese text")
struct VietnameseTextTests {
    @Test("well-formed syllables", arguments: ["Nguyễn", "HƯƠNG", "gì", "quý", "giữa", "Khánh", "Trường", "Việt", "Yến", "Oanh", "Huỳnh", "ngoằn", "khuya", "gìn"])
    func syllables(word: String) { #expect(VietnameseText.isSyllable(word)) }

    @Test("mis-decoded or foreign words are not syllables", arguments: ["NguyÔn", "Ng¬", "V¨n", "nguyễnn", "ââ", "Đứcc", "xyz", "NgUyen", "ắá"])
    func notSyllables(word: String) { #expect(!VietnameseText.isSyllable(word)) }

    @Test("ethnic-minority names are plausible name words though not Kinh syllables", arguments: ["H'Hen", "Niê", "Ênuôl", "Ksor", "Pấng", "Y"])
    func plausible(word: String) { #expect(VietnameseText.isPlausibleNameWord(word)) }

    @Test("garbage is not a plausible name word", arguments: ["NguyÔn", "Ng¬", "V¨n", "Ph¹m", "ắá"])
    func implausible(word: String) { #expect(!VietnameseText.isPlausibleNameWord(word)) }

    @Test("ASCII folding drops marks and makes đ d")
    func fold() {
        #expect(VietnameseText.asciiFold("Nguyễn Văn Đức") == "nguyenvanduc")
        #expect(VietnameseText.asciiFold("H'Hen Niê") == "hhennie")
        #expect(VietnameseText.asciiFold("ĐẶNG") == "dang")
    }
}

/// A random "name" of 2-4 syllables built from real initials, toned vowels and finals.
func randomSyllableName(_ rng: inout SeededRandom) -> String {
    let initials = ["", "b", "c", "ch", "d", "đ", "g", "h", "kh", "l", "m", "n", "ng", "nh", "ph", "s", "t", "th", "tr", "v", "x"]
    let finals = ["", "c", "m", "n", "ng", "nh", "p", "t"]
    let tones = ["", "\u{0300}", "\u{0301}", "\u{0309}", "\u{0303}", "\u{0323}"]
    let vowels = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư"]
    return (0..<Int.random(in: 2...4, using: &rng)).map { _ in
        let syllable = initials.randomElement(using: &rng)! + vowels.randomElement(using: &rng)! + tones.randomElement(using: &rng)! + finals.randomElement(using: &rng)!
        let nfc = syllable.precomposedStringWithCanonicalMapping
        return Bool.random(using: &rng) ? nfc.capitalized : nfc
    }.joined(separator: " ")
}

/// The repository's root, from this file's path.
let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()
