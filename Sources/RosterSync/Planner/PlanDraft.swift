import LDAPModel

/// The plan as the passes make it: the changes found so far, and what each pass learned that
/// later ones read. `Planner.plan` runs the passes in order; each extension of this type is one.
struct PlanDraft {
    let input: PlannerInput
    let config: Config
    let asOf: Day
    let domain: String
    /// Roster units by code.
    let rosterUnits: [String: UnitRecord]
    /// Roster staff (rows) in employee-id order: the order people's changes are found in.
    let staffOrder: [Int]
    /// The `protected` DNs a plan could write to (at or under the units base, or above it),
    /// in lower case, for a quick suffix test before a DN is parsed. Usually none: service
    /// accounts and the like live outside the units.
    let protectedSuffixes: [String]

    // MARK: From matching

    /// Managed directory units by code.
    let directoryUnits: [String: DirectoryUnit]
    /// The snapshot account matched to each roster person, by the person's row; nil for none.
    let accountOf: [Int?]
    /// Accounts matched to someone or disputed: neither orphans nor to be disabled.
    let claimed: Marks
    let book: AddressBook

    // MARK: From the units' places

    /// Unit code → its DN once the plan is applied.
    var unitDN: [String: DN] = [:]
    /// Renames and moves of units, in apply order: entries below `old` end up below `new`.
    var unitMoves: [(old: DN, new: DN)] = []
    /// Units whose roster row takes effect later.
    var pendingUnits = Set<String>()
    /// Managed units the unit roster no longer lists: dissolved.
    var vanishedUnits: [DirectoryUnit] = []

    // MARK: The plan

    var changes: [Change] = []
    var scheduled: [Change] = []
    var disputes: [Dispute]

    init(_ input: PlannerInput, matching: Matching) {
        self.input = input
        self.config = input.config
        self.asOf = input.asOf
        self.domain = input.config.mail.domain
        self.rosterUnits = Dictionary(input.roster.units.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        self.staffOrder = input.roster.idOrder
        let unitsBase = input.config.directory.unitsBase
        self.protectedSuffixes = input.config.protected.filter { $0.isWithin(unitsBase) || unitsBase.isWithin($0) }.map { $0.string.lowercased() }
        self.directoryUnits = matching.directoryUnits
        self.accountOf = matching.accountOf
        self.claimed = matching.claimed
        self.book = matching.book
        self.disputes = matching.disputes
    }

    /// Where the records of mailboxes deleted for disuse live.
    var closedFolder: DN { config.directory.unitsBase.child(DirectorySnapshot.closedFolderRDN) }

    func address(_ local: String) -> String { "\(local)@\(domain)" }

    /// A unit as reviewers know it: "Vụ Pháp chế (PC)".
    func unitLabel(_ code: String?) -> String {
        guard let code else { return "—" }
        return rosterUnits[code].map { "\($0.name) (\(code))" } ?? code
    }

    /// Where `dn` will be once the unit renames and moves planned so far are applied.
    func effective(_ dn: DN) -> DN { Self.effective(dn, unitMoves) }

    static func effective(_ dn: DN, _ moves: [(old: DN, new: DN)]) -> DN {
        var moved = dn
        for move in moves { if let rebased = moved.rebased(from: move.old, to: move.new) { moved = rebased } }
        return moved
    }

    /// The day a person's departure takes effect, or nil when they are not leaving.
    func departure(_ person: StaffRecord) -> Day? {
        if person.status == .departed { return person.endDate ?? asOf }
        if let end = person.endDate { return end }  // an end date without the status: it still ends
        return nil
    }

    /// Adds a change to the plan, or to the scheduled changes when it is for a later day.
    mutating func add(_ change: Change, pending: Bool, due: Day?) {
        // Nothing at or under `protected` is written, whichever pass asked: a protected unit
        // is matched like any (so it is not made again) and then left as it is.
        if !protectedSuffixes.isEmpty && touchesProtected(change) { return }
        if pending {
            var later = change
            later.due = due
            later.attributes = change.attributes  // kept: a new account's are read from the add dropped here
            later.operations = []
            scheduled.append(later)
        } else {
            changes.append(change)
        }
    }

    /// Whether any entry the change names or writes is at or under a `protected` DN. The
    /// suffix test spares a DN parse for the changes far from every protected entry.
    func touchesProtected(_ change: Change) -> Bool {
        var names = [change.dn] + change.operations.map(\.dn)
        if let moved = change.newDN { names.append(moved) }
        return names.contains { name in
            protectedSuffixes.contains { Self.hasSuffixIgnoringCase(name, $0) } && ((try? DN(name)).map(input.isProtected) ?? false)
        }
    }

    /// `text` ends with `lowerSuffix` (lower case), ASCII letters compared without case and
    /// without a lower-cased copy of `text` (a 100,000-person plan asks it of every change).
    static func hasSuffixIgnoringCase(_ text: String, _ lowerSuffix: String) -> Bool {
        var a = text.utf8.reversed().makeIterator(), b = lowerSuffix.utf8.reversed().makeIterator()
        while let y = b.next() {
            guard let x = a.next() else { return false }
            if (x >= 65 && x <= 90 ? x | 0x20 : x) != y { return false }
        }
        return true
    }

    /// An entry the plan lists and leaves alone.
    mutating func orphan(_ dn: DN, code: String?, why: String) {
        add(
            Change(
                kind: .orphan, dn: dn.string, unitCode: code, groupUnit: code,
                subject: dn.rdn?.description ?? dn.string, reason: why),
            pending: false, due: nil)
    }
}
