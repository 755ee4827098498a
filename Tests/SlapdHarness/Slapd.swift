import Foundation

/// A throwaway slapd for one test, started by `deploy/dev/slapd-dev` (the same script the
/// demo and the benchmarks use) in its own short temp folder. `destroy()` stops it and
/// removes the folder; `withSlapd` guarantees that even when the test body throws.
public final class Slapd: @unchecked Sendable {
    // @unchecked: every stored property is immutable after init; the one mutable flag is only
    // touched by destroy(), which a test calls once from its own task.
    public let dir: String
    public let ldapiURI: String
    public let ldapURI: String
    public let suffix: String
    public let adminDN: String
    public let adminSecretFile: String
    /// The running process (read from the folder: `start()` after `stop()` makes a new one).
    public var pid: Int32 { Int32(Slapd.parseEnv(Slapd.readText(dir + "/env"))["RS_SLAPD_PID"] ?? "") ?? 0 }
    /// ldaps:// on the port after `ldapURI`'s, and the CA that signed the server certificate
    /// (for 127.0.0.1 and localhost). StartTLS works on `ldapURI`.
    public let ldapsURI: String
    public let caFile: String
    private var destroyed = false

    /// The repository's root, found from this file's path (tests run from any folder).
    public static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static var script: String { repoRoot + "/deploy/dev/slapd-dev" }

    /// Starts a fresh slapd. `nosync` trades durability for speed (tests only).
    public static func start(nosync: Bool = true, suffix: String = "dc=cema,dc=gov,dc=vn") throws -> Slapd {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/slapd") else {
            throw HarnessError("slapd is not installed: run `apt-get install -y slapd ldap-utils` (or `make deps`)")
        }
        var template = Array("/tmp/rs-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
        let dir = String(cString: made)
        var args = ["start", dir, "--suffix", suffix]
        if nosync { args.append("--nosync") }
        let out = try run(script, args)
        guard out.status == 0 else {
            try? FileManager.default.removeItem(atPath: dir)
            throw HarnessError("slapd-dev start failed (\(out.status)): \(out.stderr)\(out.stdout)")
        }
        return Slapd(dir: dir, suffix: suffix)
    }

    /// The server slapd-dev started in `dir`, from its `env` file.
    convenience init(dir: String, suffix: String) {
        let env = Slapd.parseEnv(Slapd.readText(dir + "/env"))
        self.init(
            dir: dir, ldapiURI: env["RS_LDAPI_URI"] ?? "", ldapURI: env["RS_LDAP_URI"] ?? "",
            suffix: env["RS_SUFFIX"] ?? suffix, adminDN: env["RS_ADMIN_DN"] ?? "",
            adminSecretFile: env["RS_ADMIN_SECRET_FILE"] ?? "",
            ldapsURI: env["RS_LDAPS_URI"] ?? "", caFile: env["RS_CA_FILE"] ?? "")
    }

    private init(
        dir: String, ldapiURI: String, ldapURI: String, suffix: String, adminDN: String, adminSecretFile: String,
        ldapsURI: String, caFile: String
    ) {
        self.ldapsURI = ldapsURI
        self.caFile = caFile
        self.dir = dir
        self.ldapiURI = ldapiURI
        self.ldapURI = ldapURI
        self.suffix = suffix
        self.adminDN = adminDN
        self.adminSecretFile = adminSecretFile
    }

    deinit { destroy() }

    public var adminPassword: String {
        Slapd.readText(adminSecretFile)
    }

    /// The TCP port of `ldapURI`.
    public var port: Int { Int(ldapURI.split(separator: ":").last ?? "") ?? 0 }

    /// Stops slapd and removes its folder.
    public func destroy() {
        guard !destroyed else { return }
        destroyed = true
        _ = try? Slapd.run(Slapd.script, ["stop", dir, "--purge"])
    }

    /// SIGKILL: the server dies at once, mid-operation.
    public func kill9() {
        let victim = currentPID
        kill(victim, SIGKILL)
        // Gone (reaped by init) before a test starts it again: `resume` refuses while it lives.
        for _ in 0..<100 where kill(victim, 0) == 0 { usleep(50_000) }
    }
    /// SIGSTOP: the process freezes but its sockets still accept connections.
    public func freeze() { kill(currentPID, SIGSTOP) }
    public func thaw() { kill(currentPID, SIGCONT) }

