import Foundation

/// `Plan.text`, section by section: the heading, the overview by kind and by unit, each
/// unit's changes, then the scheduled changes, suspected renumbering and disputes. The
/// sections share the plan, the unit tree and whether the view is compact.
struct PlanText {
    let plan: Plan
    let color: Bool
    let parents: [String: String]
    let detail: Plan.TextDetail
    /// Counts per unit instead of the changes: asked for, or `.auto` above `compactAbove`.
    let compact: Bool
    /// The changes by the unit they are listed under; "" for those of no unit.
    let groups: [String: [Change]]
    /// The units with changes (and their ancestors), in tree order.
    let tree: [(code: String, depth: Int)]
    /// The width of the unit column in the overview: the longest indented name, at most 60.
    let width: Int

    init(_ plan: Plan, color: Bool, parents: [String: String], detail: Plan.TextDetail) {
        self.plan = plan
        self.color = color
        self.parents = parents
        self.detail = detail
        compact = detail == .compact || (detail == .auto && plan.changes.count > Plan.compactAbove)
        groups = Dictionary(grouping: plan.changes, by: { $0.groupUnit ?? "" })
        let tree = Plan.treeOrder(Set(groups.keys.filter { !$0.isEmpty }), parents: parents, names: plan.unitNames)
        self.tree = tree
        width = min(60, tree.map { 2 * $0.depth + Self.label($0.code, plan.unitNames).count }.max() ?? 0)
    }

    func rendered() -> String {
        heading() + overview() + changeSections() + scheduledSection() + renumberedSection() + disputesSection()
    }

    // MARK: Sections

    /// The day, the directory and the inputs' checksums, then the totals.
    func heading() -> String {
        var out = "Plan as of \(plan.asOf)" + (plan.directory.isEmpty ? "" : " for \(plan.directory)") + "\n"
        for (file, sum) in plan.inputs.sorted(by: { $0.key < $1.key }) { out += "  input \(file)  \(sum)\n" }
        let counts = plan.counts
        let summary = ChangeKind.allCases.compactMap { k in counts[k].map { "\($0) \(k.rawValue)" } }.joined(separator: ", ")
        out += "\n\(plan.changes.count) change\(plan.changes.count == 1 ? "" : "s")" + (summary.isEmpty ? "" : ": \(summary)")
        out += "; \(plan.scheduled.count) scheduled; \(plan.disputes.count) disputed\n"
        if plan.changes.isEmpty { out += "\nNo changes: the directory already matches the rosters.\n" }
        return out
    }

    /// Counts by kind, with each kind's marker, and by unit in tree order.
    func overview() -> String {
        guard !plan.changes.isEmpty else { return "" }
        let counts = plan.counts
        var out = "\nBy kind\n"
        for k in ChangeKind.allCases { if let n = counts[k] { out += "  \(marker(k)) \(Self.kindColumn(k)) \(String(n).leftPadded(6))\n" } }
        out += "\nBy unit (tree order)\n"
        for (code, depth) in tree { out += unitLine(code, depth, groups[code] ?? []) }
        if let other = groups[""] { out += unitLine("", 0, other).replacingOccurrences(of: "  ()", with: "") }
        return out
    }

    /// Each unit's changes under its name as HR wrote it, then those of no unit; in the
    /// compact view, a line saying how to see them instead.
    func changeSections() -> String {
        if compact && !plan.changes.isEmpty {
            return "\nCompact view" + (detail == .auto ? " (\(plan.changes.count) changes, more than \(Plan.compactAbove))" : "")
                + ": every change with --details, or one unit's with --unit CODE.\n"
        }
        var out = ""
        for (code, depth) in tree {
            let list = groups[code] ?? []
            out += "\n" + String(repeating: "  ", count: depth) + paint(label(code), "1") + (list.isEmpty ? "  (no changes)" : "") + "\n"
            for c in list { out += changeLines(c, indent: depth) }
        }
        if let other = groups[""] {
            out += "\n" + paint(label(nil), "1") + "\n"
            for c in other { out += changeLines(c, indent: 0) }
        }
        return out
    }

    /// Changes due later: one line each with its day, or counts per unit in the compact view.
    func scheduledSection() -> String {
        guard !plan.scheduled.isEmpty else { return "" }
        var out = "\nScheduled (not part of this plan; planned on or after their day)\n"
        if compact {
            let byUnit = Dictionary(grouping: plan.scheduled, by: { $0.groupUnit ?? "" })
            for (code, depth) in Plan.treeOrder(Set(byUnit.keys.filter { !$0.isEmpty }), parents: parents, names: plan.unitNames) {
                out += unitLine(code, depth, byUnit[code] ?? [])
            }
            if let other = byUnit[""] { out += "  \(label(nil))  \(other.count)  \(kinds(other))\n" }
        } else {
            for c in plan.scheduled {
                out += "  \(c.due?.description ?? "          ")  \(marker(c.kind)) \(Self.kindColumn(c.kind)) \(c.subject): \(c.reason)  [\(label(c.groupUnit))]\n"
            }
        }
        return out
    }

