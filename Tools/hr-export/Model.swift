import Foundation
import RosterSync

// The agency as HR sees it: units, people, and the quarter-by-quarter history that the
// exports are snapshots of. Only the seeded generator comes from RosterSync.

struct Draw {
    var rng: SeededRandom
    init(seed: UInt64) { rng = SeededRandom(seed: seed ^ 0x4852_2D45_5850_4F52) }  // "HR-EXPOR"
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(rng.next() % UInt64(n)) }
    mutating func range(_ r: ClosedRange<Int>) -> Int { r.lowerBound + below(r.count) }
    mutating func chance(_ p: Double) -> Bool { Double(rng.next() >> 11) / Double(1 << 53) < p }
    mutating func one<T>(_ a: [T]) -> T { a[below(a.count)] }
    mutating func weighted(_ weights: [Int]) -> Int {
        var x = below(weights.reduce(0, +))
        for (i, w) in weights.enumerated() { if x < w { return i }; x -= w }
        return weights.count - 1
    }
    /// `k` distinct elements, in a seeded order.
    mutating func sample<T>(_ a: [T], _ k: Int) -> [T] {
        var pool = a
        var out: [T] = []
        while out.count < k, !pool.isEmpty { out.append(pool.remove(at: below(pool.count))) }
        return out
    }
}

enum Status: String { case active, departed, onLeave }

struct Unit {
    var code: String
    /// The name without its parent's ("Phòng Tổng hợp") for sub-units; the whole name for the rest.
    var short: String
    var parent: String?
    var mailbox: String
    var head: String?
    var alive = true
    var isTop: Bool
}

struct Person {
    var id: String
    var name: String
    var unit: String
    var title: String
    var status: Status
    var start: Date8
    var end: Date8?
    /// Ten digits, 0 first; nil when HR has none.
    var phone: String?
    var phoneStyle: Int
    /// The address HR wrote down (the old mail system's), kept as it was; nil for most hires.
    var email: String?
    var lastLogin: Date8?
    var stoppedLogging = false
    var everDeparted = false
}

struct Event: Sendable {
    var kind: String
    var id: String?
    var code: String?
    var detail: String
}

/// Vietnamese words to ASCII: diacritics off, đ → d, lower case, letters and digits only.
func fold(_ s: String) -> String {
    let base = s.replacingOccurrences(of: "đ", with: "d").replacingOccurrences(of: "Đ", with: "D")
        .folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).lowercased()
    return String(base.unicodeScalars.filter { ("a"..."z").contains($0) || ("0"..."9").contains($0) }.map(Character.init))
}

/// "Vụ Kế hoạch - Tài chính" → "vkhtc"; roman numerals and numbers are kept whole ("vdpii").
func initials(_ name: String) -> String {
    var out = ""
    for word in name.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "-" }) {
        let f = fold(String(word))
        guard let first = f.first else { continue }
        let roman = word.allSatisfy { "IVX".contains($0) }
        out += roman || f.allSatisfy(\.isNumber) ? f : String(first)
    }
    return out
}

let familyNames: [(String, Int)] = [
    ("Nguyễn", 36), ("Trần", 12), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Vũ", 4), ("Đặng", 3), ("Bùi", 3), ("Đỗ", 3),
    ("Ngô", 2), ("Dương", 2), ("Phan", 3), ("Võ", 2), ("Đinh", 2), ("Hà", 1), ("Lò", 1), ("Giàng", 1), ("Vàng", 1),
    ("Hứa", 1), ("Nông", 1), ("Lục", 1), ("Mai", 1), ("Trịnh", 1), ("Kiều", 1),
]
let middleMen = ["Văn", "Đức", "Quang", "Mạnh", "Hữu", "Tiến", "Duy", "A", "Ngọc", "Xuân", "Đình", "Bá"]
let middleWomen = ["Thị", "Thị Thanh", "Thị Ngọc", "Thu", "Hồng", "Minh", "Phương", "Thị Kim", "Bảo"]
let givenMen = ["Hùng", "Dũng", "Tuấn", "Thành", "Huy", "Khoa", "Lộc", "Nghĩa", "Phúc", "Quang", "Tài", "Thịnh", "Toàn",
                "Vinh", "Khải", "Páo", "Chứ", "Sơn", "Đạt", "Hiệp", "Kiên", "Luân", "Mạnh", "Nhân"]
