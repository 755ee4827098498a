import Foundation

/// Facts about Vietnamese text: the alphabet, tone marks, syllable structure, ASCII folding.
public enum VietnameseText {
    /// The five tone marks as combining characters (grave, acute, tilde, hook above, dot below).
    static let toneMarks: Set<Unicode.Scalar> = ["\u{0300}", "\u{0301}", "\u{0303}", "\u{0309}", "\u{0323}"]
    /// Marks that make letters of the alphabet (circumflex, breve, horn).
    static let letterMarks: Set<Unicode.Scalar> = ["\u{0302}", "\u{0306}", "\u{031B}"]

    static let initials = ["ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
                           "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x"]
    /// Vowel nuclei (with any glide), longest first; written without tone marks.
    static let nuclei = ["iêu", "oai", "oao", "oay", "oeo", "uây", "uôi", "uya", "uyê", "uyu", "ươi", "ươu", "yêu",
                         "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iê", "iu", "oa", "oă", "oe", "oi", "ôi", "ơi",
                         "ua", "uâ", "uê", "ui", "uô", "uơ", "uy", "ưa", "ưi", "ươ", "ưu", "yê",
                         "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"].map { Array($0.unicodeScalars) }
    static let finals = ["ch", "ng", "nh", "c", "m", "n", "p", "t"].map { Array($0.unicodeScalars) }
    static let initialScalars = initials.map { Array($0.unicodeScalars) }

    /// The letters of the Vietnamese alphabet, lower case, without tone marks.
    static let baseLetters: Set<Unicode.Scalar> = Set("aăâbcdđeêghiklmnoôơpqrstuưvxy".unicodeScalars)

    /// True when `word` is one well-formed Vietnamese syllable: an initial consonant, a vowel
    /// nucleus, a final consonant, at most one tone, and a sane case pattern (all lower, all
    /// upper or capitalised). "Nguyễn" and "HƯƠNG" are; "NguyÔn" (mis-decoded) and "Ênuôl" are not.
    public static func isSyllable(_ word: String) -> Bool {
        guard casePatternIsSane(word) else { return false }
        var tones = 0
        var base: [Unicode.Scalar] = []
        for s in word.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars {
            if toneMarks.contains(s) { tones += 1 } else { base.append(s) }
        }
        guard tones <= 1 else { return false }
        let letters = Array(String(String.UnicodeScalarView(base)).precomposedStringWithCanonicalMapping.unicodeScalars)
        guard letters.allSatisfy({ baseLetters.contains($0) }) else { return false }
        var rest = letters[...]
        if let ini = initialScalars.first(where: { rest.starts(with: $0) && rest.count > $0.count }) {
            // "gi" and "qu" carry a vowel: "gì", "quý". Only treat them as initials if a vowel follows.
            rest = rest.dropFirst(ini.count)
        }
        for nucleus in nuclei where rest.starts(with: nucleus) {
            let tail = rest.dropFirst(nucleus.count)
            if tail.isEmpty || finals.contains(where: { Array(tail) == $0 }) { return true }
        }
        // "gi" + final ("gìn") and "qu" forms where the initial's vowel is the nucleus.
        return letters.count >= 2 && (letters.starts(with: Array("gi".unicodeScalars)) && finals.contains { Array(letters.dropFirst(2)) == $0 })
    }

    /// All lower, all upper, or upper then lower: what a name in any HR export looks like.
    static func casePatternIsSane(_ word: String) -> Bool {
        let letters = word.unicodeScalars.filter { $0.properties.isAlphabetic }
        guard let first = letters.first else { return false }
        let rest = letters.dropFirst()
        if rest.allSatisfy({ !$0.properties.isUppercase }) { return true }
        return first.properties.isUppercase && rest.allSatisfy({ $0.properties.isUppercase })
    }

    /// Lenient check for a name's word: letters of the (extended) Latin alphabet with
    /// Vietnamese marks, apostrophes and hyphens inside, at most one tone, a sane case pattern.
    /// Ethnic-minority names (`H'Hen Niê`, `Y Moan Ênuôl`, `Ksor`) pass; mis-decoded text
    /// (`NguyÔn`, `Ng¬`, `V¨n`) does not.
    public static func isPlausibleNameWord(_ word: String) -> Bool {
        let parts = word.split(whereSeparator: { $0 == "'" || $0 == "’" || $0 == "-" })
        guard !parts.isEmpty else { return false }
        for part in parts {
            guard casePatternIsSane(String(part)) else { return false }
            var tones = 0
            for s in part.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars {
                if toneMarks.contains(s) { tones += 1; continue }
                if letterMarks.contains(s) { continue }
                guard (s >= "a" && s <= "z") || s == "đ" else { return false }
            }
            guard tones <= 1 else { return false }
        }
        return true
    }

    /// The share of non-ASCII words of `text` that are well-formed syllables: how much a
    /// decoding reads as Vietnamese. ASCII words are left out (every decoding agrees on them).
    public static func readability(_ text: String) -> Double {
        var total = 0, good = 0
        var word = ""
        var hasNonASCII = false
        func flush() {
            if hasNonASCII {
                total += 1
                if isSyllable(word) { good += 1 }
            }
            word.removeAll(keepingCapacity: true)
            hasNonASCII = false
        }
        for ch in text {
            if ch.isWhitespace || (ch.isASCII && !ch.isLetter) {
                flush()
            } else {
                word.append(ch)
                if !ch.isASCII { hasNonASCII = true }
            }
            if total >= 5000 { break }
        }
        flush()
        return total == 0 ? 1 : Double(good) / Double(total)
    }

    /// ASCII letters and digits only, lower case: diacritics removed, đ → d, everything else dropped.
    public static func asciiFold(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for s in text.unicodeScalars {
            let v = s.value
            if v < 0x80 {
                let b = UInt8(v)
                switch b {
                case 0x61...0x7A, 0x30...0x39: out.append(b)
                case 0x41...0x5A: out.append(b + 0x20)
                default: break
                }
            } else if let folded = foldTable[s] {
                out.append(folded)
            } else {
                // Rare: anything else is decomposed and its ASCII base kept.
                for d in String(s).decomposedStringWithCanonicalMapping.unicodeScalars where d.isASCII {
                    let b = UInt8(d.value)
                    if (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) { out.append(b) } else if (0x41...0x5A).contains(b) { out.append(b + 0x20) }
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Latin letters with marks (U+00C0–U+024F, U+1E00–U+1EFF: every Vietnamese letter) to
    /// their lower-case ASCII base, built once by decomposition; đ/Đ → d.
    static let foldTable: [Unicode.Scalar: UInt8] = {
        var t: [Unicode.Scalar: UInt8] = ["đ": 0x64, "Đ": 0x64]
        for range in [0x00C0...0x024F, 0x1E00...0x1EFF] {
            for v in range {
                guard let s = Unicode.Scalar(v), t[s] == nil else { continue }
                if let base = String(s).decomposedStringWithCanonicalMapping.unicodeScalars.first, base.isASCII, base.properties.isAlphabetic {
                    t[s] = UInt8(base.value) | 0x20
                }
            }
        }
        return t
    }()
}