    /// The running slapd's pid: `slapd.pid` in its folder (a server started again by `start()`
    /// has a new one), else the one it was started with.
    public var currentPID: Int32 { Int32(Slapd.readText(dir + "/slapd.pid").trimmingCharacters(in: .whitespacesAndNewlines)) ?? pid }

    /// Stops the server (SIGTERM, as an admin's `systemctl stop`), keeping its data; `start()`
    /// brings it back on the same sockets and data.
    public func stop() throws {
        let out = try Slapd.run(Slapd.script, ["stop", dir])
        guard out.status == 0 else { throw HarnessError("slapd-dev stop failed: \(out.stderr)") }
    }

    /// Starts a stopped server again (`slapd-dev resume`).
    public func start() throws {
        let out = try Slapd.run(Slapd.script, ["resume", dir])
        guard out.status == 0 else { throw HarnessError("slapd-dev resume failed: \(out.stderr)\(out.stdout)") }
    }

    /// The `contextCSN` values of the suffix (one per server ID), as ldapsearch shows them.
    public func contextCSN() throws -> [String] {
        let out = try tool("ldapsearch", ["-LLL", "-s", "base", "-b", suffix, "(objectClass=*)", "contextCSN"])
        return out.stdout.split(separator: "\n").filter { $0.hasPrefix("contextCSN: ") }.map { String($0.dropFirst(12)) }.sorted()
    }

    /// Runs an OpenLDAP client tool against this server as the admin over ldapi (SASL
    /// EXTERNAL), e.g. `tool("ldapsearch", ["-b", suffix, "-LLL", "dn"])`.
    public func tool(_ name: String, _ args: [String], stdin: String? = nil) throws -> ProcessOutput {
        try Slapd.run("/usr/bin/" + name, ["-Q", "-Y", "EXTERNAL", "-H", ldapiURI] + args, stdin: stdin)
    }

    public struct ProcessOutput: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public init(status: Int32, stdout: String, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    /// Runs a program and waits for it. posix_spawn + waitpid rather than Foundation's Process,
    /// whose waitUntilExit can miss the exit of a child when tests spawn in parallel. Output
    /// goes through files, so a large output cannot fill a pipe and block the child.
    public static func run(_ path: String, _ args: [String], stdin: String? = nil, environment: [String: String]? = nil) throws -> ProcessOutput {
        var template = Array("/tmp/rs-out-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
        let tmp = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let inPath = tmp + "/in", outPath = tmp + "/out", errPath = tmp + "/err"
        try Data((stdin ?? "").utf8).write(to: URL(fileURLWithPath: inPath))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = ([path] + args).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard rc == 0 else { throw HarnessError("cannot run \(path): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // WIFEXITED/WEXITSTATUS are macros: decode the wait status by hand.
        let exitCode: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return ProcessOutput(status: exitCode, stdout: readText(outPath), stderr: readText(errPath))
    }

    /// A file's text, read with POSIX calls: Foundation's String(contentsOfFile:) leaks a
    /// buffer on empty files (LeakSanitizer shows it), which would hide real leaks.
    public static func readText(_ path: String) -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func parseEnv(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: eq)...])
            if value.hasPrefix("'") && value.hasSuffix("'") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            out[String(line[..<eq])] = value
        }
        return out
    }
}

/// Starts a slapd, runs `body`, and stops and removes the server whatever happens.
public func withSlapd<R>(nosync: Bool = true, _ body: (Slapd) throws -> R) throws -> R {
    let server = try Slapd.start(nosync: nosync)
    defer { server.destroy() }
    return try body(server)
}

/// Two providers replicating both ways (`slapd-dev pair`): `a` has server ID 1, `b` 2; each
/// has its own sockets, port and folder, the same schema, suffix and entries.
public final class SlapdPair: @unchecked Sendable {
    // @unchecked: immutable after init but for the flag destroy() sets, once, from the test.
    public let dir: String
    public let a: Slapd
    public let b: Slapd
    private var destroyed = false

