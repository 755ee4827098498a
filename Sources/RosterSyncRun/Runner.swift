import Foundation
import LDAPClient
import LDAPModel
import RosterSync

/// The run library's entry points, one per command that touches the world (`sync`, `apply`,
/// `unlock`, `restore`, `check`, gathering for `plan` and the reports), and the wiring they
/// share: the only place that reads the config file and the bind secret.
package enum Runner {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
        package init(_ description: String) { self.description = description }
    }

    package static func loadConfig(_ path: String) throws -> Config {
        let text: String
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw Failure("\(path): is a folder, not a config file")
        }
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Failure("\(path): cannot read the config file: \((error as NSError).localizedDescription)")
        }
        return try Config.parse(yaml: text, path: path)
    }

    /// The bind password from its file or environment variable. A file others can read is
    /// refused: the directory's admin secret must not be world-readable (art. 5.1).
    package static func readSecret(_ source: Config.SecretSource) throws -> Secret {
        switch source {
        case let .environment(name):
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                throw Failure("directory.bind.password_env: the environment variable \(name) is not set or empty")
            }
            return Secret(value)
        case let .file(path):
            var st = stat()
            guard stat(path, &st) == 0 else { throw Failure("directory.bind.password_file: \(path) does not exist or cannot be read") }
            guard st.st_mode & S_IROTH == 0 else {
                throw Failure("directory.bind.password_file: \(path) is readable by every user; chmod o-r it first")
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw Failure("directory.bind.password_file: \(path) cannot be read")
            }
            var bytes = [UInt8](data)
            // One trailing newline is an editor's, not the password's.
            if bytes.last == 0x0A { bytes.removeLast() }
            if bytes.last == 0x0D { bytes.removeLast() }
            guard !bytes.isEmpty else { throw Failure("directory.bind.password_file: \(path) is empty") }
            return Secret(bytes: bytes)
        }
    }

    package static func connectionOptions(_ config: Config) -> LDAPConnectionOptions {
        let d = config.directory
        return LDAPConnectionOptions(
            uris: d.uris, connectTimeout: d.connectTimeout, operationTimeout: d.operationTimeout,
            tls: d.tls.mode == "starttls" ? .startTLS : .none, caFile: d.tls.caFile, verifyCertificates: d.tls.verify)
    }

    package static func credentials(_ config: Config) throws -> LDAPCredentials {
        try credentials(config.directory.bind)
    }

    package static func credentials(_ bind: Config.Bind) throws -> LDAPCredentials {
        switch bind {
        case .saslExternal: return .saslExternal
        case let .simple(dn, source): return .simple(dn: dn, password: try readSecret(source))
        }
    }

    package static func connect(_ config: Config) throws -> LDAPConnection {
        let conn = try LDAPConnection.connect(connectionOptions(config), credentials: credentials(config))
        conn.onFailover = { lost, next in
            Log.logger.error("rostersync: lost the directory server (\(lost)); going on at \(next): writes sent and not answered are reported outcomeUnknown, not sent again")
        }
        return conn
    }
}

extension Runner {
    /// Runs `body`; any error is printed (a roster's problems one per line, file:line:column)
    /// and becomes exit code 1.
    package static func failing<T>(outcome: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as RosterValidationError {
            for issue in e.issues { printError(issue.description) }
            printError("rostersync: \(e.issues.count) problem\(e.issues.count == 1 ? "" : "s") in the rosters; \(outcome)")
            throw RunExit.failure
        } catch {
            printError("rostersync: \(error)")
            throw RunExit.failure
        }
    }
}

/// Prints to standard error.
package func printError(_ message: String) {
    Log.write(message + "\n", to: 2)
}
