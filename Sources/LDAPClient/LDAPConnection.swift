import CLDAP
import Foundation
import LDAPModel

/// How to reach the directory.
public struct LDAPConnectionOptions: Sendable {
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain ldap:// or ldapi:// (an ldaps:// URI is TLS from the first byte regardless).
        case none
        /// StartTLS on an ldap:// URI before binding; failure is an error, never a fallback.
        case startTLS = "starttls"
    }

    /// Tried in order; the first that answers and accepts the bind is used, so the second
    /// provider of a replicated pair takes over when the first is down or frozen.
    public var uris: [String]
    /// Seconds to wait for a TCP/TLS connection (`LDAP_OPT_NETWORK_TIMEOUT`).
    public var connectTimeout: Double
    /// Seconds to wait for any one result before the server is taken as unresponsive.
    public var operationTimeout: Double
    public var tls: TLSMode
    /// CA certificates (PEM) used to verify the server; the system store when nil.
    public var caFile: String?
    /// Verify the server certificate and name. Off only when a flag in the config says so.
    public var verifyCertificates: Bool

    public init(
        uris: [String], connectTimeout: Double = 5, operationTimeout: Double = 30,
        tls: TLSMode = .none, caFile: String? = nil, verifyCertificates: Bool = true
    ) {
        self.uris = uris
        self.connectTimeout = connectTimeout
        self.operationTimeout = operationTimeout
        self.tls = tls
        self.caFile = caFile
        self.verifyCertificates = verifyCertificates
    }
}

/// Who the agent binds as.
public enum LDAPCredentials: Sendable, CustomStringConvertible {
    case anonymous
    /// A simple bind; the password comes from a file or the environment, never argv.
    case simple(dn: String, password: Secret)
    /// SASL EXTERNAL: over ldapi:// the server maps the process's uid/gid to an identity
    /// (how a root-run agent on the directory host binds); over TLS, the client certificate.
    case saslExternal

    public var description: String {
        switch self {
        case .anonymous: "anonymous"
        case let .simple(dn, _): "simple bind as \(dn)"
        case .saslExternal: "SASL EXTERNAL"
        }
    }
}

/// What the server said about a successful bind.
public struct LDAPBindResult: Sendable {
    /// Set when the password policy attached a warning, e.g. `.changeAfterReset` after an
    /// administrator set the password: the holder may do nothing but change it.
    public var passwordPolicy: PasswordPolicyError?
    /// Seconds until the password expires, when the server said so.
    public var secondsUntilExpiry: Int?
    public var graceLoginsLeft: Int?
}

/// Search scope.
public enum LDAPScope: Int32, Sendable {
    case base = 0, oneLevel = 1, subtree = 2, children = 3
}

/// One connection to the directory, driven from one thread at a time.
///
/// Not `Sendable`: libldap's handle may not be waited on by one thread while another sends
/// (ldap_result holds the handle's lock while it waits), so the type system keeps a
/// connection on the task that opened it. Pipelining gets its concurrency from having many
/// operations outstanding on the wire, not from threads.
public final class LDAPConnection {
    /// The handle; replaced when a pipeline fails over to the next URI.
    var ld: OpaquePointer
    /// The URI this connection uses (the first of the list that answered; the next one after
    /// a failover).
    public internal(set) var uri: String
    public let options: LDAPConnectionOptions
    /// Outcome of the bind, including password-policy warnings.
    public internal(set) var bindResult = LDAPBindResult()
    /// What the connection bound with, kept to bind again after a failover.
    var credentials: LDAPCredentials?
    /// Called when a pipeline lost its server and went on at another URI: the error that
    /// ended the old connection and the new URI.
    public var onFailover: ((LDAPError, String) -> Void)?
    /// Failovers so far (each a lost server replaced by the next URI).
    public internal(set) var failovers = 0
    private var closed = false

    private init(ld: OpaquePointer, uri: String, options: LDAPConnectionOptions) {
        self.ld = ld
        self.uri = uri
        self.options = options
    }

    deinit { close() }

    /// liblber writes to the socket without MSG_NOSIGNAL: a server that dies mid-write would
    /// kill the whole process with SIGPIPE (seen in CI) instead of failing the write with
    /// serverDown. Ignored once, process-wide, before the first connection.
    private static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Unbinds and releases the handle. Further use throws `serverDown`.
    public func close() {
        guard !closed else { return }
        closed = true
        ldap_unbind_ext(ld, nil, nil)
    }

