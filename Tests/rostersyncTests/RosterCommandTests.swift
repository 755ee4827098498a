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

    @Test("each file's encoding is declared on its own: a UTF-8 unit roster beside a TCVN3 staff roster")
    func encodingPerFile() throws {
        func read(_ extra: [String]) throws -> (status: Int32, doc: [String: [[String: String]]], stderr: String) {
            let out = try rostersync(["roster", "--units", samples + "/units.csv", "--format", "json"] + extra)
            let doc = (try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8))) as? [String: Any] ?? [:]
            var lists: [String: [[String: String]]] = [:]
            for key in ["units", "staff"] {
                lists[key] = (doc[key] as? [[String: Any]] ?? []).map { $0.compactMapValues { $0 as? String } }
            }
            return (out.status, lists, out.stderr)
        }
        let utf8 = try read(["--staff", samples + "/staff.csv"])
        #expect(utf8.status == 0 && utf8.doc["staff"]?.count == 300 && utf8.doc["units"]?.isEmpty == false)
        let tcvn3 = samples + "/encodings/staff.tcvn3.csv"
        // One name for both misreads the UTF-8 unit file.
        let both = try read(["--staff", tcvn3, "--encoding", "tcvn3"])
        #expect(both.doc["units"] != utf8.doc["units"])
        let flag = try read(["--staff", tcvn3, "--staff-encoding", "tcvn3"])
        #expect(flag.status == 0 && flag.doc == utf8.doc, "\(flag.stderr)")
        // The same from the config; the file's own flag wins over --encoding.
        let dir = NSTemporaryDirectory() + "rs-enc-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = dir + "/config.yaml"
        try """
            directory:
              uris: [ldapi:///]
              base: dc=cema,dc=gov,dc=vn
              bind:
                method: sasl-external
            mail:
              domain: cema.gov.vn
            state_dir: \(dir)
            rosters:
              encoding:
                units: utf-8
                staff: tcvn3

            """.write(toFile: config, atomically: true, encoding: .utf8)
        let cfg = try read(["--staff", tcvn3, "--config", config])
        #expect(cfg.status == 0 && cfg.doc == utf8.doc, "\(cfg.stderr)")
        let wins = try read(["--staff", tcvn3, "--encoding", "utf-8", "--staff-encoding", "tcvn3"])
        #expect(wins.status == 0 && wins.doc == utf8.doc, "\(wins.stderr)")
        let bad = try read(["--staff", tcvn3, "--units-encoding", "latin1"])
        #expect(bad.status != 0 && bad.stderr.contains("--units-encoding latin1"), "\(bad.stderr)")
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
