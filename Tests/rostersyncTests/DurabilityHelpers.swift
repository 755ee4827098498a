import Foundation
import LDAPClient
import LDAPModel
import SlapdHarness
import Testing

/// What the durability tests and the kill soak check after runs were killed or lost answers.
enum Durability {
    struct Mailbox {
        var dn: String, mail: String, employee: String?, unit: String?, locked: Bool
        /// A renamed unit's old address (its notice named the mailbox so).
        var aliases: [String] = []
    }

    /// Starts `rostersync ARGS` in the background, its output to files in `dir`.
    static func spawn(_ args: [String], dir: String, environment: [String: String] = [:]) -> pid_t {
        var pid: pid_t = 0
        let words = [rostersyncBinary] + args
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, dir + "/spawned.out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, dir + "/spawned.err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let rc = posix_spawn(&pid, rostersyncBinary, &actions, nil, argv, envp)
        posix_spawn_file_actions_destroy(&actions)
        argv.forEach { free($0) }
        envp.forEach { free($0) }
        #expect(rc == 0)
        return pid
    }

    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    static func count(_ s: Slapd, _ filter: String) -> Int {
        let out = try? s.tool("ldapsearch", ["-LLL", "-E", "pr=1000/noprompt", "-b", "ou=units,\(s.suffix)", filter, "1.1"])
        return out?.stdout.split(separator: "\n").filter { $0.hasPrefix("dn:") }.count ?? 0
    }

    /// Every entry under the units base that has a password: (dn, mail, employeeNumber).
    static func mailboxes(_ s: Slapd) throws -> [Mailbox] {
        let out = try s.tool("ldapsearch", ["-LLL", "-o", "ldif_wrap=no", "-E", "pr=1000/noprompt", "-b", "ou=units,\(s.suffix)",
                                            "(&(mail=*)(userPassword=*))", "mail", "employeeNumber", "rsUnitCode", "pwdAccountLockedTime", "mailLocalAddress"])
        return out.stdout.components(separatedBy: "\n\n").compactMap { block in
            var dn: String?, mail: String?, emp: String?, unit: String?, locked = false, aliases: [String] = []
            for l in block.split(separator: "\n") {
                if l.hasPrefix("dn: ") { dn = String(l.dropFirst(4)) }
                if l.hasPrefix("dn:: ") { dn = String(decoding: Data(base64Encoded: String(l.dropFirst(5))) ?? Data(), as: UTF8.self) }
                if l.hasPrefix("mail: ") { mail = String(l.dropFirst(6)) }
                if l.hasPrefix("employeeNumber: ") { emp = String(l.dropFirst(16)) }
                if l.hasPrefix("rsUnitCode: ") { unit = String(l.dropFirst(12)) }
                if l.hasPrefix("pwdAccountLockedTime:") { locked = true }
                if l.hasPrefix("mailLocalAddress: ") { aliases.append(String(l.dropFirst(18))) }
            }
            guard let dn, let mail else { return nil }
            return Mailbox(dn: dn, mail: mail, employee: emp, unit: unit, locked: locked, aliases: aliases)
        }
    }

