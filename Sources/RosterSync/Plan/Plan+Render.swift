import Foundation
import LDAPModel

extension Plan {
    // MARK: - Text, for the units that review it

    /// How much of the plan the text shows: every change, or counts per unit only (for very
    /// large plans: a first load of 20,000 people is some 20,000 lines otherwise).
    public enum TextDetail: Sendable {
        /// Every change up to `compactAbove` changes, counts per unit beyond.
        case auto
        case full
        case compact
    }

    /// Above this many changes, `.auto` shows counts per unit only.
    public static let compactAbove = 2_000

    /// The marker of each kind in the text: one per kind (`u` marks a unit's), so that a
    /// reviewer tells a lock from a deletion at a glance.
    public static func marker(_ k: ChangeKind) -> String {
        switch k {
        case .createAccount: "+"
        case .createUnit: "+u"
        case .createContainer: "+c"
        case .adoptAccount: "&"
        case .enableAccount: "^"
        case .reopenAccount: "^r"
        case .updateAccount: "~"
        case .updateUnit: "~u"
        case .handoverUnitMailbox: "@u"
        case .separateUnitMailbox: "%u"
        case .moveAccount: ">"
        case .moveUnit: ">u"
        case .renameUnit: "=u"
        case .lockAccount: "#"
        case .disableAccount: "x"
        case .deleteAccount: "-"
        case .dissolveUnit: "-u"
        case .orphan: "?"
        }
    }

    /// Units in tree order: each unit after its parent, siblings by their names as a
    /// Vietnamese reader sorts them; `parents` maps a unit code to its parent's (the unit
    /// roster). Codes with no known parent are roots. Returns (code, depth) pairs.
    public static func treeOrder(_ codes: Set<String>, parents: [String: String], names: [String: String]) -> [(code: String, depth: Int)] {
        // Every ancestor of a listed unit is listed too: its line places the others.
        var all = codes
        for c in codes {
            var p = parents[c], seen: Set<String> = [c]
            while let q = p, !seen.contains(q) { all.insert(q); seen.insert(q); p = parents[q] }
        }
        var children: [String: [String]] = [:]
        var roots: [String] = []
        for c in all {
            if let p = parents[c], all.contains(p), p != c { children[p, default: []].append(c) } else { roots.append(c) }
        }
        func key(_ c: String) -> (String, String) { (VietnameseText.asciiFold(names[c] ?? c).lowercased() + "\u{0}" + (names[c] ?? c), c) }
        var out: [(String, Int)] = []
        var visited = Set<String>()
        func visit(_ c: String, _ depth: Int) {
            guard visited.insert(c).inserted else { return }
            out.append((c, depth))
            for k in (children[c] ?? []).sorted(by: { key($0) < key($1) }) { visit(k, depth + 1) }
        }
        for r in roots.sorted(by: { key($0) < key($1) }) { visit(r, 0) }
        // A cycle in the roster's parents (refused by validation, but not here): still listed.
        for c in all.sorted(by: { key($0) < key($1) }) where !visited.contains(c) { visit(c, 0) }
        return out
    }

    /// Summary first (counts by kind, with each kind's marker, and by unit in tree order),
    /// then each unit's changes under its name as HR wrote it, one line per change with its
    /// reason and old → new values; scheduled changes, suspected renumbering and disputes
    /// after. `parents`: unit code → parent code, for the tree order (the plan's own
    /// `unitParents` when not given; without either, units are in name order). `detail`: above `compactAbove` changes (`.auto`) or with `.compact`,
    /// counts per unit instead of the changes.
    public func text(color: Bool = false, parents given: [String: String] = [:], detail: TextDetail = .auto) -> String {
        PlanText(self, color: color, parents: given.isEmpty ? unitParents : given, detail: detail).rendered()
    }

    // MARK: - JSON, for scripts and `apply`

