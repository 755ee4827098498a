import Foundation
import SlapdHarness
import Testing

// The soak test of issue 13: quarters of HR-style exports from `hr-export` (a generator
// written apart from roster-gen, with what real exports carry) synced one after another
// into one real slapd, and after each sync invariants that must hold whatever the data:
//
//   exit        every sync exits 0 (forced when a threshold trips; the unforced try is logged)
//   idempotent  the next `rostersync plan` is empty (exit 0)
//   unitDN      no unit's DN changes unless its roster row (or an ancestor's) changed
//   backup      every entry a destructive change touched is in that run's backup, at the
//               DN it had before the run
//   backupLock  a backed-up locked or disabled entry carries pwdAccountLockedTime
//   dnRefs      every DN-valued attribute names an existing entry
//   oneMailbox  no employeeNumber on two entries
//   noComeback  nobody deleted for disuse gets a mailbox again while HR keeps them active
//   typingOnly  a row re-typed only (NFD, spaces, capitals, phone format) plans no update
//   placement   everyone active in HR with a mailbox is in their roster unit (entry under the
//               unit's entry, departmentNumber the unit's code), future end date or not
//
// ROSTERSYNC_SOAK_QUARTERS (6), ROSTERSYNC_SOAK_STAFF (800), ROSTERSYNC_SOAK_UNITS (60),
// ROSTERSYNC_SOAK_SEED (13), ROSTERSYNC_SOAK_DANGLING (1; 0 = departed people of merged
// units get the surviving unit's code, so the other invariants can be seen while the
// planner refuses dangling codes), ROSTERSYNC_SOAK_SHARED_MAILBOX (ubdt: the root unit's own
// mailbox, as at the agency; another value shows what the root's renaming hides),
// ROSTERSYNC_SOAK_KEEP (a folder to copy the exports, the
// state folder and the final directory into). `make soak QUARTERS=40 STAFF=3000`.

let hrExportBinary = URL(fileURLWithPath: rostersyncBinary).deletingLastPathComponent().appendingPathComponent("hr-export").path

/// One entry of an LDIF text: its DN and its attributes by lower-case name.
struct LDIFRecord {
    var dn: String
    var attributes: [String: [String]]
    func first(_ name: String) -> String? { attributes[name]?.first }
}

func parseLDIF(_ text: String) -> [LDIFRecord] {
    var out: [LDIFRecord] = []
    var lines: [String] = []
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let l = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
        if l.hasPrefix(" "), !lines.isEmpty { lines[lines.count - 1] += l.dropFirst() } else { lines.append(l) }
    }
    var current: LDIFRecord?
    for l in lines + [""] {
        if l.isEmpty {
            if let c = current { out.append(c) }
            current = nil
            continue
        }
        if l.hasPrefix("#") || l.hasPrefix("version:") { continue }
        guard let colon = l.firstIndex(of: ":") else { continue }
        let name = l[..<colon].lowercased()
        var rest = l[l.index(after: colon)...]
        var value: String
        if rest.hasPrefix(":") {
            rest = rest.dropFirst()
            value = Data(base64Encoded: rest.trimmingCharacters(in: .whitespaces)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        } else {
            value = rest.hasPrefix(" ") ? String(rest.dropFirst()) : String(rest)
        }
        if name == "dn" {
            current = LDIFRecord(dn: value, attributes: [:])
        } else {
            current?.attributes[name, default: []].append(value)
        }
        value = ""
    }
    return out
}

/// DNs compared as LDAP does for these (ASCII RDNs, case-insensitive names and values).
func normDN(_ dn: String) -> String {
    dn.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: " = ", with: "=") }.joined(separator: ",")
}

/// Counts of checks and failures per invariant, with a few examples of each failure.
final class Tally {
    static let order = ["exit", "idempotent", "unitDN", "backup", "backupLock", "dnRefs", "oneMailbox", "noComeback", "typingOnly", "placement"]
    var checks: [String: Int] = [:], failures: [String: Int] = [:], examples: [String: [String]] = [:]

    func check(_ invariant: String, _ ok: Bool, _ example: @autoclosure () -> String) {
        checks[invariant, default: 0] += 1
        guard !ok else { return }
        failures[invariant, default: 0] += 1
        if examples[invariant, default: []].count < 3 { examples[invariant, default: []].append(example()) }
    }

