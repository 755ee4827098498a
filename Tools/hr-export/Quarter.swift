import Foundation

extension Agency {
    /// One quarter of HR's events, ~5 % of the people touched, ending at `asOf + 3 months`.
    mutating func quarter(_ q: Int) {
        events = []
        quarterStart = asOf
        asOf = asOf.adding(months: 3)
        let headcount = activeIndices.count
        func share(_ p: Double) -> Int { max(1, Int((Double(headcount) * p).rounded())) }

        // Future end dates reached: HR marks most of them departed, some keep "active" with the date.
        for i in activeIndices where people[i].end.map({ $0 > quarterStart && $0 <= asOf }) == true {
            if draw.chance(0.6) { depart(i, on: people[i].end!) }
            events.append(Event(kind: "endReached", id: people[i].id, code: people[i].unit, detail: people[i].end!.iso))
        }

        // Reorganisations.
        rename(q)
        if q % 2 == 0 { merge() } else { split(); moveUnit() }
        for _ in 0..<2 { headChange() }
        headLeaves()

        // Staff churn.
        for i in draw.sample(activeIndices.filter { people[$0].status == .active && people[$0].end == nil }, share(0.015)) {
            let day = dayInQuarter()
            depart(i, on: day)
            events.append(Event(kind: "departure", id: people[i].id, code: people[i].unit, detail: day.iso))
        }
        let work = workUnits
        for i in draw.sample(activeIndices.filter { people[$0].unit != rootCode }, share(0.01)) {
            let to = draw.one(work.filter { $0 != people[i].unit })
            events.append(Event(kind: "transfer", id: people[i].id, code: to, detail: "from \(people[i].unit)"))
            transfer(i, to: to)
            if draw.chance(0.25) { futureEnd(i, why: "transferred") }
        }
        for i in draw.sample(activeIndices.filter { people[$0].status == .active && people[$0].end == nil }, share(0.003)) {
            futureEnd(i, why: "notice given")
        }
        for _ in 0..<share(0.02) {
            let future = draw.chance(0.1)
            let start = future ? asOf.adding(days: draw.range(5...40)) : dayInQuarter()
            let i = hire(unit: draw.one(work), start: start)
            events.append(Event(kind: future ? "futureHire" : "hire", id: people[i].id, code: people[i].unit, detail: start.iso))
        }
        if q == 2 {
            // Three people with the same name in one unit, hired the same week.
            let u = draw.one(work), start = dayInQuarter()
            for _ in 0..<3 {
                let i = hire(name: "Nguyễn Thị Hương", unit: u, start: start, title: "Chuyên viên")
                events.append(Event(kind: "homonymHire", id: people[i].id, code: u, detail: "Nguyễn Thị Hương"))
            }
        }
        let gone = people.indices.filter { people[$0].status == .departed && people[$0].end.map { $0 < quarterStart } == true }
        for i in draw.sample(gone, max(1, share(0.003))) {
            let day = dayInQuarter(), to = draw.one(work)
            people[i].status = .active
            people[i].start = day
            people[i].end = nil
            events.append(Event(kind: "rehire", id: people[i].id, code: to, detail: "was in \(people[i].unit), back \(day.iso)"))
            people[i].unit = to
        }
        for i in draw.sample(activeIndices.filter { people[$0].status == .active }, share(0.003)) {
            people[i].status = .onLeave
            events.append(Event(kind: "onLeave", id: people[i].id, code: people[i].unit, detail: ""))
        }
        for i in draw.sample(people.indices.filter { people[$0].status == .onLeave }, 2) {
            people[i].status = .active
            events.append(Event(kind: "backFromLeave", id: people[i].id, code: people[i].unit, detail: ""))
        }
        for i in draw.sample(activeIndices.filter { people[$0].phone != nil }, share(0.004)) {
            people[i].phone = newPhone() ?? people[i].phone
            events.append(Event(kind: "newPhone", id: people[i].id, code: people[i].unit, detail: ""))
        }
        // People who stop logging in but stay on HR's books: locked after 3 months, deleted after 6.
        for i in draw.sample(activeIndices.filter { people[$0].status == .active && !people[$0].stoppedLogging && people[$0].start < quarterStart }, share(0.01)) {
            people[i].stoppedLogging = true
            people[i].lastLogin = quarterStart.adding(days: draw.range(-20...20))
            events.append(Event(kind: "stopsLoggingIn", id: people[i].id, code: people[i].unit, detail: people[i].lastLogin!.iso))
        }
        logins()
    }

    mutating func futureEnd(_ i: Int, why: String) {
        let end = asOf.adding(days: draw.range(10...70))
        people[i].end = end
        events.append(Event(kind: "futureEnd", id: people[i].id, code: people[i].unit, detail: "\(end.iso) (\(why))"))
    }

