import CLDAP
import Foundation
import LDAPModel

// Message types (the ldap.h macros are casts that Swift does not import).
let resSearchEntry: Int32 = 0x64
let resSearchReference: Int32 = 0x73
let resSearchResult: Int32 = 0x65

extension LDAPConnection {
    /// Searches with the paged results control (RFC 2696), so a subtree of any size comes back
    /// whole whatever the server's size limit, and hands each entry to `body` as it arrives:
    /// memory stays flat however many entries there are.
    ///
    /// - Parameters:
    ///   - attributes: what to read; `["*", "+"]` for all user and operational attributes,
    ///     empty for all user attributes.
    ///   - pageSize: entries per page (1000 is what `ldapsearch -E pr=1000` uses).
    public func search(
        base: String, scope: LDAPScope = .subtree, filter: Filter = .present("objectClass"),
        attributes: [String] = [], pageSize: Int = 1000,
        _ body: (LDAPEntry) throws -> Void
    ) throws {
        var names: [(raw: [UInt8], name: String)] = []
        try pagedSearch(base: base, scope: scope, filter: filter, attributes: attributes, pageSize: pageSize) { m in
            try body(decodeEntry(m, &names))
        }
    }

    /// The same paged search for a fixed list of text attributes, each entry handed over as
    /// an `IndexedEntry`: values by the list's position, decoded once to text, no dictionary
    /// and no `Data` per value, one storage reused from entry to entry (what the planner
    /// reads 100,000 entries with).
    /// Attribute names match without case; values that are not UTF-8 are left out.
    public func search(
        base: String, scope: LDAPScope = .subtree, filter: Filter = .present("objectClass"),
        indexing attributes: [String], pageSize: Int = 1000,
        _ body: (IndexedEntry) throws -> Void
    ) throws {
        var slots: [String: Int] = [:]
        for (i, a) in attributes.enumerated() { slots[a.lowercased()] = i }
        var positions: [(raw: [UInt8], slot: Int)] = []
        // One entry's storage serves every entry (kept unless `body` keeps a copy).
        var entry = IndexedEntry(count: attributes.count)
        try pagedSearch(base: base, scope: scope, filter: filter, attributes: attributes, pageSize: pageSize) { m in
            try decodeIndexed(m, into: &entry, slots: slots, &positions)
            try body(entry)
        }
    }

    private func pagedSearch(
        base: String, scope: LDAPScope, filter: Filter, attributes: [String], pageSize: Int,
        _ handle: (OpaquePointer) throws -> Void
    ) throws {
        let filterString = filter.description
        var cookie = berval(bv_len: 0, bv_val: nil)
        defer { if let v = cookie.bv_val { ber_memfree(v) } }
        let arena = CArena()
        let attrs = attributes.isEmpty ? nil : arena.stringArray(attributes)
        repeat {
            var page: UnsafeMutablePointer<LDAPControl>?
            var rc = ldap_create_page_control(ld, ber_int_t(pageSize), &cookie, 0, &page)
            if rc != 0 { throw handleError(rc, operation: "search", dn: base) }
            var msgid: Int32 = 0
            var controls: [UnsafeMutablePointer<LDAPControl>?] = [page, nil]
            rc = controls.withUnsafeMutableBufferPointer { ctrls in
                ldap_search_ext(ld, base, scope.rawValue, filterString, attrs, 0, ctrls.baseAddress, nil, nil, 0, &msgid)
            }
            ldap_control_free(page)
            if rc != 0 {
                var e = handleError(rc, operation: "search", dn: base)
                if e.code == .filterError { e.message = "invalid filter \(filterString)" }
                throw e
            }
            if let v = cookie.bv_val { ber_memfree(v) }
            cookie = berval(bv_len: 0, bv_val: nil)
            cookie = try readPage(msgid: msgid, base: base, handle)
        } while cookie.bv_len > 0
    }

    /// All entries of a search, collected (convenience for small result sets).
    public func search(
        base: String, scope: LDAPScope = .subtree, filter: Filter = .present("objectClass"),
        attributes: [String] = [], pageSize: Int = 1000
    ) throws -> [LDAPEntry] {
        var out: [LDAPEntry] = []
        try search(base: base, scope: scope, filter: filter, attributes: attributes, pageSize: pageSize) { out.append($0) }
        return out
    }

