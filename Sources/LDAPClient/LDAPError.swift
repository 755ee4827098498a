import CLDAP

/// An LDAP result code (RFC 4511 section 4.1.9, plus libldap's negative client-side codes),
/// with its name. The raw initializer stays internal: callers compare with the named values,
/// and only this module turns libldap's numbers into codes.
public struct LDAPResultCode: Sendable, Hashable, CustomStringConvertible {
    /// The number on the wire (or libldap's), for logs and the audit record.
    public let rawValue: Int32
    init(rawValue: Int32) { self.rawValue = rawValue }

    public static let success = Self(rawValue: 0)
    public static let operationsError = Self(rawValue: 1)
    public static let protocolError = Self(rawValue: 2)
    public static let timeLimitExceeded = Self(rawValue: 3)
    public static let sizeLimitExceeded = Self(rawValue: 4)
    public static let compareFalse = Self(rawValue: 5)
    public static let compareTrue = Self(rawValue: 6)
    public static let authMethodNotSupported = Self(rawValue: 7)
    public static let strongerAuthRequired = Self(rawValue: 8)
    public static let referral = Self(rawValue: 10)
    public static let adminLimitExceeded = Self(rawValue: 11)
    public static let unavailableCriticalExtension = Self(rawValue: 12)
    public static let confidentialityRequired = Self(rawValue: 13)
    public static let saslBindInProgress = Self(rawValue: 14)
    public static let noSuchAttribute = Self(rawValue: 16)
    public static let undefinedAttributeType = Self(rawValue: 17)
    public static let inappropriateMatching = Self(rawValue: 18)
    public static let constraintViolation = Self(rawValue: 19)
    public static let attributeOrValueExists = Self(rawValue: 20)
    public static let invalidAttributeSyntax = Self(rawValue: 21)
    public static let noSuchObject = Self(rawValue: 32)
    public static let aliasProblem = Self(rawValue: 33)
    public static let invalidDNSyntax = Self(rawValue: 34)
    public static let aliasDereferencingProblem = Self(rawValue: 36)
    public static let inappropriateAuthentication = Self(rawValue: 48)
    public static let invalidCredentials = Self(rawValue: 49)
    public static let insufficientAccessRights = Self(rawValue: 50)
    public static let busy = Self(rawValue: 51)
    public static let unavailable = Self(rawValue: 52)
    public static let unwillingToPerform = Self(rawValue: 53)
    public static let loopDetect = Self(rawValue: 54)
    public static let namingViolation = Self(rawValue: 64)
    public static let objectClassViolation = Self(rawValue: 65)
    public static let notAllowedOnNonLeaf = Self(rawValue: 66)
    public static let notAllowedOnRDN = Self(rawValue: 67)
    public static let entryAlreadyExists = Self(rawValue: 68)
    public static let objectClassModsProhibited = Self(rawValue: 69)
    public static let affectsMultipleDSAs = Self(rawValue: 71)
    public static let other = Self(rawValue: 80)
    public static let assertionFailed = Self(rawValue: 122)
    // libldap's client-side codes.
    public static let serverDown = Self(rawValue: -1)
    public static let localError = Self(rawValue: -2)
    public static let encodingError = Self(rawValue: -3)
    public static let decodingError = Self(rawValue: -4)
    public static let timeout = Self(rawValue: -5)
    public static let authUnknown = Self(rawValue: -6)
    public static let filterError = Self(rawValue: -7)
    public static let paramError = Self(rawValue: -9)
    public static let noMemory = Self(rawValue: -10)
    public static let connectError = Self(rawValue: -11)
    public static let notSupported = Self(rawValue: -12)
    /// rostersync's own client-side code: a write was sent, then its server was lost (down,
    /// frozen) before it answered. It may or may not have been applied; it was not sent again.
    public static let outcomeUnknown = Self(rawValue: -100)