    /// A department renamed: a new name and mailbox; its sub-units' names change with it.
    mutating func rename(_ q: Int) {
        let candidates = units.filter { $0.alive && $0.isTop && $0.code != rootCode }
        guard !candidates.isEmpty else { return }
        let u = unitIndex[draw.one(candidates).code]!
        let old = units[u].short, name = freshTopName()
        units[u].short = name
        units[u].mailbox = freshMailbox(initials(name))
        events.append(Event(kind: "renameUnit", id: nil, code: units[u].code, detail: "\(old) → \(name), mailbox \(units[u].mailbox)"))
        for s in units where s.alive && s.parent == units[u].code {
            events.append(Event(kind: "nameCascade", id: nil, code: s.code, detail: fullName(s)))
        }
    }

    /// A sub-unit merged into a sibling (or its department): its row is dropped, its people
    /// move, those who left keep its code. Two of them have an end date next quarter.
    mutating func merge() {
        let leaves = units.filter { u in u.alive && !u.isTop && !units.contains { $0.alive && $0.parent == u.code } }
        // Preferably one with rows of people who left it: their code dangles from now on.
        let withLeavers = leaves.filter { u in people.contains { $0.unit == u.code && $0.status == .departed } }
        guard let gone = withLeavers.isEmpty ? (leaves.isEmpty ? nil : draw.one(leaves)) : draw.one(withLeavers) else { return }
        if withLeavers.isEmpty, let i = staffed(gone.code).first(where: { people[$0].id != gone.head }) {
            let day = dayInQuarter()
            depart(i, on: day)
            events.append(Event(kind: "departure", id: people[i].id, code: gone.code, detail: "\(day.iso), just before the merge"))
        }
        let siblings = units.filter { $0.alive && $0.parent == gone.parent && $0.code != gone.code }
        let into = siblings.isEmpty ? gone.parent! : draw.one(siblings).code
        let moving = staffed(gone.code)
        units[unitIndex[gone.code]!].alive = false
        units[unitIndex[gone.code]!].head = nil
        mergedInto[gone.code] = into
        events.append(Event(kind: "mergeUnit", id: nil, code: gone.code, detail: "into \(into), \(moving.count) people"))
        for (n, i) in moving.enumerated() {
            people[i].unit = into
            events.append(Event(kind: "mergedTransfer", id: people[i].id, code: into, detail: "from \(gone.code)"))
            if n < 2, people[i].status == .active, people[i].end == nil { futureEnd(i, why: "unit merged") }
        }
    }

    /// A new unit beside an existing one; part of its people move to it, one of them heads it.
    mutating func split() {
        let big = units.filter { $0.alive && $0.code != rootCode && staffed($0.code).count >= 8 }
        guard !big.isEmpty else { return }
        let from = draw.one(big)
        let code: String
        if from.isTop {
            code = "K\(units.count)"
            let name = freshTopName()
            addUnit(code: code, short: name, parent: rootCode, isTop: true, mailbox: freshMailbox(initials(name)))
        } else {
            code = newSubUnit(under: from.parent!)
        }
        let movers = draw.sample(staffed(from.code).filter { people[$0].id != from.head && people[$0].status == .active }, staffed(from.code).count * 2 / 5)
        for i in movers {
            people[i].unit = code
            events.append(Event(kind: "splitTransfer", id: people[i].id, code: code, detail: "from \(from.code)"))
        }
        units[unitIndex[code]!].head = movers.first.map { people[$0].id }
        events.append(Event(kind: "splitUnit", id: nil, code: code, detail: "from \(from.code): \(fullName(unit(code))), \(movers.count) people"))
    }

    /// A sub-unit moved under another department (its name follows the new department's).
    mutating func moveUnit() {
        let subs = units.filter { $0.alive && !$0.isTop }
        guard !subs.isEmpty else { return }
        let s = draw.one(subs)
        let tops = units.filter { $0.alive && $0.isTop && $0.code != rootCode && $0.code != s.parent }
        guard !tops.isEmpty else { return }
        let to = draw.one(tops).code
        units[unitIndex[s.code]!].parent = to
        events.append(Event(kind: "moveUnit", id: nil, code: s.code, detail: "from \(s.parent ?? "") to \(to)"))
    }

    mutating func headChange() {
        let candidates = units.filter { u in u.alive && staffed(u.code).filter { people[$0].status == .active && people[$0].id != u.head }.count >= 1 }
        guard !candidates.isEmpty else { return }
        let u = draw.one(candidates)
        let new = draw.one(staffed(u.code).filter { people[$0].status == .active && people[$0].id != u.head })
        units[unitIndex[u.code]!].head = people[new].id
        events.append(Event(kind: "headChange", id: people[new].id, code: u.code, detail: "was \(u.head ?? "none")"))
    }

    /// A head leaves the agency; HR names another head in the same export.
    mutating func headLeaves() {
        let withHead = units.filter { $0.alive && $0.code != rootCode && $0.head != nil }
        guard !withHead.isEmpty, let i = personIndex[draw.one(withHead).head!] else { return }
        let day = dayInQuarter()
        events.append(Event(kind: "headDeparts", id: people[i].id, code: people[i].unit, detail: day.iso))
        depart(i, on: day)
    }
}
