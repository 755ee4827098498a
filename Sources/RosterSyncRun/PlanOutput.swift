import Foundation
import LDAPClient
import LDAPModel
import Logging
import RosterSync

/// The formats `plan` and `show` print a plan in.
package enum PlanFormat: String, CaseIterable, Sendable { case text, json, ldif }

extension Runner {
    /// A plan on standard output in one of `plan`'s formats: what `plan` and `show` print.
    package static func printPlan(_ plan: Plan, format: PlanFormat, detail: Plan.TextDetail = .auto) {
        switch format {
        case .text: print(plan.text(color: colorWanted(), detail: detail), terminator: "")
        case .json: print(plan.json(), terminator: "")
        case .ldif: print(plan.ldif(), terminator: "")
        }
    }

    /// Colour on a terminal, unless NO_COLOR is set to something (no-color.org: an empty
    /// NO_COLOR does not count).
    package static func colorWanted() -> Bool {
        isatty(1) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
    }
}

extension Plan {
    /// The plan with each add's attributes in the order the file has them: `Plan.parse`
    /// reads them through a dictionary (LDAP does not care), but the LDIF `plan` printed
    /// lists them in the planner's order, and `show` prints the same bytes.
    package func withAddOrder(of data: Data) -> Plan {
        guard case let .object(doc)? = try? OrderedJSON.parse(Array(data)) else { return self }
        var plan = self
        func reorder(_ changes: inout [Change], _ key: String) {
            guard case let .array(list)? = doc.first(where: { $0.0 == key })?.1, list.count == changes.count else { return }
            for (i, item) in list.enumerated() {
                guard case let .object(c) = item, case let .array(ops)? = c.first(where: { $0.0 == "operations" })?.1,
                      ops.count == changes[i].operations.count else { continue }
                for (j, op) in ops.enumerated() {
                    guard case let .object(o) = op, case let .object(attrs)? = o.first(where: { $0.0 == "attributes" })?.1,
                          case let .add(dn, attributes) = changes[i].operations[j] else { continue }
                    let rank = Dictionary(attrs.enumerated().map { ($0.element.0, $0.offset) }, uniquingKeysWith: { a, _ in a })
                    changes[i].operations[j] = .add(dn: dn, attributes: attributes.sorted { (rank[$0.name] ?? .max) < (rank[$1.name] ?? .max) })
                }
            }
        }
        reorder(&plan.changes, "changes")
        reorder(&plan.scheduled, "scheduled")
        return plan
    }
}

/// A JSON reader that keeps the order of object keys (JSONSerialization does not); only for
/// the order of a saved plan's attributes.
package enum OrderedJSON {
    case object([(String, OrderedJSON)])
    case array([OrderedJSON])
    case string(String)
    case scalar

    package struct Malformed: Error {}

    package static func parse(_ bytes: [UInt8]) throws -> OrderedJSON {
        var i = 0
        let value = try parseValue(bytes, &i)
        return value
    }

    private static func skipSpace(_ b: [UInt8], _ i: inout Int) {
        while i < b.count, [0x20, 0x0A, 0x0D, 0x09].contains(b[i]) { i += 1 }
    }

    private static func parseValue(_ b: [UInt8], _ i: inout Int) throws -> OrderedJSON {
        skipSpace(b, &i)
        guard i < b.count else { throw Malformed() }
        switch b[i] {
        case UInt8(ascii: "{"):
            i += 1
            var members: [(String, OrderedJSON)] = []
            skipSpace(b, &i)
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                skipSpace(b, &i)
                guard case let .string(key) = try parseValue(b, &i) else { throw Malformed() }
                skipSpace(b, &i)
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw Malformed() }
                i += 1
                members.append((key, try parseValue(b, &i)))
                skipSpace(b, &i)
                guard i < b.count else { throw Malformed() }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                guard b[i] == UInt8(ascii: "}") else { throw Malformed() }
                i += 1
                return .object(members)
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [OrderedJSON] = []
            skipSpace(b, &i)
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                items.append(try parseValue(b, &i))
                skipSpace(b, &i)
                guard i < b.count else { throw Malformed() }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                guard b[i] == UInt8(ascii: "]") else { throw Malformed() }
                i += 1
                return .array(items)
            }
        case UInt8(ascii: "\""):
            // The string's bytes up to its closing quote; its escapes decoded by JSONSerialization.
            let start = i
            i += 1
            while i < b.count, b[i] != UInt8(ascii: "\"") { i += b[i] == UInt8(ascii: "\\") ? 2 : 1 }
            guard i < b.count else { throw Malformed() }
            i += 1
            let literal = Data(b[start..<i])
            guard let text = try? JSONSerialization.jsonObject(with: literal, options: .fragmentsAllowed) as? String else { throw Malformed() }
            return .string(text)
        default:
            while i < b.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")].contains(b[i]) { i += 1 }
            return .scalar
        }
    }
}
