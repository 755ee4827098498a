import Foundation
import LDAPClient
import LDAPModel
import Logging
import RosterSync

extension Runner {
    /// The state folder's record that the passwords were looked at (made by the first run of
    /// a version that hashes them): later runs skip the pass.
    package static let rehashMarker = "passwords-hashed"

    /// Cleartext passwords that an earlier version left (it let a stock slapd, whose
    /// `olcPPolicyHashCleartext` is off, store initial passwords as sent): each managed
    /// mailbox's cleartext `userPassword` is replaced by its hash in `directory.password_hash`
    /// (the holder's password is unchanged), and so are those in the state folder's backups.
    /// Once per state folder; each entry audited (`rehashPassword`), no password in the record.
    package static func rehashCleartextPasswords(config: Config, state: StateFolder, runId: String, actor: String) throws {
        let marker = state.path + "/" + rehashMarker
        guard !FileManager.default.fileExists(atPath: marker) else { return }
        let conn = try connect(config)
        defer { conn.close() }
        let filter = Filter.or(["rsAccount", "rsUnit", "rsUnitMailbox"].map { .equality("objectClass", $0) })
        var found: [(dn: String, cleartext: [Data], reset: Bool)] = []
        do {
            try conn.search(base: config.directory.unitsBase.string, filter: filter, attributes: ["userPassword", "pwdReset"]) { e in
                let clear = (e.attributes["userpassword"] ?? []).filter { $0.first != UInt8(ascii: "{") }
                if !clear.isEmpty { found.append((e.dn, clear, e.attributes["pwdreset"] != nil)) }
            }
        } catch let e as LDAPError where e.code == .noSuchObject {
            // No units base yet: nothing synced, nothing to hash.
        }
        var records: [AuditRecord] = []
        for f in found {
            // The cleartext value is the assertion: replaced only if it is still there.
            var mods = f.cleartext.map { LDAPModification(.delete, LDAPAttribute("userPassword", [$0])) }
            mods += f.cleartext.map { LDAPModification(.add, LDAPAttribute("userPassword", [config.directory.passwordHash.hash(Secret(String(decoding: $0, as: UTF8.self)))])) }
            var result = "ok", message = "a cleartext userPassword hashed (\(config.directory.passwordHash.rawValue)); the password itself is unchanged"
            do {
                try conn.modify(f.dn, mods)
                // ppolicy marks a password an administrator set as to be changed: it was not.
                if !f.reset, try conn.read(f.dn, attributes: ["pwdReset"])?.attributes["pwdreset"] != nil {
                    try conn.modify(f.dn, [.delete("pwdReset")])
                }
            } catch {
                result = "failed"
                message = "a cleartext userPassword could not be hashed: \(error)"
            }
            let change = Change(kind: .updateAccount, dn: f.dn, groupUnit: nil, subject: f.dn, reason: "cleartext password left by an earlier version",
                                attributes: [AttributeChange("userPassword", old: ["(cleartext)"], new: ["(\(config.directory.passwordHash.rawValue))"])])
            records.append(AuditRecord(time: timestamp(), run: runId, actor: actor, change: change, result: result, message: message, kindName: "rehashPassword"))
        }
        state.audit(records)
        let backups = try rehashBackups(state, hash: config.directory.passwordHash)
        let failed = records.filter { $0.result != "ok" }.count
        if !found.isEmpty || backups > 0 {
            Log.logger.notice("hashed the cleartext passwords an earlier version left: \(found.count - failed) in the directory, \(backups) in backups")
        }
        guard failed == 0 else {
            throw Failure("\(failed) cleartext passwords could not be hashed (see the audit log); the next run tries again")
        }
        try StateFolder.write(marker, Data("\(timestamp())\n".utf8), mode: 0o600)
    }

    /// Backup LDIF files of the state folder with a cleartext `userPassword` get its hash
    /// instead, in place (mode kept). Returns the number of values hashed.
    package static func rehashBackups(_ state: StateFolder, hash: Config.PasswordHash) throws -> Int {
        let root = state.path + "/backups"
        var count = 0
        for run in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            let file = root + "/" + run + "/entries.ldif"
            guard let text = try? String(contentsOfFile: file, encoding: .utf8), text.range(of: "userpassword:", options: .caseInsensitive) != nil else { continue }
            var changed = false
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == "userpassword" else { return String(line) }
                var rest = line[line.index(after: colon)...]
                let base64 = rest.first == ":"
                if base64 { rest = rest.dropFirst() }
                let value = rest.drop { $0 == " " }
                let bytes = base64 ? Data(base64Encoded: String(value)) ?? Data() : Data(value.utf8)
                guard !bytes.isEmpty, bytes.first != UInt8(ascii: "{") else { return String(line) }
                changed = true
                count += 1
                return "userPassword: " + hash.hash(Secret(String(decoding: bytes, as: UTF8.self)))
            }
            if changed {
                var st = stat()
                let mode = stat(file, &st) == 0 ? st.st_mode & 0o777 : 0o600
                try StateFolder.write(file, Data(lines.joined(separator: "\n").utf8), mode: mode)
            }
        }
        return count
    }
}
