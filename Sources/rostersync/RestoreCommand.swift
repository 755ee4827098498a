import ArgumentParser
import Foundation
import LDAPClient
import LDAPModel
import Logging
import RosterSync

/// `rostersync restore RUN [DN…]`: put back entries from a run's backup, in their state.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put back entries from a run's backup (all of them, or the DNs named), with their lock.",
        discussion: """
            Adds the entries of state_dir/backups/RUN/entries.ldif (the backup a sync or apply \
            made before its first write) back to the directory, as they were before that run: \
            their attributes, password hash and lock state (pwdAccountLockedTime, pwdReset), so \
            a disabled or locked mailbox comes back disabled or locked. Parents go before \
            children. An entry that exists is never overwritten: it is named and left alone, \
            and the others are restored. Each entry restored, left alone or failed goes to the \
            audit log (kind restoreEntry). Runs under the same lock as sync.

            RUN is a folder name under state_dir/backups (as the sync's audit line names it), \
            or the path of a backup folder or LDIF file. DNs name entries of that backup; \
            without any, all of its entries. A restored entry is what the directory held then: \
            if the rosters still say the person has left, the next sync disables (or deletes) it \
            again.

            Exit codes: 0 every entry restored; 1 error before any write (config, lock, backup \
            unreadable, a DN not in the backup, directory unreachable); 4 some entries were not \
            restored (they exist, or their add failed), the others were.
            """)

    @OptionGroup var options: ConfigOptions
    @Argument(help: ArgumentHelp("The run whose backup to restore from: its folder name under state_dir/backups, or a path.", valueName: "RUN"))
    var runName: String
    @Argument(help: ArgumentHelp("Only these entries of the backup (default: all).", valueName: "DN"))
    var dns: [String] = []

    func run() throws {
        let started = Date()
        let run = try Frontend.exclusiveRun(options.config, started: started)
        defer { run.release() }
        let (config, state) = (run.config, run.state)
        let log = Log.logger
        let (file, entries) = try Frontend.failing(outcome: "nothing was done") { () throws -> (String, [Backup.Entry]) in
            let file = try backupFile(state)
            let all = try Backup.parse(String(decoding: Frontend.readBytes(file), as: UTF8.self), file: file)
            guard !dns.isEmpty else { return (file, all) }
            func key(_ dn: String) -> String { (try? DN(dn))?.normalized ?? dn.lowercased() }
            let byKey = Dictionary(all.map { (key($0.dn), $0) }, uniquingKeysWith: { a, _ in a })
            var picked: [Backup.Entry] = []
            var unknown: [String] = []
            for dn in dns {
                if let e = byKey[key(dn)] { picked.append(e) } else { unknown.append(dn) }
            }
            guard unknown.isEmpty else { throw Frontend.Failure("not in \(file): \(unknown.joined(separator: "; ")); nothing was restored") }
            return (file, picked)
        }
        // Parents first; the backup's order otherwise.
        let ordered = entries.enumerated().sorted { (DN.depth(of: $0.element.dn), $0.offset) < (DN.depth(of: $1.element.dn), $1.offset) }.map(\.element)
        let conn = try Frontend.failing(outcome: "nothing was done") { try Frontend.connect(config) }
        let runId = Frontend.runId(started)
        let actor = Frontend.actor(force: false, reason: nil)
        state.audit([AuditRecord(time: Frontend.timestamp(), run: runId, actor: actor, change: nil, result: "started",
                                 message: "restore of \(ordered.count) entr\(ordered.count == 1 ? "y" : "ies") from \(file)", kindName: "restoreEntry")])
        var restored = 0, existing = 0, failed = 0
        for e in ordered {
            let change = Self.change(e, file: file)
            do {
                // The same person or unit elsewhere (moved or renamed since the backup): a
                // second entry would be a duplicate, not a restore.
                if let identity = Self.identity(e) {
                    let found = try conn.search(base: config.directory.base.string, filter: identity, attributes: ["1.1"])
                    if let other = found.first {
                        let same = (try? DN(other.dn)) == (try? DN(e.dn))
                        throw LDAPError(code: .entryAlreadyExists, message: same ? "it exists" : "it exists at \(other.dn) (moved or renamed since)", operation: "add", dn: e.dn)
                    }
                }
                try conn.add(e.dn, e.attributes)
                restored += 1
                log.notice("restored \(e.dn)")
                state.audit([AuditRecord(time: Frontend.timestamp(), run: runId, actor: actor, change: change, result: "ok", kindName: "restoreEntry")])
            } catch let error as LDAPError where error.code == .entryAlreadyExists {
                existing += 1
                let why = error.message.hasPrefix("it exists") ? error.message : "it exists"
                log.error("NOT RESTORED \(e.dn): \(why); left as it is (never overwritten)")
                state.audit([AuditRecord(time: Frontend.timestamp(), run: runId, actor: actor, change: change, result: "exists",
                                         code: error.code.rawValue, message: "\(why): not overwritten", kindName: "restoreEntry")])
            } catch let error as LDAPError {
                failed += 1
                log.error("FAILED restore \(e.dn): \(error)")
                state.audit([AuditRecord(time: Frontend.timestamp(), run: runId, actor: actor, change: change, result: "failed",
                                         code: error.code.rawValue, message: error.description, kindName: "restoreEntry")])
                if error.code.rawValue < 0 { break }  // libldap's own codes: the connection is gone
            }
        }
        let skipped = ordered.count - restored - existing - failed
        let summary = "\(restored) restored, \(existing) left alone (they exist), \(failed) failed" + (skipped > 0 ? ", \(skipped) not attempted (connection lost)" : "")
        state.audit([AuditRecord(time: Frontend.timestamp(), run: runId, actor: actor, change: nil, result: restored == ordered.count ? "done" : "partial",
                                 message: "\(summary); from \(file)", kindName: "restoreEntry")])
        log.notice(Logger.Message(stringLiteral: summary))
        if restored != ordered.count { throw ExitCode(4) }
    }

    /// The backup named by RUN: a run folder under state_dir/backups, or a path.
    func backupFile(_ state: StateFolder) throws -> String {
        var isDir: ObjCBool = false
        for candidate in [state.path + "/backups/" + runName, runName] where FileManager.default.fileExists(atPath: candidate, isDirectory: &isDir) {
            return isDir.boolValue ? candidate + "/entries.ldif" : candidate
        }
        let runs = ((try? FileManager.default.contentsOfDirectory(atPath: state.path + "/backups")) ?? []).sorted().suffix(5)
        throw Frontend.Failure("no backup \(runName) in \(state.path)/backups" + (runs.isEmpty ? "" : " (the latest: \(runs.joined(separator: ", ")))"))
    }

    /// A filter for the entry's person or unit wherever it is now (employee number, unit
    /// code, address), or nil when it has none of them.
    static func identity(_ e: Backup.Entry) -> Filter? {
        var parts: [Filter] = []
        for name in ["employeeNumber", "rsUnitCode", "mail"] {
            if let v = e.attributes.first(where: { $0.name.lowercased() == name.lowercased() })?.values.first {
                parts.append(.equality(name, String(decoding: v, as: UTF8.self)))
            }
        }
        return parts.isEmpty ? nil : .or(parts)
    }

    /// The audit record's description of a restored entry.
    static func change(_ e: Backup.Entry, file: String) -> Change {
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