    /// Opens a connection to the first URI of `options.uris` that answers within the timeouts
    /// and accepts `credentials`. A refused, timed-out, busy or unavailable server passes to the
    /// next URI; a rejected bind (wrong password, locked account) does not, since every
    /// replica would answer the same.
    public static func connect(
        _ options: LDAPConnectionOptions, credentials: LDAPCredentials
    ) throws(LDAPError) -> LDAPConnection {
        _ = ignoreSIGPIPE
        guard !options.uris.isEmpty else {
            throw LDAPError(code: .paramError, message: "no directory URI configured", operation: "connect")
        }
        var failures: [LDAPError] = []
        for uri in options.uris {
            do throws(LDAPError) {
                let conn = try open(uri: uri, options: options)
                do throws(LDAPError) {
                    conn.bindResult = try conn.bind(credentials)
                    conn.credentials = credentials
                    conn.addReadAhead()
                    return conn
                } catch {
                    conn.close()
                    throw error
                }
            } catch {
                var e = error
                e.uri = e.uri ?? uri
                guard e.code.isConnectionFailure else { throw e }
                failures.append(e)
            }
        }
        if failures.count == 1, let only = failures.first { throw only }
        throw LDAPError(
            code: failures.last?.code ?? .serverDown,
            message: "no directory server answered: " + failures.map { "\($0.uri ?? "?"): \($0.code.text)\($0.message.isEmpty ? "" : " (\($0.message))")" }.joined(separator: "; "),
            operation: "connect")
    }

    /// After the server of this connection was lost (down, frozen, refusing): opens and binds
    /// the next URI of the list (the ones after the current, in order, then those before it;
    /// not the lost one) and goes on there with the same options and credentials. Throws the
    /// last failure when no other URI answers.
    func failover(after lost: LDAPError) throws(LDAPError) {
        guard let credentials, options.uris.count > 1 else { throw lost }
        let here = options.uris.firstIndex(of: uri) ?? -1
        let order = (1..<options.uris.count).map { options.uris[(here + $0 + options.uris.count) % options.uris.count] }.filter { $0 != uri }
        var last = lost
        for next in order {
            do throws(LDAPError) {
                let fresh = try Self.open(uri: next, options: options)
                do throws(LDAPError) {
                    let bound = try fresh.bind(credentials)
                    fresh.addReadAhead()
                    // The new handle moves into this connection; the old one is dropped.
                    fresh.closed = true
                    ldap_unbind_ext(ld, nil, nil)
                    ld = fresh.ld
                    uri = next
                    bindResult = bound
                    failovers += 1
                    onFailover?(lost, next)
                    return
                } catch {
                    fresh.close()
                    throw error
                }
            } catch {
                var e = error
                e.uri = e.uri ?? next
                guard e.code.isConnectionFailure else { throw e }
                last = e
            }
        }
        throw last
    }

    private static func open(uri: String, options: LDAPConnectionOptions) throws(LDAPError) -> LDAPConnection {
        var handle: OpaquePointer?
        let rc = ldap_initialize(&handle, uri)
        guard rc == 0, let handle else {
            throw LDAPError(code: LDAPResultCode(rawValue: rc), message: "cannot use URI \"\(uri)\"", operation: "connect", uri: uri)
        }
        let conn = LDAPConnection(ld: handle, uri: uri, options: options)
        var version: Int32 = LDAP_VERSION3
        ldap_set_option(handle, LDAP_OPT_PROTOCOL_VERSION, &version)
        ldap_set_option(handle, LDAP_OPT_REFERRALS, cldap_opt_off())
        var net = options.connectTimeout.asTimeval
        ldap_set_option(handle, LDAP_OPT_NETWORK_TIMEOUT, &net)
        // Bounds libldap's own synchronous calls (StartTLS, SASL bind, WhoAmI).
        var op = options.operationTimeout.asTimeval
        ldap_set_option(handle, LDAP_OPT_TIMEOUT, &op)
        try conn.configureTLS()
        if options.tls == .startTLS {
            let rc = ldap_start_tls_s(handle, nil, nil)
            if rc != 0 { throw conn.tlsFailure(conn.handleError(rc, operation: "StartTLS", dn: nil)) }
        } else if uri.lowercased().hasPrefix("ldaps:") {
            // The handshake now, not inside the bind, so that a certificate that does not
            // verify is told apart from a server that is down.
            let rc = ldap_connect(handle)
            if rc != 0 { throw conn.tlsFailure(conn.handleError(rc, operation: "TLS handshake", dn: nil)) }
        }
        return conn
    }

