import Foundation
@testable import RosterSync
import Testing

@Suite("Names and addresses")
struct NamingTests {
    @Test("names split the same by bytes and by Unicode whitespace", arguments: [
        "Nguyễn Văn An", "Y Moan Ênuôl", "H'Hen Niê", "h’Linh Byă", "Lò Văn Pấng", "Minh", "",
        "Trần\u{00A0}Thị Hà", "Lê\tVăn  Tám", "Lê Văn  Tám ", "Phạm\u{2003}Hùng", "Ngô\u{3000}Bảo\u{1680}Châu", "Đỗ\u{0085}Quyên",
    ])
    func wordSplitting(name: String) {
        let unicode = name.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        #expect(PersonName.words(name) == unicode)
    }

    @Test("the quick family/given split agrees with the full parse whenever it answers")
    func simpleParts() throws {
        let staff = try String(contentsOfFile: #filePath.replacingOccurrences(of: "Tests/RosterSyncTests/NamingTests.swift", with: "samples/staff.csv"), encoding: .utf8)
        var names = staff.split(whereSeparator: \.isNewline).dropFirst().map { String($0.split(separator: ",")[1]) }
        names += ["Minh", "Y Moan Ênuôl", "Y Moan", "H'Hen Niê", "h’Linh Byă", "H' Niê", "Lò Văn Pấng", "Trần\u{00A0}Thị Hà", " Lê Tám", "Lê Tám ", "Lê  Tám", "Đỗ\tQuyên", "y Bih Mlô", "h'Nga Byă", "Ya Duk", "Hà Văn Yên"]
        var answered = 0
        for name in names {
            guard let quick = PersonName.simpleParts(name) else { continue }
            answered += 1
            let full = PersonName(parsing: name)
            #expect(quick.family == full.family && quick.given == full.given, "\(name): \(quick) vs \(full)")
        }
        #expect(answered >= 290, "the quick path should answer for ordinary names (\(answered))")
        for odd in ["Y Moan Ênuôl", "y Bih Mlô", "h'Nga Byă", "H'Hen Niê", "Trần\u{00A0}Thị Hà", " Lê Tám", "Lê  Tám", "Đỗ\tQuyên"] { #expect(PersonName.simpleParts(odd) == nil, "\(odd)") }
    }

    @Test("Vietnamese names split into family, middle and given", arguments: [
        ("Nguyễn Văn An", "Nguyễn", ["Văn"], "An"),
        ("Trần Thị Bích Ngọc", "Trần", ["Thị", "Bích"], "Ngọc"),
        ("Hoàng A Sáng", "Hoàng", ["A"], "Sáng"),
        ("Lò Văn Pấng", "Lò", ["Văn"], "Pấng"),
        ("Sùng A Dình", "Sùng", ["A"], "Dình"),
        ("H'Hen Niê", "Niê", ["H"], "Hen"),
        ("Y Moan Ênuôl", "Ênuôl", ["Y"], "Moan"),
        ("Lê  Minh", "Lê", [], "Minh"),
        ("Minh", "", [], "Minh"),
    ])
    func parseNames(full: String, family: String, middle: [String], given: String) {
        let n = PersonName(parsing: full)
        #expect(n.family == family && n.middle == middle && n.given == given)
    }

    @Test("the default pattern makes {given}{initials}", arguments: [
        ("Nguyễn Văn An", "annv"), ("Đặng Thị Thu Hà", "hadtt"), ("Hoàng A Sáng", "sangha"), ("Lò Văn Pấng", "panglv"),
        ("H'Hen Niê", "hennh"), ("Y Moan Ênuôl", "moaney"), ("Đỗ Đức Đạt", "datdd"),
    ])
    func defaultPattern(full: String, local: String) {
        #expect(LocalPartPattern.default.localPart(for: PersonName(parsing: full)) == local)
    }

    @Test("other patterns and their refusals")
    func patterns() throws {
        let n = PersonName(parsing: "Nguyễn Văn Đức")
        #expect(try LocalPartPattern("{given}.{family}").localPart(for: n) == "duc.nguyen")
        #expect(try LocalPartPattern("{family}{middle}{given}").localPart(for: n) == "nguyenvanduc")
        #expect(try LocalPartPattern("{g}{m}{family}").localPart(for: n) == "dvnguyen")
        #expect(try LocalPartPattern("{given}.{middle}").localPart(for: PersonName(parsing: "Minh")) == "minh")
        #expect(throws: LocalPartPattern.Invalid.self) { try LocalPartPattern("{nickname}") }
        #expect(throws: LocalPartPattern.Invalid.self) { try LocalPartPattern("{given}+{family}") }
        #expect(throws: LocalPartPattern.Invalid.self) { try LocalPartPattern("static") }
    }

    @Test("any Unicode name gives a local part of [a-z0-9._-], at most 30 characters, never empty")
    func localPartProperty() throws {
        var rng = SeededRandom(seed: 42)
        let patterns = try ["{given}{initials}", "{given}.{family}", "{family}-{middle}_{given}"].map(LocalPartPattern.init)
        for _ in 0..<2000 {
            let scalars = (0..<Int.random(in: 0...40, using: &rng)).compactMap { _ in
                Unicode.Scalar(UInt32.random(in: 0x20...0x2FFF, using: &rng))
            }
            let name = String(String.UnicodeScalarView(scalars))
            for p in patterns {
                let local = p.localPart(for: PersonName(parsing: name))
                #expect(!local.isEmpty && local.count <= 30)
                #expect(local.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }, "\(name) → \(local)")
                #expect(local.first != "." && local.last != "." && !local.contains(".."))
            }
        }
    }

    @Test("unit mailboxes: the roster's column, else initials of the name")
    func unitMailboxes() {
        #expect(derivedUnitMailbox("Vụ Tổ chức cán bộ") == "vtccb")
        #expect(derivedUnitMailbox("Vụ Địa phương II") == "vdpii")
        #expect(derivedUnitMailbox("Văn phòng Ủy ban") == "vpub")
    }
}

@Suite("Address assignment")
struct AddressBookTests {
    let units = """
        unit_code,unit_name,mailbox,head_employee_id
        VP,Văn phòng Ủy ban,,
        TTTT,Trung tâm Thông tin,annv,
        """

    func book(_ staff: String, existing: AddressBook.Existing = .init(), reserved: [String] = ["postmaster", "ubdt"]) throws -> AddressBook {
        let roster = try RosterParser().parse(unitsText: units, unitsFile: "u", staffText: staff, staffFile: "s")
        return AddressBook(roster: roster, domain: "cema.gov.vn", pattern: .default, reserved: reserved, existing: existing)
    }

    @Test("collisions get the smallest free suffix in (start date, employee id) order, never row order")
    func collisions() throws {
        let staff = """
            employee_id,full_name,unit_code,start_date
            030,Nguyễn Văn An,VP,2026-10-01
            010,Nguyễn Văn An,VP,2026-10-01
            020,Nông Văn An,VP,2026-09-01
            """
        let b = try book(staff)
        // The unit TTTT asked for "annv" and units come first; then 020 started earliest.
        #expect(b.units["TTTT"] == "annv")
        #expect(b.people["020"] == "annv2")
        #expect(b.people["010"] == "annv3")
        #expect(b.people["030"] == "annv4")
    }

    @Test("an address already held never changes because someone else joined")
    func stability() throws {
        let before = try book("employee_id,full_name,unit_code,start_date\n010,Nguyễn Văn An,VP,2026-10-01\n")
        #expect(before.people["010"] == "annv2")
        // Later a new An starts earlier than 010 did (a back-dated hire): 010 keeps annv2.
        let after = try book(
            "employee_id,full_name,unit_code,start_date\n010,Nguyễn Văn An,VP,2026-10-01\n005,Ninh Văn An,VP,2020-01-01\n",
            existing: .init(people: ["010": "annv2"], units: ["TTTT": "annv"]))
        #expect(after.people["010"] == "annv2" && after.origin["010"] == .directory)
        #expect(after.people["005"] == "annv3")
    }

    @Test("the roster's email is kept as it is; reserved names and the shared mailbox are never given")
    func keptAndReserved() throws {
        let staff = """
            employee_id,full_name,unit_code,email
            001,Nguyễn Văn An,VP,an.nguyen@cema.gov.vn
            002,Ubdt Ubdt Ubdt,VP,
            003,Pos Tmaster,VP,
            """
        let b = try book(staff, reserved: ["postmaster", "ubdt", "tmasterp"])
        #expect(b.people["001"] == "an.nguyen" && b.origin["001"] == .roster)
        #expect(b.people["002"] == "ubdtuu")
        #expect(b.people["003"] == "tmasterp2")
    }

    @Test("shuffling the rows changes no address (property, 50 shuffles of the sample roster)")
    func shuffleInvariance() throws {
        let unitsText = try String(contentsOfFile: repoRoot + "/samples/units.csv", encoding: .utf8)
        let staffText = try String(contentsOfFile: repoRoot + "/samples/staff.csv", encoding: .utf8)
        var lines = staffText.split(separator: "\r\n").map(String.init)
        let header = lines.removeFirst()
        // Drop the HR emails so that every address is made, not kept.
        let blank = lines.map { l in
            var f = l.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f[4] = ""
            return f.joined(separator: ",")
        }
        func assign(_ rows: [String]) throws -> [String: String] {
            let r = try RosterParser().parse(unitsText: unitsText, unitsFile: "u", staffText: ([header] + rows).joined(separator: "\n"), staffFile: "s")
            return AddressBook(roster: r, domain: "cema.gov.vn", pattern: .default, reserved: ["postmaster"]).people.all
        }
        let reference = try assign(blank)
        #expect(Set(reference.values).count == reference.count, "two people got one address")
        var rng = SeededRandom(seed: 3)
        for _ in 0..<50 {
            #expect(try assign(blank.shuffled(using: &rng)) == reference)
        }
    }
}
