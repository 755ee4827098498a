import Foundation
import RosterSync
import SlapdHarness
import Testing

@Suite("rostersync roster, run as a user would")
struct RosterCommandTests {
    let samples = Slapd.repoRoot + "/samples"

    @Test("the sample rosters are valid; text output lists units, people and addresses")
    func sampleText() throws {
        let out = try rostersync(["roster", "--units", samples + "/units.csv", "--staff", samples + "/staff.csv"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("Units (20)") && out.stdout.contains("Staff (300)"))
        #expect(out.stdout.contains("000005  Y Moan Ênuôl  [TCCB] active"))
        #expect(out.stdout.contains("→  annv2@cema.gov.vn"))
    }

    @Test("a staff file whose names mostly do not read as Vietnamese is refused, naming the encodings that would read it; VIQR too")
    func wrongEncodingRefused() throws {
        let dir = NSTemporaryDirectory() + "rs-enc-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "unit_code,unit_name\r\nVP,Van phong\r\n".write(toFile: dir + "/units.csv", atomically: true, encoding: .utf8)
        let names = ["Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em", "Vũ Thị Giang"]
        let text = "employee_id,full_name,unit_code\r\n" + names.enumerated().map { "00000\($0.offset),\($0.element),VP\r\n" }.joined()
        try Data(TextDecoder.encode(text, as: .tcvn3)).write(to: URL(fileURLWithPath: dir + "/staff.csv"))
        // Declared the wrong way: refused, with the way that reads it.
        let wrong = try rostersync(["roster", "--units", dir + "/units.csv", "--staff", dir + "/staff.csv", "--encoding", "vni"])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains(dir + "/staff.csv:1:1: 100 % of the names (6 of 6) do not read as Vietnamese"), "\(wrong.stderr)")
        #expect(wrong.stderr.contains("It reads as Vietnamese as tcvn3 (100 % of words)"), "\(wrong.stderr)")
        #expect(try rostersync(["roster", "--units", dir + "/units.csv", "--staff", dir + "/staff.csv"]).status == 0, "detected, it reads")
        // VIQR (ASCII with marks as punctuation) is not read, and never stored as names.
        try ("employee_id,full_name,unit_code\r\n" + (1...6).map { "00000\($0),Nguye^~n Va(n An,VP\r\n" }.joined()).write(toFile: dir + "/viqr.csv", atomically: true, encoding: .utf8)
        let viqr = try rostersync(["roster", "--units", dir + "/units.csv", "--staff", dir + "/viqr.csv"])
        #expect(viqr.status == 1 && viqr.stderr.contains("or it is VIQR, which is not read") && viqr.stderr.contains("No other encoding reads it"), "\(viqr.stderr)")
    }

    @Test("a legacy-encoded staff file is detected and reads the same as UTF-8, as JSON")
    func legacyJSON() throws {
        let utf8 = try rostersync(["roster", "--units", samples + "/units.csv", "--staff", samples + "/staff.csv", "--format", "json"])
        let vni = try rostersync(["roster", "--units", samples + "/units.csv", "--staff", samples + "/encodings/staff.vni.csv", "--format", "json"])
        #expect(utf8.status == 0 && vni.status == 0)
        func staff(_ s: String) throws -> [[String: String]] {
            let doc = try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any]
            return (doc?["staff"] as? [[String: Any]] ?? []).map { $0.compactMapValues { $0 as? String } }
        }
        let a = try staff(utf8.stdout), b = try staff(vni.stdout)
        #expect(a.count == 300 && a == b)
        #expect(vni.stdout.contains("\"vni (detected"))
    }

    @Test("an invalid roster: exit 1, every problem as file:line:column on stderr, nothing on stdout")
    func invalid() throws {
        let dir = NSTemporaryDirectory() + "rs-roster-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "employee_id,full_name,unit_code,status\n001,Nguyễn Văn An,VP,gone\n001,Lê B,XX,active\n".write(toFile: dir + "/s.csv", atomically: true, encoding: .utf8)
        let out = try rostersync(["roster", "--units", samples + "/units.csv", "--staff", dir + "/s.csv"])
        #expect(out.status == 1)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.contains("\(dir)/s.csv:2:4: status \"gone\" is not one of active, departed, on_leave"))
        #expect(out.stderr.contains("\(dir)/s.csv:3:1: employee id \"001\" is already used on line 2"))
        #expect(out.stderr.contains("problems in the rosters; nothing was done"))
    }

    @Test("a missing file, a bad --encoding and a wrong declared encoding are clear errors")
    func badInvocations() throws {
        var out = try rostersync(["roster", "--units", samples + "/units.csv", "--staff", "/nonexistent.csv"])
        #expect(out.status == 1 && out.stderr.contains("/nonexistent.csv: cannot read the file"))
        out = try rostersync(["roster", "--units", samples + "/units.csv", "--staff", samples + "/staff.csv", "--encoding", "latin1"])
        #expect(out.status != 0 && out.stderr.contains("--encoding latin1"))
        out = try rostersync(["roster", "--units", samples + "/units.csv", "--staff", samples + "/encodings/staff.tcvn3.csv", "--encoding", "utf-8"])
        #expect(out.status == 1 && out.stderr.contains("not valid UTF-8"))
    }
}