    /// libldap says only "Connect error" when the server's certificate does not verify.
    /// Whether that is why is asked of the server once more with verification off (no
    /// credentials are sent on that connection, nothing is read from it): if the handshake
    /// then succeeds, the certificate was the problem, and the error says so.
    private func tlsFailure(_ error: LDAPError) -> LDAPError {
        guard options.verifyCertificates else { return error }
        var probeOptions = options
        probeOptions.verifyCertificates = false
        var handle: OpaquePointer?
        guard ldap_initialize(&handle, uri) == 0, let handle else { return error }
        let probe = LDAPConnection(ld: handle, uri: uri, options: probeOptions)
        var version: Int32 = LDAP_VERSION3
        ldap_set_option(handle, LDAP_OPT_PROTOCOL_VERSION, &version)
        var net = options.connectTimeout.asTimeval
        ldap_set_option(handle, LDAP_OPT_NETWORK_TIMEOUT, &net)
        var op = options.operationTimeout.asTimeval
        ldap_set_option(handle, LDAP_OPT_TIMEOUT, &op)
        guard (try? probe.configureTLS()) != nil else { return error }
        let rc = options.tls == .startTLS ? ldap_start_tls_s(handle, nil, nil) : ldap_connect(handle)
        guard rc == 0 else { return error }
        let host = URLComponents(string: uri)?.host ?? uri
        let against = options.caFile.map { "the CA in \($0)" } ?? "the system's CA certificates"
        return LDAPError(
            code: error.code,
            message: "the server's certificate did not verify against \(against): it is signed by another CA, expired, "
                + "or not issued for \(host) (set directory.tls.ca_file to the CA that signed it; tls.verify: false only for a test server)",
            operation: error.operation, dn: nil, uri: uri)
    }

    /// libldap reads each message of an ldapi or TCP connection with two read(2) calls and
    /// polls before each (strace of a 100,000-entry paged search: 193,000 reads, 97,000
    /// polls; ldapsearch does the same). liblber's own read-ahead layer, put above the socket
    /// (below TLS, whose records it then reads in bulk too) once the bind is done, fills a
    /// 64 KiB buffer per read instead; libldap asks it whether data is buffered before polling.
    private func addReadAhead() {
        var sb: OpaquePointer?
        guard ldap_get_option(ld, LDAP_OPT_SOCKBUF, &sb) == 0, let sb else { return }
        _ = cldap_add_readahead(sb, 64 * 1024)
    }