    func line() -> String {
        Tally.order.map { "\($0) \(failures[$0] ?? 0)/\(checks[$0] ?? 0)" }.joined(separator: ", ")
    }

    func add(_ other: Tally) {
        for (k, v) in other.checks { checks[k, default: 0] += v }
        for (k, v) in other.failures { failures[k, default: 0] += v }
        for (k, v) in other.examples where examples[k, default: []].count < 3 {
            examples[k, default: []] += v.prefix(3 - examples[k, default: []].count)
        }
    }
}

struct SoakSettings {
    var quarters, staff, units: Int
    var seed: UInt64
    var dangling: Bool
    var shared: String

    static func fromEnvironment() -> SoakSettings {
        let env = ProcessInfo.processInfo.environment
        return SoakSettings(
            quarters: Int(env["ROSTERSYNC_SOAK_QUARTERS"] ?? "") ?? 6, staff: Int(env["ROSTERSYNC_SOAK_STAFF"] ?? "") ?? 800,
            units: Int(env["ROSTERSYNC_SOAK_UNITS"] ?? "") ?? 60, seed: UInt64(env["ROSTERSYNC_SOAK_SEED"] ?? "") ?? 13,
            dangling: env["ROSTERSYNC_SOAK_DANGLING"] != "0", shared: env["ROSTERSYNC_SOAK_SHARED_MAILBOX"] ?? "ubdt")
    }
}

@Suite("soak: HR-style quarters synced into one slapd, invariants after each")
struct SoakTests {
    static let destructive: Set<String> = ["deleteAccount", "disableAccount", "lockAccount", "dissolveUnit", "renameUnit", "moveUnit", "moveAccount"]

