import Foundation

/// The agency's history, quarter by quarter. `quarter()` advances it by one quarter of HR
/// events; `Export` writes what HR's spreadsheet shows at the end of it.
struct Agency {
    var draw: Draw
    var units: [Unit] = []
    var unitIndex: [String: Int] = [:]
    var people: [Person] = []
    var personIndex: [String: Int] = [:]
    var nextId = 100_001
    var events: [Event] = []
    var usedMailboxes: Set<String> = [rootMailbox, "postmaster", "abuse", "root", "hostmaster", "webmaster", "admin", "noreply"]
    var usedEmails: Set<String> = []
    var usedTopNames: Set<String> = []
    var subCounter: [String: Int] = [:]
    /// Merged-away code → the unit its people went to.
    var mergedInto: [String: String] = [:]
    var asOf: Date8
    var quarterStart: Date8

    init(seed: UInt64, units unitCount: Int, staff: Int, asOf: Date8) {
        draw = Draw(seed: seed)
        self.asOf = asOf
        quarterStart = asOf.adding(months: -3)
        build(unitCount: unitCount, staff: staff)
    }

    // MARK: - Lookups

    func unit(_ code: String) -> Unit { units[unitIndex[code]!] }
    var aliveUnits: [Unit] { units.filter(\.alive) }
    /// Units people are hired or moved into: every live unit but the agency's own leadership.
    var workUnits: [String] { units.filter { $0.alive && $0.code != rootCode }.map(\.code) }
    func staffed(_ code: String) -> [Int] { people.indices.filter { people[$0].unit == code && people[$0].status != .departed } }
    var activeIndices: [Int] { people.indices.filter { people[$0].status != .departed } }

    /// The name HR shows: a sub-unit's carries its department's ("Phòng Tổng hợp - Vụ Pháp chế").
    func fullName(_ u: Unit) -> String {
        if !u.isTop, let p = u.parent { return "\(u.short) - \(fullName(unit(p)))" }
        return u.short
    }

    /// The mailboxes from the agency down to the unit ("ubdt/vpc/pth.vpc"): what its DN is made of.
    func path(_ u: Unit) -> String { (u.parent.map { path(unit($0)) + "/" } ?? "") + u.mailbox }

    mutating func freshMailbox(_ wanted: String) -> String {
        var m = wanted.isEmpty ? "donvi" : wanted, n = 2
        while usedMailboxes.contains(m) { m = "\(wanted)\(n)"; n += 1 }
        usedMailboxes.insert(m)
        return m
    }

    mutating func addUnit(code: String, short: String, parent: String?, isTop: Bool, mailbox: String) {
        unitIndex[code] = units.count
        units.append(Unit(code: code, short: short, parent: parent, mailbox: mailbox, head: nil, isTop: isTop))
    }

    mutating func newSubUnit(under parent: String) -> String {
        let taken = Set(units.filter { $0.alive && $0.parent == parent }.map(\.short))
        let free = subUnitNames.filter { !taken.contains($0) }
        let n = (subCounter[parent] ?? 0) + 1
        subCounter[parent] = n
        let short = free.isEmpty ? "Phòng Nghiệp vụ \(n + 2)" : draw.one(free)
        let code = "\(parent)-\(n < 10 ? "0" : "")\(n)"
        addUnit(code: code, short: short, parent: parent, isTop: false, mailbox: freshMailbox(initials(short) + "." + unit(parent).mailbox))
        return code
    }

    mutating func freshTopName() -> String {
        let free = laterTopNames.filter { !usedTopNames.contains($0) }
        let name = free.isEmpty ? "Vụ Nghiệp vụ \(usedTopNames.count + 1)" : draw.one(free)
        usedTopNames.insert(name)
        return name
    }

    // MARK: - People

    mutating func newName() -> String {
        if draw.chance(0.02) { return draw.one(highlandNames) }
        let family = familyNames[draw.weighted(familyNames.map(\.1))].0
        return draw.chance(0.5)
            ? "\(family) \(draw.one(middleMen)) \(draw.one(givenMen))"
            : "\(family) \(draw.one(middleWomen)) \(draw.one(givenWomen))"
    }

    mutating func newPhone() -> String? {
        guard draw.chance(0.9) else { return nil }
        var s = "0" + draw.one(mobilePrefixes)
        for _ in 0..<7 { s += String(draw.below(10)) }
        return s
    }

