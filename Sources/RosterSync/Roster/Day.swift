import Foundation

/// A calendar day, without time or time zone: what HR's dates mean.
public struct Day: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1900...2999).contains(year), (1...12).contains(month), day >= 1, day <= Day.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `2026-09-30` (ISO) or `30/09/2026`, `30.09.2026`, `30-09-2026`, `1/9/2026`
    /// (day first, as Vietnamese dates are written; never month first).
    public init?(parsing text: String) {
        // Three runs of ASCII digits split by one kind of separator; any time after a space
        // ("30/09/2026 00:00", as Excel may write it) is ignored.
        var numbers = (0, 0, 0), digits = (0, 0, 0)
        var field = 0
        var separator: UInt8 = 0
        loop: for b in text.utf8 {
            switch b {
            case 0x30...0x39:
                let d = Int(b - 0x30)
                switch field {
                case 0: numbers.0 = numbers.0 * 10 + d; digits.0 += 1
                case 1: numbers.1 = numbers.1 * 10 + d; digits.1 += 1
                default: numbers.2 = numbers.2 * 10 + d; digits.2 += 1
                }
                if max(digits.0, digits.1, digits.2) > 4 { return nil }
            case UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "."):
                let last = field == 0 ? digits.0 : field == 1 ? digits.1 : digits.2
                guard separator == 0 || separator == b, field < 2, last > 0 else { return nil }
                separator = b
                field += 1
            case UInt8(ascii: " "):
                let last = field == 0 ? digits.0 : field == 1 ? digits.1 : digits.2
                if last > 0 { break loop }
            default:
                return nil
            }
        }
        guard field == 2, digits.0 > 0, digits.1 > 0, digits.2 > 0 else { return nil }
        if digits.0 == 4, separator == UInt8(ascii: "-"), digits.1 <= 2, digits.2 <= 2 {
            self.init(year: numbers.0, month: numbers.1, day: numbers.2)
        } else if digits.2 == 4, digits.0 <= 2, digits.1 <= 2 {
            self.init(year: numbers.2, month: numbers.1, day: numbers.0)
        } else {
            return nil
        }
    }

    public var description: String {
        "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
    }

    public static func < (a: Day, b: Day) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (proleptic Gregorian), for arithmetic.
    public var ordinal: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(ordinal: Int) {
        let z = ordinal + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    public func adding(days n: Int) -> Day { Day(ordinal: ordinal + n) }

    /// The later of two days that may be missing.
    public static func later(_ a: Day?, _ b: Day?) -> Day? {
        switch (a, b) {
        case let (x?, y?): max(x, y)
        case let (x, y): x ?? y
        }
    }

    /// The same day `n` calendar months later, clamped to the month's end (31 Mar + 1 month = 30 Apr).
    public func adding(months n: Int) -> Day {
        let total = year * 12 + (month - 1) + n
        let y = total / 12, m = total % 12 + 1
        return Day(year: y, month: m, day: min(day, Day.daysIn(month: m, year: y))) ?? self
    }

    /// 0 = Monday … 6 = Sunday.
    public var weekday: Int { ((ordinal % 7) + 7 + 3) % 7 }
}