    /// The units subtree with what the invariants read (user attributes and the lock).
    func dump(_ s: Slapd) throws -> [LDIFRecord] {
        let out = try s.tool("ldapsearch", ["-LLL", "-o", "ldif_wrap=no", "-E", "pr=1000/noprompt", "-b", "ou=units,\(s.suffix)",
                                            "(objectClass=*)", "*", "pwdAccountLockedTime"])
        guard out.status == 0 else { throw HarnessError("ldapsearch: \(out.stderr)") }
        return parseLDIF(out.stdout)
    }

    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
    }

    /// The config of one quarter: its exports and logins, the shared mailbox (`ubdt`, the root
    /// unit's own mailbox, unless ROSTERSYNC_SOAK_SHARED_MAILBOX says otherwise).
    func soakConfig(_ s: Slapd, qdir: String, logins: String, shared: String) throws -> String {
        let path = qdir + "/config.yaml"
        let yaml = """
            directory:
              uris: ["\(s.ldapiURI)"]
              base: \(s.suffix)
              bind:
                method: sasl-external
            mail:
              domain: cema.gov.vn
              shared_mailbox: \(shared)
            rosters:
              units: \(qdir)/units.csv
              staff: \(qdir)/staff.csv
            policy:
              last_login_file: \(logins)
            state_dir: \(s.dir)/state

            """
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The mail server's last-login export: the addresses HR knows, plus every login by
    /// employee id or unit code turned into the address the directory holds for it.
    func lastLogins(_ qdir: String, _ entries: [LDIFRecord]) throws -> String {
        var mailOf: [String: String] = [:]
        for e in entries {
            guard let mail = e.first("mail") else { continue }
            if let id = e.first("employeenumber") { mailOf["staff," + id] = mail }
            if let code = e.first("rsunitcode") { mailOf["unit," + code] = mail }
        }
        var out = Slapd.readText(qdir + "/last-logins.csv")
        for l in Slapd.readText(qdir + "/logins.csv").split(separator: "\n").dropFirst() {
            let f = l.split(separator: ",").map(String.init)
            guard f.count == 3, let mail = mailOf[f[0] + "," + f[1]] else { continue }
            out += "\(mail),\(f[2])\n"
        }
        let file = qdir + "/effective-logins.csv"
        try out.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test("quarters of HR exports: each sync exits 0, is idempotent, backs up what it destroys at the DN it had, keeps DNs and ids consistent")
    func soak() throws {
        let cfg = SoakSettings.fromEnvironment()
        let started = Date()
        try withSlapd { s in
            let gen = s.dir + "/hr"
            var args = ["quarters", "--seed", String(cfg.seed), "--quarters", String(cfg.quarters), "--units", String(cfg.units),
                        "--staff", String(cfg.staff), "--start", dayString(offset: 0), "--out", gen]
            if !cfg.dangling { args.append("--no-dangling") }
            let made = try Slapd.run(hrExportBinary, args)
            try #require(made.status == 0, "hr-export: \(made.stderr)")
            print("soak: hr-export \(args.joined(separator: " "))")

            let total = Tally()
            var syncedPaths: [String: String] = [:]  // unit code → path of the last synced roster
            var disuse: [String: Int] = [:]  // employee id → quarter deleted for disuse
            var auditOffset = 0
            let auditFile = s.dir + "/state/audit.jsonl"
            var unforced: [String] = []

            for q in 1...cfg.quarters {
                let t = Tally()
                let qdir = gen + "/q" + (q < 10 ? "0" : "") + String(q)
                let asOf = Slapd.readText(qdir + "/as-of").trimmingCharacters(in: .whitespacesAndNewlines)
                let expected = try json(qdir + "/expected.json")
                let paths = expected["unitPaths"] as? [String: String] ?? [:]
                let active = Set(expected["activeIds"] as? [String] ?? [])

                let before = try dump(s)
                let logins = try lastLogins(qdir, before)
                let config = try soakConfig(s, qdir: qdir, logins: logins, shared: cfg.shared)

                // Unforced first: it must pass or stop at a threshold having written nothing.
                let plain = try rostersync(["sync", "--config", config, "--as-of", asOf])
                var out = plain
                if plain.status == 3 {
                    let untouched = try dump(s).map { "\($0.dn) \($0.first("rsstate") ?? "")" }
                    t.check("exit", untouched == before.map { "\($0.dn) \($0.first("rsstate") ?? "")" },
                            "q\(q) the sync stopped at a threshold (exit 3) but the directory changed")
                    out = try rostersync(["sync", "--config", config, "--as-of", asOf, "--force", "--reason", "soak"])
                }
                unforced.append("q\(q):\(plain.status)")
                let failedLines = (out.stdout + "\n" + out.stderr).split(separator: "\n").filter { $0.hasPrefix("FAILED") }
                let err = failedLines.isEmpty ? out.stderr.split(separator: "\n").prefix(2).joined(separator: " | ")
                    : "\(failedLines.count) changes failed, e.g. " + String(failedLines[0].prefix(400))
                t.check("exit", out.status == 0, "q\(q) sync exit \(out.status): \(err)")
                t.check("exit", plain.status == 0 || plain.status == 3, "q\(q) unforced sync exit \(plain.status): \(plain.stderr.prefix(200))")

                // What the run did, from the audit log.
                let auditBytes = Array(Slapd.readText(auditFile).utf8)
                let newLines = auditBytes.count > auditOffset ? String(decoding: auditBytes[auditOffset...], as: UTF8.self) : ""
                auditOffset = auditBytes.count
                let records = newLines.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                let changes = records.filter { $0["kind"] is String && $0["result"] as? String != "pending" }  // final records only
                let runs = Set(changes.compactMap { $0["run"] as? String })

                // Idempotence: nothing left to do. The mail server's export is made again first:
                // mailboxes created or renamed by this run are in it now (their holders log in).
                _ = try lastLogins(qdir, try dump(s))
                let plan = try rostersync(["plan", "--config", config, "--as-of", asOf, "--format", "json"])
                var pending = ""
                if plan.status == 2, let p = try? JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any] {
                    let cs = p["changes"] as? [[String: Any]] ?? []
                    pending = "\(cs.count) changes, e.g. " + cs.prefix(3).map { "\($0["kind"] as? String ?? "") \($0["dn"] as? String ?? "")" }.joined(separator: "; ")
                }
                t.check("idempotent", plan.status == 0, "q\(q) plan exit \(plan.status): \(plan.status == 2 ? pending : String(plan.stderr.prefix(160)))")

                let afterAll = try dump(s)
                // Records of mailboxes deleted for disuse carry an employeeNumber and a unit code
                // but are no mailbox: kept apart.
                func isRecord(_ e: LDIFRecord) -> Bool { (e.attributes["objectclass"] ?? []).contains { $0.lowercased() == "rsclosedmailbox" } }
                let closed = Set(afterAll.filter(isRecord).compactMap { $0.first("employeenumber") })
                let after = afterAll.filter { !isRecord($0) }
                let beforeMailboxes = before.filter { !isRecord($0) }
                let beforeById = Dictionary(beforeMailboxes.compactMap { e in e.first("employeenumber").map { ($0, e) } }, uniquingKeysWith: { a, _ in a })
                let beforeByCode = Dictionary(beforeMailboxes.compactMap { e in e.first("rsunitcode").map { ($0, e) } }, uniquingKeysWith: { a, _ in a })
                let afterByCode = Dictionary(after.compactMap { e in e.first("rsunitcode").map { ($0, e) } }, uniquingKeysWith: { a, _ in a })

                // Unit DNs: changed only where the roster changed the unit or a unit above it.
                let wrote = out.status == 0 || out.status == 4
                if wrote {
                    for (code, b) in beforeByCode {
                        guard let a = afterByCode[code], let was = syncedPaths[code], let now = paths[code] else { continue }
                        let moved = normDN(a.dn) != normDN(b.dn)
                        t.check("unitDN", !moved || was != now, "q\(q) \(code): \(b.dn) → \(a.dn) with the same roster path \(now)")
                    }
                    syncedPaths = paths
                }

                // Backups: every destructive change's entry, at its DN before the run.
                for run in runs.sorted() {
                    let destroyed = changes.filter { $0["run"] as? String == run && Self.destructive.contains($0["kind"] as? String ?? "") }
                    guard !destroyed.isEmpty else { continue }
                    let backup = parseLDIF(Slapd.readText("\(s.dir)/state/backups/\(run)/entries.ldif"))
                    let saved = Dictionary(backup.map { (normDN($0.dn), $0) }, uniquingKeysWith: { a, _ in a })
                    for c in destroyed {
                        let kind = c["kind"] as? String ?? "", dn = c["dn"] as? String ?? ""
                        let prior = (c["employeeId"] as? String).flatMap { beforeById[$0] }
                            ?? ((c["employeeId"] as? String) == nil ? (c["unitCode"] as? String).flatMap { beforeByCode[$0] } : nil)
                        let was = prior?.dn ?? dn
                        t.check("backup", saved[normDN(was)] != nil,
                                "q\(q) \(kind) \(c["employeeId"] as? String ?? c["unitCode"] as? String ?? ""): was \(was), audit dn \(dn), backup has \(saved[normDN(dn)] != nil ? "the audit dn" : "neither") (\(backup.count) entries)")
                    }
                    // Logins only: a dissolved unit's own entry is no login (its mailbox's is).
                    for e in backup where ["locked", "disabled"].contains(e.first("rsstate") ?? "")
                        && !(e.attributes["objectclass"] ?? []).contains(where: { $0.lowercased() == "rsunit" }) {
                        t.check("backupLock", e.attributes["pwdaccountlockedtime"] != nil,
                                "q\(q) \(e.dn) (\(e.first("rsstate") ?? "")) backed up without pwdAccountLockedTime")
                    }
                }

                // DN-valued attributes name entries that exist: any user attribute's value that is
                // a DN under the suffix (owner is the one rostersync writes; manager, seeAlso or
                // member would be checked the same way).
                let dns = Set(afterAll.map { normDN($0.dn) } + [normDN("ou=units,\(s.suffix)"), normDN(s.suffix)])
                let suffix = "," + normDN(s.suffix)
                for e in after {
                    for (attr, values) in e.attributes.sorted(by: { $0.key < $1.key }) {
                        for v in values where v.contains("=") && normDN(v).hasSuffix(suffix) {
                            t.check("dnRefs", dns.contains(normDN(v)), "q\(q) \(attr) of \(e.dn) names \(v), which does not exist")
                        }
                    }
                }

                // One mailbox per person.
                var holders: [String: [String]] = [:]
                for e in after { if let id = e.first("employeenumber") { holders[id, default: []].append(e.first("mail") ?? e.dn) } }
                for (id, mails) in holders.sorted(by: { $0.key < $1.key }) {
                    t.check("oneMailbox", mails.count == 1, "q\(q) employee \(id) holds \(mails.sorted().joined(separator: " and "))")
                }

                // Deleted for disuse while active in HR: never back.
                for c in changes where c["kind"] as? String == "deleteAccount" && c["result"] as? String == "ok" {
                    let reason = c["reason"] as? String ?? ""
                    if let id = c["employeeId"] as? String, reason.contains("no login") || reason.contains("never logged in") { disuse[id] = disuse[id] ?? q }
                }
                for (id, since) in disuse.sorted(by: { $0.key < $1.key }) where active.contains(id) {
                    t.check("noComeback", holders[id] == nil && closed.contains(id),
                            "q\(q) employee \(id), deleted for disuse in q\(since), has \(holders[id]?.joined(separator: ", ") ?? "no mailbox") and \(closed.contains(id) ? "a" : "no") record of the deletion")
                }

                // Rows only re-typed: no update for them.
                let updates = Dictionary(changes.filter { $0["kind"] as? String == "updateAccount" }.compactMap { c in (c["employeeId"] as? String).map { ($0, c) } },
                                         uniquingKeysWith: { a, _ in a })
                for id in expected["renderingOnly"] as? [String] ?? [] where beforeById[id] != nil && wrote {
                    let u = updates[id]
                    let attrs = (u?["attributes"] as? [[String: Any]] ?? []).map { a in
                        "\(a["name"] as? String ?? ""): \((a["old"] as? [String] ?? []).joined()) → \((a["new"] as? [String] ?? []).joined())"
                    }
                    t.check("typingOnly", u == nil, "q\(q) employee \(id) re-typed only, updated: \(attrs.joined(separator: "; "))")
                }

                // Everyone active with a mailbox sits in their roster unit after a sync that wrote.
                let unitOf = expected["unitOf"] as? [String: String] ?? [:]
                let afterDNByCode = Dictionary(after.compactMap { e in e.first("rsunitcode").map { ($0, normDN(e.dn)) } }, uniquingKeysWith: { a, _ in a })
                for e in after where wrote {
                    guard let id = e.first("employeenumber"), let code = unitOf[id], e.first("rsstate") != "disabled",
                          let unitDN = afterDNByCode[code] else { continue }
                    let parent = normDN(e.dn).split(separator: ",", maxSplits: 1).last.map(String.init) ?? ""
                    t.check("placement", parent == unitDN && e.first("departmentnumber") == code,
                            "q\(q) employee \(id) in unit \(code) per HR is at \(e.dn), departmentNumber \(e.first("departmentnumber") ?? "none")")
                }

                let kinds = (changes.filter { $0["result"] as? String == "ok" }.compactMap { $0["kind"] as? String })
                let summary = Dictionary(grouping: kinds, by: { $0 }).map { "\($0.value.count) \($0.key)" }.sorted().joined(separator: ", ")
                print("soak q\(q) as of \(asOf) (sync \(plain.status)\(plain.status == 3 ? "→forced \(out.status)" : "")): \(t.line()) [\(summary)]")
                total.add(t)
            }
            if let keep = ProcessInfo.processInfo.environment["ROSTERSYNC_SOAK_KEEP"] {
                // For a look afterwards: the exports, the state folder (audit, backups) and the directory.
                _ = try Slapd.run("/bin/cp", ["-r", gen, s.dir + "/state", keep])
                try s.tool("ldapsearch", ["-LLL", "-o", "ldif_wrap=no", "-E", "pr=1000/noprompt", "-b", s.suffix, "(objectClass=*)", "*", "+"])
                    .stdout.write(toFile: keep + "/directory.ldif", atomically: true, encoding: .utf8)
            }
            let seconds = Int(Date().timeIntervalSince(started))
            print("soak total, \(cfg.quarters) quarters, \(cfg.staff) staff, dangling codes \(cfg.dangling ? "on" : "off"), shared mailbox \(cfg.shared), \(seconds) s: \(total.line())")
            print("soak unforced sync exits: \(unforced.joined(separator: " "))")
            for name in Tally.order where (total.failures[name] ?? 0) > 0 {
                let ex = total.examples[name, default: []].joined(separator: "\n    ")
                print("soak FAILED \(name) \(total.failures[name]!)/\(total.checks[name]!):\n    \(ex)")
                Issue.record("invariant \(name) failed \(total.failures[name]!) of \(total.checks[name]!) checks, e.g.\n    \(ex)")
            }
            // The soak must have exercised something: a run that checks nothing proves nothing.
            #expect((total.checks["backup"] ?? 0) > 0 || cfg.quarters < 3, "no destructive change was ever made")
        }
    }
}
