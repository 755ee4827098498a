import Foundation
import LDAPModel

/// What a change's writes leave in the directory once they took effect, so that a later run can
/// tell whether writes whose answer never came (the process killed, the server frozen past the
/// timeout, the connection lost after sending) were applied. Written into the change's
/// `pending` audit record before its first write is sent; passwords are never checked (nor
/// written: slapd stores a hash).
public enum WriteEffect: Sendable, Equatable {
    case exists(String)
    case absent(String)
    case values(dn: String, attribute: String, mode: Mode, values: [String])

    public enum Mode: String, Sendable { case equals, has, lacks }

    static let unchecked: Set<String> = ["userpassword", "pwdreset"]
    /// DN-valued attributes: slapd may return them in another case than sent.
    static let dnValued: Set<String> = ["owner", "manager", "seealso", "member", "uniquemember", "secretary"]

    /// The effects of a change's writes, in order.
    public static func of(_ operations: [PlannedOperation]) -> [WriteEffect] {
        var out: [WriteEffect] = []
        for op in operations {
            switch op {
            case let .add(dn, _):
                out.append(.exists(dn))
            case let .modify(dn, mods, _):
                for m in mods where !unchecked.contains(m.attribute.name.lowercased()) {
                    let values = m.attribute.values.map { String(decoding: $0, as: UTF8.self) }
                    switch m.operation {
                    case .replace: out.append(.values(dn: dn, attribute: m.attribute.name, mode: .equals, values: values))
                    case .add: out.append(.values(dn: dn, attribute: m.attribute.name, mode: .has, values: values))
                    case .delete: out.append(.values(dn: dn, attribute: m.attribute.name, mode: values.isEmpty ? .equals : .lacks, values: values))
                    }
                }
            case let .rename(dn, newRDN, newSuperior, _):
                let parent = newSuperior ?? (try? DN(dn))?.parent?.string ?? ""
                let newDN = parent.isEmpty ? newRDN : newRDN + "," + parent
                out.append(.exists(newDN))
                if newDN.lowercased() != dn.lowercased() { out.append(.absent(dn)) }
            case let .delete(dn, _):
                out.append(.absent(dn))
            }
        }
        return out
    }

    public var dn: String {
        switch self {
        case let .exists(dn), let .absent(dn), let .values(dn, _, _, _): dn
        }
    }

    public var attribute: String? {
        if case let .values(_, a, _, _) = self { return a }
        return nil
    }

    /// Whether the effect shows in `entry` (nil: no entry at `dn`).
    public func holds(in entry: LDAPEntry?) -> Bool {
        switch self {
        case .exists: return entry != nil
        case .absent: return entry == nil
        case let .values(_, attribute, mode, expected):
            guard let entry else { return false }
            let fold = Self.dnValued.contains(attribute.lowercased())
            func norm(_ s: String) -> String { fold ? s.lowercased().replacingOccurrences(of: ", ", with: ",") : s }
            let actual = Set((entry.attributes[attribute.lowercased()] ?? []).map { norm(String(decoding: $0, as: UTF8.self)) })
            let want = Set(expected.map(norm))
            switch mode {
            case .equals: return actual == want
            case .has: return want.isSubset(of: actual)
            case .lacks: return want.isDisjoint(with: actual)
            }
        }
    }

    /// `["exists", dn]`, `["absent", dn]`, `["equals"|"has"|"lacks", dn, attribute, [values]]`.
    public var json: JSON {
        switch self {
        case let .exists(dn): .array([.string("exists"), .string(dn)])
        case let .absent(dn): .array([.string("absent"), .string(dn)])
        case let .values(dn, a, mode, values): .array([.string(mode.rawValue), .string(dn), .string(a), .array(values.map(JSON.string))])
        }
    }

    /// Reads back what `json` wrote (as JSONSerialization parses it).
    public init?(parsed: Any) {
        guard let a = parsed as? [Any], let tag = a.first as? String, a.count >= 2, let dn = a[1] as? String else { return nil }
        switch tag {
        case "exists": self = .exists(dn)
        case "absent": self = .absent(dn)
        default:
            guard let mode = Mode(rawValue: tag), a.count == 4, let attr = a[2] as? String, let values = a[3] as? [String] else { return nil }
            self = .values(dn: dn, attribute: attr, mode: mode, values: values)
        }
    }

    /// The final result of a change from its effects: `ok` when all show, `not applied` when
    /// none does, else `partly applied`.
    public static func verdict(_ effects: [WriteEffect], entries: [String: LDAPEntry]) -> String {
        let held = effects.map { $0.holds(in: entries[$0.dn.lowercased()]) }
        if held.allSatisfy({ $0 }) { return "ok" }
        if !held.contains(true) { return "not applied" }
        return "partly applied"
    }
}

/// Audit results: `pending` (written before a change's first write is sent) and `unknown`
/// (sent, no answer) wait for a final one; every other result of a change is final.
public enum AuditResult {
    public static let waiting: Set<String> = ["pending", "unknown"]
}

extension Notice {
    /// One entry of a notice as `text` wrote it.
    public struct Entry: Sendable, Equatable {
        public var heading: String
        public var address: String
        public var password: String
    }

    /// Splits a notice into its header, its entries and its footer.
    public static func parse(_ text: String) -> (header: String, entries: [Entry], footer: String) {
        let lines = text.components(separatedBy: "\n")
        var header: [String] = [], entries: [Entry] = [], footer: [String] = []
        var i = 0
        func isEntryStart(_ l: String) -> Bool {
            guard let dot = l.firstIndex(of: "."), dot > l.startIndex else { return false }
            return l[..<dot].allSatisfy(\.isASCII) && l[..<dot].allSatisfy(\.isNumber) && l[dot...].hasPrefix(". ")
        }
        while i < lines.count, !(isEntryStart(lines[i]) && i + 2 < lines.count && lines[i + 1].hasPrefix("   Địa chỉ hộp thư:")) {
            header.append(lines[i]); i += 1
        }
        while i + 2 < lines.count, isEntryStart(lines[i]), lines[i + 1].hasPrefix("   Địa chỉ hộp thư:") {
            let heading = String(lines[i][lines[i].index(after: lines[i].firstIndex(of: ".")!)...].dropFirst())
            let address = lines[i + 1].split(separator: " ").last.map(String.init) ?? ""
            let password = lines[i + 2].split(separator: " ").last.map(String.init) ?? ""
            entries.append(Entry(heading: heading, address: address, password: password))
            i += 3
            if i < lines.count, lines[i].isEmpty { i += 1 }
        }
        footer = Array(lines[min(i, lines.count)...])
        return (header.joined(separator: "\n") + "\n", entries, footer.joined(separator: "\n"))
    }

    /// The notice without the entries of `addresses`, numbered again; nil when none is left.
    public static func dropping(_ addresses: Set<String>, from text: String) -> String? {
        let (header, entries, footer) = parse(text)
        let kept = entries.filter { !addresses.contains($0.address) }
        guard !kept.isEmpty else { return nil }
        var out = header
        for (i, e) in kept.enumerated() {
            out += "\(i + 1). \(e.heading)\n   Địa chỉ hộp thư:   \(e.address)\n   Mật khẩu ban đầu:  \(e.password)\n\n"
        }
        return out + footer
    }
}
