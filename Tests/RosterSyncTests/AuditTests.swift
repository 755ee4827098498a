import Foundation
@testable import RosterSync
import Testing

@Suite("Audit log")
struct AuditTests {
    @Test("timestamps are written as ISO8601DateFormatter writes them, for any second")
    func timestamps() {
        let formatter = ISO8601DateFormatter()
        var seconds = [0, -1, 59, 86_399, 86_400, 951_782_400 /* 2000-02-29 */, 1_709_164_800 /* 2024-02-29 */, 1_798_761_599,
                       4_107_542_400 /* 2100-03-01 */, 253_402_300_799 /* 9999-12-31T23:59:59 */]
        var rng = SeededRandom(seed: 5)
        for _ in 0..<2000 { seconds.append(Int.random(in: 0..<4_102_444_800, using: &rng)) }
        for s in seconds {
            #expect(AuditRecord.timestamp(secondsSince1970: s) == formatter.string(from: Date(timeIntervalSince1970: TimeInterval(s))), "\(s)")
        }
        #expect(AuditRecord.timestamp(secondsSince1970: 1_795_945_129) == "2026-11-29T09:38:49Z")
    }
}
