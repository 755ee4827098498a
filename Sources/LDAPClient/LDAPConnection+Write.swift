import CLDAP
import Foundation
import LDAPModel

/// What a successful write returned.
public struct LDAPWriteResult: Sendable {
    /// The password the server generated, for a Password Modify without a new password.
    public var generatedPassword: Secret?
    public init(generatedPassword: Secret? = nil) { self.generatedPassword = generatedPassword }
}

/// Called once per operation of a `pipeline`, with its index and its result.
private typealias WriteCompletion = (Int, Result<LDAPWriteResult, LDAPError>) -> Void

/// Where a `pipeline` call stands: the operations sent and not yet answered (by message id),
/// the next one to send, and how many failovers it may still make.
private struct PipelineProgress {
    let operations: [LDAPOperation]
    var outstanding: [Int32: Int] = [:]  // msgid -> index
    var next = 0
    var failoversLeft: Int

    init(operations: [LDAPOperation], failoversLeft: Int) {
        self.operations = operations
        self.failoversLeft = failoversLeft
    }

    /// Every operation sent and answered (or settled as failed).
    var isFinished: Bool { next >= operations.count && outstanding.isEmpty }
}

extension LDAPConnection {
    /// The default number of writes kept outstanding by `pipeline`. slapd has a single writer:
    /// the gain stops at about 8 (see scripts/bench-pipeline and the README's figures).
    public static let defaultWindow = 8

    /// Sends one write and waits for its result.
    @discardableResult
    public func perform(_ operation: LDAPOperation) throws(LDAPError) -> LDAPWriteResult {
        var outcome: Result<LDAPWriteResult, LDAPError>?
        do {
            try pipeline([operation], window: 1) { _, r in outcome = r }
        } catch {
            if case let .failure(e)? = outcome { throw e }
            throw error
        }
        switch outcome {
        case let .success(r)?: return r
        case let .failure(e)?: throw e
        case nil: throw LDAPError(code: .localError, message: "no result", operation: operation.request.name, dn: operation.request.dn, uri: uri)
        }
    }

    public func add(_ dn: String, _ attributes: [LDAPAttribute], assertion: Filter? = nil) throws(LDAPError) {
        try perform(LDAPOperation(.add(dn: dn, attributes: attributes), assertion: assertion))
    }

    public func modify(_ dn: String, _ modifications: [LDAPModification], assertion: Filter? = nil) throws(LDAPError) {
        try perform(LDAPOperation(.modify(dn: dn, modifications: modifications), assertion: assertion))
    }

    public func rename(
        _ dn: String, newRDN: String, newSuperior: String? = nil, deleteOldRDN: Bool = true, assertion: Filter? = nil
    ) throws(LDAPError) {
        try perform(LDAPOperation(.rename(dn: dn, newRDN: newRDN, newSuperior: newSuperior, deleteOldRDN: deleteOldRDN), assertion: assertion))
    }

    public func delete(_ dn: String, assertion: Filter? = nil) throws(LDAPError) {
        try perform(LDAPOperation(.delete(dn: dn), assertion: assertion))
    }

    /// Password Modify (RFC 3062) as the bound identity: sets `newPassword`, or has the server
    /// generate one (returned) when nil. The server hashes it with its own scheme; with
    /// ppolicy's pwdMustChange, a change by an administrator sets pwdReset.
    @discardableResult
    public func setPassword(_ dn: String, to newPassword: Secret?) throws(LDAPError) -> Secret? {
        try perform(LDAPOperation(.passwordModify(dn: dn, newPassword: newPassword))).generatedPassword
    }

    /// Sends `operations` keeping up to `window` of them outstanding on this one connection,
    /// and calls `completion` exactly once per operation, with its index, as results arrive
    /// (not necessarily in order). A failing operation fails alone; the others go on.
    ///
    /// If the server is lost (down, or frozen past the operation timeout), the operations
    /// sent to it and not answered are reported `outcomeUnknown` (they may have been applied:
    /// never sent again), and the connection fails over to the next URI of the list (bound
    /// again), where the operations not yet sent go. When no other URI answers, every
    /// operation not yet sent is reported failed ("not sent") and the call throws: nothing is
    /// left unaccounted for, and it never hangs longer than the timeouts.
    public func pipeline(
        _ operations: [LDAPOperation], window: Int = LDAPConnection.defaultWindow,
        completion: (Int, Result<LDAPWriteResult, LDAPError>) -> Void
    ) throws(LDAPError) {
        let window = max(1, window)
        // Each URI may be failed over to twice in one call (a node that comes back and goes
        // again); then the call gives up rather than loop.
        var progress = PipelineProgress(operations: operations, failoversLeft: 2 * options.uris.count)
        progress.outstanding.reserveCapacity(window)
        while !progress.isFinished {
            try fillWindow(&progress, window: window, completion: completion)
            guard !progress.outstanding.isEmpty else { continue }
            try collectOneResult(&progress, completion: completion)
        }
    }

