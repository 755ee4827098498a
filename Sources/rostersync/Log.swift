import Foundation
import Logging

/// The run's log through swift-log. Lines go to standard output (errors and warnings to
/// standard error), one per event, with no timestamp: the journal and cron's syslog add
/// theirs. The level comes from ROSTERSYNC_LOG_LEVEL; by default `info` on a terminal and
/// `notice` under a systemd timer or cron, so an unattended run logs only changes and errors.
struct ConsoleLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = event.message.description
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        if !all.isEmpty { line += " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        let data = Data((line + "\n").utf8)
        if event.level >= .warning { FileHandle.standardError.write(data) } else { FileHandle.standardOutput.write(data) }
    }

    static func defaultLevel() -> Logger.Level {
        let env = ProcessInfo.processInfo.environment
        if let name = env["ROSTERSYNC_LOG_LEVEL"], let level = Logger.Level(rawValue: name.lowercased()) { return level }
        return isatty(1) == 1 && env["INVOCATION_ID"] == nil ? .info : .notice
    }
}

enum Log {
    /// Set up once, before the first command runs.
    static let bootstrap: Void = {
        let level = ConsoleLogHandler.defaultLevel()
        LoggingSystem.bootstrap { _ in ConsoleLogHandler(logLevel: level) }
    }()

    static var logger: Logger {
        _ = bootstrap
        return Logger(label: "rostersync")
    }
}
