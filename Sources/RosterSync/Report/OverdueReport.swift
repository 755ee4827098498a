import Foundation

/// Working days as art. 6.1b counts them: Monday to Friday, public holidays excluded.
public struct WorkCalendar: Sendable {
    public var holidays: Set<Day>
    public init(holidays: Set<Day> = []) { self.holidays = holidays }

    public func isWorkingDay(_ d: Day) -> Bool { d.weekday < 5 && !holidays.contains(d) }

    /// The `n`-th working day after `day` (`n` = 0: `day` itself).
    public func adding(workingDays n: Int, to day: Day) -> Day {
        var d = day, left = n
        while left > 0 {
            d = d.adding(days: 1)
            if isWorkingDay(d) { left -= 1 }
        }
        return d
    }

    /// Working days after `a` up to and including `b` (0 when `b` is not after `a`).
    public func workingDays(after a: Day, through b: Day) -> Int {
        guard b > a else { return 0 }
        var n = 0, d = a.adding(days: 1)
        while d <= b {
            if isWorkingDay(d) { n += 1 }
            d = d.adding(days: 1)
        }
        return n
    }
}

/// Art. 6.1b: every person HR lists as active whose mailbox does not exist
/// `policy.new_mailbox_working_days` (2) working days after the roster first named them.
/// The roster first named them on the later of their start date and the earliest audit record
/// about them (a sync that tried to create the mailbox); with neither, the day the staff file
/// was written. A start date still to come is never overdue.
public struct OverdueReport: Sendable {
    public struct Row: Sendable, Hashable {
        public var unitCode: String
        public var unitName: String
        public var employeeId: String
        public var name: String
        public var firstNamed: Day
        /// Where `firstNamed` comes from: "audit", "start_date" or "roster file".
        public var source: String
        public var deadline: Day
        public var workingDaysLate: Int
    }

    public var asOf: Day
    public var rows: [Row]

    /// - Parameters:
    ///   - firstSeen: the earliest audit record naming each employee id.
    ///   - rosterDay: the day the staff roster file was last written (when nothing else says).
    public init(_ input: ReportInput, firstSeen: [String: Day], rosterDay: Day, calendar: WorkCalendar) {
        asOf = input.asOf
        // Deleted for disuse (art. 9.3b) is not overdue: made again only at the unit's request.
        let withAccount = Set(input.snapshot.accounts.compactMap(\.employeeId)).union(input.snapshot.closures.keys)
        let adopted = Set(input.plan.changes.filter { $0.kind == .adoptAccount }.compactMap(\.employeeId))
        let unitNames = Dictionary(input.roster.units.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        let allowed = input.config.policy.newMailboxWorkingDays
        var rows: [Row] = []
        for p in input.roster.staff where p.status == .active {
            guard !withAccount.contains(p.employeeId), !adopted.contains(p.employeeId) else { continue }
            if let end = p.endDate, end <= input.asOf { continue }
            if let start = p.startDate, start > input.asOf { continue }
            let (first, source): (Day, String)
            switch (firstSeen[p.employeeId], p.startDate) {
            case let (seen?, start?): (first, source) = seen >= start ? (seen, "audit") : (start, "start_date")
            case let (seen?, nil): (first, source) = (seen, "audit")
            case let (nil, start?): (first, source) = (start, "start_date")
            case (nil, nil): (first, source) = (rosterDay, "roster file")
            }
            let deadline = calendar.adding(workingDays: allowed, to: first)
            guard input.asOf > deadline else { continue }
            rows.append(Row(
                unitCode: p.unitCode, unitName: unitNames[p.unitCode] ?? p.unitCode, employeeId: p.employeeId, name: p.fullName,
                firstNamed: first, source: source, deadline: deadline,
                workingDaysLate: calendar.workingDays(after: deadline, through: input.asOf)))
        }
        self.rows = rows.sorted { ($0.unitCode, $0.employeeId) < ($1.unitCode, $1.employeeId) }
    }

    public func text() -> String {
        guard !rows.isEmpty else { return "Không có cán bộ nào chưa được cấp hộp thư quá hạn (ngày \(Words.date(asOf))).\n" }
        var s = "\(rows.count) cán bộ chưa được cấp hộp thư quá hạn (ngày \(Words.date(asOf))):\n"
        var unit: String?
        for r in rows {
            if r.unitCode != unit { s += "\n\(r.unitName) (\(r.unitCode))\n"; unit = r.unitCode }
            s += "  \(r.employeeId) \(r.name): có tên từ \(Words.date(r.firstNamed)) (\(r.source)), hạn \(Words.date(r.deadline)), trễ \(r.workingDaysLate) ngày làm việc\n"
        }
        return s
    }

    public func json() -> String {
        JSON.object([
            ("asOf", .string(asOf.description)),
            ("overdue", .array(rows.map { r in
                .object([
                    ("unitCode", .string(r.unitCode)), ("unitName", .string(r.unitName)), ("employeeId", .string(r.employeeId)),
                    ("name", .string(r.name)), ("firstNamed", .string(r.firstNamed.description)), ("source", .string(r.source)),
                    ("deadline", .string(r.deadline.description)), ("workingDaysLate", .int(r.workingDaysLate)),
                ])
            })),
        ]).rendered() + "\n"
    }
}
