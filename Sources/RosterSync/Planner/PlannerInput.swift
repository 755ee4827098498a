import LDAPModel

/// Everything a plan is made from. No clock, no I/O: the same input gives the same plan.
public struct PlannerInput: Sendable {
    public var roster: Roster
    public var snapshot: DirectorySnapshot
    public var config: Config
    public var asOf: Day
    /// Last logins from a mail-server export (address → day), merged with the directory's.
    public var lastLogins: [String: Day]
    /// Only changes of these units (empty: all).
    public var units: Set<String>
    public var directory: String
    /// From how many roster people on the people's part is planned in two halves, one on
    /// each core (tests lower it to compare both ways on a small roster).
    var twoCoresFrom = 20_000

    public init(
        roster: Roster, snapshot: DirectorySnapshot, config: Config, asOf: Day, lastLogins: [String: Day] = [:],
        units: Set<String> = [], directory: String = ""
    ) {
        self.roster = roster
        self.snapshot = snapshot
        self.config = config
        self.asOf = asOf
        self.lastLogins = lastLogins
        self.units = units
        self.directory = directory
    }

    /// Whether `dn` is at or below an entry of `protected`: such entries never appear in a plan.
    func isProtected(_ dn: DN) -> Bool { config.protected.contains { dn.isWithin($0) } }

    /// The local part of `mail` in the mail domain, as a slice of it (no copy); nil when it
    /// is in another domain or empty.
    func localPart(_ mail: String?) -> Substring? {
        mail.flatMap { AddressBook.localPart($0, domain: config.mail.domain) }.flatMap { $0.isEmpty ? nil : $0 }
    }
}