    private static let names: [Int32: String] = [
        0: "success", 1: "operationsError", 2: "protocolError", 3: "timeLimitExceeded",
        4: "sizeLimitExceeded", 5: "compareFalse", 6: "compareTrue", 7: "authMethodNotSupported",
        8: "strongerAuthRequired", 10: "referral", 11: "adminLimitExceeded",
        12: "unavailableCriticalExtension", 13: "confidentialityRequired", 14: "saslBindInProgress",
        16: "noSuchAttribute", 17: "undefinedAttributeType", 18: "inappropriateMatching",
        19: "constraintViolation", 20: "attributeOrValueExists", 21: "invalidAttributeSyntax",
        32: "noSuchObject", 33: "aliasProblem", 34: "invalidDNSyntax", 36: "aliasDereferencingProblem",
        48: "inappropriateAuthentication", 49: "invalidCredentials", 50: "insufficientAccessRights",
        51: "busy", 52: "unavailable", 53: "unwillingToPerform", 54: "loopDetect",
        64: "namingViolation", 65: "objectClassViolation", 66: "notAllowedOnNonLeaf",
        67: "notAllowedOnRDN", 68: "entryAlreadyExists", 69: "objectClassModsProhibited",
        71: "affectsMultipleDSAs", 80: "other", 122: "assertionFailed",
        -1: "serverDown", -2: "localError", -3: "encodingError", -4: "decodingError", -5: "timeout",
        -6: "authUnknown", -7: "filterError", -9: "paramError", -10: "noMemory", -11: "connectError",
        -12: "notSupported", -100: "outcomeUnknown",
    ]

    /// The RFC name (`invalidCredentials`), or `code N` for codes without one.
    public var name: String { Self.names[rawValue] ?? "code \(rawValue)" }
    /// libldap's English text for the code ("Invalid credentials").
    public var text: String {
        self == .outcomeUnknown ? "Outcome unknown (sent, then the server was lost)" : String(cString: ldap_err2string(rawValue))
    }
    public var description: String { "\(name) (\(rawValue))" }

    /// Codes that mean "this server cannot be used now": the next URI is tried.
    public var isConnectionFailure: Bool {
        [Self.serverDown, .connectError, .timeout, .busy, .unavailable].contains(self)
    }
}

/// The password policy state a server reported with a bind or a write (ppolicy control).
public enum PasswordPolicyError: Int32, Sendable, CustomStringConvertible {
    case passwordExpired = 0, accountLocked, changeAfterReset, passwordModNotAllowed,
        mustSupplyOldPassword, insufficientPasswordQuality, passwordTooShort, passwordTooYoung,
        passwordInHistory, passwordTooLong
    public var description: String {
        switch self {
        case .passwordExpired: "password expired"
        case .accountLocked: "account locked"
        case .changeAfterReset: "password must be changed (reset by an administrator)"
        case .passwordModNotAllowed: "password change not allowed"
        case .mustSupplyOldPassword: "old password required"
        case .insufficientPasswordQuality: "password quality insufficient"
        case .passwordTooShort: "password too short"
        case .passwordTooYoung: "password changed too recently"
        case .passwordInHistory: "password in history"
        case .passwordTooLong: "password too long"
        }
    }
}

/// A failed LDAP operation: the named result code, the server's diagnostic message, the
/// matched DN, and which operation on which DN it belongs to. Never holds a password: the
/// client puts none into it, and the server's diagnostics do not echo credentials.
public struct LDAPError: Error, Sendable, CustomStringConvertible {
    public var code: LDAPResultCode
    /// The server's (or libldap's) diagnostic message; may be empty.
    public var message: String
    public var matchedDN: String?
    /// "bind", "search", "add", "modify", "modrdn", "delete", "password modify", "connect"…
    public var operation: String
    /// The DN the operation was about (the bind DN, the entry written, the search base).
    public var dn: String?
    /// The server URI the error came from, when known.
    public var uri: String?
    public var passwordPolicy: PasswordPolicyError?
    /// True for a write that never left this client (its pipeline lost every server before
    /// sending it): it certainly did not take effect. A write that was sent and lost has
    /// `outcomeUnknown` instead.
    public var notSent = false

    public init(
        code: LDAPResultCode, message: String = "", matchedDN: String? = nil, operation: String,
        dn: String? = nil, uri: String? = nil, passwordPolicy: PasswordPolicyError? = nil
    ) {
        self.code = code
        self.message = message
        self.matchedDN = matchedDN
        self.operation = operation
        self.dn = dn
        self.uri = uri
        self.passwordPolicy = passwordPolicy
    }

    public var description: String {
        var s = operation
        if let dn, !dn.isEmpty { s += " \(dn)" }
        s += ": \(code.text) [\(code)]"
        if !message.isEmpty { s += ": \(message)" }
        if let passwordPolicy { s += " (password policy: \(passwordPolicy))" }
        if let matchedDN, !matchedDN.isEmpty { s += " (matched \(matchedDN))" }
        if let uri { s += " at \(uri)" }
        return s
    }
}
