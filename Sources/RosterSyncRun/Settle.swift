import Foundation
import LDAPClient
import LDAPModel
import Logging
import RosterSync

/// Runs that are not settled yet, and how the next run settles them.
///
/// Before its notices are written, a run leaves `state_dir/runs/RUN.json`: where its audit
/// records start and which change put which address in its notices. It removes the file at
/// its end when every change has a final audit record. A run killed, or left with writes
/// whose answer never came, keeps it; the next run (under the lock, before it plans) settles
/// it: each change with a `pending` or `unknown` record and no final one is looked up in the
/// directory (the `checks` of its pending record) and gets its final record (`ok`, settled by
/// that run; `not applied`; `partly applied`), and its notices keep only the mailboxes that
/// were made with their password. A notice entry whose address a later run's notice gives a
/// new password (a mailbox made again, a unit mailbox handed over) is dropped from the older
/// notice (`state_dir/notices.tsv` says which run's notice holds each address).
package struct RunMarker {
    package var run: String
    package var auditOffset: Int
    package var noticeDir: String
    /// (change index, unit code, address) of each password in the run's notices.
    package var credentials: [(seq: Int, unit: String, address: String)]
}

extension StateFolder {
    private var runsDir: String { path + "/runs" }

    package func auditSize() -> Int {
        var st = stat()
        return stat(path + "/audit.jsonl", &st) == 0 ? Int(st.st_size) : 0
    }

    /// The marker: a line of JSON (run, where its audit records start, its notices), then a
    /// line `seq<TAB>unit<TAB>address` per password (JSONSerialization of 100,000 of them
    /// took a quarter of a second per 20,000).
    package func openRun(_ marker: RunMarker) throws {
        var head: [UInt8] = []
        JSON.compact(.object([("run", .string(marker.run)), ("auditOffset", .int(marker.auditOffset)), ("notices", .string(marker.noticeDir))]), to: &head)
        var text = String(decoding: head, as: UTF8.self) + "\n"
        text.reserveCapacity(text.utf8.count + marker.credentials.count * 48)
        for c in marker.credentials { text += "\(c.seq)\t\(c.unit)\t\(c.address)\n" }
        try Self.write(runsDir + "/\(marker.run).json", Data(text.utf8), mode: 0o600)
    }

