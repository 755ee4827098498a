import Foundation
import LDAPModel

extension Plan {
    // MARK: - Text, for the units that review it

    /// Grouped by unit under the unit's name as HR wrote it, one line per change with its
    /// reason and old → new values, scheduled changes after, then counts per kind.
    public func text(color: Bool = false) -> String {
        func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
        func marker(_ k: ChangeKind) -> String {
            switch k {
            case .createContainer, .createUnit, .createAccount, .adoptAccount, .enableAccount: paint("+", "32")
            case .updateUnit, .updateAccount, .handoverUnitMailbox, .separateUnitMailbox: paint("~", "33")
            case .renameUnit, .moveUnit, .moveAccount: paint(">", "36")
            case .disableAccount, .lockAccount, .deleteAccount, .dissolveUnit: paint("-", "31")
            case .orphan: paint("?", "35")
            }
        }
        func label(_ code: String?) -> String {
            guard let code else { return "Other entries" }
            return unitNames[code].map { "\($0) (\(code))" } ?? code
        }
        func quote(_ v: [String]) -> String { v.isEmpty ? "(none)" : v.map { "\"\($0)\"" }.joined(separator: ", ") }

        var out = "Plan as of \(asOf)" + (directory.isEmpty ? "" : " for \(directory)") + "\n"
        for (file, sum) in inputs.sorted(by: { $0.key < $1.key }) { out += "  input \(file)  \(sum)\n" }
        if changes.isEmpty { out += "\nNo changes: the directory already matches the rosters.\n" }
        let groups = Dictionary(grouping: changes, by: { $0.groupUnit ?? "" })
        for key in groups.keys.sorted(by: { (label($0.isEmpty ? nil : $0)) < (label($1.isEmpty ? nil : $1)) }) {
            out += "\n" + paint(label(key.isEmpty ? nil : key), "1") + "\n"
            for c in groups[key] ?? [] {
                out += "  \(marker(c.kind)) \(c.kind.rawValue.padding(toLength: 19, withPad: " ", startingAt: 0)) \(c.subject): \(c.reason)\n"
                for a in c.attributes where !["objectClass", "rsState"].contains(a.name) || c.kind == .adoptAccount {
                    if a.old.isEmpty && (c.kind == .createAccount || c.kind == .createUnit) { continue }
                    out += "        \(a.name): \(quote(a.old)) → \(quote(a.new))\n"
                }
                if let n = c.newDN { out += "        \(c.dn)\n          → \(n)\n" }
            }
        }
        if !scheduled.isEmpty {
            out += "\nScheduled (not part of this plan; planned on or after their day)\n"
            for c in scheduled {
                out += "  \(c.due?.description ?? "          ")  \(c.kind.rawValue.padding(toLength: 19, withPad: " ", startingAt: 0)) \(c.subject): \(c.reason)  [\(label(c.groupUnit))]\n"
            }
        }
        if !renumbered.isEmpty {
            out += "\nRenumbered? \(renumbered.count) new employee ids have the name and unit of an account whose id left the staff roster"
                + " (a prefix added? leading zeros dropped by a spreadsheet?): check the staff file's ids before syncing\n"
            for r in renumbered.prefix(20) { out += "  \(r.oldId) → \(r.newId)  \(r.name)  [\(label(r.unitCode))]\n" }
            if renumbered.count > 20 { out += "  … and \(renumbered.count - 20) more\n" }
        }
        if !disputes.isEmpty {
            out += "\nLeft alone (disputed)\n"
            for d in disputes { out += "  \(d.dn): \(d.reason)\n" }
        }
        let counts = self.counts
        let summary = ChangeKind.allCases.compactMap { k in counts[k].map { "\($0) \(k.rawValue)" } }.joined(separator: ", ")
        out += "\n\(changes.count) change\(changes.count == 1 ? "" : "s")" + (summary.isEmpty ? "" : ": \(summary)")
        out += "; \(scheduled.count) scheduled; \(disputes.count) disputed\n"
        return out
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