    public static func start(nosync: Bool = true, suffix: String = "dc=cema,dc=gov,dc=vn") throws -> SlapdPair {
        var template = Array("/tmp/rs-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
        let dir = String(cString: made)
        var args = ["pair", dir, "--suffix", suffix]
        if nosync { args.append("--nosync") }
        let out = try Slapd.run(Slapd.script, args)
        guard out.status == 0 else {
            _ = try? Slapd.run(Slapd.script, ["stop", dir, "--purge"])
            throw HarnessError("slapd-dev pair failed (\(out.status)): \(out.stderr)\(out.stdout)")
        }
        return SlapdPair(dir: dir, a: Slapd(dir: dir + "/a", suffix: suffix), b: Slapd(dir: dir + "/b", suffix: suffix))
    }

    private init(dir: String, a: Slapd, b: Slapd) {
        self.dir = dir
        self.a = a
        self.b = b
    }

    deinit { destroy() }

    /// Stops both (thawing a frozen one first) and removes the folder.
    public func destroy() {
        guard !destroyed else { return }
        destroyed = true
        _ = try? Slapd.run(Slapd.script, ["stop", dir, "--purge"])
    }

    /// Waits until both providers hold the same contextCSN (replication caught up), at most
    /// `timeout` seconds; returns whether they did.
    @discardableResult
    public func waitConverged(timeout: Double = 10) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if let x = try? a.contextCSN(), let y = try? b.contextCSN(), x == y { return true }
            usleep(50_000)
        }
        return false
    }
}

extension Slapd {
    /// A pair node stops (false) or resumes (true) pulling its peer's changes.
    public func replication(_ on: Bool) throws {
        let out = try Slapd.run(Slapd.script, ["replication", dir, on ? "on" : "off"])
        guard out.status == 0 else { throw HarnessError("slapd-dev replication failed: \(out.stderr)") }
    }
}

/// Starts a pair of providers, runs `body`, and stops and removes both whatever happens.
public func withPair<R>(nosync: Bool = true, _ body: (Slapd, Slapd) throws -> R) throws -> R {
    let pair = try SlapdPair.start(nosync: nosync)
    defer { pair.destroy() }
    return try body(pair.a, pair.b)
}

/// Stock servers: what Debian's slapd postinst makes (`slapd-dev stock`: its own
/// slapd.init.ldif, mdb for the suffix, core/cosine/nis/inetorgperson, Debian's ACLs, no
/// rostersync schema, no ppolicy, no last-bind tracking), the starting point of
/// `deploy/slapd/setup`. Root over ldapi manages cn=config and only reads the data.
extension Slapd {
    public static func startStock(nosync: Bool = true, suffix: String = "dc=cema,dc=gov,dc=vn") throws -> Slapd {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/slapd") else {
            throw HarnessError("slapd is not installed: run `apt-get install -y slapd ldap-utils` (or `make deps`)")
        }
        var template = Array("/tmp/rs-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
        let dir = String(cString: made)
        var args = ["stock", dir, "--suffix", suffix]
        if nosync { args.append("--nosync") }
        let out = try run(script, args)
        guard out.status == 0 else {
            _ = try? run(script, ["stop", dir, "--purge"])
            throw HarnessError("slapd-dev stock failed (\(out.status)): \(out.stderr)\(out.stdout)")
        }
        return Slapd(dir: dir, suffix: suffix)
    }
}

extension SlapdPair {
    /// Two stock providers replicating both ways (`slapd-dev pair --stock`).
    public static func startStock(nosync: Bool = true, suffix: String = "dc=cema,dc=gov,dc=vn") throws -> SlapdPair {
        var template = Array("/tmp/rs-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
        let dir = String(cString: made)
        var args = ["pair", dir, "--suffix", suffix, "--stock"]
        if nosync { args.append("--nosync") }
        let out = try Slapd.run(Slapd.script, args)
        guard out.status == 0 else {
            _ = try? Slapd.run(Slapd.script, ["stop", dir, "--purge"])
            throw HarnessError("slapd-dev pair --stock failed (\(out.status)): \(out.stderr)\(out.stdout)")
        }
        return SlapdPair(dir: dir, a: Slapd(dir: dir + "/a", suffix: suffix), b: Slapd(dir: dir + "/b", suffix: suffix))
    }
}

/// Starts a stock slapd, runs `body`, and stops and removes the server whatever happens.
public func withStockSlapd<R>(nosync: Bool = true, _ body: (Slapd) throws -> R) throws -> R {
    let server = try Slapd.startStock(nosync: nosync)
    defer { server.destroy() }
    return try body(server)
}

/// Starts a pair of stock providers, runs `body`, and stops and removes both whatever happens.
public func withStockPair<R>(nosync: Bool = true, _ body: (Slapd, Slapd) throws -> R) throws -> R {
    let pair = try SlapdPair.startStock(nosync: nosync)
    defer { pair.destroy() }
    return try body(pair.a, pair.b)
}

public struct HarnessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
