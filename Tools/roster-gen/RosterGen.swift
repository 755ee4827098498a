import ArgumentParser
import Foundation
import RosterSync

// roster-gen: realistic, deterministic HR rosters for samples, tests and benchmarks, with the
// same argument parser as rostersync (`roster-gen --help`, `roster-gen help mutate`).
//
//   roster-gen [generate] --staff N [--seed S] --out DIR [--encodings]
//   roster-gen mutate --from DIR --out DIR --as-of YYYY-MM-DD [--seed S]   (see Mutate.swift)
//   roster-gen maillog --addresses FILE --from DAY --days D --lines N --out FILE   (see MailLog.swift)
//
// Writes DIR/units.csv and DIR/staff.csv (UTF-8, English headers, ISO dates). With
// --encodings it also writes DIR/encodings/staff.<enc>.csv: the same staff roster with
// Vietnamese headers and dd/mm/yyyy dates, in UTF-8 with BOM, UTF-16 (tab-separated, as
// Excel's "Unicode Text"), Windows-1258, TCVN3 and VNI (';'-separated).

@main
struct RosterGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roster-gen",
        abstract: "Realistic, deterministic HR rosters for samples, tests and benchmarks.",
        discussion: "Exit codes: 0 written; 1 error; 64 usage error.",
        subcommands: [Generate.self, MutateCommand.self, MailLogCommand.self],
        defaultSubcommand: Generate.self
    )
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "A unit roster and a staff roster of N people (the default command).")

    @Option(help: ArgumentHelp("How many people.", valueName: "N"))
    var staff: Int
    @Option(help: "The random seed: the same seed gives the same rosters.")
    var seed: UInt64 = 2026
    @Option(help: ArgumentHelp("Where units.csv and staff.csv go (made if missing).", valueName: "DIR"))
    var out: String
    @Flag(help: "Also the staff roster in every encoding HR exports come in (DIR/encodings/).")
    var encodings = false

    func validate() throws {
        guard staff > 0 else { throw ValidationError("--staff must be at least 1") }
    }

    func run() throws {
        try generate(n: staff, seed: seed, out: out, encodings: encodings)
    }
}

struct MutateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mutate",
        abstract: "The next quarter of a roster made by roster-gen (hires, departures, transfers, reorganisations).")

    @Option(help: ArgumentHelp("The quarter's rosters.", valueName: "DIR")) var from: String
    @Option(help: ArgumentHelp("Where the next quarter goes.", valueName: "DIR")) var out: String
    @Option(name: .customLong("as-of"), help: ArgumentHelp("The next quarter's day.", valueName: "YYYY-MM-DD")) var asOf: String
    @Option(help: "The random seed.") var seed: UInt64 = 7

    func validate() throws {
        guard Day(parsing: asOf) != nil else { throw ValidationError("--as-of \(asOf): expected a date such as 2026-12-31") }
    }

    func run() throws {
        try runMutate(from: from, out: out, asOf: Day(parsing: asOf)!, seed: seed)
    }
}

struct MailLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maillog",
        abstract: "A Postfix log that looks like a real one, for the usage report.")

    @Option(help: ArgumentHelp("Mailboxes, one \"address\" or \"alias address\" per line.", valueName: "FILE")) var addresses: String
    @Option(help: ArgumentHelp("The period's first day.", valueName: "YYYY-MM-DD")) var from: String
    @Option(help: "Days in the period.") var days: Int
    @Option(help: "Log lines to write.") var lines: Int
    @Option(help: ArgumentHelp("The log file (FILE.expected.json beside it).", valueName: "FILE")) var out: String
    @Option(help: "The random seed.") var seed: UInt64 = 17
    @Flag(help: "RFC 3339 timestamps instead of syslog's.") var rfc3339 = false
    @Option(help: ArgumentHelp("Leave this day of the period (0-based) without a line.", valueName: "DAY")) var gap: Int?

    func validate() throws {
        guard Day(parsing: from) != nil else { throw ValidationError("--from \(from): expected a date such as 2026-07-01") }
        guard days > 0, lines > 0 else { throw ValidationError("--days and --lines must be at least 1") }
    }

    func run() throws {
        try runMailLog(list: addresses, out: out, from: Day(parsing: from)!, days: days, lines: lines, seed: seed, rfc3339: rfc3339, gap: gap)
    }
}

/// The project's seeded generator, with the draws the generator makes.
typealias Random = SeededRandom
extension SeededRandom {
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func pick<T>(_ a: [T]) -> T { a[int(a.count)] }
    mutating func chance(_ p: Double) -> Bool { Double(next() % 1_000_000) / 1_000_000 < p }
}

