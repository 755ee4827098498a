import Foundation
import LDAPClient
import LDAPModel
import Logging
import RosterSync

/// Rosters read from disk, with how each file was decoded.
package struct LoadedRoster: Sendable {
    package var roster: Roster
    package var encodings: [(file: String, decoded: String)]
    /// SHA-256 of each file as it was read, for the plan's `inputs`.
    package var checksums: [String: String]
}

extension Runner {
    /// A whole file, read straight into one array (no Data copy: rosters can be large).
    package static func readBytes(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure("\(path): cannot read the file (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw Failure("\(path): not a regular file") }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, $0.count - done) }
            guard n > 0 else { throw Failure("\(path): read failed (\(String(cString: strerror(errno))))") }
            done += n
        }
        return bytes
    }

    package static func loadRoster(
        units: String, staff: String, unitsEncoding: RosterEncoding?, staffEncoding: RosterEncoding?, parser: RosterParser
    ) throws -> LoadedRoster {
        let unitBytes = try readBytes(units), staffBytes = try readBytes(staff)
        let u = try TextDecoder.decode(unitBytes, declared: unitsEncoding, file: units)
        let s = try TextDecoder.decode(staffBytes, declared: staffEncoding, file: staff)
        let roster: Roster
        do {
            roster = try parser.parse(unitsText: u.text, unitsFile: units, staffText: s.text, staffFile: staff)
        } catch {
            // A staff file whose names mostly fail: say which encodings would read it.
            var e = error
            for i in e.issues.indices where e.issues[i].file == staff && e.issues[i].message.hasSuffix(RosterParser.encodingHint) {
                let readers = RosterEncoding.allCases.filter { $0 != s.encoding }.compactMap { enc -> (RosterEncoding, Double)? in
                    // Plain ASCII (VIQR) reads the same every way: no encoding helps there.
                    guard let text = try? TextDecoder.decode(staffBytes, as: enc, file: staff), text != s.text,
                          text.utf8.contains(where: { $0 >= 0x80 }) else { return nil }
                    let score = VietnameseText.readability(text)
                    return score >= 0.8 ? (enc, score) : nil
                }.sorted { $0.1 > $1.1 }
                e.issues[i].message += readers.isEmpty
                    ? " No other encoding reads it as Vietnamese either."
                    : " It reads as Vietnamese as " + readers.map { "\($0.0) (\(Int(($0.1 * 100).rounded())) % of words)" }.joined(separator: ", ") + "."
            }
            throw e
        }
        return LoadedRoster(roster: roster, encodings: [(units, "\(u.encoding) (\(u.how))"), (staff, "\(s.encoding) (\(s.how))")], checksums: [units: sha256(unitBytes), staff: sha256(staffBytes)])
    }
}