    /// Sends operations until `window` of them are outstanding or none is left to send.
    private func fillWindow(_ progress: inout PipelineProgress, window: Int, completion: WriteCompletion) throws(LDAPError) {
        while progress.next < progress.operations.count && progress.outstanding.count < window {
            let next = progress.next
            switch send(progress.operations[next]) {
            case let .success(msgid):
                progress.outstanding[msgid] = next
                progress.next += 1
            case let .failure(e):
                if e.code.isConnectionFailure {
                    // Not sent: it goes to the next server with the rest.
                    try lost(e, &progress, completion: completion)
                    continue
                }
                completion(next, .failure(e))  // e.g. a bad filter in this operation alone
                progress.next += 1
            }
        }
    }

    /// Waits for one outstanding operation's result and reports it.
    private func collectOneResult(_ progress: inout PipelineProgress, completion: WriteCompletion) throws(LDAPError) {
        let res: OpaquePointer
        switch nextMessage(outstanding: Array(progress.outstanding.keys), all: true, operation: "write") {
        case let .success(m): res = m
        case let .failure(e):
            try lost(e, &progress, completion: completion)
            return
        }
        let msgid = ldap_msgid(res)
        guard let index = progress.outstanding.removeValue(forKey: msgid) else {
            ldap_msgfree(res)  // unsolicited notification or a stray message
            return
        }
        completion(index, finish(progress.operations[index], res))
        ldap_msgfree(res)
    }

    /// The server is lost: settle what was sent to it, then go on at the next URI.
    private func lost(_ e: LDAPError, _ progress: inout PipelineProgress, completion: WriteCompletion) throws(LDAPError) {
        var e = e
        e.uri = e.uri ?? uri
        guard e.code.isConnectionFailure, progress.failoversLeft > 0 else {
            failRemaining(e, &progress, completion: completion)
            throw e
        }
        failOutstanding(e, &progress, completion: completion)
        progress.failoversLeft -= 1
        do throws(LDAPError) {
            try failover(after: e)
        } catch {
            failRemaining(error, &progress, completion: completion)
            throw error
        }
    }

    /// No server left: the unanswered operations are settled as unknown, and every operation
    /// not yet sent is reported failed ("not sent").
    private func failRemaining(_ e: LDAPError, _ progress: inout PipelineProgress, completion: WriteCompletion) {
        failOutstanding(e, &progress, completion: completion)
        while progress.next < progress.operations.count {
            let next = progress.next
            var err = e
            err.operation = progress.operations[next].request.name
            err.dn = progress.operations[next].request.dn
            err.message = "not sent: " + (e.message.isEmpty ? e.code.text : e.message)
            err.notSent = true
            completion(next, .failure(err))
            progress.next += 1
        }
    }

    /// Sent and unanswered when the server was lost: applied or not, nobody knows.
    private func failOutstanding(_ e: LDAPError, _ progress: inout PipelineProgress, completion: WriteCompletion) {
        for index in progress.outstanding.values.sorted() {
            var err = e
            err.code = .outcomeUnknown
            err.operation = progress.operations[index].request.name
            err.dn = progress.operations[index].request.dn
            err.message = "sent to \(e.uri ?? uri), which was then lost (\(e.code.name)\(e.message.isEmpty ? "" : ": " + e.message)); "
                + "it may or may not have been applied, and was not sent again"
            completion(index, .failure(err))
        }
        progress.outstanding.removeAll()
    }