let givenWomen = ["Hương", "Hằng", "Hiền", "Huệ", "Lụa", "Mỷ", "Nga", "Nguyệt", "Nhàn", "Oanh", "Quỳnh", "Sen", "Thơ",
                  "Thúy", "Trâm", "Uyên", "Xuân", "Yến", "Giang", "Khánh Linh", "Diệu", "Liên"]
/// Names with a gender prefix or an apostrophe, as Ê Đê and other Highland names are written.
let highlandNames = ["Y Bhin Niê", "H'Nga Byă", "Y Khuê Ayun", "H'Lim Mlô"]

let staffTitles = ["Chuyên viên", "Chuyên viên", "Chuyên viên", "Chuyên viên chính", "Chuyên viên cao cấp", "Cán sự",
                   "Nhân viên", "Kế toán viên", "Thanh tra viên", "Biên tập viên", "Phóng viên"]

let rootCode = "UBDT", rootName = "Ủy ban Dân tộc", rootMailbox = "ubdt"

let topUnitNames: [(String, String)] = [
    ("VPUB", "Văn phòng Ủy ban"), ("TCCB", "Vụ Tổ chức cán bộ"), ("KHTC", "Vụ Kế hoạch - Tài chính"), ("PCUB", "Vụ Pháp chế"),
    ("HTQT", "Vụ Hợp tác quốc tế"), ("TTUB", "Thanh tra Ủy ban"), ("CSDT", "Vụ Chính sách dân tộc"), ("TTCS", "Vụ Tuyên truyền"),
    ("DPI", "Vụ Địa phương I"), ("DPII", "Vụ Địa phương II"), ("DPIII", "Vụ Địa phương III"), ("TTTT", "Trung tâm Thông tin"),
    ("VDTH", "Viện Dân tộc học"), ("BDTPT", "Báo Dân tộc và Phát triển"), ("TCDT", "Tạp chí Dân tộc"), ("HVDT", "Học viện Dân tộc"),
]
/// Names a department gets after a reorganisation (one holds a comma: it must be quoted).
let laterTopNames = [
    "Vụ Công tác dân tộc địa phương", "Vụ Tổ chức - Cán bộ và Đào tạo", "Vụ Kế hoạch, Tài chính và Đầu tư",
    "Vụ Pháp chế và Kiểm soát thủ tục", "Trung tâm Chuyển đổi số", "Vụ Hợp tác quốc tế và Truyền thông", "Thanh tra Bộ",
    "Văn phòng Bộ", "Vụ Dân tộc thiểu số", "Vụ Chính sách", "Vụ Địa phương Tây Nguyên", "Vụ Địa phương Tây Bắc",
    "Vụ Địa phương Tây Nam Bộ", "Trung tâm Dữ liệu dân tộc", "Vụ Giáo dục dân tộc", "Vụ Y tế và Dân số vùng cao",
]
let subUnitNames = ["Phòng Tổng hợp", "Phòng Hành chính", "Phòng Kế toán", "Phòng Nghiệp vụ 1", "Phòng Nghiệp vụ 2",
                    "Phòng Chính sách", "Phòng Thẩm định", "Phòng Quản trị", "Phòng Biên tập", "Phòng Kỹ thuật",
                    "Phòng Đào tạo", "Phòng Nghiên cứu", "Phòng Kiểm tra", "Phòng Phóng viên", "Phòng Trị sự"]

let mobilePrefixes = ["32", "33", "34", "35", "36", "37", "38", "39", "70", "76", "77", "78", "79", "81", "82", "83", "84",
                      "85", "86", "88", "89", "90", "91", "93", "94", "96", "97", "98"]

/// The same ten digits as people type them: 0789296668, +84 78 929 6668, 078.929.6668, 0789 296 668.
func renderPhone(_ digits: String, style: Int) -> String {
    let d = Array(digits)
    func s(_ a: Int, _ b: Int) -> String { String(d[a..<b]) }
    switch style {
    case 1: return "+84 \(s(1, 3)) \(s(3, 6)) \(s(6, 10))"
    case 2: return "\(s(0, 3)).\(s(3, 6)).\(s(6, 10))"
    case 3: return "\(s(0, 4)) \(s(4, 7)) \(s(7, 10))"
    default: return digits
    }
}