// Family names weighted roughly by frequency (Nguyễn ~38 %).
let families: [(String, Int)] = [
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4), ("Phan", 4), ("Vũ", 4), ("Võ", 3),
    ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2), ("Ngô", 2), ("Dương", 1), ("Lý", 1), ("Lò", 1), ("Sùng", 1), ("Hà", 1),
    ("Triệu", 1), ("Đinh", 1), ("Lương", 1), ("Tạ", 1), ("Quách", 1),
]
let middlesMale = ["Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Công", "Xuân", "A", "Trọng"]
let middlesFemale = ["Thị", "Thu", "Ngọc", "Thanh", "Minh", "Thị Thu", "Thị Hồng", "Kim"]
let givenMale = ["An", "Bình", "Cường", "Dũng", "Đức", "Giang", "Hải", "Hùng", "Khánh", "Long", "Minh", "Nam", "Quân",
                 "Sáng", "Pấng", "Dình", "Thắng", "Tuấn", "Việt", "Phong", "Sơn", "Trung", "Tùng", "Hiếu", "Lâm"]
let givenFemale = ["Anh", "Châu", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Ngọc", "Nhung", "Phương",
                   "Thảo", "Trang", "Yến", "Huyền", "Loan", "Thủy", "Vân", "Ánh", "Diệp", "Quyên", "Oanh", "Bích Ngọc"]
let titles = ["Chuyên viên", "Chuyên viên chính", "Chuyên viên cao cấp", "Cán sự", "Nhân viên", "Phó Trưởng phòng", "Trưởng phòng", "Kế toán viên"]

let topUnits: [(String, String)] = [
    ("VP", "Văn phòng Ủy ban"), ("TCCB", "Vụ Tổ chức cán bộ"), ("KHTC", "Vụ Kế hoạch - Tài chính"),
    ("CSDT", "Vụ Chính sách Dân tộc"), ("DTTS", "Vụ Dân tộc thiểu số"), ("TTRA", "Thanh tra Ủy ban"),
    ("PC", "Vụ Pháp chế"), ("HTQT", "Vụ Hợp tác quốc tế"), ("TH", "Vụ Tổng hợp"), ("DP1", "Vụ Địa phương I"),
    ("DP2", "Vụ Địa phương II"), ("DP3", "Vụ Địa phương III"), ("TTTT", "Trung tâm Thông tin"),
    ("HVDT", "Học viện Dân tộc"), ("BDT", "Báo Dân tộc và Phát triển"), ("TCDT", "Tạp chí Dân tộc"),
]
let subunitNames = ["Phòng Tổng hợp", "Phòng Nghiệp vụ", "Phòng Hành chính", "Phòng Kế toán", "Phòng Chính sách",
                    "Phòng Nghiên cứu", "Phòng Quản trị", "Phòng Kiểm tra", "Phòng Truyền thông", "Phòng Đào tạo"]
// Names the tests and the sample need, every run: ethnic-minority names, a collision pair,
// an all-capitals export.
let fixedNames = ["Hoàng A Sáng", "Lò Văn Pấng", "Sùng A Dình", "H'Hen Niê", "Y Moan Ênuôl", "Nguyễn Văn An", "Nguyễn Văn An", "TRẦN THỊ BÍCH NGỌC"]

struct Unit { var code, name: String; var parent: String?; var head: String? }
struct Person { var id, name, unit, title, status: String; var start: Day; var end: Day?; var phone: String; var email: String? }

func csvField(_ s: String, sep: Character) -> String {
    s.contains(sep) || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}
func row(_ fields: [String], sep: Character = ",") -> String { fields.map { csvField($0, sep: sep) }.joined(separator: String(sep)) + "\r\n" }

func dmy(_ d: Day) -> String { String(format: "%02d/%02d/%04d", d.day, d.month, d.year) }

