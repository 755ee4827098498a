import Foundation
import SlapdHarness
import Testing

/// The printable notices (UNIT.html beside UNIT.txt) against a real slapd: written with the
/// text, mode 0600, the same passwords, the configured names; dropped with the text.
@Suite("printable notices against a real slapd")
struct NoticeDocumentTests {
    /// Address → password of a notices file: the text's entries, or the page's rows.
    static func entries(_ path: String) throws -> [String: String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var out: [String: String] = [:]
        if path.hasSuffix(".txt") {
            var address: String?
            for line in text.split(separator: "\n") {
                if line.contains("Địa chỉ hộp thư:") { address = line.split(separator: " ").last.map(String.init) }
                if line.contains("Mật khẩu ban đầu:"), let a = address, let p = line.split(separator: " ").last { out[a] = String(p) }
            }
        } else {
            for line in text.split(separator: "\n") where line.hasPrefix("<tr data-address=\"") {
                let address = line.dropFirst(18).prefix { $0 != "\"" }
                guard let code = line.range(of: "<code class=\"secret\">"), let end = line.range(of: "</code>", range: code.upperBound..<line.endIndex) else { continue }
                out[String(address)] = String(line[code.upperBound..<end.lowerBound])
            }
        }
        return out
    }

    static func mode(_ path: String) -> mode_t {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o777 : 0
    }

    @Test("every text notice has its printable twin, 0600, with the same passwords and the configured names")
    func twins() throws {
        try withSlapd { s in
            let r = try SmallRosters(s)
            let sc = try Scenario(s, units: r.units, staff: r.staff, extra: "documents:\n  place: Đà Nẵng\n  signer_name: Lê Thị Hoa\n")
            let out = try rostersync(["sync", "--config", sc.config])
            #expect(out.status == 0, "\(out.stderr)")
            let root = s.dir + "/state/notices"
            let run = try #require(try FileManager.default.contentsOfDirectory(atPath: root).first)
            let files = try FileManager.default.contentsOfDirectory(atPath: root + "/" + run).sorted()
            #expect(files == ["UB.html", "UB.txt", "VP.html", "VP.txt"], "\(files)")
            for f in files {
                #expect(Self.mode(root + "/\(run)/\(f)") == 0o600, "\(f)")
            }
            for unit in ["UB", "VP"] {
                let text = try Self.entries(root + "/\(run)/\(unit).txt")
                let page = try Self.entries(root + "/\(run)/\(unit).html")
                #expect(!text.isEmpty && page == text, "\(unit): \(page) vs \(text)")
            }
            let html = try String(contentsOfFile: root + "/\(run)/UB.html", encoding: .utf8)
            #expect(html.contains("Đà Nẵng, ngày") && html.contains("Lê Thị Hoa") && html.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"))
            // Nowhere else: not in the output, not in the audit.
            let audit = try String(contentsOfFile: s.dir + "/state/audit.jsonl", encoding: .utf8)
            for p in try Self.entries(root + "/\(run)/UB.html").values {
                #expect(!audit.contains(p) && !out.stdout.contains(p) && !out.stderr.contains(p))
            }
        }
    }

    @Test("a handover gives the unit mailbox a new password: the older notice's page drops it with its text")
    func settleDropsFromThePage() throws {
        try withSlapd { s in
            let r = try SmallRosters(s)
            let sc = try Scenario(s, units: r.units, staff: r.staff)
            #expect(try rostersync(["sync", "--config", sc.config]).status == 0)
            let root = s.dir + "/state/notices"
            let first = try #require(try FileManager.default.contentsOfDirectory(atPath: root).first)
            let before = try Self.entries(root + "/\(first)/UB.html")
            #expect(before.keys.contains("uyban@cema.gov.vn") && before.count == 3, "\(before)")
            try r.write(ubMailbox: "uyban", ubHead: "000004", departed: [])
            let out = try rostersync(["sync", "--config", sc.config])
            #expect(out.status == 0 && out.stdout.contains("did handoverUnitMailbox"), "\(out.stdout)\(out.stderr)")
            let second = try #require(Set(try FileManager.default.contentsOfDirectory(atPath: root)).subtracting([first]).first)
            // The older notice keeps the other two, in its text and in its page alike.
            let text = try Self.entries(root + "/\(first)/UB.txt"), page = try Self.entries(root + "/\(first)/UB.html")
            #expect(page == text && page.count == 2 && page["uyban@cema.gov.vn"] == nil, "\(page)")
            let oldPage = try String(contentsOfFile: root + "/\(first)/UB.html", encoding: .utf8)
            #expect(!oldPage.contains(try #require(before["uyban@cema.gov.vn"])))
            #expect(oldPage.contains("<td class=\"n\">1</td>") && oldPage.contains("<td class=\"n\">2</td>") && !oldPage.contains("<td class=\"n\">3</td>"))
            #expect(Self.mode(root + "/\(first)/UB.html") == 0o600)
            // The new one holds the new password, in both.
            let newer = try Self.entries(root + "/\(second)/UB.html")
            #expect(newer == (try Self.entries(root + "/\(second)/UB.txt")) && newer["uyban@cema.gov.vn"] != before["uyban@cema.gov.vn"])
        }
    }
}
