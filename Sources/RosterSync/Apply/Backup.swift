import Foundation
import LDAPModel

/// What a run backs up, and the backup file read back for `rostersync restore`.
public enum Backup {
    /// Operational attributes a search for `*` leaves out and an add accepts (slapd 2.5,
    /// checked): backed up so that a restored entry comes back in its state, locked when it
    /// was (`pwdAccountLockedTime`), to change its password when it had to (`pwdReset`).
    public static let restorableOperational = ["pwdAccountLockedTime", "pwdReset", "pwdPolicySubentry", "pwdStartTime", "pwdEndTime"]
    /// Operational attributes slapd sets itself and refuses in an add without the Relax
    /// Rules control: kept in the backup as comments (`# pwdLastSuccess: …`), for the record.
    public static let recordedOperational = ["pwdLastSuccess", "authTimestamp", "createTimestamp", "pwdChangedTime"]

    /// The DN before the run of every entry a destructive change touches, once each, parents
    /// first. A change's `dn` is where its entry is once the plan's earlier unit renames and
    /// moves (and the entry's own move) are applied; those are undone here, latest first, so
    /// the backup reads each entry where it is before the first write.
    public static func entriesBeforeRun(_ changes: [Change]) -> [String] {
        // Units' moves apply to whole subtrees (a few per run); an account's move only to that
        // account, looked up by its new DN (thousands in a 100,000-person quarter: rebasing
        // every DN through all of them would be quadratic).
        var unitMoves: [(old: DN, new: DN)] = []
        var accountMoves: [String: DN] = [:]
        var out: [(dn: String, depth: Int, order: Int)] = []
        var seen = Set<String>()
        for c in changes {
            if c.kind.isDestructive {
                // The change's entry, and any other its writes change or delete (a unit's
                // mailbox entry, locked or dissolved with its unit). A rename or move backs up
                // the entry it moves (its subtree comes along).
                var targets = [c.dn]
                for op in c.operations where c.newDN == nil {
                    switch op {
                    case .modify, .delete: if op.dn != c.dn && !targets.contains(op.dn) { targets.append(op.dn) }
                    case .add, .rename: break
                    }
                }
                for target in targets {
                    if var d = try? DN(target) {
                        if let before = accountMoves[d.normalized] { d = before }
                        for m in unitMoves.reversed() { if let r = d.rebased(from: m.new, to: m.old) { d = r } }
                        if seen.insert(d.normalized).inserted { out.append((d.string, DN.depth(of: d.string), out.count)) }
                    } else if seen.insert(target).inserted {
                        out.append((target, DN.depth(of: target), out.count))
                    }
                }
            }
            guard let new = c.newDN.flatMap({ try? DN($0) }), let old = try? DN(c.dn) else { continue }
            switch c.kind {
            case .renameUnit, .moveUnit: unitMoves.append((old, new))
            case .moveAccount: accountMoves[new.normalized] = old  // `old` is after the units' moves
            default: break
            }
        }
        return out.sorted { ($0.depth, $0.order) < ($1.depth, $1.order) }.map(\.dn)
    }

    /// One entry of a backup: its DN and attributes as `ldapadd` would send them.
    public struct Entry: Sendable {
        public var dn: String
        public var attributes: [LDAPAttribute]
    }

    /// Reads a backup LDIF (`version: 1`, records separated by blank lines, `name: value`
    /// or `name:: base64`, folded lines, `#` comments).
    public static func parse(_ text: String, file: String) throws -> [Entry] {
        var entries: [Entry] = []
        var lines: [String] = []
        var lineNumber = 0
        func logical(_ raw: [Substring]) -> [String] {
            var out: [String] = []
            for l in raw {
                if l.hasPrefix(" "), !out.isEmpty { out[out.count - 1] += l.dropFirst() } else if !l.hasPrefix("#") { out.append(String(l)) }
            }
            return out
        }
        func flush(_ startLine: Int) throws {
            defer { lines = [] }
            let record = logical(lines.map { Substring($0) })
            guard !record.isEmpty else { return }
            if record.count == 1, record[0].hasPrefix("version:") { return }
            var dn: String?
            var attrs: [LDAPAttribute] = []
            var index: [String: Int] = [:]
            for l in record {
                guard let colon = l.firstIndex(of: ":") else { throw FormatError("\(file):\(startLine): not an LDIF line: \(l.prefix(40))") }
                let name = String(l[..<colon])
                var rest = l[l.index(after: colon)...]
                let value: Data
                if rest.hasPrefix(":") {
                    rest = rest.dropFirst()
                    guard let d = Data(base64Encoded: rest.trimmingCharacters(in: .whitespaces)) else { throw FormatError("\(file):\(startLine): bad base64 for \(name)") }
                    value = d
                } else {
                    value = Data(String(rest.drop { $0 == " " }).utf8)
                }
                if name.lowercased() == "dn" {
                    dn = String(decoding: value, as: UTF8.self)
                    continue
                }
                if name.lowercased() == "changetype" { throw FormatError("\(file):\(startLine): a change record, not an entry") }
                if let i = index[name.lowercased()] { attrs[i].values.append(value) } else {
                    index[name.lowercased()] = attrs.count
                    attrs.append(LDAPAttribute(name, [value]))
                }
            }
            guard let dn else { throw FormatError("\(file):\(startLine): a record without dn") }
            entries.append(Entry(dn: dn, attributes: attrs))
        }
        var start = 1
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let l = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if l.isEmpty {
                try flush(start)
                start = lineNumber + 1
            } else {
                lines.append(String(l))
            }
        }
        try flush(start)
        return entries
    }

    public struct FormatError: Error, CustomStringConvertible, Sendable {
        public var description: String
        init(_ d: String) { description = d }
    }
}