    /// Waits for the next message of any outstanding operation (`all`: its complete result).
    /// On timeout the outstanding operations are abandoned; either failure is the error every
    /// unanswered operation then reports.
    func nextMessage(outstanding: [Int32], all: Bool, operation: String) -> Result<OpaquePointer, LDAPError> {
        var tv = options.operationTimeout.asTimeval
        var res: OpaquePointer?
        let rc = ldap_result(ld, -1, all ? LDAP_MSG_ALL : LDAP_MSG_ONE, &tv, &res)
        if rc == 0 {
            for msgid in outstanding { ldap_abandon_ext(ld, msgid, nil, nil) }
            return .failure(LDAPError(code: .timeout, message: "no answer within \(options.operationTimeout) s", operation: operation, uri: uri))
        }
        guard rc > 0, let res else { return .failure(handleError(-1, operation: operation, dn: nil)) }
        return .success(res)
    }

    /// Encodes and sends one operation; returns its message id.
    private func send(_ operation: LDAPOperation) -> Result<Int32, LDAPError> {
        let arena = CArena()
        let request = operation.request
        var assertion: UnsafeMutablePointer<LDAPControl>?
        if let filter = operation.assertion {
            let rc = ldap_create_assertion_control(ld, arena.cString(filter.description), 1, &assertion)
            if rc != 0 {
                var e = handleError(rc, operation: request.name, dn: request.dn)
                e.message = "invalid assertion \(filter)"
                return .failure(e)
            }
        }
        defer { if let assertion { ldap_control_free(assertion) } }
        let controls = assertion.map { arena.nullTerminated([$0]) }
        var msgid: Int32 = 0
        let rc: Int32
        switch request {
        case let .add(dn, attributes):
            let mods = attributes.map { mod(LDAP_MOD_ADD, $0, arena) }
            rc = ldap_add_ext(ld, dn, arena.nullTerminated(mods), controls, nil, &msgid)
        case let .modify(dn, modifications):
            let mods = modifications.map { m -> UnsafeMutablePointer<LDAPMod> in
                let op: Int32 = switch m.operation {
                case .add: LDAP_MOD_ADD
                case .delete: LDAP_MOD_DELETE
                case .replace: LDAP_MOD_REPLACE
                }
                return mod(op, m.attribute, arena)
            }
            rc = ldap_modify_ext(ld, dn, arena.nullTerminated(mods), controls, nil, &msgid)
        case let .rename(dn, newRDN, newSuperior, deleteOldRDN):
            rc = ldap_rename(ld, dn, newRDN, newSuperior, deleteOldRDN ? 1 : 0, controls, nil, &msgid)
        case let .delete(dn):
            rc = ldap_delete_ext(ld, dn, controls, nil, &msgid)
        case let .passwordModify(dn, newPassword):
            let user = arena.berval(Array(dn.utf8))
            let newpw = newPassword.map { p in p.withBytes { arena.berval($0) } }
            rc = ldap_passwd(ld, user, nil, newpw, controls, nil, &msgid)
        }
        if rc != 0 { return .failure(handleError(rc, operation: request.name, dn: request.dn)) }
        return .success(msgid)
    }

    private func mod(_ op: Int32, _ attribute: LDAPAttribute, _ arena: CArena) -> UnsafeMutablePointer<LDAPMod> {
        let m = arena.allocate(LDAPMod.self, count: 1)
        let values = attribute.values.map { arena.berval($0) }
        m.initialize(to: LDAPMod(
            mod_op: op | LDAP_MOD_BVALUES, mod_type: arena.cString(attribute.name),
            mod_vals: mod_vals_u(modv_bvals: arena.nullTerminated(values))))
        return m
    }

    private func finish(_ operation: LDAPOperation, _ res: OpaquePointer) -> Result<LDAPWriteResult, LDAPError> {
        let parsed = parseResult(res)
        if let c = parsed.controls { ldap_controls_free(c) }
        guard parsed.code == .success else {
            return .failure(LDAPError(
                code: parsed.code, message: parsed.message, matchedDN: parsed.matchedDN,
                operation: operation.request.name, dn: operation.request.dn, uri: uri))
        }
        var result = LDAPWriteResult()
        if case .passwordModify(_, nil) = operation.request {
            var generated = berval(bv_len: 0, bv_val: nil)
            if ldap_parse_passwd(ld, res, &generated) == 0, let v = generated.bv_val {
                result.generatedPassword = Secret(bytes: Array(UnsafeRawBufferPointer(start: v, count: Int(generated.bv_len))))
                ber_memfree(v)
            }
        }
        return .success(result)
    }
}
