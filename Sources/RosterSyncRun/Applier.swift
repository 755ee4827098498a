import Foundation
import LDAPClient
import LDAPModel
import RosterSync

/// Executes a plan's changes in order on one connection.
///
/// Changes of one phase are independent of each other (the planner orders them so), so their
/// writes are pipelined; unit creations, renames and moves (phase 0) go one at a time, since a
/// child depends on its parent. A change's writes go in order: its second write is sent only
/// once its first succeeded. A failing change fails alone; a lost connection fails the rest.
///
/// Each change is reported the moment its outcome is known (its last write answered, or one
/// failed), not at the end of its slice: a run killed half way has reported, and so audited,
/// every change whose answer it had. `sending` is called with the changes whose first write is
/// about to go out, before it does, so that a change whose answer never came is on record.
package struct Applier {
    package let conn: LDAPConnection
    package let window: Int
    /// Why the run must stop sending (its directory lease was taken by another run), checked
    /// before each slice: what was sent is answered and reported, the rest is not attempted.
    package var stop: () -> String? = { nil }

    package init(conn: LDAPConnection, window: Int) {
        self.conn = conn
        self.window = window
    }

    /// Changes whose operations are built and sent together (a few windows' worth is enough
    /// to keep slapd busy).
    package static let slice = 2000

    package enum Outcome {
        case ok
        case failed(LDAPError)
        /// Sent, and no answer came (timeout, connection lost): it may have taken effect.
        case unknown(LDAPError)
    }

    /// Called once per change with its index and outcome.
    package typealias Report = (Int, Outcome) -> Void

    /// True for the error of a write that was sent and never answered: `pipeline` reports
    /// those `outcomeUnknown` (the server was lost after they went out; they were not sent
    /// again elsewhere), the writes it never sent with `notSent`, and the server's own
    /// answers carry its codes.
    package static func unanswered(_ e: LDAPError) -> Bool {
        e.code == .outcomeUnknown || ((e.code == .timeout || e.code == .serverDown) && !e.notSent)
    }

    /// Returns the connection error that ended the run early, if any.
    package func apply(_ changes: [Change], operations: (Int) -> [PlannedOperation], sending: ([Int], [Int: [PlannedOperation]]) -> Void, report outer: Report) -> LDAPError? {
        // The terminal's progress line (ProgressLine: only on a terminal) counts every outcome.
        ProgressLine.start(total: changes.count)
        defer { ProgressLine.finish() }
        func report(_ i: Int, _ outcome: Outcome) {
            outer(i, outcome)
            switch outcome {
            case .ok: ProgressLine.tick(.ok)
            case .failed: ProgressLine.tick(.failed)
            case .unknown: ProgressLine.tick(.unknown)
            }
        }
        var start = 0
        while start < changes.count {
            let phase = changes[start].kind.phase
            var end = start
            while end < changes.count && changes[end].kind.phase == phase { end += 1 }
            // A stage goes in slices: its operations (passwords included) exist for one slice at
            // a time, not for all 100,000 adds of an initial load at once (peak memory).
            var sliceStart = start
            while sliceStart < end {
                if let why = stop() {
                    let lost = LDAPError(code: .other, message: "not attempted: \(why)", operation: "write", dn: nil)
                    for i in sliceStart..<changes.count {
                        report(i, .failed(LDAPError(code: .other, message: "not attempted: \(why)", operation: changes[i].kind.rawValue, dn: changes[i].dn)))
                    }
                    return lost
                }
                let sliceEnd = min(end, sliceStart + Self.slice)
                if let fatal = applyStage(Array(sliceStart..<sliceEnd), operations: operations, window: phase == 0 ? 1 : window, sending: sending, report: report) {
                    for i in sliceEnd..<changes.count {
                        report(i, .failed(LDAPError(code: fatal.code, message: "not attempted: \(fatal.code.text)", operation: changes[i].kind.rawValue, dn: changes[i].dn)))
                    }
                    return fatal
                }
                sliceStart = sliceEnd
            }
            start = end
        }
        return nil
    }

    private func applyStage(_ stage: [Int], operations: (Int) -> [PlannedOperation], window: Int, sending: ([Int], [Int: [PlannedOperation]]) -> Void, report: Report) -> LDAPError? {
        let ops = Dictionary(uniqueKeysWithValues: stage.map { ($0, operations($0)) })
        for i in stage where ops[i]!.isEmpty { report(i, .ok) }
        var alive = stage.filter { !ops[$0]!.isEmpty }
        // Phase 0 goes one change at a time: its pending record just before its write.
        let oneByOne = window == 1
        if !oneByOne && !alive.isEmpty { sending(alive, ops) }
        var round = 0
        while !alive.isEmpty {
            let batch = alive
            var done = Set<Int>(), wentThrough = Set<Int>()
            var fatal: LDAPError?
            func settle(_ i: Int, _ r: Result<LDAPWriteResult, LDAPError>) {
                let count = ops[i]!.count
                switch r {
                case .success:
                    wentThrough.insert(i)
                    if count == round + 1 {
                        done.insert(i)
                        report(i, .ok)
                    }
                case let .failure(e):
                    done.insert(i)
                    if Self.unanswered(e) {
                        report(i, .unknown(e))
                    } else if round > 0 {
                        var e = e
                        e.message = "partly applied (\(round) of its \(count) writes done): " + e.message
                        report(i, .failed(e))
                    } else {
                        report(i, .failed(e))
                    }
                }
            }
            do {
                if oneByOne {
                    for i in batch {
                        if round == 0 { sending([i], ops) }
                        try conn.pipeline([ops[i]![round].ldapOperation], window: 1) { _, r in settle(i, r) }
                    }
                } else {
                    try conn.pipeline(batch.map { ops[$0]![round].ldapOperation }, window: window) { k, r in settle(batch[k], r) }
                }
            } catch {
                fatal = error
            }
            alive.removeAll { done.contains($0) }
            if let fatal {
                // Changes whose next write was never sent: some writes went through, or none.
                // The first are failed; the others are left for the next run to complete
                // (reported unknown: its pending record says what is missing).
                for i in alive {
                    let writes = wentThrough.contains(i) ? round + 1 : round
                    if writes == 0 {
                        report(i, .failed(LDAPError(code: fatal.code, message: "not attempted: \(fatal.code.text)", operation: "write", dn: nil)))
                    } else {
                        report(i, .unknown(LDAPError(code: fatal.code, message: "partly applied (\(writes) of its \(ops[i]!.count) writes done), the rest not sent: \(fatal.code.text)", operation: "write", dn: nil)))
                    }
                }
                return fatal
            }
            round += 1
        }
        return nil
    }
}
