import Foundation
import LDAPClient
import LDAPModel
import Logging
import RosterSync

extension Runner {
    /// `restore RUN [DN…]`: entries of a run's backup added back in their state, parents
    /// first, each audited; an entry that exists (here or moved elsewhere) is never overwritten.
    package static func restore(configPath: String, backup runName: String, only dns: [String]) throws {
        let started = Date()
        let run = try exclusiveRun(configPath, started: started)
        defer { run.release() }
        let (config, state) = (run.config, run.state)
        let log = Log.logger
        let (file, entries) = try Runner.failing(outcome: "nothing was done") { () throws -> (String, [Backup.Entry]) in
            let file = try backupFile(runName, in: state)
            let all = try Backup.parse(String(decoding: Runner.readBytes(file), as: UTF8.self), file: file)
            guard !dns.isEmpty else { return (file, all) }
            func key(_ dn: String) -> String { (try? DN(dn))?.normalized ?? dn.lowercased() }
            let byKey = Dictionary(all.map { (key($0.dn), $0) }, uniquingKeysWith: { a, _ in a })
            var picked: [Backup.Entry] = []
            var unknown: [String] = []
            for dn in dns {
                if let e = byKey[key(dn)] { picked.append(e) } else { unknown.append(dn) }
            }
            guard unknown.isEmpty else { throw Runner.Failure("not in \(file): \(unknown.joined(separator: "; ")); nothing was restored") }
            return (file, picked)
        }
        // Parents first; the backup's order otherwise.
        let ordered = entries.enumerated().sorted { (DN.depth(of: $0.element.dn), $0.offset) < (DN.depth(of: $1.element.dn), $1.offset) }.map(\.element)
        let conn = try Runner.failing(outcome: "nothing was done") { try Runner.connect(config) }
        let runId = Runner.runId(started)
        let actor = Runner.actor(force: false, reason: nil)
        state.audit([AuditRecord(time: Runner.timestamp(), run: runId, actor: actor, change: nil, result: "started",
                                 message: "restore of \(ordered.count) entr\(ordered.count == 1 ? "y" : "ies") from \(file)", kindName: "restoreEntry")])
        var restored = 0, existing = 0, failed = 0
        for e in ordered {
            let change = restoreChange(e, file: file)
            do {
                // The same person or unit elsewhere (moved or renamed since the backup): a
                // second entry would be a duplicate, not a restore.
                if let identity = identity(e) {
                    let found = try conn.search(base: config.directory.base.string, filter: identity, attributes: ["1.1"])
                    if let other = found.first {
                        let same = (try? DN(other.dn)) == (try? DN(e.dn))
                        throw LDAPError(code: .entryAlreadyExists, message: same ? "it exists" : "it exists at \(other.dn) (moved or renamed since)", operation: "add", dn: e.dn)
                    }
                }
                try conn.add(e.dn, e.attributes)
                restored += 1
                log.notice("restored \(e.dn)")
                state.audit([AuditRecord(time: Runner.timestamp(), run: runId, actor: actor, change: change, result: "ok", kindName: "restoreEntry")])
            } catch let error as LDAPError where error.code == .entryAlreadyExists {
                existing += 1
                let why = error.message.hasPrefix("it exists") ? error.message : "it exists"
                log.error("NOT RESTORED \(e.dn): \(why); left as it is (never overwritten)")
                state.audit([AuditRecord(time: Runner.timestamp(), run: runId, actor: actor, change: change, result: "exists",
                                         code: error.code.rawValue, message: "\(why): not overwritten", kindName: "restoreEntry")])
            } catch let error as LDAPError {
                failed += 1
                log.error("FAILED restore \(e.dn): \(error)")
                state.audit([AuditRecord(time: Runner.timestamp(), run: runId, actor: actor, change: change, result: "failed",
                                         code: error.code.rawValue, message: error.description, kindName: "restoreEntry")])
                if error.code.rawValue < 0 { break }  // libldap's own codes: the connection is gone
            }
        }
        let skipped = ordered.count - restored - existing - failed
        let summary = "\(restored) restored, \(existing) left alone (they exist), \(failed) failed" + (skipped > 0 ? ", \(skipped) not attempted (connection lost)" : "")
        state.audit([AuditRecord(time: Runner.timestamp(), run: runId, actor: actor, change: nil, result: restored == ordered.count ? "done" : "partial",
                                 message: "\(summary); from \(file)", kindName: "restoreEntry")])
        log.notice(Logger.Message(stringLiteral: summary))
        if restored != ordered.count { throw RunExit.partial }
    }

    /// The backup named by RUN: a run folder under state_dir/backups, or a path.
    static func backupFile(_ runName: String, in state: StateFolder) throws -> String {
        var isDir: ObjCBool = false
        for candidate in [state.path + "/backups/" + runName, runName] where FileManager.default.fileExists(atPath: candidate, isDirectory: &isDir) {
            return isDir.boolValue ? candidate + "/entries.ldif" : candidate
        }
        let runs = ((try? FileManager.default.contentsOfDirectory(atPath: state.path + "/backups")) ?? []).sorted().suffix(5)
        throw Runner.Failure("no backup \(runName) in \(state.path)/backups" + (runs.isEmpty ? "" : " (the latest: \(runs.joined(separator: ", ")))"))
    }

    /// A filter for the entry's person or unit wherever it is now (employee number, unit
    /// code, address), or nil when it has none of them.
    static func identity(_ e: Backup.Entry) -> Filter? {
        func value(_ name: String) -> String? {
            e.attributes.first { $0.name.lowercased() == name.lowercased() }?.values.first.map { String(decoding: $0, as: UTF8.self) }
        }
        let classes = Set((e.attributes.first { $0.name.lowercased() == "objectclass" }?.values ?? []).map { String(decoding: $0, as: UTF8.self).lowercased() })
        // The key with the class it identifies: a unit and its mailbox's entry share their
        // unit code, and a restored unit is not its own mailbox "elsewhere".
        var parts: [Filter] = []
        if let code = value("rsUnitCode") {
            for cls in ["rsUnit", "rsUnitMailbox"] where classes.contains(cls.lowercased()) {
                parts.append(.and([.equality("objectClass", cls), .equality("rsUnitCode", code)]))
            }
        }
        if let id = value("employeeNumber"), classes.contains("rsaccount") {
            parts.append(.and([.equality("objectClass", "rsAccount"), .equality("employeeNumber", id)]))
        }
        if let mail = value("mail") { parts.append(.equality("mail", mail)) }
        return parts.isEmpty ? nil : .or(parts)
    }

    /// The audit record's description of a restored entry.
    static func restoreChange(_ e: Backup.Entry, file: String) -> Change {
        func first(_ name: String) -> String? {
            e.attributes.first { $0.name.lowercased() == name.lowercased() }?.values.first.map { String(decoding: $0, as: UTF8.self) }
        }
        let id = first("employeeNumber")
        let code = first("rsUnitCode") ?? first("departmentNumber")
        let state = first("rsState")
        return Change(
            kind: id == nil && first("rsUnitCode") != nil ? .createUnit : .createAccount, dn: e.dn, employeeId: id, unitCode: code, groupUnit: code,
            subject: [id, first("cn") ?? first("displayName") ?? first("ou")].compactMap { $0 }.joined(separator: " "),
            reason: "restored from the backup \(file)" + (state.map { ", as \($0)" } ?? ""),
            attributes: state.map { [AttributeChange("rsState", old: [], new: [$0])] } ?? [])
    }
}
