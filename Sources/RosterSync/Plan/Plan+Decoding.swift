import Foundation
import LDAPModel

/// A saved plan that cannot be read back.
public struct PlanFormatError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

extension Plan {
    /// Reads a plan saved by `plan --out` (format version 1) back, exactly as reviewed.
    public static func parse(json data: Data) throws -> Plan {
        let decoder = JSONDecoder()
        // The version first: a plan of another version is refused as such, whatever its shape.
        guard let header = try? decoder.decode(PlanHeader.self, from: data) else {
            throw PlanFormatError.notAPlan("not a JSON object")
        }
        guard let version = header.version else { throw PlanFormatError.notAPlan("no version") }
        guard version == Plan.formatVersion else {
            throw PlanFormatError.notAPlan(
                "format version \(version); this rostersync reads version \(Plan.formatVersion)")
        }
        guard let asOf = header.asOf.flatMap(Day.init(parsing:)) else { throw PlanFormatError.notAPlan("no asOf date") }
        let document: PlanDocument
        do {
            document = try decoder.decode(PlanDocument.self, from: data)
        } catch {
            throw PlanFormatError.notAPlan("\(error)")
        }
        let changes = try (document.changes ?? []).enumerated().map { try $1.change("change \($0 + 1)") }
        let scheduled = try (document.scheduled ?? []).enumerated().map { try $1.change("change \($0 + 1)") }
        var plan = Plan(
            asOf: asOf, directory: document.directory ?? "", inputs: document.inputs ?? [:], changes: changes,
            scheduled: scheduled,
            disputes: (document.disputes ?? []).map {
                Dispute(dn: $0.dn ?? "", employeeId: $0.employeeId, reason: $0.reason ?? "")
            },
            unitNames: document.units ?? [:])
        plan.unitParents = document.parents ?? [:]
        plan.managedEntries = document.managedEntries ?? 0
        plan.managedUnits = document.managedUnits ?? 0
        plan.renumbered = (document.renumbered ?? []).map {
            Renumbering(oldId: $0.oldId ?? "", newId: $0.newId ?? "", name: $0.name ?? "", unitCode: $0.unitCode ?? "")
        }
        return plan
    }
}

extension PlanFormatError {
    static func notAPlan(_ why: String) -> Self { Self(description: "not a rostersync plan: \(why)") }
}

/// What is read of a plan before the rest: a version that is not a number is no version.
private struct PlanHeader: Decodable {
    var version: Int?
    var asOf: String?

    enum CodingKeys: String, CodingKey { case version, asOf }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try? container.decodeIfPresent(Int.self, forKey: .version)
        asOf = try? container.decodeIfPresent(String.self, forKey: .asOf)
    }
}

/// The JSON plan, version 1, as `Plan.json()` writes it (its `summary` is not read back).
private struct PlanDocument: Decodable {
    var directory: String?
    var inputs: [String: String]?
    var changes: [ChangeDocument]?
    var scheduled: [ChangeDocument]?
    var disputes: [DisputeDocument]?
    var units: [String: String]?
    var parents: [String: String]?
    var managedEntries: Int?
    var managedUnits: Int?
    var renumbered: [RenumberingDocument]?
}

private struct DisputeDocument: Decodable {
    var dn: String?
    var employeeId: String?
    var reason: String?
}

private struct RenumberingDocument: Decodable {
    var oldId: String?
    var newId: String?
    var name: String?
    var unitCode: String?
}

private struct ChangeDocument: Decodable {
    var kind: String?
    var dn: String?
    var newDn: String?
    var employeeId: String?
    var unitCode: String?
    var unit: String?
    var subject: String?
    var reason: String?
    var due: String?
    var attributes: [AttributeDocument]?
    var operations: [OperationDocument]?

    /// The change, or the first thing wrong with it; `place` says which change it is.
    func change(_ place: String) throws -> Change {
        guard let kind = kind.flatMap(ChangeKind.init(rawValue:)), let dn else {
            throw PlanFormatError.notAPlan("\(place): no kind or dn")
        }
        return Change(
            kind: kind, dn: dn, newDN: newDn, employeeId: employeeId, unitCode: unitCode, groupUnit: unit,
            subject: subject ?? dn, reason: reason ?? "",
            attributes: (attributes ?? []).map { AttributeChange($0.name ?? "", old: $0.old ?? [], new: $0.new ?? []) },
            operations: try (operations ?? []).map { try $0.operation(place) }, due: due.flatMap(Day.init(parsing:)))
    }
}

private struct AttributeDocument: Decodable {
    var name: String?
    var old: [String]?
    var new: [String]?
}

private struct OperationDocument: Decodable {
    var op: String?
    var dn: String?
    var attributes: [String: [String]]?
    var changes: [ModificationDocument]?
    var newRdn: String?
    var newSuperior: String?
    var assertion: String?

    func operation(_ place: String) throws -> PlannedOperation {
        guard let op, let dn else { throw PlanFormatError.notAPlan("\(place): an operation without op or dn") }
        let assertion = self.assertion.map(Filter.raw)
        switch op {
        case "add":
            guard let attributes else { throw PlanFormatError.notAPlan("\(place): add without attributes") }
            // Attribute order does not matter to LDAP; sorted for a stable request.
            return .add(dn: dn, attributes: attributes.keys.sorted().map { LDAPAttribute($0, attributes[$0] ?? []) })
        case "modify":
            guard let changes else { throw PlanFormatError.notAPlan("\(place): modify without changes") }
            return .modify(dn: dn, modifications: try changes.map { try $0.modification(place) }, assertion: assertion)
        case "modrdn":
            guard let newRdn else { throw PlanFormatError.notAPlan("\(place): modrdn without newRdn") }
            return .rename(dn: dn, newRDN: newRdn, newSuperior: newSuperior, assertion: assertion)
        case "delete":
            return .delete(dn: dn, assertion: assertion)
        default:
            throw PlanFormatError.notAPlan("\(place): unknown operation \(op)")
        }
    }
}

private struct ModificationDocument: Decodable {
    var op: String?
    var attribute: String?
    var values: [String]?

    func modification(_ place: String) throws -> LDAPModification {
        guard let attribute else { throw PlanFormatError.notAPlan("\(place): a modification without attribute") }
        let operation: LDAPModification.Operation = switch op {
        case "add": .add
        case "delete": .delete
        case "replace": .replace
        default: throw PlanFormatError.notAPlan("\(place): unknown modification \(op ?? "")")
        }
        return LDAPModification(operation, LDAPAttribute(attribute, values ?? []))
    }
}
