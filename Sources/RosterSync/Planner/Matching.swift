import LDAPModel

/// The first pass: which directory entry is whose. Managed units are matched by their code,
/// accounts by employee number and, for the people no entry names, by the roster's email;
/// an ambiguous match is disputed and left alone. The addresses the directory holds go into
/// the address book that later passes take new addresses from.
struct Matching {
    /// Managed directory units by code (a code on several units matches none).
    let directoryUnits: [String: DirectoryUnit]
    /// The snapshot account matched to each roster person, by the person's row in the staff
    /// roster; nil for none.
    let accountOf: [Int?]
    /// Accounts matched to someone or disputed: neither orphans nor to be disabled.
    let claimed: Marks
    let disputes: [Dispute]
    let book: AddressBook

    init(_ input: PlannerInput) {
        var disputes: [Dispute] = []
        let directoryUnits = Self.matchUnits(input, disputes: &disputes)
        // Every address the directory holds stays taken: collected on the other core meanwhile.
        let snapshot = input.snapshot, domain = input.config.mail.domain
        let heldTask = SideTask { () -> Set<Substring> in
            var held = Set<Substring>(minimumCapacity: snapshot.accounts.count)
            for account in snapshot.accounts {
                if let mail = account.mail, let local = AddressBook.localPart(mail, domain: domain), !local.isEmpty {
                    held.insert(local)
                }
            }
            return held
        }
        var claimed = Marks()
        let accountOf = Self.matchAccounts(input, claims: AccountClaims(input), claimed: &claimed, disputes: &disputes)
        self.directoryUnits = directoryUnits
        self.accountOf = accountOf
        self.claimed = claimed
        self.disputes = disputes
        self.book = Self.addressBook(input, directoryUnits: directoryUnits, accountOf: accountOf, held: heldTask.wait())
    }

    static func matchUnits(_ input: PlannerInput, disputes: inout [Dispute]) -> [String: DirectoryUnit] {
        var unitsByCode: [String: [DirectoryUnit]] = [:]
        // Protected units too: matched, they are not made again; their changes are dropped.
        for unit in input.snapshot.units where unit.managed {
            if let code = unit.code { unitsByCode[code, default: []].append(unit) }
        }
        var matched: [String: DirectoryUnit] = [:]
        for (code, list) in unitsByCode {
            if list.count == 1 { matched[code] = list[0] } else {
                for unit in list {
                    disputes.append(
                        Dispute(
                            dn: unit.dn.string, employeeId: nil,
                            reason: "\(list.count) units carry the code \(code): left alone"))
                }
            }
        }
        return matched
    }

    /// Resolves each roster row's claims, in employee-id order: one account by employee
    /// number, else one account without an employee number by the roster's email.
    static func matchAccounts(
        _ input: PlannerInput, claims: AccountClaims, claimed: inout Marks, disputes: inout [Dispute]
    ) -> [Int?] {
        let roster = input.roster, accounts = input.snapshot.accounts
        var accountOf = [Int?](repeating: nil, count: roster.staff.count)
        for row in roster.idOrder {
            if let account = claims.byId[row], claims.sharedIds.isEmpty || claims.sharedIds[row] == nil {
                accountOf[row] = account  // the usual case, without a copy of the row
                continue
            }
            let person = roster.staff[row]
            if let account = claims.byId[row] {
                let list = claims.sharedIds[row] ?? [account]
                if list.count == 1 { accountOf[row] = list[0] } else {
                    for i in list {
                        disputes.append(Dispute(
                            dn: accounts[i].dn.string, employeeId: person.employeeId,
                            reason: "\(list.count) entries carry employee number \(person.employeeId): left alone"))
                    }
                    list.forEach { claimed.insert($0) }
                }
                continue
            }
            guard let email = person.email, let account = claims.byMail[row] else { continue }
            let list = claims.sharedMails[row] ?? [account]
            if list.count == 1, accounts[list[0]].employeeId == nil {
                accountOf[row] = list[0]
            } else {
                let holders = list.map {
                    accounts[$0].employeeId.map { "employee number \($0)" } ?? "no employee number"
                }
                for i in list {
                    disputes.append(Dispute(
                        dn: accounts[i].dn.string, employeeId: person.employeeId,
                        reason: "\(person.employeeId) \(person.fullName) claims \(email), held by an entry with "
                            + "\(holders.joined(separator: ", ")): left alone"))
                    claimed.insert(i)
                }
            }
        }
        for case let account? in accountOf { claimed.insert(account) }
        return accountOf
    }

