import Foundation
import Logging
import Synchronization

/// The run's log through swift-log. Lines go to standard output (errors and warnings to
/// standard error), one per event, with no timestamp: the journal and cron's syslog add
/// theirs. The level comes from `-q`/`-v` (ConfigOptions), else ROSTERSYNC_LOG_LEVEL; by
/// default `info` on a terminal and `notice` under a systemd timer or cron, so an unattended
/// run logs only changes and errors.
package struct ConsoleLogHandler: LogHandler {
    package var logLevel: Logger.Level
    package var metadata: Logger.Metadata = [:]

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var line = event.message.description
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        if !all.isEmpty { line += " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        Log.write(line + "\n", to: event.level >= .warning ? 2 : 1)
    }

    package static func defaultLevel() -> Logger.Level {
        if let requested = Log.requested.withLock({ $0 }) { return requested }
        let env = ProcessInfo.processInfo.environment
        if let name = env["ROSTERSYNC_LOG_LEVEL"], let level = Logger.Level(rawValue: name.lowercased()) { return level }
        return isatty(1) == 1 && env["INVOCATION_ID"] == nil ? .info : .notice
    }
}

package enum Log {
    /// A closed standard output or error (`rostersync sync | head -2`, a gone terminal) must
    /// never stop a run half way: SIGPIPE is ignored, and a failed write to either is dropped
    /// (FileHandle.write raised on EPIPE and killed the run, exit 132).
    package static func survivePipes() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// The level `-q` (warning) or `-v` (debug) asked for; set while the arguments are
    /// parsed, before the first line is logged.
    package static let requested = Mutex<Logger.Level?>(nil)

    /// The level in force (the first log line fixes it).
    package static var level: Logger.Level {
        _ = bootstrap
        return bootstrapLevel
    }

    private static let bootstrapLevel = ConsoleLogHandler.defaultLevel()

    /// Writes to file descriptor 1 or 2; errors (EPIPE, a full disk behind a redirect) are ignored.
    /// A progress line on the terminal is cleared first and drawn again by its next tick.
    package static func write(_ text: String, to fd: Int32) {
        ProgressLine.clearBeforeOutput()
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            done += n
        }
    }

    /// Set up once, before the first command runs.
    package static let bootstrap: Void = {
        survivePipes()
        let level = bootstrapLevel
        LoggingSystem.bootstrap { _ in ConsoleLogHandler(logLevel: level) }
    }()

    package static var logger: Logger {
        _ = bootstrap
        return Logger(label: "rostersync")
    }
}
