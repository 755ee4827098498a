import Foundation
import LDAPModel

/// rostersync's configuration: one YAML file, every key documented in the README and in
/// `deploy/rostersync.example.yaml`. Parsing is strict: an unknown key, a wrong type or an
/// invalid value is an error naming the file, line, column and key; nothing is ignored.
public struct Config: Sendable {
    public var directory: Directory
    public var mail: Mail
    public var rosters: Rosters
    public var policy: Policy
    /// Lock file, audit log, backups, notices and metrics live here.
    public var stateDir: String
    /// Entries no run may ever change (the shared agency mailbox, service accounts), as DNs.
    public var protected: [DN]
    public var safety: Safety
    public var reports: Reports = Reports()
    public var documents: Documents = Documents()

    /// The names on the written documents (review pages, notices), laid out as Vietnamese
    /// administrative documents are (Nghị định 30/2020/NĐ-CP): the agency and the issuing unit
    /// top left, the place before the date, the signer's title over the signature.
    public struct Documents: Sendable, Hashable {
        /// The governing agency, top left (printed in capitals). Default `Ủy ban Dân tộc`.
        public var agency = "Ủy ban Dân tộc"
        /// The unit that issues the documents, under the agency (bold capitals). Default
        /// `Trung tâm Thông tin`, which runs the mail system (art. 3.2).
        public var issuingUnit = "Trung tâm Thông tin"
        /// The title over the signature. Default `Giám đốc`.
        public var signerTitle = "Giám đốc"
        /// The signer's name under the signature space; none by default (written by hand).
        public var signerName: String?
        /// The place before the date: `Hà Nội, ngày … tháng … năm …`.
        public var place = "Hà Nội"
        /// How the documents name the directory, instead of its URI and base.
        public var directoryLabel = "Hệ thống thư điện tử của Ủy ban Dân tộc"

        public init() {}
    }

    /// What `rostersync report` reads besides the directory, the rosters and the audit log.
    public struct Reports: Sendable {
        /// Public holidays, not working days when the 2 days of art. 6.1b are counted
        /// (Saturdays and Sundays never are).
        public var holidays: Set<Day> = []
        /// Postfix syslog files (plain or .gz; `*` and `?` patterns) for the usage report's
        /// mail counts, e.g. `/var/log/mail.log*`.
        public var mailLogs: [String] = []
        /// A mail server's `address,quota_bytes,used_bytes` export (for example from
        /// `doveadm -f tab quota get -A`), for the usage report's sizes.
        public var mailboxSizes: String?
    }

    /// Limits a run checks on the whole plan before its first write (`--force` overrides).
    public struct Safety: Sendable {
        /// Each kind of change (`SafetyCheck.groups`) may touch at most this share of the
        /// managed entries (units, for unit moves and handovers). Default 10: a staff file cut
        /// to a tenth (90 % disables) always trips.
        public var maxPercent: Double
        /// …and at most this many entries. Default 500.
        public var maxCount: Int
        /// Up to this many of a kind never trip the percentage (small directories). Default 10.
        public var minCount: Int
    }

    public struct Directory: Sendable {
        /// Tried in order; a second provider of a replicated pair takes over when the first is down.
        public var uris: [String]
        /// The suffix, e.g. `dc=cema,dc=gov,dc=vn`.
        public var base: DN
        /// Where units (and the people inside them) live. Default `ou=units,<base>`.
        public var unitsBase: DN
        public var bind: Bind
        public var tls: TLS
        /// Seconds to wait for a connection (default 5).
        public var connectTimeout: Double
        /// Seconds to wait for any one answer (default 30).
        public var operationTimeout: Double
        /// Writes kept outstanding on the connection (default 8: slapd's single writer gains
        /// nothing beyond, see the README's figures).
        public var window: Int
        /// Entries per page of a paged search (default 1000).
        public var pageSize: Int
        /// How initial passwords are hashed before they are written: the scheme the server
        /// itself uses (`olcPasswordHash`, `{SSHA}` unless changed), so that no cleartext
        /// password is ever stored, whatever ppolicy's olcPPolicyHashCleartext says.
        public var passwordHash: PasswordHash = .ssha
        /// The identity Postfix and Dovecot bind as (`cn=mailserver,…` in deploy/), for
        /// `check` to see that it reads what they read and writes nothing. Optional.
        public var mailReader: Bind?
    }