    @discardableResult
    mutating func hire(name: String? = nil, unit: String, start: Date8, title: String? = nil, withEmail: Bool = false) -> Int {
        let id = String(nextId)
        nextId += 1
        let n = name ?? newName()
        var email: String?
        if withEmail {
            // The old mail system's style (given.family), not the agent's pattern.
            let words = n.split(separator: " ").map(String.init)
            let base = fold(words.last ?? "x") + "." + fold(words.first ?? "x")
            var e = base, k = 2
            while usedEmails.contains(e) { e = "\(base)\(k)"; k += 1 }
            usedEmails.insert(e)
            email = e + "@cema.gov.vn"
        }
        let p = Person(id: id, name: n, unit: unit, title: title ?? draw.one(staffTitles), status: .active, start: start, end: nil,
                       phone: newPhone(), phoneStyle: draw.chance(0.8) ? 0 : draw.range(1...3), email: email, lastLogin: nil)
        personIndex[id] = people.count
        people.append(p)
        return people.count - 1
    }

    /// A head's unit gets another head from its people (or none) when the head leaves it.
    mutating func replaceHead(of code: String, leaving i: Int) {
        guard let u = unitIndex[code], units[u].head == people[i].id else { return }
        let others = staffed(code).filter { $0 != i && people[$0].status == .active }
        units[u].head = others.isEmpty ? nil : people[draw.one(others)].id
        events.append(Event(kind: "headLeft", id: people[i].id, code: code, detail: "new head \(units[u].head ?? "none")"))
    }

    mutating func depart(_ i: Int, on day: Date8) {
        replaceHead(of: people[i].unit, leaving: i)
        people[i].status = .departed
        people[i].end = max(day, people[i].start.adding(days: 1))
        people[i].everDeparted = true
    }

    mutating func transfer(_ i: Int, to code: String) {
        replaceHead(of: people[i].unit, leaving: i)
        people[i].unit = code
    }

    mutating func dayInQuarter() -> Date8 { quarterStart.adding(days: draw.range(1...max(1, asOf.days - quarterStart.days - 1))) }

    // MARK: - Quarter 1

    mutating func build(unitCount: Int, staff: Int) {
        addUnit(code: rootCode, short: rootName, parent: nil, isTop: true, mailbox: rootMailbox)
        let tops = min(topUnitNames.count, max(3, unitCount / 5))
        for (code, name) in topUnitNames.prefix(tops) {
            usedTopNames.insert(name)
            addUnit(code: code, short: name, parent: rootCode, isTop: true, mailbox: freshMailbox(initials(name)))
        }
        let topCodes = topUnitNames.prefix(tops).map(\.0)
        for k in 0..<max(0, unitCount - 1 - tops) { _ = newSubUnit(under: topCodes[k % topCodes.count]) }

        // Everyone hired before the first export; heads first, so every unit has one.
        let yearsBack = { (d: inout Draw, asOf: Date8) in asOf.adding(days: -d.range(120...9000)) }
        for u in units {
            let title = u.code == rootCode ? "Bộ trưởng, Chủ nhiệm" : u.isTop ? "Vụ trưởng" : "Trưởng phòng"
            let i = hire(unit: u.code, start: yearsBack(&draw, asOf), title: title, withEmail: draw.chance(0.7))
            units[unitIndex[u.code]!].head = people[i].id
        }
        for _ in 0..<4 { hire(unit: rootCode, start: yearsBack(&draw, asOf), title: "Thứ trưởng, Phó Chủ nhiệm", withEmail: true) }
        let weights = units.map { $0.code == rootCode ? 0 : $0.isTop ? 2 : 5 }
        while people.count < staff {
            hire(unit: units[draw.weighted(weights)].code, start: yearsBack(&draw, asOf), withEmail: draw.chance(0.7))
        }
        // Homonyms across units, and rows of people who left before the first export.
        let twin = "Nguyễn Văn Hùng"
        for _ in 0..<2 { hire(name: twin, unit: draw.one(workUnits), start: yearsBack(&draw, asOf)) }
        for _ in 0..<max(2, staff / 50) {
            let i = hire(unit: draw.one(workUnits), start: asOf.adding(days: -draw.range(3000...9000)), withEmail: draw.chance(0.5))
            depart(i, on: asOf.adding(days: -draw.range(30...2000)))
        }
        for i in activeIndices where people[i].status == .active && draw.chance(0.01) { people[i].status = .onLeave }
        logins()
    }

    /// Everyone who uses their mailbox logged in during the last weeks; those who stopped did not.
    mutating func logins() {
        for i in people.indices where people[i].status == .active && !people[i].stoppedLogging && people[i].start <= asOf {
            people[i].lastLogin = max(people[i].start, asOf.adding(days: -draw.range(0...25)))
        }
    }
}
