import Foundation
import LDAPModel

/// What a run backs up.
public enum Backup {
    /// Operational attributes a search for `*` leaves out and an add accepts (slapd 2.5,
    /// checked): backed up so that a restored entry comes back in its state, locked when it
    /// was (`pwdAccountLockedTime`), to change its password when it had to (`pwdReset`).
    public static let restorableOperational = ["pwdAccountLockedTime", "pwdReset", "pwdPolicySubentry", "pwdStartTime", "pwdEndTime"]
    /// Operational attributes slapd sets itself and refuses in an add without the Relax
    /// Rules control: kept in the backup as comments (`# pwdLastSuccess: …`), for the record.
    public static let recordedOperational = ["pwdLastSuccess", "authTimestamp", "createTimestamp", "pwdChangedTime"]

    /// The DN before the run of every entry a destructive change touches, once each, parents
    /// first. A change's `dn` is where its entry is once the plan's earlier unit renames and
    /// moves (and the entry's own move) are applied; those are undone here, latest first, so
    /// the backup reads each entry where it is before the first write.
    public static func entriesBeforeRun(_ changes: [Change]) -> [String] {
        var moves: [(old: DN, new: DN)] = []
        var out: [(dn: String, depth: Int, order: Int)] = []
        var seen = Set<String>()
        for c in changes {
            if c.kind.isDestructive {
                if var d = try? DN(c.dn) {
                    for m in moves.reversed() { if let r = d.rebased(from: m.new, to: m.old) { d = r } }
                    if seen.insert(d.normalized).inserted { out.append((d.string, DN.depth(of: d.string), out.count)) }
                } else if seen.insert(c.dn).inserted {
                    out.append((c.dn, DN.depth(of: c.dn), out.count))
                }
            }
            if [.renameUnit, .moveUnit, .moveAccount].contains(c.kind), let new = c.newDN.flatMap({ try? DN($0) }), let old = try? DN(c.dn) {
                moves.append((old, new))
            }
        }
        return out.sorted { ($0.depth, $0.order) < ($1.depth, $1.order) }.map(\.dn)
    }
}