    /// Version 1 of the plan format (documented in the README): everything `apply` needs,
    /// deterministic byte for byte.
    public func json() -> String {
        func strings(_ v: [String]) -> JSON { .array(v.map(JSON.string)) }
        func values(_ a: LDAPAttribute) -> JSON { .array(a.values.map { .string(String(decoding: $0, as: UTF8.self)) }) }
        func op(_ o: PlannedOperation) -> JSON {
            switch o {
            case let .add(dn, attributes):
                return .object([("op", .string("add")), ("dn", .string(dn)), ("attributes", .object(attributes.map { ($0.name, values($0)) }))])
            case let .modify(dn, mods, assertion):
                let list: [JSON] = mods.map { m in
                    let kind = switch m.operation { case .add: "add"; case .delete: "delete"; case .replace: "replace" }
                    return .object([("op", .string(kind)), ("attribute", .string(m.attribute.name)), ("values", values(m.attribute))])
                }
                return .object([("op", .string("modify")), ("dn", .string(dn)), ("changes", .array(list)), ("assertion", .optional(assertion?.description))])
            case let .rename(dn, newRDN, newSuperior, assertion):
                return .object([("op", .string("modrdn")), ("dn", .string(dn)), ("newRdn", .string(newRDN)), ("newSuperior", .optional(newSuperior)),
                                ("assertion", .optional(assertion?.description))])
            case let .delete(dn, assertion):
                return .object([("op", .string("delete")), ("dn", .string(dn)), ("assertion", .optional(assertion?.description))])
            }
        }
        func change(_ c: Change) -> JSON {
            .object([
                ("kind", .string(c.kind.rawValue)), ("dn", .string(c.dn)), ("newDn", .optional(c.newDN)),
                ("employeeId", .optional(c.employeeId)), ("unitCode", .optional(c.unitCode)), ("unit", .optional(c.groupUnit)),
                ("subject", .string(c.subject)), ("reason", .string(c.reason)), ("due", .optional(c.due?.description)),
                ("attributes", .array(c.attributes.map { .object([("name", .string($0.name)), ("old", strings($0.old)), ("new", strings($0.new))]) })),
                ("operations", .array(c.operations.map(op))),
            ])
        }
        let counts = self.counts
        return JSON.object([
            ("version", .int(Plan.formatVersion)),
            ("asOf", .string(asOf.description)),
            ("directory", .string(directory)),
            ("inputs", .object(inputs.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("summary", .object(ChangeKind.allCases.compactMap { k in counts[k].map { (k.rawValue, .int($0)) } })),
            ("changes", .array(changes.map(change))),
            ("scheduled", .array(scheduled.map(change))),
            ("disputes", .array(disputes.map { .object([("dn", .string($0.dn)), ("employeeId", .optional($0.employeeId)), ("reason", .string($0.reason))]) })),
            ("units", .object(unitNames.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("parents", .object(unitParents.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("managedEntries", .int(managedEntries)),
            ("managedUnits", .int(managedUnits)),
        ] + (renumbered.isEmpty ? [] : [("renumbered", .array(renumbered.map {
            .object([("oldId", .string($0.oldId)), ("newId", .string($0.newId)), ("name", .string($0.name)), ("unitCode", .string($0.unitCode))])
        }))])).rendered() + "\n"
    }

    // MARK: - LDIF, for ldapmodify

    /// RFC 2849 change records that `ldapmodify` applies (non-ASCII values base64). Assertions
    /// and passwords are not carried: `apply` adds both.
    public func ldif() -> String {
        var out = "version: 1\n# rostersync plan as of \(asOf)" + (directory.isEmpty ? "" : " for \(directory)") + "\n"
        for c in changes where !c.operations.isEmpty {
            out += "\n# \(c.kind.rawValue) \(c.subject): \(c.reason.contains("\n") ? c.reason.replacingOccurrences(of: "\n", with: " ") : c.reason)\n"
            for (i, o) in c.operations.enumerated() {
                if i > 0 { out += "\n" }
                out += LDIF.line("dn", o.dn)
                switch o {
                case let .add(_, attributes):
                    out += "changetype: add\n"
                    for a in attributes { for v in a.values { out += LDIF.line(a.name, v) } }
                case let .modify(_, mods, _):
                    out += "changetype: modify\n"
                    for m in mods {
                        let kind = switch m.operation { case .add: "add"; case .delete: "delete"; case .replace: "replace" }
                        out += "\(kind): \(m.attribute.name)\n"
                        for v in m.attribute.values { out += LDIF.line(m.attribute.name, v) }
                        out += "-\n"
                    }
                case let .rename(_, newRDN, newSuperior, _):
                    out += "changetype: modrdn\n" + LDIF.line("newrdn", newRDN) + "deleteoldrdn: 1\n"
                    if let s = newSuperior { out += LDIF.line("newsuperior", s) }
                case .delete:
                    out += "changetype: delete\n"
                }
            }
        }
        return out
    }
}

extension String {
    /// Right-aligned in `width` columns (for counts).
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

/// LDIF value lines (RFC 2849).
public enum LDIF {
    /// `name: value`, or `name:: base64` when the value is not a SAFE-STRING (non-ASCII,
    /// a leading space, colon or '<', a trailing space, or a control character).
    public static func line(_ name: String, _ value: String) -> String { line(name, Data(value.utf8)) }

    public static func line(_ name: String, _ value: Data) -> String {
        let bytes = [UInt8](value)
        let safe = bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
            && !(bytes.first.map { $0 == 0x20 || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "<") } ?? false)
            && bytes.last != 0x20
        return safe ? "\(name): \(String(decoding: bytes, as: UTF8.self))\n" : "\(name):: \(value.base64EncodedString())\n"
    }
}