func generate(n: Int, seed: UInt64, out: String, encodings: Bool) throws {
    var rng = Random(seed: seed)


    // Units: the agency's departments, then sub-units until there is about one unit per 100 people.
    var units = topUnits.map { Unit(code: $0.0, name: $0.1, parent: nil) }
    let wantedUnits = units.count + max(4, n / 100)  // departments, and sub-units: about one unit per 100 people
    var s = 0
    while units.count < wantedUnits {
        let parent = units[s % topUnits.count]
        let k = s / topUnits.count + 1
        let base = subunitNames[s % subunitNames.count]
        units.append(Unit(code: "\(parent.code)-P\(k)", name: k > subunitNames.count ? "\(base) \(k)" : base, parent: parent.code))
        s += 1
    }

    let familyPool = families.flatMap { Array(repeating: $0.0, count: $0.1) }
    func randomName() -> String {
        let female = rng.chance(0.5)
        let family = rng.pick(familyPool)
        let middle = rng.pick(female ? middlesFemale : middlesMale)
        let given = rng.pick(female ? givenFemale : givenMale)
        return "\(family) \(middle) \(given)"
    }

    let pattern = LocalPartPattern.default
    var taken = Set<String>(["postmaster", "abuse", "root", "ubdt"])
    var people: [Person] = []
    for i in 0..<n {
        let id = String(format: "%06d", i + 1)
        let name = i < fixedNames.count && n >= 50 ? fixedNames[i] : randomName()
        // Units get people unevenly, as real departments do.
        let unit = units[min(units.count - 1, Int(Double(units.count) * pow(Double(rng.int(10_000)) / 10_000, 1.3)))]
        let start = Day(ordinal: Day(year: 2000, month: 1, day: 1)!.ordinal + rng.int(26 * 365 + 240))
        let roll = rng.int(100)
        let status = roll < 90 ? "active" : roll < 95 ? "on_leave" : "departed"
        let end: Day? = status == "departed" ? start.adding(days: 200 + rng.int(2000)) : nil
        // HR knows the address of people who started before the last quarter; newer ones have none yet.
        var email: String?
        if start < Day(year: 2026, month: 7, day: 1)! {
            let local = pattern.localPart(for: PersonName(parsing: name))
            var candidate = local, k = 2
            while taken.contains(candidate) { candidate = "\(local)\(k)"; k += 1 }
            taken.insert(candidate)
            email = "\(candidate)@cema.gov.vn"
        }
        let phone = "024\(String(format: "%07d", rng.int(10_000_000)))"
        people.append(Person(id: id, name: name, unit: unit.code, title: rng.pick(titles), status: status, start: min(start, end ?? start), end: end, phone: phone, email: email))
    }
    // Heads: the longest-serving active person of each unit.
    for (i, u) in units.enumerated() {
        units[i].head = people.filter { $0.unit == u.code && $0.status == "active" }.min { ($0.start, $0.id) < ($1.start, $1.id) }?.id
    }


    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    var unitsCSV = row(["unit_code", "unit_name", "parent_code", "mailbox", "head_employee_id", "status"])
    for u in units { unitsCSV += row([u.code, u.name, u.parent ?? "", "", u.head ?? "", "active"]) }
    try Data(unitsCSV.utf8).write(to: URL(fileURLWithPath: out + "/units.csv"))

    var staffCSV = row(["employee_id", "full_name", "unit_code", "title", "email", "status", "start_date", "end_date", "phone"])
    for p in people {
        staffCSV += row([p.id, p.name, p.unit, p.title, p.email ?? "", p.status, p.start.description, p.end?.description ?? "", p.phone])
    }
    try Data(staffCSV.utf8).write(to: URL(fileURLWithPath: out + "/staff.csv"))

    if encodings {
        try FileManager.default.createDirectory(atPath: out + "/encodings", withIntermediateDirectories: true)
        let statusVN = ["active": "Đang làm việc", "on_leave": "Nghỉ phép", "departed": "Nghỉ việc"]
        for (enc, name, sep, bom) in [(RosterEncoding.utf8, "utf-8-bom", Character(";"), true), (.utf16, "utf-16", "\t", false),
                                      (.cp1258, "cp1258", ";", false), (.tcvn3, "tcvn3", ";", false), (.vni, "vni", ";", false)] {
            var text = row(["Mã cán bộ", "Họ và tên", "Đơn vị", "Chức vụ", "Thư điện tử", "Trạng thái", "Ngày bắt đầu", "Ngày nghỉ việc", "Điện thoại"], sep: sep)
            for p in people {
                text += row([p.id, p.name, p.unit, p.title, p.email ?? "", statusVN[p.status] ?? p.status, dmy(p.start), p.end.map(dmy) ?? "", p.phone], sep: sep)
            }
            var bytes = TextDecoder.encode(text, as: enc)
            if bom { bytes = [0xEF, 0xBB, 0xBF] + bytes }
            try Data(bytes).write(to: URL(fileURLWithPath: out + "/encodings/staff.\(name).csv"))
            // Excel's accident: the legacy file opened as Western (Windows-1252) text and saved
            // as "CSV UTF-8" (with its BOM).
            if enc == .tcvn3 || enc == .vni {
                let western = String(String.UnicodeScalarView(bytes.map { Unicode.Scalar(TextDecoder.windows1252($0)) ?? "?" }))
                try Data([0xEF, 0xBB, 0xBF] + Array(western.utf8)).write(to: URL(fileURLWithPath: out + "/encodings/staff.\(name)-excel-utf-8.csv"))
            }
        }
    }
    FileHandle.standardError.write(Data("roster-gen: \(units.count) units, \(people.count) people in \(out)\n".utf8))
}
