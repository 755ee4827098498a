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
struct Applier {
    let conn: LDAPConnection
    let window: Int

    /// Changes whose operations are built and sent together (a few windows' worth is enough
    /// to keep slapd busy).
    static let slice = 2000

    /// Called once per change with its index and outcome.
    typealias Report = (Int, Result<Void, LDAPError>) -> Void

    /// Returns the connection error that ended the run early, if any.
    func apply(_ changes: [Change], operations: (Int) -> [PlannedOperation], report: Report) -> LDAPError? {
        var start = 0
        while start < changes.count {
            let phase = changes[start].kind.phase
            var end = start
            while end < changes.count && changes[end].kind.phase == phase { end += 1 }
            // A stage goes in slices: its operations (passwords included) exist for one slice at
            // a time, not for all 100,000 adds of an initial load at once (peak memory).
            var sliceStart = start
            while sliceStart < end {
                let sliceEnd = min(end, sliceStart + Self.slice)
                if let fatal = applyStage(Array(sliceStart..<sliceEnd), operations: operations, window: phase == 0 ? 1 : window, report: report) {
                    for i in sliceEnd..<changes.count {
                        report(i, .failure(LDAPError(code: fatal.code, message: "not attempted: \(fatal.code.text)", operation: changes[i].kind.rawValue, dn: changes[i].dn)))
                    }
                    return fatal
                }
                sliceStart = sliceEnd
            }
            start = end
        }
        return nil
    }

    private func applyStage(_ stage: [Int], operations: (Int) -> [PlannedOperation], window: Int, report: Report) -> LDAPError? {
        let ops = Dictionary(uniqueKeysWithValues: stage.map { ($0, operations($0)) })
        var alive = stage
        var round = 0
        while true {
            let batch = alive.filter { (ops[$0]?.count ?? 0) > round }
            if batch.isEmpty { break }
            var results: [Int: Result<LDAPWriteResult, LDAPError>] = [:]
            var fatal: LDAPError?
            do {
                try conn.pipeline(batch.map { ops[$0]![round].ldapOperation }, window: window) { k, r in results[batch[k]] = r }
            } catch {
                fatal = error
            }
            for i in batch { if case let .failure(e)? = results[i] { report(i, .failure(e)) } }
            alive.removeAll { if case .failure? = results[$0] { true } else { false } }
            if let fatal {
                // Changes whose writes all went through succeeded; the others did not complete.
                for i in alive {
                    let count = ops[i]?.count ?? 0
                    if count <= round || (count == round + 1 && results[i] != nil) {
                        report(i, .success(()))
                    } else {
                        report(i, .failure(LDAPError(code: fatal.code, message: "not completed: \(fatal.code.text)", operation: "write", dn: nil)))
                    }
                }
                return fatal
            }
            round += 1
        }
        for i in alive { report(i, .success(())) }
        return nil
    }
}
