import Foundation
import Logging
import Synchronization

/// The live line `sync` and `apply` keep on a terminal while they write (a first
/// sync of 100,000 people takes a minute and a half): changes done of the total, failures and
/// the time left, on standard error, redrawn at most ten times a second.
///
/// Only when standard error is a terminal, outside systemd (INVOCATION_ID) and without `-q`:
/// a log file, the journal or a pipe never get it, and the per-change lines stay as they
/// were. A log line written meanwhile clears it first (`Log.write`); the next tick redraws it.
package enum ProgressLine {
    package struct State {
        var total: Int
        var done = 0
        var failed = 0
        var unknown = 0
        var started: UInt64
        var lastDraw: UInt64 = 0
        var shown = false
    }

    private static let state = Mutex<State?>(nil)

    /// Whether this process draws one at all.
    package static let enabled: Bool = {
        let env = ProcessInfo.processInfo.environment
        return isatty(2) == 1 && env["INVOCATION_ID"] == nil && env["TERM"] != "dumb" && Log.level <= .notice
    }()

    package static func start(total: Int) {
        guard enabled, total > 0 else { return }
        state.withLock { $0 = State(total: total, started: DispatchTime.now().uptimeNanoseconds) }
    }

    package enum Outcome { case ok, failed, unknown }

    /// One change's outcome is known.
    package static func tick(_ outcome: Outcome) {
        guard enabled else { return }
        state.withLock { s in
            guard var st = s else { return }
            st.done += 1
            if outcome == .failed { st.failed += 1 }
            if outcome == .unknown { st.unknown += 1 }
            let now = DispatchTime.now().uptimeNanoseconds
            if st.lastDraw == 0 || now - st.lastDraw >= 100_000_000 || st.done == st.total {
                draw(&st, now: now)
            }
            s = st
        }
    }

    /// The writes are over: the line goes (the run's summary line follows).
    package static func finish() {
        guard enabled else { return }
        state.withLock { s in
            if s?.shown == true { raw("\r\u{1B}[K") }
            s = nil
        }
    }

    /// Called before any other output: a shown line is cleared so that the output starts at
    /// the beginning of a clean line.
    package static func clearBeforeOutput() {
        guard enabled else { return }
        state.withLock { s in
            guard s?.shown == true else { return }
            raw("\r\u{1B}[K")
            s?.shown = false
        }
    }

    /// "12,345/100,000 changes (12 %), 3 failed, 1 m 17 s left"
    package static func text(_ st: State, now: UInt64) -> String {
        let elapsed = Double(now - st.started) / 1e9
        var line = "rostersync: \(grouped(st.done))/\(grouped(st.total)) changes (\(st.done * 100 / max(st.total, 1)) %)"
        line += ", \(st.failed) failed"
        if st.unknown > 0 { line += ", \(st.unknown) unanswered" }
        if st.done >= st.total {
            line += ", done in \(duration(elapsed))"
        } else if st.done > 0 && elapsed >= 1 {
            line += ", \(duration(elapsed / Double(st.done) * Double(st.total - st.done))) left"
        } else {
            line += ", estimating time left"
        }
        return line
    }

    package static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        return s >= 60 ? "\(s / 60) m \(s % 60) s" : "\(s) s"
    }

    package static func grouped(_ n: Int) -> String {
        var digits = Array(String(n)), out: [Character] = []
        while digits.count > 3 {
            out = [","] + digits.suffix(3) + out
            digits.removeLast(3)
        }
        return String(digits + out)
    }

    private static func draw(_ st: inout State, now: UInt64) {
        raw("\r\u{1B}[K" + text(st, now: now))
        st.shown = true
        st.lastDraw = now
    }

    /// Straight to fd 2 (not through `Log.write`, which clears the line).
    private static func raw(_ text: String) {
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            done += n
        }
    }
}
