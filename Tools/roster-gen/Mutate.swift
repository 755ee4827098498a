import Foundation
import RosterSync

// roster-gen mutate --from DIR --out DIR --as-of YYYY-MM-DD [--seed S]
//
// The next quarter of a roster made by roster-gen: hires, departures, transfers, name
// corrections, a unit rename, a merge, a split, a head change and inactive mailboxes (about
// 5 % of staff in all). Writes DIR/units.csv, DIR/staff.csv, DIR/lastlogin.csv (a mail
// server's last logins: recent for everyone but the inactive ones) and DIR/intended.json, the
// changes the mutation intends, as [{"kind": …, "id": employee id or unit code}].

struct Mutation {
    var units: [UnitRecord]
    var staff: [StaffRecord]
    var intended: [(String, String)] = []
    var lastLogins: [String: Day] = [:]
    var rng: Random
    var used = Set<String>()
}

func runMutate(from: String, out: String, asOf: Day, seed: UInt64) throws {
    let unitsText = try String(contentsOfFile: from + "/units.csv", encoding: .utf8)
    let staffText = try String(contentsOfFile: from + "/staff.csv", encoding: .utf8)
    let roster = try RosterParser().parse(unitsText: unitsText, unitsFile: "units.csv", staffText: staffText, staffFile: "staff.csv")
    // The addresses quarter 1 gave (as the planner does on an empty directory).
    let mail = Config.Mail.defaults
    let book = AddressBook(roster: roster, domain: mail.domain, pattern: mail.pattern, reserved: mail.reserved + [mail.sharedMailbox])
    var m = Mutation(units: roster.units, staff: roster.staff, rng: Random(seed: seed))
    let n = m.staff.count
    let share = max(2, n * 15 / 1000)  // 1.5 % for each of the big kinds

    let heads = Set(m.units.compactMap(\.headEmployeeId))
    func pickPeople(_ count: Int, where ok: (StaffRecord) -> Bool) -> [Int] {
        var picked: [Int] = []
        var tries = 0
        while picked.count < count && tries < count * 200 {
            tries += 1
            let i = m.rng.int(m.staff.count)
            let p = m.staff[i]
            guard !m.used.contains(p.employeeId), ok(p) else { continue }
            m.used.insert(p.employeeId)
            picked.append(i)
        }
        return picked
    }
    func hasAccount(_ p: StaffRecord) -> Bool { p.status != .departed && p.endDate == nil }
    let leafUnits = m.units.filter { u in !m.units.contains { $0.parentCode == u.code } && u.parentCode != nil }
    let usedUnits = NSMutableSet()

    // A merge: a leaf unit dissolved, its people now under its parent.
    if let merged = leafUnits.first(where: { u in m.staff.contains { $0.unitCode == u.code && hasAccount($0) } }), let into = merged.parentCode {
        usedUnits.add(merged.code)
        usedUnits.add(into)
        for i in m.staff.indices where m.staff[i].unitCode == merged.code {
            m.used.insert(m.staff[i].employeeId)
            if hasAccount(m.staff[i]) { m.intended.append(("moveAccount", m.staff[i].employeeId)) }
            m.staff[i].unitCode = into
        }
        if let k = m.units.firstIndex(where: { $0.code == merged.code }) {
            m.units[k].status = .dissolved
            m.units[k].headEmployeeId = nil
        }
        m.intended.append(("dissolveUnit", merged.code))
    }
    // A split: a new unit under a top-level one, taking a few of its people.
    if let parent = m.units.first(where: { u in u.parentCode == nil && !usedUnits.contains(u.code) && m.staff.filter { $0.unitCode == u.code && hasAccount($0) && !heads.contains($0.employeeId) }.count >= 4 }) {
        usedUnits.add(parent.code)
        let code = parent.code + "-NEW"
        let movers = m.staff.indices.filter { m.staff[$0].unitCode == parent.code && hasAccount(m.staff[$0]) && !heads.contains(m.staff[$0].employeeId) && !m.used.contains(m.staff[$0].employeeId) }.prefix(3)
        for i in movers {
            m.used.insert(m.staff[i].employeeId)
            m.staff[i].unitCode = code
            m.intended.append(("moveAccount", m.staff[i].employeeId))
        }
        m.units.append(UnitRecord(code: code, name: "Phòng Đổi mới", parentCode: parent.code, mailbox: nil, headEmployeeId: movers.first.map { m.staff[$0].employeeId }, previousCode: nil, status: .active, effectiveDate: asOf.adding(days: -7), line: 0))
        m.intended.append(("createUnit", code))
    }
    // A rename: new name and a new mailbox.
    if let k = m.units.firstIndex(where: { $0.parentCode == nil && $0.status == .active && !usedUnits.contains($0.code) }) {
        usedUnits.add(m.units[k].code)
        m.units[k].name += " và Đối ngoại"
        m.units[k].mailbox = derivedUnitMailbox(m.units[k].name)
        m.intended.append(("renameUnit", m.units[k].code))
        m.intended.append(("updateUnit", m.units[k].code))
    }
    // A head change.
    if let k = m.units.firstIndex(where: { u in u.status == .active && !usedUnits.contains(u.code) && u.headEmployeeId != nil }) {
        let code = m.units[k].code
        if let next = m.staff.first(where: { $0.unitCode == code && $0.status == .active && $0.endDate == nil && $0.employeeId != m.units[k].headEmployeeId && !m.used.contains($0.employeeId) }) {
            m.used.insert(next.employeeId)
            m.units[k].headEmployeeId = next.employeeId
            m.intended.append(("handoverUnitMailbox", code))
        }
    }
    // A rename moves the unit's whole subtree: each unit below whose head holds its mailbox
    // has its `owner` DN follow (a handover sets it anyway).
    if let renamed = m.intended.first(where: { $0.0 == "renameUnit" })?.1 {
        var below: Set<String> = [renamed]
        var grew = true
        while grew {
            grew = false
            for u in m.units where u.parentCode.map(below.contains) ?? false && !below.contains(u.code) { below.insert(u.code); grew = true }
        }
        for u in m.units where u.code != renamed && below.contains(u.code) && u.status == .active && u.headEmployeeId != nil
            && !m.intended.contains(where: { $0 == ("handoverUnitMailbox", u.code) }) {
            m.intended.append(("updateUnit", u.code))
        }
    }
    let headsNow = Set(m.units.compactMap(\.headEmployeeId))
    let codes = m.units.filter { $0.status == .active }.map(\.code)
    // Departures.
    for i in pickPeople(share, where: { hasAccount($0) && !headsNow.contains($0.employeeId) }) {
        m.staff[i].status = .departed
        m.staff[i].endDate = asOf.adding(days: -5)
        m.intended.append(("disableAccount", m.staff[i].employeeId))
    }
    // Transfers.
    for i in pickPeople(share, where: { hasAccount($0) && !headsNow.contains($0.employeeId) }) {
        var to = m.rng.pick(codes)
        while to == m.staff[i].unitCode { to = m.rng.pick(codes) }
        m.staff[i].unitCode = to
        m.intended.append(("moveAccount", m.staff[i].employeeId))
    }
    // Name corrections: a tone mark fixed in the given name.
    let fixes: [String: String] = ["An": "Ân", "Anh": "Ánh", "Hà": "Hạ", "Lan": "Lân", "Linh": "Lĩnh", "Mai": "Mải", "Nam": "Năm", "Hoa": "Hòa", "Minh": "Mính"]
    for i in pickPeople(max(1, n / 200), where: { p in hasAccount(p) && fixes[PersonName(parsing: p.fullName).given] != nil }) {
        let given = PersonName(parsing: m.staff[i].fullName).given
        m.staff[i].fullName = String(m.staff[i].fullName.dropLast(given.count)) + fixes[given]!
        m.intended.append(("updateAccount", m.staff[i].employeeId))
    }
    // Inactive mailboxes: no login for four months.
    let inactive = Set(pickPeople(max(1, n / 200), where: { $0.status == .active && hasAccount($0) }).map { m.staff[$0].employeeId })
    for id in inactive { m.intended.append(("lockAccount", id)) }
    // Hires.
    let startID = (m.staff.compactMap { Int($0.employeeId) }.max() ?? 0) + 1
    for k in 0..<share {
        let id = String(format: "%06d", startID + k)
        m.staff.append(StaffRecord(
            employeeId: id, fullName: "\(m.rng.pick(["Nguyễn", "Trần", "Lê", "Phạm"])) \(m.rng.pick(["Văn", "Thị", "Minh"])) \(m.rng.pick(["Khôi", "Ngân", "Tâm", "Vy", "Bảo"]))",
            unitCode: m.rng.pick(codes), title: "Chuyên viên", email: nil, status: .active, startDate: asOf.adding(days: -10),
            endDate: nil, phone: nil, line: 0))
        m.intended.append(("createAccount", id))
    }
    // Last logins: recent for every mailbox but the inactive ones.
    for p in roster.staff where hasAccount(p) {
        guard let local = book.people[p.employeeId] else { continue }
        m.lastLogins["\(local)@\(mail.domain)"] = inactive.contains(p.employeeId) ? asOf.adding(days: -(120 + m.rng.int(30))) : asOf.adding(days: -(1 + m.rng.int(40)))
    }

    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    var unitsCSV = row(["unit_code", "unit_name", "parent_code", "mailbox", "head_employee_id", "status", "effective_date"])
    for u in m.units { unitsCSV += row([u.code, u.name, u.parentCode ?? "", u.mailbox ?? "", u.headEmployeeId ?? "", u.status.rawValue, u.effectiveDate?.description ?? ""]) }
    try Data(unitsCSV.utf8).write(to: URL(fileURLWithPath: out + "/units.csv"))
    var staffCSV = row(["employee_id", "full_name", "unit_code", "title", "email", "status", "start_date", "end_date", "phone"])
    for p in m.staff {
        staffCSV += row([p.employeeId, p.fullName, p.unitCode, p.title ?? "", p.email ?? "", p.status.rawValue, p.startDate?.description ?? "", p.endDate?.description ?? "", p.phone ?? ""])
    }
    try Data(staffCSV.utf8).write(to: URL(fileURLWithPath: out + "/staff.csv"))
    var logins = row(["address", "last_login"])
    for (a, d) in m.lastLogins.sorted(by: { $0.key < $1.key }) { logins += row([a, d.description]) }
    try Data(logins.utf8).write(to: URL(fileURLWithPath: out + "/lastlogin.csv"))
    let intended = m.intended.sorted { $0 < $1 }.map { "  {\"kind\": \"\($0.0)\", \"id\": \"\($0.1)\"}" }.joined(separator: ",\n")
    try Data("[\n\(intended)\n]\n".utf8).write(to: URL(fileURLWithPath: out + "/intended.json"))
    FileHandle.standardError.write(Data("roster-gen: \(m.intended.count) intended changes in \(out)\n".utf8))
}
