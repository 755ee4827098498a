// Civil dates for hr-export, written here so the generator shares no date code with the
// program it tests (days from 1970-01-01, proleptic Gregorian).

struct Date8: Comparable, Hashable, Sendable {
    let days: Int

    init(days: Int) { self.days = days }

    init?(year y: Int, month m: Int, day d: Int) {
        guard (1...12).contains(m), d >= 1, d <= Date8.length(year: y, month: m) else { return nil }
        // Howard Hinnant's days_from_civil.
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        days = era * 146_097 + doe - 719_468
    }

    init?(iso: String) {
        let p = iso.split(separator: "-").compactMap { Int($0) }
        guard p.count == 3, let d = Date8(year: p[0], month: p[1], day: p[2]) else { return nil }
        self = d
    }

    var ymd: (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func length(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    func adding(days n: Int) -> Date8 { Date8(days: days + n) }

    /// Calendar months, the day clamped to the month's length (31 Jan + 1 month = 28/29 Feb).
    func adding(months n: Int) -> Date8 {
        let (y, m, d) = ymd
        let total = y * 12 + (m - 1) + n
        let ny = total / 12, nm = total % 12 + 1
        return Date8(year: ny, month: nm, day: min(d, Date8.length(year: ny, month: nm)))!
    }

    private static func pad(_ n: Int, _ w: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, w - s.count)) + s
    }

    /// 2027-03-05
    var iso: String { let (y, m, d) = ymd; return "\(Date8.pad(y, 4))-\(Date8.pad(m, 2))-\(Date8.pad(d, 2))" }
    /// 05/03/2027, as Vietnamese spreadsheets write it.
    var dayFirst: String { let (y, m, d) = ymd; return "\(Date8.pad(d, 2))/\(Date8.pad(m, 2))/\(y)" }
    /// 5/3/2027: what Excel shows for the same cell under a Vietnamese locale.
    var dayFirstShort: String { let (y, m, d) = ymd; return "\(d)/\(m)/\(y)" }

    static func < (a: Date8, b: Date8) -> Bool { a.days < b.days }
}
