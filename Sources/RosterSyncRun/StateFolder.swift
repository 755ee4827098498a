import Foundation
import LDAPClient
import LDAPModel
import RosterSync

/// The state folder: lock, audit log, backups, notices, metrics.
///
///     state_dir/rostersync.lock            flock: one run at a time
///     state_dir/audit.jsonl                every change, append-only
///     state_dir/backups/RUN/entries.ldif   what destructive changes touched, for ldapadd
///     state_dir/notices/RUN/UNIT.txt       initial passwords for the units' notices
///     state_dir/notices/RUN/UNIT.html      the same notice as a page to print
///     state_dir/notices.tsv                address → the run whose notice holds its password
///                                          (appended; a later line for an address wins)
///     state_dir/runs/RUN.json              a run not settled yet (killed, or answers lost)
///     state_dir/metrics/rostersync.prom    for node_exporter's textfile collector
///
/// Modes are set whatever the umask: every file 0600 and every folder 0700 (personal data,
/// password hashes in backups, passwords in notices), except the way to the metrics: the
/// folder itself is 0711 (others may pass through it to a name they know, not list it or
/// read anything in it) and `metrics/` 0755 with the file 0644, because node_exporter runs as
/// its own user and reads the file through a link in its textfile folder. The metrics hold
/// counts only: no name, DN or address.
package struct StateFolder {
    package let path: String
    /// The audit log, opened once for the run: a line per change with an open and a close
    /// each was a second of a 100,000-mailbox first sync.
    private let auditFile = AuditFile()

    private final class AuditFile {
        var fd: Int32 = -1
        deinit { if fd >= 0 { close(fd) } }
    }

    package init(_ path: String) throws {
        self.path = path
        for (sub, mode) in [("", 0o711), ("/backups", 0o700), ("/notices", 0o700), ("/runs", 0o700), ("/metrics", 0o755)] as [(String, mode_t)] {
            try FileManager.default.createDirectory(atPath: path + sub, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
            chmod(path + sub, mode)  // whatever the umask, and for a folder made by an older version
        }
        // Files an older version made group-readable.
        for f in ["/audit.jsonl", "/rostersync.lock", "/unfinished-run.json"] { chmod(path + f, 0o600) }
        if let runs = try? FileManager.default.contentsOfDirectory(atPath: path + "/backups") {
            for r in runs {
                chmod(path + "/backups/" + r, 0o700)
                chmod(path + "/backups/" + r + "/entries.ldif", 0o600)
            }
        }
    }

    /// Writes a file whole (a temporary file renamed over it), with exactly `mode`.
    /// Appends to a state file (mode 0600 when made), synced to disk. A failure is logged:
    /// the file is an index the next run reads again.
    package static func append(_ path: String, _ data: Data) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { Log.logger.error("\(path): \(String(cString: strerror(errno)))"); return }
        defer { close(fd) }
        data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; Log.logger.error("\(path): \(String(cString: strerror(errno)))"); return }
                done += n
            }
        }
        fsync(fd)
    }

    package static func write(_ path: String, _ data: Data, mode: mode_t = 0o600, durable: Bool = true) throws {
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw Runner.Failure("\(path): \(String(cString: strerror(errno)))") }
        fchmod(fd, mode)
        var ok = true
        data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; ok = false; break }
                done += n
            }
        }
        if durable { fsync(fd) }
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            let e = String(cString: strerror(errno))
            unlink(tmp)
            throw Runner.Failure("\(path): \(e)")
        }
    }

    package final class Lock {
        let fd: Int32
        init(fd: Int32) { self.fd = fd }
        func release() {
            flock(fd, LOCK_UN)
            close(fd)
        }
    }

    /// Takes the run lock, or fails at once naming the holder.
    package func lock() throws -> Lock {
        let file = path + "/rostersync.lock"
        let fd = open(file, O_RDWR | O_CREAT, 0o600)
        guard fd >= 0 else { throw Runner.Failure("\(file): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            close(fd)
            throw Runner.Failure("another run holds \(file) (\(holder.isEmpty ? "unknown" : holder)); nothing was done")
        }
        ftruncate(fd, 0)
        let me = "pid \(getpid()) since \(Runner.timestamp())\n"
        _ = me.withCString { Glibc.write(fd, $0, strlen($0)) }
        return Lock(fd: fd)
    }

    /// Appends to the audit log with one write(2), synced to disk unless `sync` is false. A
    /// line written survives a kill -9 of the process (it is in the kernel's page cache); the
    /// fsync is for a crash of the machine.
    package func audit(_ records: [AuditRecord], sync: Bool = true) {
        appendAudit(records.map { $0.line() + "\n" }.joined(), sync: sync)
    }

    /// Appends lines made elsewhere (each ending in a newline) to the audit log.
    package func appendAudit(_ text: String, sync: Bool = true) {
        let file = path + "/audit.jsonl"
        if auditFile.fd < 0 {
            auditFile.fd = open(file, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            if auditFile.fd >= 0 { fchmod(auditFile.fd, 0o600) }
        }
        let fd = auditFile.fd
        guard fd >= 0 else {
            printError("rostersync: cannot write the audit log \(file): \(String(cString: strerror(errno)))")
            return
        }
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                printError("rostersync: cannot write the audit log \(file): \(String(cString: strerror(errno)))")
                return
            }
            done += n
        }
        if sync { fsync(fd) }
    }

    package static func noticeFileName(_ unitCode: String) -> String { unitCode.replacingOccurrences(of: "/", with: "_") + ".txt" }

    /// One notice per unit with its credentials, as text and as a page to print (both 0600);
    /// returns the folder.
    package func writeNotices(runId: String, day: Day, unitNames: [String: String], credentials: [Credential], documents: Config.Documents) throws -> String {
        let dir = path + "/notices/" + runId
        guard !credentials.isEmpty else { return dir }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(dir, 0o700)
        try rewriteNotices(dir, day: day, unitNames: unitNames, credentials: credentials, documents: documents)
        return dir
    }

    package func rewriteNotices(_ dir: String, day: Day, unitNames: [String: String], credentials: [Credential], documents: Config.Documents) throws {
        let byUnit = Dictionary(grouping: credentials, by: \.unitCode)
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: dir) {
            let names = Set(byUnit.keys.flatMap { [Self.noticeFileName($0), Notice.htmlTwin(of: Self.noticeFileName($0))] })
            for f in existing where !names.contains(f) { unlink(dir + "/" + f) }
        }
        for (code, list) in byUnit {
            let sorted = list.sorted { $0.address < $1.address }
            let text = Notice.text(unitName: unitNames[code] ?? code, unitCode: code, day: day, credentials: sorted)
            try Self.write(dir + "/\(Self.noticeFileName(code))", Data(text.utf8), mode: 0o600, durable: false)
            let html = Notice.html(unitName: unitNames[code] ?? code, unitCode: code, day: day, credentials: sorted, documents: documents)
            try Self.write(dir + "/" + Notice.htmlTwin(of: Self.noticeFileName(code)), Data(html.utf8), mode: 0o600, durable: false)
        }
        // One flush for all of them, before any password reaches the directory (sync(2):
        // Glibc's Swift module does not export syncfs).
        sync()
    }

    /// Every entry at `dns` (their DNs before the run: `Backup.entriesBeforeRun`) with all
    /// its user attributes and the operational ones an add accepts (the bind lock, the forced
    /// password change), as LDIF `ldapadd` restores, parents first; returns the file, or nil
    /// when there was nothing to back up. An entry that is not there stops the run before any
    /// write: a destructive change never goes ahead without its backup.
    package func backup(runId: String, dns: [String], conn: LDAPConnection) throws -> String? {
        guard !dns.isEmpty else { return nil }
        let dir = path + "/backups/" + runId
        // Read pipelined, written in the given order; a read that fails stops the run before
        // any write (nothing destructive without its backup).
        var entries = [LDAPEntry?](repeating: nil, count: dns.count)
        var failure: LDAPError?
        try conn.read(dns, attributes: ["*"] + Backup.restorableOperational + Backup.recordedOperational) { i, r in
            switch r {
            case let .success(e): entries[i] = e
            case let .failure(e): failure = failure ?? e
            }
        }
        if let failure { throw failure }
        let missing = dns.indices.filter { entries[$0] == nil }.map { dns[$0] }
        guard missing.isEmpty else {
            throw Runner.Failure("no entry at \(missing.count) of the \(dns.count) DNs to back up (\(missing.prefix(3).joined(separator: "; "))\(missing.count > 3 ? "; …" : "")): "
                + "the directory changed since it was read; nothing was written, run again")
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(dir, 0o700)
        let recorded = Set(Backup.recordedOperational.map { $0.lowercased() })
        var out = "version: 1\n"
        for e in entries {
            guard let e else { continue }
            out += "\n" + LDIF.line("dn", e.dn)
            var comments = ""
            for (name, values) in e.attributes.sorted(by: { ($0.key == "objectclass" ? 0 : 1, $0.key) < ($1.key == "objectclass" ? 0 : 1, $1.key) }) {
                for v in values {
                    if recorded.contains(name) { comments += "# " + LDIF.line(name, v) } else { out += LDIF.line(name, v) }
                }
            }
            out += comments
        }
        let file = dir + "/entries.ldif"
        try Self.write(file, Data(out.utf8), mode: 0o600)
        return file
    }

    /// The run that started writing and has not reached its end (killed, or its connection
    /// lost), with the changes by kind it was let through; nil when the last run ended.
    package func unfinishedRun() -> (run: String, counts: [ChangeKind: Int])? {
        guard let data = FileManager.default.contents(atPath: path + "/unfinished-run.json"),
              let doc = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let run = doc["run"] as? String else { return nil }
        var counts: [ChangeKind: Int] = [:]
        for (k, v) in doc["counts"] as? [String: Int] ?? [:] { if let kind = ChangeKind(rawValue: k) { counts[kind] = v } }
        return (run, counts)
    }

    package func markUnfinished(runId: String, counts: [ChangeKind: Int]) throws {
        let doc: [String: Any] = ["run": runId, "counts": Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) })]
        try Self.write(path + "/unfinished-run.json", try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys]), mode: 0o600)
    }

    package func clearUnfinished() { unlink(path + "/unfinished-run.json") }

    package func writeMetrics(started: Date, result: String, outcomes: [String: [String: Int]]) {
        let now = Date()
        let text = Metrics.text(finished: now.timeIntervalSince1970, duration: now.timeIntervalSince(started), result: result, outcomes: outcomes)
        try? Self.write(path + "/metrics/rostersync.prom", Data(text.utf8), mode: 0o644)
    }
}