    /// The userPassword schemes rostersync writes: slapd's default, and the salted SHA-2 ones
    /// of its pw-sha2 module (for a server whose olcPasswordHash names one of those).
    public enum PasswordHash: String, Sendable, CaseIterable {
        case ssha = "{SSHA}", ssha256 = "{SSHA256}", ssha512 = "{SSHA512}"
    }

    public enum Bind: Sendable, Equatable {
        /// SASL EXTERNAL over ldapi: the agent runs on the directory host as a mapped user.
        case saslExternal
        /// A service DN with a password read from a file or an environment variable, never argv.
        case simple(dn: String, password: SecretSource)
    }

    public enum SecretSource: Sendable, Equatable, CustomStringConvertible {
        case file(String)
        case environment(String)
        public var description: String {
            switch self {
            case let .file(p): "file \(p)"
            case let .environment(v): "environment variable \(v)"
            }
        }
    }

    public struct TLS: Sendable {
        /// `none` or `starttls` (an ldaps:// URI is TLS regardless).
        public var mode: String
        public var caFile: String?
        /// Verify certificates (default true). Off only by writing `verify: false`.
        public var verify: Bool
    }

    public struct Mail: Sendable {
        /// The mail domain: `cema.gov.vn` (art. 4).
        public var domain: String
        /// The shared agency mailbox's local part (art. 8): reserved and protected. Default `ubdt`.
        public var sharedMailbox: String
        /// Local parts never given to a person or unit (postmaster, abuse, …).
        public var reserved: [String]
        /// How a person's local part is made from their name. Default `{given}{initials}`.
        public var pattern: LocalPartPattern
    }

    public struct Rosters: Sendable {
        public var units: String?
        public var staff: String?
        /// `auto` or one of utf-8, utf-16, cp1258, tcvn3, vni, for each file: the units file
        /// often comes from another tool than the staff file.
        public var unitsEncoding: String
        public var staffEncoding: String
        /// Extra header names per field (`unit_code`, `employee_id`, …) for exports whose
        /// headers the built-in Vietnamese and English aliases do not know.
        public var unitColumns: [String: [String]]
        public var staffColumns: [String: [String]]
    }

    public struct Policy: Sendable {
        /// No successful login for this long: the mailbox is locked (art. 9.3a). Default 3 months.
        public var lockAfter: Period
        /// No successful login for this long: the mailbox is deleted (art. 9.3b). Default 6 months.
        public var deleteUnusedAfter: Period
        /// A disabled (departed) account is deleted this long after it was disabled. Default 180 days.
        public var disabledRetention: Period
        /// A renamed unit's old address stays an alias this long. Default 90 days.
        public var renameAliasTransition: Period
        /// Working days HR allows for a new mailbox (art. 6.1b). Default 2.
        public var newMailboxWorkingDays: Int
        /// A CSV export `address,last_login` from a mail server that does not log in by LDAP
        /// bind; merged with the directory's pwdLastSuccess (the later of the two counts).
        public var lastLoginFile: String?
        /// What to do with an account in the managed subtree that no roster row matches and
        /// that rostersync did not create: report it (default) or disable it like a departure.
        public var orphans: OrphanPolicy = .report
    }

    public enum OrphanPolicy: String, Sendable { case report, disable }

    /// A span of calendar time: months are calendar months, as the regulation counts them.
    public enum Period: Sendable, Equatable, CustomStringConvertible {
        case days(Int)
        case months(Int)
        public var description: String {
            switch self {
            case let .days(n): "\(n) day\(n == 1 ? "" : "s")"
            case let .months(n): "\(n) month\(n == 1 ? "" : "s")"
            }
        }
    }
}

/// A configuration problem, located in the file.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    /// Dotted path of the key, e.g. `directory.bind.method`.
    public var key: String
    public var message: String
    public var description: String {
        let place = line > 0 ? "\(file):\(line):\(column)" : file
        return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
    }
}