    /// Reads many entries by DN, keeping up to `window` base-scope searches outstanding on the
    /// connection (one round trip per entry would dominate: backing up a quarter's 7,000
    /// changed entries one by one took seconds). `completion` gets each index exactly once:
    /// the entry, nil when it does not exist, or the error of that read alone. A lost
    /// connection fails the unanswered reads and throws.
    public func read(
        _ dns: [String], attributes: [String] = [], window: Int = 32,
        completion: (Int, Result<LDAPEntry?, LDAPError>) -> Void
    ) throws(LDAPError) {
        let arena = CArena()
        let attrs = attributes.isEmpty ? nil : arena.stringArray(attributes)
        var outstanding: [Int32: Int] = [:]
        var found: [Int32: LDAPEntry] = [:]
        var names: [(raw: [UInt8], name: String)] = []
        var next = 0
        func failRemaining(_ e: LDAPError) {
            for index in outstanding.values.sorted() { completion(index, .failure(e)) }
            outstanding.removeAll()
            while next < dns.count { completion(next, .failure(e)); next += 1 }
        }
        while next < dns.count || !outstanding.isEmpty {
            while next < dns.count && outstanding.count < max(1, window) {
                var msgid: Int32 = 0
                let rc = ldap_search_ext(ld, dns[next], LDAPScope.base.rawValue, "(objectClass=*)", attrs, 0, nil, nil, nil, 0, &msgid)
                if rc != 0 {
                    let e = handleError(rc, operation: "search", dn: dns[next])
                    if e.code.isConnectionFailure { failRemaining(e); throw e }
                    completion(next, .failure(e))
                } else {
                    outstanding[msgid] = next
                }
                next += 1
            }
            guard !outstanding.isEmpty else { continue }
            let res: OpaquePointer
            switch nextMessage(outstanding: Array(outstanding.keys), all: false, operation: "search") {
            case let .success(m): res = m
            case let .failure(e): failRemaining(e); throw e
            }
            defer { ldap_msgfree(res) }
            let msgid = ldap_msgid(res)
            guard let index = outstanding[msgid] else { continue }
            switch ldap_msgtype(res) {
            case resSearchEntry:
                found[msgid] = try decodeEntry(res, &names)
            case resSearchResult:
                outstanding[msgid] = nil
                let parsed = parseResult(res)
                if let c = parsed.controls { ldap_controls_free(c) }
                switch parsed.code {
                case .success: completion(index, .success(found.removeValue(forKey: msgid)))
                case .noSuchObject: completion(index, .success(nil))
                default:
                    completion(index, .failure(LDAPError(code: parsed.code, message: parsed.message, matchedDN: parsed.matchedDN, operation: "search", dn: dns[index], uri: uri)))
                }
            default:
                break
            }
        }
    }

    /// Reads one entry, or nil when it does not exist.
    public func read(_ dn: String, attributes: [String] = []) throws -> LDAPEntry? {
        do {
            return try search(base: dn, scope: .base, attributes: attributes).first
        } catch let e as LDAPError where e.code == .noSuchObject {
            return nil
        }
    }

    /// Reads the messages of one page; returns the cookie of the next page (empty when done).
    private func readPage(msgid: Int32, base: String, _ handle: (OpaquePointer) throws -> Void) throws -> berval {
        while true {
            var tv = options.operationTimeout.asTimeval
            var chain: OpaquePointer?
            // LDAP_MSG_RECEIVED hands over everything that has arrived: one call per batch,
            // not per entry.
            let rc = ldap_result(ld, msgid, LDAP_MSG_RECEIVED, &tv, &chain)
            if rc == 0 {
                ldap_abandon_ext(ld, msgid, nil, nil)
                throw LDAPError(code: .timeout, message: "no answer within \(options.operationTimeout) s", operation: "search", dn: base, uri: uri)
            }
            guard rc > 0, let chain else { throw handleError(-1, operation: "search", dn: base) }
            defer { ldap_msgfree(chain) }
            var msg = ldap_first_message(ld, chain)
            while let m = msg {
                switch ldap_msgtype(m) {
                case resSearchEntry:
                    try handle(m)
                case resSearchResult:
                    return try finishPage(m, base: base)
                default:
                    break  // references: referrals are off, the agent manages one server's tree
                }
                msg = ldap_next_message(ld, m)
            }
        }
    }

