/// An LDAP search filter (RFC 4515), built from values so that every assertion value is
/// escaped: a name such as `*)(uid=*` can never change the filter's meaning.
public indirect enum Filter: Sendable, Hashable, CustomStringConvertible {
    case equality(String, String)
    case present(String)
    /// `attr=initial*any*…*final`; each part is escaped, the stars are the filter's own.
    case substrings(String, initial: String?, any: [String], final: String?)
    case greaterOrEqual(String, String)
    case lessOrEqual(String, String)
    case and([Filter])
    case or([Filter])
    case not(Filter)
    /// A filter string written by an administrator (configuration), used as given.
    case raw(String)

    public var description: String {
        switch self {
        case let .equality(a, v): "(\(a)=\(Filter.escape(v)))"
        case let .present(a): "(\(a)=*)"
        case let .substrings(a, initial, any, final):
            "(\(a)=\(initial.map(Filter.escape) ?? "")*\(any.map { Filter.escape($0) + "*" }.joined())\(final.map(Filter.escape) ?? ""))"
        case let .greaterOrEqual(a, v): "(\(a)>=\(Filter.escape(v)))"
        case let .lessOrEqual(a, v): "(\(a)<=\(Filter.escape(v)))"
        case let .and(fs): "(&\(fs.map(\.description).joined()))"
        case let .or(fs): "(|\(fs.map(\.description).joined()))"
        case let .not(f): "(!\(f))"
        case let .raw(s): s.hasPrefix("(") ? s : "(\(s))"
        }
    }

    /// Escapes an assertion value (RFC 4515 section 3): `*` `(` `)` `\` and NUL become `\2a`
    /// `\28` `\29` `\5c` `\00`. UTF-8 text (Vietnamese names) stays as it is, which the RFC allows.
    public static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for s in value.unicodeScalars {
            switch s {
            case "*": out.append("\\2a")
            case "(": out.append("\\28")
            case ")": out.append("\\29")
            case "\\": out.append("\\5c")
            case "\0": out.append("\\00")
            default: out.unicodeScalars.append(s)
            }
        }
        return out
    }
}
