import Foundation

/// An entry as read from the directory: its DN and its attributes. Values are bytes (binary
/// safe); `strings(_:)` decodes them as UTF-8. Attribute names are looked up
/// case-insensitively, as LDAP defines them.
public struct LDAPEntry: Sendable, Hashable {
    public var dn: String
    /// Keyed by the lower-cased attribute description (`cn`, `usercertificate;binary`).
    public private(set) var attributes: [String: [Data]]

    public init(dn: String, attributes: [String: [Data]] = [:]) {
        self.dn = dn
        self.attributes = [:]
        for (k, v) in attributes { self.attributes[k.lowercased(), default: []].append(contentsOf: v) }
    }

    /// For a client that already lower-cased the attribute names (no second pass over them).
    public init(dn: String, lowercasedAttributes: [String: [Data]]) {
        self.dn = dn
        self.attributes = lowercasedAttributes
    }

    public subscript(_ name: String) -> [Data] {
        get { attributes[LDAPEntry.key(name)] ?? [] }
        set { attributes[LDAPEntry.key(name)] = newValue.isEmpty ? nil : newValue }
    }

    /// Attribute names are ASCII: lower-cased by hand, without allocating when already lower.
    static func key(_ name: String) -> String {
        name.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) ? name.lowercased() : name
    }

    /// The values of `name` as UTF-8 text (values that are not valid UTF-8 are skipped).
    public func strings(_ name: String) -> [String] {
        self[name].compactMap(\.utf8String)
    }

    /// The first value of `name` as text, or nil.
    public func string(_ name: String) -> String? {
        guard let first = attributes[LDAPEntry.key(name)]?.first else { return nil }
        return first.utf8String
    }

    public mutating func set(_ name: String, _ values: [String]) {
        self[name] = values.map { Data($0.utf8) }
    }
}

/// An entry read for a fixed list of attributes (`LDAPConnection.search(indexing:)`): its
/// values by the list's position, as text. The values of all slots share one array (a search
/// of 100,000 entries made an array per attribute per entry before).
public struct IndexedEntry: Sendable {
    public var dn: String
    private var all: [String] = []
    private var ranges: [Range<Int>]

    /// An entry with `count` empty slots.
    public init(dn: String = "", count: Int) {
        self.dn = dn
        self.ranges = Array(repeating: 0..<0, count: count)
    }

    public init(dn: String, values: [[String]]) {
        self.init(dn: dn, count: values.count)
        for (slot, v) in values.enumerated() { append(v, to: slot) }
    }

    /// The same for an entry already read (`names[i]` is the attribute of slot `i`).
    public init(_ e: LDAPEntry, names: [String]) {
        self.init(dn: e.dn, values: names.map { e.strings($0) })
    }

    public var count: Int { ranges.count }
    /// The values of slot `slot`, in the order the server sent them.
    public subscript(_ slot: Int) -> ArraySlice<String> { all[ranges[slot]] }
    public func first(_ slot: Int) -> String? { ranges[slot].isEmpty ? nil : all[ranges[slot].lowerBound] }
    /// Every slot's values (for tests and small reads).
    public var values: [[String]] { ranges.map { Array(all[$0]) } }

    /// Empties every slot for the next entry, keeping the storage when nobody else holds it.
    public mutating func reset(dn: String) {
        self.dn = dn
        all.removeAll(keepingCapacity: true)
        for i in ranges.indices { ranges[i] = 0..<0 }
    }

    /// Adds values to a slot. A slot's values stay contiguous: one filled earlier (an
    /// attribute the server sent twice) is moved to the end first.
    public mutating func append(_ value: String, to slot: Int) {
        let r = ranges[slot]
        if !r.isEmpty && r.upperBound != all.count {
            let moved = Array(all[r])
            ranges[slot] = all.count..<all.count + moved.count
            all.append(contentsOf: moved)
        }
        let start = ranges[slot].isEmpty ? all.count : ranges[slot].lowerBound
        all.append(value)
        ranges[slot] = start..<all.count
    }

    public mutating func append(_ values: [String], to slot: Int) {
        for v in values { append(v, to: slot) }
    }
}

/// One attribute and its values, in the order written (for adds).
public struct LDAPAttribute: Sendable, Hashable {
    public var name: String
    public var values: [Data]
    public init(_ name: String, _ values: [Data]) { self.name = name; self.values = values }
    public init(_ name: String, _ values: [String]) { self.init(name, values.map { Data($0.utf8) }) }
    public init(_ name: String, _ value: String) { self.init(name, [value]) }
}

/// One change of a modify operation.
public struct LDAPModification: Sendable, Hashable {
    public enum Operation: Sendable, Hashable { case add, delete, replace }
    public var operation: Operation
    public var attribute: LDAPAttribute
    public init(_ operation: Operation, _ attribute: LDAPAttribute) {
        self.operation = operation
        self.attribute = attribute
    }
    public static func replace(_ name: String, _ values: [String]) -> Self { .init(.replace, .init(name, values)) }
    public static func add(_ name: String, _ values: [String]) -> Self { .init(.add, .init(name, values)) }
    /// Deletes the listed values, or the whole attribute when `values` is empty.
    public static func delete(_ name: String, _ values: [String] = []) -> Self { .init(.delete, .init(name, values)) }
}

/// A write the client can send: the requests of RFC 4511 and the Password Modify extended
/// operation (RFC 3062).
public enum LDAPRequest: Sendable, Hashable {
    case add(dn: String, attributes: [LDAPAttribute])
    case modify(dn: String, modifications: [LDAPModification])
    /// modrdn; `newSuperior` moves the entry (and its whole subtree) under another parent.
    case rename(dn: String, newRDN: String, newSuperior: String?, deleteOldRDN: Bool)
    case delete(dn: String)
    /// Sets `newPassword`, or lets the server generate one when nil.
    case passwordModify(dn: String, newPassword: Secret?)

    public var dn: String {
        switch self {
        case let .add(dn, _), let .modify(dn, _), let .rename(dn, _, _, _), let .delete(dn), let .passwordModify(dn, _): dn
        }
    }

    /// The operation's name as logs and errors print it.
    public var name: String {
        switch self {
        case .add: "add"
        case .modify: "modify"
        case .rename: "modrdn"
        case .delete: "delete"
        case .passwordModify: "password modify"
        }
    }
}

/// A request plus the controls the client attaches.
public struct LDAPOperation: Sendable, Hashable {
    public var request: LDAPRequest
    /// An assertion (RFC 4528): the write happens only if the entry still matches this filter,
    /// otherwise it fails alone with assertionFailed (122).
    public var assertion: Filter?
    public init(_ request: LDAPRequest, assertion: Filter? = nil) {
        self.request = request
        self.assertion = assertion
    }
}

extension Data {
    /// The bytes as UTF-8 text, or nil when they are not valid UTF-8. (`String(validating:as:)`
    /// looks up generic metadata on every call: a tenth of the time of reading 100,000 entries.)
    public var utf8String: String? {
        withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            // Decoding repairs bad sequences with U+FFFD; the bytes compare equal only if none was.
            let s = String(decoding: bytes, as: UTF8.self)
            return s.utf8.count == bytes.count && s.utf8.elementsEqual(bytes) ? s : nil
        }
    }
}