    /// Every entry of every notice file: address → the passwords given for it.
    static func notices(_ s: Slapd) -> [String: [String]] {
        let root = s.dir + "/state/notices"
        var out: [String: [String]] = [:]
        for run in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            for f in (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + run)) ?? [] where f.hasSuffix(".txt") {
                let lines = Slapd.readText(root + "/" + run + "/" + f).split(separator: "\n")
                for (i, l) in lines.enumerated() where l.contains("Địa chỉ hộp thư:") && i + 1 < lines.count {
                    let address = String(l.split(separator: " ").last ?? "")
                    out[address, default: []].append(String(lines[i + 1].split(separator: " ").last ?? ""))
                }
            }
        }
        return out
    }

    static func audit(_ s: Slapd) -> [[String: Any]] {
        Slapd.readText(s.dir + "/state/audit.jsonl").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    static let waiting: Set<String> = ["pending", "unknown"]
    static let final: Set<String> = ["ok", "failed", "not applied", "partly applied"]

    /// Problems with the audit log: a change with more than one final record, a pending or
    /// unknown one never settled, an existing mailbox whose creation has no `ok` record or more
    /// than one. Empty when all is well.
    static func auditProblems(_ s: Slapd, mailboxes: [Mailbox]) -> [String] {
        var problems: [String] = []
        var finals: [String: Int] = [:], waits = Set<String>()
        var created: [String: Int] = [:]
        for r in audit(s) {
            guard let result = r["result"] as? String else { continue }
            if let run = r["run"] as? String, let seq = r["seq"] as? Int {
                let key = "\(run)#\(seq)"
                if waiting.contains(result) { waits.insert(key) }
                if final.contains(result) { finals[key, default: 0] += 1 }
            }
            if result == "ok", let kind = r["kind"] as? String, kind == "createAccount" || kind == "createUnit", let dn = r["dn"] as? String {
                created[dn.lowercased(), default: 0] += 1
            }
        }
        for (k, n) in finals where n > 1 { problems.append("\(k): \(n) final records") }
        for k in waits where finals[k] == nil { problems.append("\(k): pending, never settled") }
        // A person's or unit's mailbox made by the agent: exactly one ok creation at its DN, or
        // (moved since) by its employee number.
        var byEmployee: [String: Int] = [:], byUnit: [String: Int] = [:]
        for r in audit(s) where (r["result"] as? String) == "ok" {
            if (r["kind"] as? String) == "createAccount", let e = r["employeeId"] as? String { byEmployee[e, default: 0] += 1 }
            if (r["kind"] as? String) == "createUnit", let u = r["unitCode"] as? String { byUnit[u, default: 0] += 1 }
        }
        for m in mailboxes {
            let n = m.employee.map { byEmployee[$0] ?? 0 } ?? max(created[m.dn.lowercased()] ?? 0, m.unit.map { byUnit[$0] ?? 0 } ?? 0)
            if n != 1 { problems.append("\(m.mail): \(n) ok creation records") }
        }
        return problems
    }

    /// Problems with the notices: a mailbox not in exactly one notice entry, or whose entry's
    /// password does not bind (locked ones are not tried); with `strict`, an entry for an
    /// address that has no mailbox (a churn deletes some: their old entries are history).
    static func noticeProblems(_ s: Slapd, mailboxes: [Mailbox], strict: Bool = true) -> [String] {
        let notices = notices(s)
        var problems: [String] = []
        for m in mailboxes {
            let pw = ([m.mail] + m.aliases).flatMap { notices[$0] ?? [] }
            guard pw.count == 1 else { problems.append("\(m.mail): in \(pw.count) notice entries"); continue }
            if m.locked { continue }
            do {
                _ = try LDAPConnection.connect(LDAPConnectionOptions(uris: [s.ldapURI]), credentials: .simple(dn: m.dn, password: Secret(pw[0])))
            } catch {
                problems.append("\(m.mail): the notice's password does not bind (\(error))")
            }
        }
        guard strict else { return problems }
        let existing = Set(mailboxes.flatMap { [$0.mail] + $0.aliases })
        for a in notices.keys where !existing.contains(a) { problems.append("\(a): in a notice, no such mailbox") }
        return problems
    }

    /// True when the run lock can be taken (no run holds it).
    static func lockIsFree(_ s: Slapd) -> Bool {
        let fd = open(s.dir + "/state/rostersync.lock", O_RDWR)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return false }
        flock(fd, LOCK_UN)
        return true
    }

    /// The directory's managed content without what differs between two equal runs
    /// (passwords, timestamps).
    static func dump(_ s: Slapd) throws -> [String] {
        try s.tool("ldapsearch", ["-LLL", "-o", "ldif_wrap=no", "-E", "pr=1000/noprompt", "-b", "ou=units,\(s.suffix)", "(objectClass=*)",
                                  "*", "pwdAccountLockedTime", "pwdReset"])
            .stdout.components(separatedBy: "\n\n")
            .map { $0.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.hasPrefix("userPassword") }.sorted().joined(separator: "\n") }
            .filter { !$0.isEmpty }.sorted()
    }
}
