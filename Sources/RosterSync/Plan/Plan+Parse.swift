import Foundation
import LDAPModel

/// A saved plan that cannot be read back.
public struct PlanFormatError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

extension Plan {
    /// Reads a plan saved by `plan --out` (format version 1) back, exactly as reviewed.
    public static func parse(json data: Data) throws -> Plan {
        func fail(_ why: String) -> PlanFormatError { PlanFormatError(description: "not a rostersync plan: \(why)") }
        guard let doc = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw fail("not a JSON object") }
        guard let version = doc["version"] as? Int else { throw fail("no version") }
        guard version == Plan.formatVersion else { throw fail("format version \(version); this rostersync reads version \(Plan.formatVersion)") }
        guard let asOfText = doc["asOf"] as? String, let asOf = Day(parsing: asOfText) else { throw fail("no asOf date") }
        func strings(_ v: Any?) -> [String] { (v as? [Any])?.compactMap { $0 as? String } ?? [] }
        func filter(_ v: Any?) -> Filter? { (v as? String).map(Filter.raw) }
        func operation(_ o: [String: Any], _ where_: String) throws -> PlannedOperation {
            guard let op = o["op"] as? String, let dn = o["dn"] as? String else { throw fail("\(where_): an operation without op or dn") }
            switch op {
            case "add":
                guard let attrs = o["attributes"] as? [String: Any] else { throw fail("\(where_): add without attributes") }
                // Attribute order does not matter to LDAP; sorted for a stable request.
                return .add(dn: dn, attributes: attrs.keys.sorted().map { LDAPAttribute($0, strings(attrs[$0])) })
            case "modify":
                guard let list = o["changes"] as? [[String: Any]] else { throw fail("\(where_): modify without changes") }
                let mods = try list.map { m -> LDAPModification in
                    guard let name = m["attribute"] as? String else { throw fail("\(where_): a modification without attribute") }
                    let kind: LDAPModification.Operation = switch m["op"] as? String {
                    case "add": .add
                    case "delete": .delete
                    case "replace": .replace
                    default: throw fail("\(where_): unknown modification \(m["op"] ?? "")")
                    }
                    return LDAPModification(kind, LDAPAttribute(name, strings(m["values"])))
                }
                return .modify(dn: dn, modifications: mods, assertion: filter(o["assertion"]))
            case "modrdn":
                guard let rdn = o["newRdn"] as? String else { throw fail("\(where_): modrdn without newRdn") }
                return .rename(dn: dn, newRDN: rdn, newSuperior: o["newSuperior"] as? String, assertion: filter(o["assertion"]))
            case "delete":
                return .delete(dn: dn, assertion: filter(o["assertion"]))
            default:
                throw fail("\(where_): unknown operation \(op)")
            }
        }
        func change(_ c: [String: Any], _ index: Int) throws -> Change {
            let where_ = "change \(index + 1)"
            guard let kindText = c["kind"] as? String, let kind = ChangeKind(rawValue: kindText), let dn = c["dn"] as? String else {
                throw fail("\(where_): no kind or dn")
            }
            let attrs = (c["attributes"] as? [[String: Any]] ?? []).map {
                AttributeChange($0["name"] as? String ?? "", old: strings($0["old"]), new: strings($0["new"]))
            }
            let ops = try (c["operations"] as? [[String: Any]] ?? []).map { try operation($0, where_) }
            return Change(
                kind: kind, dn: dn, newDN: c["newDn"] as? String, employeeId: c["employeeId"] as? String, unitCode: c["unitCode"] as? String,
                groupUnit: c["unit"] as? String, subject: c["subject"] as? String ?? dn, reason: c["reason"] as? String ?? "",
                attributes: attrs, operations: ops, due: (c["due"] as? String).flatMap(Day.init(parsing:)))
        }
        let changes = try (doc["changes"] as? [[String: Any]] ?? []).enumerated().map { try change($1, $0) }
        let scheduled = try (doc["scheduled"] as? [[String: Any]] ?? []).enumerated().map { try change($1, $0) }
        let disputes = (doc["disputes"] as? [[String: Any]] ?? []).map {
            Dispute(dn: $0["dn"] as? String ?? "", employeeId: $0["employeeId"] as? String, reason: $0["reason"] as? String ?? "")
        }
        var plan = Plan(
            asOf: asOf, directory: doc["directory"] as? String ?? "", inputs: (doc["inputs"] as? [String: String]) ?? [:],
            changes: changes, scheduled: scheduled, disputes: disputes, unitNames: (doc["units"] as? [String: String]) ?? [:])
        plan.managedEntries = doc["managedEntries"] as? Int ?? 0
        plan.managedUnits = doc["managedUnits"] as? Int ?? 0
        plan.renumbered = (doc["renumbered"] as? [[String: Any]] ?? []).map {
            Renumbering(oldId: $0["oldId"] as? String ?? "", newId: $0["newId"] as? String ?? "", name: $0["name"] as? String ?? "", unitCode: $0["unitCode"] as? String ?? "")
        }
        return plan
    }
}