    /// The address book: the addresses the directory holds are kept, and never given to
    /// anyone else.
    static func addressBook(
        _ input: PlannerInput, directoryUnits: [String: DirectoryUnit], accountOf: [Int?], held: Set<Substring>
    ) -> AddressBook {
        let roster = input.roster, snapshot = input.snapshot, mail = input.config.mail
        var existing = AddressBook.Existing()
        existing.byRow = accountOf.map { $0.flatMap { input.localPart(snapshot.accounts[$0].mail) } }
        for unit in roster.units {
            if let local = input.localPart(unit.directoryEntry(directoryUnits)?.mail) {
                existing.units[unit.code] = String(local)
            }
        }
        // Units the roster no longer lists keep their addresses too; so do units' aliases (a
        // renamed unit's old address, while it still delivers), and the addresses of
        // mailboxes deleted for disuse (their holders may be reopened).
        let rosterCodes = Set(roster.units.map(\.code))
        existing.held = held
        for closure in snapshot.closures.values {
            if let local = input.localPart(closure.address) { existing.held.insert(local) }
        }
        for unit in snapshot.units {
            if unit.code.map({ !rosterCodes.contains($0) }) ?? true, let local = input.localPart(unit.mail) {
                existing.held.insert(local)
            }
            for alias in unit.aliases { if let local = input.localPart(alias) { existing.held.insert(local) } }
        }
        return AddressBook(
            roster: roster, domain: mail.domain, pattern: mail.pattern,
            reserved: mail.reserved + [mail.sharedMailbox], shared: mail.sharedMailbox, existing: existing)
    }
}

/// Each account's claim on a roster row: by employee number, looked up in the roster's own
/// index (no table of the directory's ids is built), and by address for the rows no account
/// claims by number. The rare rows claimed by several accounts are listed apart.
struct AccountClaims {
    /// The account that claims each row by employee number.
    var byId: [Int?]
    /// The account that claims each row by address.
    var byMail: [Int?]
    /// Rows claimed by several accounts by employee number: all of them.
    var sharedIds: [Int: [Int]] = [:]
    /// Rows claimed by several accounts by address: all of them.
    var sharedMails: [Int: [Int]] = [:]

    init(_ input: PlannerInput) {
        let roster = input.roster, accounts = input.snapshot.accounts
        byId = [Int?](repeating: nil, count: roster.staff.count)
        byMail = byId
        // Protected accounts claim their people too (no second mailbox is made for them); the
        // passes then leave them alone.
        let eligible = accounts.indices
        for i in eligible {
            guard let id = accounts[i].employeeId, let row = roster.staffIndex[id] else { continue }
            if let first = byId[row] { sharedIds[row, default: [first]].append(i) } else { byId[row] = i }
        }
        // Addresses matter only for the people no entry names by employee number: usually a
        // few departed or newly hired, so their addresses make a small table.
        var unmatchedByMail: [String: Int] = [:]
        for row in roster.staff.indices where byId[row] == nil {
            if let email = roster.staff[row].email { unmatchedByMail[email] = row }
        }
        guard !unmatchedByMail.isEmpty else { return }
        for i in eligible {
            guard let mail = accounts[i].mail, let row = unmatchedByMail[mail] else { continue }
            if let first = byMail[row] { sharedMails[row, default: [first]].append(i) } else { byMail[row] = i }
        }
    }
}
