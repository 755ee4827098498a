import Foundation

/// A reporting period: a quarter (`2026Q3`), a half-year (`2026H2`) or `FROM..TO`.
public struct ReportPeriod: Sendable, Hashable, CustomStringConvertible {
    public var from: Day
    public var to: Day
    public var label: String

    public init?(parsing s: String) {
        let t = s.trimmingCharacters(in: .whitespaces).uppercased()
        if let r = t.range(of: "..") {
            guard let a = Day(parsing: String(t[..<r.lowerBound])), let b = Day(parsing: String(t[r.upperBound...])), a <= b else { return nil }
            (from, to, label) = (a, b, "\(Words.date(a)) – \(Words.date(b))")
            return
        }
        guard t.count == 6, let year = Int(t.prefix(4)), let n = Int(t.suffix(1)) else { return nil }
        let kind = t[t.index(t.startIndex, offsetBy: 4)]
        let months: (Int, Int)
        switch (kind, n) {
        case ("Q", 1...4): months = (3 * n - 2, 3 * n); label = "Quý \(n)/\(year)"
        case ("H", 1...2): months = (6 * n - 5, 6 * n); label = "\(n == 1 ? "6 tháng đầu" : "6 tháng cuối") năm \(year)"
        default: return nil
        }
        guard let a = Day(year: year, month: months.0, day: 1), let b = Day(year: year, month: months.1, day: Day.daysIn(month: months.1, year: year)) else { return nil }
        (from, to) = (a, b)
    }

    public var description: String { label }
    public var slug: String { "\(from)_\(to)" }
    public func contains(_ d: Day) -> Bool { d >= from && d <= to }
}