    /// Every run not settled, oldest first (by where its audit records start).
    package func openRuns() -> [RunMarker] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: runsDir)) ?? []
        var out: [RunMarker] = []
        for f in files where f.hasSuffix(".json") {
            guard let text = try? String(contentsOfFile: runsDir + "/" + f, encoding: .utf8) else { continue }
            let lines = text.split(separator: "\n")
            guard let first = lines.first, let doc = try? JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any],
                  let run = doc["run"] as? String, let offset = doc["auditOffset"] as? Int else { continue }
            var creds: [(seq: Int, unit: String, address: String)] = []
            for l in lines.dropFirst() {
                let p = l.split(separator: "\t", omittingEmptySubsequences: false)
                if p.count == 3, let seq = Int(p[0]) { creds.append((seq, String(p[1]), String(p[2]))) }
            }
            out.append(RunMarker(run: run, auditOffset: offset, noticeDir: doc["notices"] as? String ?? path + "/notices/" + run, credentials: creds))
        }
        return out.sorted { ($0.auditOffset, $0.run) < ($1.auditOffset, $1.run) }
    }

    /// The audit records of `runs` from byte `offset` on, parsed.
    package func auditRecords(from offset: Int, runs: Set<String>) -> [[String: Any]] {
        guard let h = FileHandle(forReadingAtPath: path + "/audit.jsonl") else { return [] }
        defer { try? h.close() }
        try? h.seek(toOffset: UInt64(offset))
        let data = (try? h.readToEnd()) ?? Data()
        var out: [[String: Any]] = []
        let markers = runs.map { Array("\"run\":\(JSON.string($0).rendered())".utf8) }
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard markers.contains(where: { line.firstRange(of: $0) != nil }),
                  let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], let run = o["run"] as? String, runs.contains(run) else { continue }
            out.append(o)
        }
        return out
    }

    /// Ends a run's record: its notices keep only the addresses of `valid` changes, older
    /// notices lose the entries these replace, and the marker goes.
    package func closeRun(_ marker: RunMarker, valid: Set<Int>) {
        let validAddresses = Set(marker.credentials.filter { valid.contains($0.seq) }.map(\.address))
        let invalid = Set(marker.credentials.filter { !valid.contains($0.seq) }.map(\.address)).subtracting(validAddresses)
        if !invalid.isEmpty {
            let units = Set(marker.credentials.filter { invalid.contains($0.address) }.map(\.unit))
            for u in units { dropFromNotice(marker.noticeDir + "/" + Self.noticeFileName(u), invalid) }
        }
        if !validAddresses.isEmpty {
            // Older notices lose what this one replaces. The index only grows: a line per
            // password handed out, a later line for an address overriding an earlier one, so a
            // run looks up only its own addresses and appends only its own lines.
            let indexFile = path + "/notices.tsv"
            let mine = Dictionary(marker.credentials.filter { valid.contains($0.seq) }.map { ($0.address, $0.unit) }, uniquingKeysWith: { _, b in b })
            var holder: [String: (run: String, unit: String)] = [:]
            if let data = FileManager.default.contents(atPath: indexFile) {
                for line in data.split(separator: UInt8(ascii: "\n")) {
                    let f = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
                    guard f.count == 3 else { continue }
                    let address = String(decoding: f[0], as: UTF8.self)
                    if mine[address] != nil { holder[address] = (String(decoding: f[1], as: UTF8.self), String(decoding: f[2], as: UTF8.self)) }
                }
            }
            var drops: [String: Set<String>] = [:]  // notice file → addresses
            for (address, old) in holder where old.run != marker.run {
                drops[path + "/notices/" + old.run + "/" + Self.noticeFileName(old.unit), default: []].insert(address)
            }
            for (file, addresses) in drops { dropFromNotice(file, addresses) }
            let lines = mine.sorted { $0.key < $1.key }.map { "\($0.key)\t\(marker.run)\t\($0.value)\n" }.joined()
            Self.append(indexFile, Data(lines.utf8))
        }
        if validAddresses.isEmpty { rmdir(marker.noticeDir) }
        unlink(runsDir + "/\(marker.run).json")
    }

    private func dropFromNotice(_ file: String, _ addresses: Set<String>) {
        // The printable twin first: it never keeps a password its text has lost.
        let twin = Notice.htmlTwin(of: file)
        if let html = try? String(contentsOfFile: twin, encoding: .utf8) {
            if let kept = Notice.droppingHTML(addresses, from: html) {
                if kept != html { try? Self.write(twin, Data(kept.utf8), mode: 0o600) }
            } else {
                unlink(twin)
            }
        }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return }
        if let kept = Notice.dropping(addresses, from: text) {
            if kept != text { try? Self.write(file, Data(kept.utf8), mode: 0o600) }
        } else {
            unlink(file)
        }
        rmdir((file as NSString).deletingLastPathComponent)  // only when nothing is left in it
    }
}

extension Runner {
    /// A change of an earlier run that has its pending record and no final one.
    typealias Waiting = (run: String, seq: Int, record: [String: Any], checks: [WriteEffect])

    /// Settles the runs before this one that did not reach their end (see `RunMarker`).
    /// Connects only when a change waits for its outcome. Throws when the directory cannot be
    /// read: nothing is then done (the next run tries again).
    package static func settleEarlierRuns(state: StateFolder, runId: String, config: Config) throws {
        let open = state.openRuns().filter { $0.run != runId }
        guard let from = open.map(\.auditOffset).min() else { return }
        let records = state.auditRecords(from: from, runs: Set(open.map(\.run)))
        // Per run and change: the pending record, and the final result if any.
        var pending: [String: [Int: [String: Any]]] = [:]
        var final: [String: [Int: String]] = [:]
        for r in records {
            guard let run = r["run"] as? String, let seq = r["seq"] as? Int, let result = r["result"] as? String else { continue }
            if result == "pending" {
                pending[run, default: [:]][seq] = r
            } else if !AuditResult.waiting.contains(result) {
                final[run, default: [:]][seq] = result
            }
        }
        var waiting: [Waiting] = []
        for m in open {
            for (seq, r) in (pending[m.run] ?? [:]).sorted(by: { $0.key < $1.key }) where final[m.run]?[seq] == nil {
                waiting.append((m.run, seq, r, (r["checks"] as? [Any] ?? []).compactMap(WriteEffect.init(parsed:))))
            }
        }
        if !waiting.isEmpty {
            let verdicts = try settle(waiting, state: state, runId: runId, conn: connect(config))
            for (w, verdict) in zip(waiting, verdicts) { final[w.run, default: [:]][w.seq] = verdict }
        }
        for m in open {
            let ok = Set((final[m.run] ?? [:]).filter { $0.value == "ok" }.keys)
            state.closeRun(m, valid: ok)
        }
    }

