import Foundation

/// The parts of a Vietnamese administrative document (Nghị định 30/2020/NĐ-CP on văn thư),
/// in HTML for the print stylesheet of `HTML.page`: the agency and issuing unit top left and
/// the national motto top right, each over a short rule; the place and date; the title; the
/// recipients bottom left and the signature block bottom right. Every value is escaped.
public enum OfficialDocument {
    /// Text in capitals as Vietnamese writes them (the accents kept: `Ủy ban` → `ỦY BAN`).
    static func capitals(_ s: String) -> String { s.uppercased(with: Locale(identifier: "vi_VN")) }

    /// The heading: agency (capitals) and issuing unit (bold capitals) over a rule on the
    /// left, the national name and motto over a rule on the right; `number`, when given, under
    /// the issuing unit ("Số: …").
    static func heading(_ d: Config.Documents, number: String? = nil) -> String {
        var s = "<table class=\"heading\"><tr>\n<td class=\"issuer\"><div>\(HTML.escape(capitals(d.agency)))</div>"
        s += "<div class=\"unit\">\(HTML.escape(capitals(d.issuingUnit)))</div><div class=\"rule\"></div>"
        if let number { s += "<div class=\"number\">\(HTML.escape(number))</div>" }
        s += "</td>\n<td class=\"motto\"><div class=\"state\">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</div>"
        s += "<div class=\"unit\">Độc lập - Tự do - Hạnh phúc</div><div class=\"rule\"></div></td>\n</tr></table>\n"
        return s
    }

    /// `Hà Nội, ngày 05 tháng 02 năm 2026`: days below 10 and the months January and
    /// February with a leading zero, as the decree writes them (no day: dots to fill by hand).
    public static func placeAndDate(_ place: String, _ day: Day?) -> String {
        guard let day else { return "\(place), ngày …… tháng …… năm ……" }
        let dd = day.day < 10 ? "0\(day.day)" : "\(day.day)"
        let mm = day.month <= 2 ? "0\(day.month)" : "\(day.month)"
        return "\(place), ngày \(dd) tháng \(mm) năm \(day.year)"
    }

    static func dateLine(_ place: String, _ day: Day?) -> String {
        "<p class=\"date\">\(HTML.escape(placeAndDate(place, day)))</p>\n"
    }

    /// The title in bold capitals, centred, with an optional line under it.
    static func title(_ title: String, subtitle: String? = nil) -> String {
        "<h1 class=\"doc-title\">\(HTML.escape(capitals(title)))</h1>\n"
            + (subtitle.map { "<p class=\"doc-subtitle\">\(HTML.escape($0))</p>\n" } ?? "")
    }

    /// "Nơi nhận:" with its list on the left, the signature block on the right: the signer's
    /// title in bold capitals, room to sign, the name (or a line for it).
    static func closing(recipients: [String], signerTitle: String, signerName: String?, note: String? = nil) -> String {
        var s = "<table class=\"closing\"><tr>\n<td class=\"recipients\"><div class=\"label\">Nơi nhận:</div>"
        for r in recipients { s += "<div>- \(HTML.escape(r));</div>" }
        s += "</td>\n<td class=\"signature\"><div class=\"title\">\(HTML.escape(capitals(signerTitle)))</div>"
        if let note { s += "<div class=\"note\">\(HTML.escape(note))</div>" }
        s += "<div class=\"space\"></div><div class=\"name\">\(HTML.escape(signerName ?? ""))</div></td>\n</tr></table>\n"
        return s
    }

    /// The print stylesheet's part for documents (added to `HTML.page`'s).
    static let style = """
        table.heading, table.closing { width: 100%; border: none; margin: 0 0 4mm; font-size: 12.5pt; page-break-inside: avoid; }
        table.heading td, table.closing td { border: none; padding: 0; vertical-align: top; }
        td.issuer { width: 42%; text-align: center; } td.motto { width: 58%; text-align: center; }
        .heading .unit, .heading .state { font-weight: bold; } .heading .unit { white-space: nowrap; }
        .heading .rule { width: 32%; margin: 1.2mm auto 0; border-top: 0.6pt solid #111; } .motto .rule { width: 62%; }
        .heading .number { margin-top: 2mm; white-space: pre; }
        p.date { text-align: right; font-style: italic; margin: 0 0 5mm; }
        h1.doc-title { text-align: center; font-size: 14pt; margin: 4mm 0 1mm; }
        p.doc-subtitle { text-align: center; font-weight: bold; margin: 0 0 5mm; }
        p.to { text-align: center; margin: 0 0 4mm; }
        p.body { text-align: justify; text-indent: 10mm; margin: 0 0 2.5mm; font-size: 12.5pt; }
        td.recipients { width: 45%; font-size: 11pt; } td.recipients .label { font-weight: bold; font-style: italic; font-size: 12pt; }
        td.signature { width: 55%; text-align: center; } td.signature .title { font-weight: bold; }
        td.signature .note { font-style: italic; font-size: 11pt; } td.signature .space { height: 24mm; }
        td.signature .name { font-weight: bold; }
        .confirm { border: 1pt solid #555; padding: 3mm 4mm; margin-top: 6mm; page-break-inside: avoid; }
        .confirm h2 { border: none; text-align: center; margin: 0 0 2mm; }
        .confirm p { margin: 1.5mm 0; } .box { font-size: 13pt; }
        table.fill td { height: 7mm; }
        code.secret { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 11.5pt; letter-spacing: 0.4pt; }
        """
}
