import Foundation

/// Whether a saved plan still describes the directory: `apply` plans again from the same
/// rosters and day and compares (as terraform refuses a stale plan).
public enum PlanFreshness {
    /// What a change is about, whatever its DN: the person, else the unit, else the entry.
    /// A person's change keeps its key when a unit above them was renamed, and a creation
    /// whose address was taken since keeps it too (it fails alone, named, when applied).
    static func key(_ c: Change) -> String {
        "\(c.kind.rawValue) " + (c.employeeId.map { "employee \($0)" } ?? c.unitCode.map { "unit \($0)" } ?? "dn \(c.dn.lowercased())")
    }

    /// The saved plan's changes (orphans aside) that a plan made now from the same rosters
    /// and day no longer has: already applied, or no longer needed. Empty: the plan may go.
    public static func gone(saved: [Change], now: [Change]) -> [Change] {
        var pending: [String: Int] = [:]
        for c in now where c.kind != .orphan { pending[key(c), default: 0] += 1 }
        var out: [Change] = []
        for c in saved where c.kind != .orphan {
            let k = key(c)
            if let n = pending[k], n > 0 { pending[k] = n - 1 } else { out.append(c) }
        }
        return out
    }
}