    /// Looks up what each waiting change should have left, audits its verdict ("ok", "not
    /// applied", "partly applied") and returns the verdicts in order.
    static func settle(_ waiting: [Waiting], state: StateFolder, runId: String, conn: LDAPConnection) throws -> [String] {
        let entries = try readEntries(of: waiting, conn: conn)
        var lines = ""
        var counts: [String: Int] = [:]
        var verdicts: [String] = []
        for w in waiting {
            var verdict = WriteEffect.verdict(w.checks, entries: entries)
            let completed = verdict == "partly applied" && complete(w, entries: entries, conn: conn)
            if completed { verdict = "ok" }
            counts[verdict, default: 0] += 1
            verdicts.append(verdict)
            var r = w.record
            r["checks"] = nil
            r["time"] = timestamp()
            r["result"] = verdict
            r["code"] = 0
            r["message"] = completed ? "settled by run \(runId): its last writes were never sent; completed"
                : verdict == "ok" ? "settled by run \(runId): its answer was lost, the directory shows it applied"
                : verdict == "not applied" ? "settled by run \(runId): the directory does not show it (never sent, or refused)"
                : "settled by run \(runId): the directory shows part of it; the plan finishes it"
            if let data = try? JSONSerialization.data(withJSONObject: r, options: [.sortedKeys, .withoutEscapingSlashes]) {
                lines += String(decoding: data, as: UTF8.self) + "\n"
            }
        }
        state.appendAudit(lines)
        let runs = Set(waiting.map(\.run)).sorted().joined(separator: ", ")
        Log.logger.notice("settled \(waiting.count) change\(waiting.count == 1 ? "" : "s") of run \(runs) whose outcome was not known: \(counts["ok"] ?? 0) applied, \(counts["not applied"] ?? 0) not applied, \(counts["partly applied"] ?? 0) partly applied")
        return verdicts
    }

    /// Every entry the waiting changes' checks name, by lower-cased DN, read in one pipeline.
    static func readEntries(of waiting: [Waiting], conn: LDAPConnection) throws -> [String: LDAPEntry] {
        var dns: [String] = [], seen = Set<String>(), attributes = Set<String>()
        for w in waiting {
            for c in w.checks {
                if seen.insert(c.dn.lowercased()).inserted { dns.append(c.dn) }
                if let a = c.attribute { attributes.insert(a) }
            }
        }
        var entries: [String: LDAPEntry] = [:]
        var failure: LDAPError?
        try conn.read(dns, attributes: ["*"] + attributes.sorted()) { i, r in
            switch r {
            case let .success(e?): entries[dns[i].lowercased()] = e
            case .success(nil): break
            case let .failure(e): failure = failure ?? e
            }
        }
        if let failure { throw failure }
        return entries
    }

    /// A change killed between its writes (a unit's modrdn done, its new address not yet):
    /// the entry is where the change put it and only values are missing. The plan cannot see
    /// that (the RDN says renamed), so the change is completed here; true when it was.
    static func complete(_ w: Waiting, entries: [String: LDAPEntry], conn: LDAPConnection) -> Bool {
        // A change that sets an initial password cannot be finished from its checks: the
        // password is only in the unit's notice. It is left to the plan, which makes it again.
        if let kind = (w.record["kind"] as? String).flatMap(ChangeKind.init(rawValue:)), kind.setsPassword { return false }
        let missing = w.checks.filter { !$0.holds(in: entries[$0.dn.lowercased()]) }
        guard missing.allSatisfy({ $0.attribute != nil }) else { return false }
        var mods: [String: [LDAPModification]] = [:]
        for case let .values(dn, attribute, mode, values) in missing {
            let present = entries[dn.lowercased()]?.attributes[attribute.lowercased()] ?? []
            switch mode {
            case .equals: mods[dn, default: []].append(values.isEmpty ? .delete(attribute) : .replace(attribute, values))
            case .has: mods[dn, default: []].append(.add(attribute, values.filter { v in !present.contains(Data(v.utf8)) }))
            case .lacks: mods[dn, default: []].append(.delete(attribute, values.filter { v in present.contains(Data(v.utf8)) }))
            }
        }
        do {
            for (dn, m) in mods.sorted(by: { $0.key < $1.key }) { try conn.modify(dn, m) }
            return true
        } catch {
            Log.logger.error("could not complete \(w.record["kind"] as? String ?? "") \(w.record["dn"] as? String ?? ""): \(error); the plan takes it from here")
            return false
        }
    }
}