    /// New ids that look like old ones renumbered: the first 20.
    func renumberedSection() -> String {
        let renumbered = plan.renumbered
        guard !renumbered.isEmpty else { return "" }
        var out = "\nRenumbered? \(renumbered.count) new employee ids have the name and unit of an account whose id left the staff roster"
            + " (a prefix added? leading zeros dropped by a spreadsheet?): check the staff file's ids before syncing\n"
        for r in renumbered.prefix(20) { out += "  \(r.oldId) → \(r.newId)  \(r.name)  [\(label(r.unitCode))]\n" }
        if renumbered.count > 20 { out += "  … and \(renumbered.count - 20) more\n" }
        return out
    }

    /// Entries left alone: all of them, or the first 50 in the compact view.
    func disputesSection() -> String {
        let disputes = plan.disputes
        guard !disputes.isEmpty else { return "" }
        var out = "\nLeft alone (disputed)\n"
        for d in disputes.prefix(compact ? 50 : disputes.count) { out += "  \(d.dn): \(d.reason)\n" }
        if compact && disputes.count > 50 { out += "  … and \(disputes.count - 50) more (--details)\n" }
        return out
    }

    // MARK: Lines

    /// One change: marker, kind, subject and reason, then each changed attribute's old → new
    /// values and, for a move or rename, the old and new DN.
    func changeLines(_ c: Change, indent: Int) -> String {
        let i = String(repeating: "  ", count: indent)
        var out = "\(i)  \(marker(c.kind)) \(Self.kindColumn(c.kind)) \(c.subject): \(c.reason)\n"
        for a in c.attributes where !["objectClass", "rsState"].contains(a.name) || c.kind == .adoptAccount {
            if a.old.isEmpty && (c.kind == .createAccount || c.kind == .createUnit) { continue }
            out += "\(i)         \(a.name): \(quote(a.old)) → \(quote(a.new))\n"
        }
        if let n = c.newDN { out += "\(i)         \(c.dn)\n\(i)           → \(n)\n" }
        return out
    }

    /// A unit's line in the overview: its indented name, then its count and counts by kind
    /// (the name alone when it has none: an ancestor listed to place the others).
    func unitLine(_ code: String, _ depth: Int, _ list: [Change]) -> String {
        let name = String(repeating: "  ", count: depth) + label(code)
        let pad = name.padding(toLength: max(width, name.count), withPad: " ", startingAt: 0)
        return list.isEmpty ? "  \(name)\n" : "  \(pad)  \(String(list.count).leftPadded(6))  \(kinds(list))\n"
    }

    func kinds(_ list: [Change]) -> String {
        let c = Dictionary(grouping: list, by: \.kind).mapValues(\.count)
        return ChangeKind.allCases.compactMap { k in c[k].map { "\(Plan.marker(k)) \($0)" } }.joined(separator: ", ")
    }

    func label(_ code: String?) -> String { Self.label(code, plan.unitNames) }

    /// A unit as "name (code)", the code alone when the roster does not name it.
    static func label(_ code: String?, _ names: [String: String]) -> String {
        guard let code else { return "Other entries" }
        return names[code].map { "\($0) (\(code))" } ?? code
    }

    func quote(_ v: [String]) -> String { v.isEmpty ? "(none)" : v.map { "\"\($0)\"" }.joined(separator: ", ") }

    static func kindColumn(_ k: ChangeKind) -> String { k.rawValue.padding(toLength: 19, withPad: " ", startingAt: 0) }

    // MARK: Colour

    func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    /// A kind's marker, two columns wide, in its kind's colour.
    func marker(_ k: ChangeKind) -> String { paint(Plan.marker(k).padding(toLength: 2, withPad: " ", startingAt: 0), Self.colour(k)) }

    /// Green for what is added, yellow for what changes, cyan for what moves, red for what is
    /// taken away, magenta for what is only reported.
    static func colour(_ k: ChangeKind) -> String {
        switch k {
        case .createContainer, .createUnit, .createAccount, .adoptAccount, .enableAccount, .reopenAccount: "32"
        case .updateUnit, .updateAccount, .handoverUnitMailbox, .separateUnitMailbox: "33"
        case .renameUnit, .moveUnit, .moveAccount: "36"
        case .disableAccount, .lockAccount, .deleteAccount, .dissolveUnit: "31"
        case .orphan: "35"
        }
    }
}