    private func finishPage(_ m: OpaquePointer, base: String) throws(LDAPError) -> berval {
        let parsed = parseResult(m)
        defer { if let c = parsed.controls { ldap_controls_free(c) } }
        guard parsed.code == .success else {
            throw LDAPError(code: parsed.code, message: parsed.message, matchedDN: parsed.matchedDN, operation: "search", dn: base, uri: uri)
        }
        var next = berval(bv_len: 0, bv_val: nil)
        if let c = parsed.controls, let pc = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, c, nil) {
            var count: ber_int_t = 0
            let rc = ldap_parse_pageresponse_control(ld, pc, &count, &next)
            if rc != 0 { throw handleError(rc, operation: "search", dn: base) }
        }
        return next
    }

    /// Walks an entry through the BER iteration API: `body` gets each attribute's name bytes
    /// and its values, valid only during the call (values are copied out of the message
    /// buffer, with no per-attribute lookups). Returns the entry's DN.
    private func forEachAttribute(_ m: OpaquePointer, _ body: (UnsafeRawBufferPointer, UnsafeMutablePointer<berval>?) -> Void) throws(LDAPError) -> String {
        var ber: OpaquePointer?
        var dnbv = berval(bv_len: 0, bv_val: nil)
        var rc = ldap_get_dn_ber(ld, m, &ber, &dnbv)
        if rc != 0 { throw handleError(rc, operation: "search", dn: nil) }
        defer { if let ber { ber_free(ber, 0) } }
        while true {
            var attr = berval(bv_len: 0, bv_val: nil)
            var vals: UnsafeMutablePointer<berval>?
            rc = ldap_get_attribute_ber(ld, m, ber, &attr, &vals)
            guard rc == 0, attr.bv_val != nil else { break }
            body(UnsafeRawBufferPointer(start: attr.bv_val, count: Int(attr.bv_len)), vals)
            if let vals { ber_memfree(vals) }
        }
        return dnbv.string
    }

    /// An entry as an `LDAPEntry`. Entries of one search list their attributes in much the
    /// same order: the name seen at a position last time is reused when the bytes match, so
    /// names are not made and lower-cased again for every entry.
    private func decodeEntry(_ m: OpaquePointer, _ lastNames: inout [(raw: [UInt8], name: String)]) throws(LDAPError) -> LDAPEntry {
        var attributes: [String: [Data]] = [:]
        attributes.reserveCapacity(lastNames.count)
        var position = 0
        let dn = try forEachAttribute(m) { raw, vals in
            var values: [Data] = []
            if let vals {
                var i = 0
                while vals[i].bv_val != nil { values.append(vals[i].data); i += 1 }
            }
            let name: String
            if position < lastNames.count, lastNames[position].raw.sameBytes(raw) {
                name = lastNames[position].name
            } else {
                name = String(decoding: raw, as: UTF8.self).lowercased()
                if position < lastNames.count { lastNames[position] = (Array(raw), name) } else { lastNames.append((Array(raw), name)) }
            }
            position += 1
            attributes[name, default: []].append(contentsOf: values)
        }
        return LDAPEntry(dn: dn, lowercasedAttributes: attributes)
    }

    /// An entry into the slots of the requested attributes (names matched as in `decodeEntry`).
    private func decodeIndexed(_ m: OpaquePointer, into entry: inout IndexedEntry, slots: [String: Int], _ positions: inout [(raw: [UInt8], slot: Int)]) throws(LDAPError) {
        entry.reset(dn: "")
        var position = 0
        entry.dn = try forEachAttribute(m) { raw, vals in
            let slot: Int
            if position < positions.count, positions[position].raw.sameBytes(raw) {
                slot = positions[position].slot
            } else {
                slot = slots[String(decoding: raw, as: UTF8.self).lowercased()] ?? -1
                if position < positions.count { positions[position] = (Array(raw), slot) } else { positions.append((Array(raw), slot)) }
            }
            position += 1
            guard slot >= 0, let vals else { return }
            var i = 0
            while vals[i].bv_val != nil {
                let bytes = UnsafeRawBufferPointer(start: vals[i].bv_val, count: Int(vals[i].bv_len))
                var text = String(decoding: bytes, as: UTF8.self)
                // Decoding repairs bad sequences; equal bytes mean there were none.
                if text.withUTF8({ UnsafeRawBufferPointer($0).sameBytes(bytes) }) { entry.append(text, to: slot) }
                i += 1
            }
        }
    }
}

extension [UInt8] {
    /// Byte equality with a C buffer by memcmp (the generic element loop was a tenth of a
    /// 100,000-entry read).
    func sameBytes(_ other: UnsafeRawBufferPointer) -> Bool {
        withUnsafeBytes { $0.sameBytes(other) }
    }
}

extension UnsafeRawBufferPointer {
    func sameBytes(_ other: UnsafeRawBufferPointer) -> Bool {
        guard count == other.count else { return false }
        guard count > 0, let a = baseAddress, let b = other.baseAddress else { return true }
        return memcmp(a, b, count) == 0
    }
}