    private func configureTLS() throws(LDAPError) {
        var require: Int32 = options.verifyCertificates ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER
        var rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &require)
        if rc == 0, let ca = options.caFile {
            guard FileManager.default.isReadableFile(atPath: ca) else {
                throw LDAPError(code: .paramError, message: "CA file \(ca) cannot be read", operation: "connect", uri: uri)
            }
            rc = ca.withCString { ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, $0) }
        }
        // A new TLS context makes the options above apply to this handle alone.
        var server: Int32 = 0
        if rc == 0 { rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &server) }
        if rc != 0 { throw handleError(rc, operation: "TLS setup", dn: nil) }
    }

    // MARK: - Bind

    func bind(_ credentials: LDAPCredentials) throws(LDAPError) -> LDAPBindResult {
        switch credentials {
        case .anonymous:
            return try simpleBind(dn: "", password: Secret(""))
        case let .simple(dn, password):
            guard !password.isEmpty else {
                // An empty password is an unauthenticated bind (RFC 4513 5.1.2): refuse it.
                throw LDAPError(code: .paramError, message: "empty password", operation: "bind", dn: dn, uri: uri)
            }
            return try simpleBind(dn: dn, password: password)
        case .saslExternal:
            // libldap wants a non-NULL empty credential here; NULL gets saslBindInProgress.
            let arena = CArena()
            let rc = ldap_sasl_bind_s(ld, nil, "EXTERNAL", arena.berval([UInt8]()), nil, nil, nil)
            if rc != 0 { throw handleError(rc, operation: "bind (SASL EXTERNAL)", dn: nil) }
            return LDAPBindResult()
        }
    }

    private func simpleBind(dn: String, password: Secret) throws(LDAPError) -> LDAPBindResult {
        let arena = CArena()
        let cred = password.withBytes { arena.berval($0) }
        var ppolicy: UnsafeMutablePointer<LDAPControl>?
        ldap_create_passwordpolicy_control(ld, &ppolicy)
        defer { if let ppolicy { ldap_control_free(ppolicy) } }
        var controls: [UnsafeMutablePointer<LDAPControl>?] = [ppolicy, nil]
        var msgid: Int32 = 0
        let rc = controls.withUnsafeMutableBufferPointer { ctrls in
            ldap_sasl_bind(ld, dn, nil, cred, ppolicy == nil ? nil : ctrls.baseAddress, nil, &msgid)
        }
        if rc != 0 { throw handleError(rc, operation: "bind", dn: dn) }
        let res = try waitForResult(msgid: msgid, operation: "bind", dn: dn)
        defer { ldap_msgfree(res) }
        let parsed = parseResult(res)
        var result = LDAPBindResult()
        if let c = parsed.controls {
            defer { ldap_controls_free(c) }
            if let pc = ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, c, nil) {
                var expire: ber_int_t = -1
                var grace: ber_int_t = -1
                var err = PP_noError
                if ldap_parse_passwordpolicy_control(ld, pc, &expire, &grace, &err) == 0 {
                    result.passwordPolicy = PasswordPolicyError(rawValue: Int32(err.rawValue))
                    result.secondsUntilExpiry = expire >= 0 ? Int(expire) : nil
                    result.graceLoginsLeft = grace >= 0 ? Int(grace) : nil
                }
            }
        }
        guard parsed.code == .success else {
            throw LDAPError(
                code: parsed.code, message: parsed.message, matchedDN: parsed.matchedDN, operation: "bind",
                dn: dn, uri: uri, passwordPolicy: result.passwordPolicy)
        }
        return result
    }

    /// The identity the server gives this connection (RFC 4532 WhoAmI): `dn:cn=admin,…`.
    public func whoAmI() throws(LDAPError) -> String {
        var authzid: UnsafeMutablePointer<berval>?
        let rc = ldap_whoami_s(ld, &authzid, nil, nil)
        if rc != 0 { throw handleError(rc, operation: "WhoAmI", dn: nil) }
        defer { if let authzid { ber_bvfree(authzid) } }
        return authzid?.pointee.string ?? ""
    }

    // MARK: - Results and errors

    struct ParsedResult {
        var code: LDAPResultCode
        var message: String
        var matchedDN: String?
        /// Owned by the caller: free with ldap_controls_free.
        var controls: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?
    }

    /// Parses a result message without freeing it.
    func parseResult(_ res: OpaquePointer) -> ParsedResult {
        var err: Int32 = 0
        var matched: UnsafeMutablePointer<CChar>?
        var diag: UnsafeMutablePointer<CChar>?
        var ctrls: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?
        let rc = ldap_parse_result(ld, res, &err, &matched, &diag, nil, &ctrls, 0)
        defer {
            if let matched { ldap_memfree(matched) }
            if let diag { ldap_memfree(diag) }
        }
        if rc != 0 { return ParsedResult(code: LDAPResultCode(rawValue: rc), message: "cannot parse the result", controls: nil) }
        return ParsedResult(
            code: LDAPResultCode(rawValue: err), message: diag.map { String(cString: $0) } ?? "",
            matchedDN: matched.map { String(cString: $0) }, controls: ctrls)
    }

    /// Waits for the complete result of `msgid`, at most `operationTimeout`; on a timeout the
    /// operation is abandoned.
    func waitForResult(msgid: Int32, operation: String, dn: String?) throws(LDAPError) -> OpaquePointer {
        var tv = options.operationTimeout.asTimeval
        var res: OpaquePointer?
        let rc = ldap_result(ld, msgid, LDAP_MSG_ALL, &tv, &res)
        if rc == 0 {
            ldap_abandon_ext(ld, msgid, nil, nil)
            throw LDAPError(
                code: .timeout, message: "no answer within \(options.operationTimeout) s", operation: operation,
                dn: dn, uri: uri)
        }
        guard rc > 0, let res else { throw handleError(-1, operation: operation, dn: dn) }
        return res
    }

    /// The error state libldap keeps on the handle, as an LDAPError.
    func handleError(_ rc: Int32, operation: String, dn: String?) -> LDAPError {
        var code: Int32 = rc
        ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &code)
        if code == 0 { code = rc }
        var diag: UnsafeMutablePointer<CChar>?
        ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag)
        defer { if let diag { ldap_memfree(diag) } }
        return LDAPError(
            code: LDAPResultCode(rawValue: code), message: diag.map { String(cString: $0) } ?? "",
            operation: operation, dn: dn, uri: uri)
    }
}
