import Foundation
import LDAPClient
import LDAPModel
import Logging
import RosterSync

extension Runner {
    /// Writes each file into `dir` (made if missing), atomically, readable by the group.
    package static func writeAll(_ files: [(name: String, text: String)], into dir: String) throws {
        try writeAll(files.map { ($0.name, Data($0.text.utf8)) }, into: dir)
    }

    package static func writeAll(_ files: [(name: String, data: Data)], into dir: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            printError("rostersync: cannot make \(dir): \((error as NSError).localizedDescription)")
            throw RunExit.failure
        }
        for f in files {
            let path = (dir as NSString).appendingPathComponent(f.name)
            do {
                try writeFile(path, f.data, mode: 0o640)
            } catch {
                printError("rostersync: cannot write \(path): \(error)")
                throw RunExit.failure
            }
        }
    }

    /// Paths with `*` and `?` expanded (sorted); a plain path that does not exist is an error,
    /// a pattern that matches nothing is not (the report says so).
    package static func expand(_ patterns: [String]) throws -> [String] {
        var out: [String] = []
        for p in patterns {
            if !p.contains("*") && !p.contains("?") {
                guard FileManager.default.fileExists(atPath: p) else { throw Failure("\(p): no such mail log") }
                out.append(p)
                continue
            }
            var g = glob_t()
            defer { globfree(&g) }
            guard glob(p, 0, nil, &g) == 0 else { continue }
            for i in 0..<Int(g.gl_pathc) { if let s = g.gl_pathv[i] { out.append(String(cString: s)) } }
        }
        return out
    }

    /// Feeds a log file to the counter in 1 MiB blocks; `.gz` (by its magic bytes) through zlib.
    package static func readMailLog(_ path: String, into counter: inout MailLogCounter) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure("\(path): cannot read the mail log (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        counter.begin(source: path)
        var raw = [UInt8](repeating: 0, count: 1 << 20)
        var pending: [UInt8] = []
        func consume(_ bytes: UnsafeRawBufferPointer, final: Bool) {
            if pending.isEmpty {
                let used = counter.feed(bytes, final: final)
                pending.append(contentsOf: bytes[used...])
            } else {
                pending.append(contentsOf: bytes)
                let used = pending.withUnsafeBytes { counter.feed($0, final: final) }
                pending.removeFirst(used)
            }
        }
        var first = [UInt8](repeating: 0, count: 2)
        let n0 = pread(fd, &first, 2, 0)
        if n0 == 2, first[0] == 0x1F, first[1] == 0x8B {
            do {
                let gunzip = try Gunzip()
                while true {
                    let n = read(fd, &raw, raw.count)
                    guard n >= 0 else { throw Failure("\(path): read failed (\(String(cString: strerror(errno))))") }
                    if n == 0 { break }
                    try raw.withUnsafeBytes { bytes in
                        try gunzip.inflate(UnsafeRawBufferPointer(rebasing: bytes[..<n])) { consume($0, final: false) }
                    }
                }
            } catch let e as Gunzip.Failure {
                throw Failure("\(path): \(e)")
            }
        } else {
            while true {
                let n = read(fd, &raw, raw.count)
                guard n >= 0 else { throw Failure("\(path): read failed (\(String(cString: strerror(errno))))") }
                if n == 0 { break }
                raw.withUnsafeBytes { consume(UnsafeRawBufferPointer(rebasing: $0[..<n]), final: false) }
            }
        }
        if !pending.isEmpty { pending.withUnsafeBytes { _ = counter.feed($0, final: true) } }
    }

    /// `address,quota_bytes,used_bytes` (a header and blank cells allowed).
    package static func readSizes(_ path: String) throws -> [String: (quota: Int64?, used: Int64?)] {
        var out: [String: (quota: Int64?, used: Int64?)] = [:]
        try forEachAddressRow(path, fields: 3) { address, f in
            let q = f[1].trimmingCharacters(in: .whitespaces), u = f[2].trimmingCharacters(in: .whitespaces)
            guard q.isEmpty || Int64(q) != nil else { return (2, "quota_bytes \"\(q)\" is not a number") }
            guard u.isEmpty || Int64(u) != nil else { return (3, "used_bytes \"\(u)\" is not a number") }
            out[address] = (Int64(q), Int64(u))
            return nil
        }
        return out
    }

    /// The audit log's records (missing file: none; a damaged line is skipped).
    package static func readAudit(_ path: String) -> [AuditEntry] {
        guard let bytes = try? readBytes(path) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { AuditEntry(line: $0) }
    }
}
