import Foundation

// hr-export: HR-style roster exports, quarter after quarter, made independently of
// roster-gen (its own names, units, events and file layouts), for the soak test.
//
//   hr-export quarters --seed S --quarters N [--units 60] [--staff 3000] [--start YYYY-MM-DD]
//                      [--no-dangling] --out DIR
//
// DIR/qNN/ gets units.csv, staff.csv, as-of (the day to sync as of; quarters 3 months
// apart from --start), last-logins.csv (address,last_login: the addresses HR knows),
// logins.csv (kind,id,last_login: every login, by employee id or unit code) and
// expected.json (what happened that quarter). Same arguments, same bytes.
//
// --no-dangling gives departed people of merged-away units the code of the unit that took
// the merged one's people, instead of the code they had (which no unit row names any more).

func option(_ name: String) -> String? {
    guard let i = CommandLine.arguments.firstIndex(of: name), i + 1 < CommandLine.arguments.count else { return nil }
    return CommandLine.arguments[i + 1]
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("hr-export: \(message)\n".utf8))
    exit(2)
}

let usage = "usage: hr-export quarters --seed S --quarters N [--units 60] [--staff 3000] [--start YYYY-MM-DD] [--no-dangling] --out DIR"
guard CommandLine.arguments.dropFirst().first == "quarters" else { fail(usage) }
guard let out = option("--out"), let quarters = Int(option("--quarters") ?? ""), quarters >= 1 else { fail(usage) }
let seed = UInt64(option("--seed") ?? "13") ?? 13
let unitCount = Int(option("--units") ?? "60") ?? 60
let staff = Int(option("--staff") ?? "3000") ?? 3000
guard unitCount >= 4, staff >= unitCount * 3 else { fail("need at least 4 units and 3 people per unit") }
guard let start = Date8(iso: option("--start") ?? "2027-01-15") else { fail("--start: write YYYY-MM-DD") }

var agency = Agency(seed: seed, units: unitCount, staff: staff, asOf: start)
var export = Export(dangling: !CommandLine.arguments.contains("--no-dangling"))
do {
    for q in 1...quarters {
        if q > 1 { agency.quarter(q) }
        let dir = out + "/q" + (q < 10 ? "0" : "") + String(q)
        try export.write(&agency, quarter: q, to: dir)
        let kinds = Dictionary(grouping: agency.events, by: \.kind).map { "\($0.key) \($0.value.count)" }.sorted().joined(separator: ", ")
        print("q\(q < 10 ? "0" : "")\(q) as of \(agency.asOf.iso): \(agency.units.filter(\.alive).count) units, \(agency.activeIndices.count) people\(kinds.isEmpty ? "" : "; " + kinds)")
    }
} catch {
    fail("\(error)")
}
