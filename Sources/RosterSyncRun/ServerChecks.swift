import Foundation
import LDAPClient
import LDAPModel
import Logging
import RosterSync

/// The checks of one provider: what the agent relies on in its data and its cn=config.
package struct ServerChecks {
    package let config: Config
    package let conn: LDAPConnection
    /// "<uri>: " with several providers, so each line says which one it is about.
    package let tag: String
    package let people: Int?
    package let probe: Bool

    /// Bytes of back-mdb's map one directory entry takes, measured: a stock Debian slapd
    /// 2.5.13 set up by deploy/slapd/setup, durable writes, after the initial sync of
    /// `roster-gen --staff 5000 --seed 7` (66 units): data.mdb grew from 81,920 to 8,531,968
    /// bytes for 4,863 entries, 1,737 bytes each (free pages included), rounded up here. The
    /// check asks for twice that per roster row: a pair's entryCSN/entryUUID indexes and
    /// syncprov, mdb's copy-on-write pages and growth (the 10 MiB default held ~4,000 people
    /// on the dev server, ~2,600 bytes each).
    package static let bytesPerEntry = 1_800
    /// back-mdb's olcDbMaxSize when none is set.
    package static let defaultMaxSize = 10_485_760

    /// What fixes a setting of this provider: setup runs as root on the provider's own host.
    package var fix: String {
        conn.uri.hasPrefix("ldapi://") ? "run: deploy/slapd/setup \(conn.uri)" : "run: deploy/slapd/setup ldapi:/// as root on the host of \(conn.uri)"
    }

    /// A check's outcome: passed (true), failed (false) or a warning (nil), what, and details.
    package typealias Report = (Bool?, String, String) -> Void

    package func run(report: Report) {
        let unitsExist = checkEntries(report)
        checkSchema(report)
        let settings = ConfigSettings(conn, base: config.directory.base)
        checkIndex(settings, report)
        checkPolicy(settings, report)
        checkHashing(settings, report)
        checkLastLogin(settings, report)
        checkRoom(settings, report)
        if probe && unitsExist { writeProbe(report: report) }
        else if !probe { report(nil, "write", "\(tag)not tested (--read-only)") }
    }

    /// The base and units entries exist; true when the units base does.
    func checkEntries(_ report: Report) -> Bool {
        let base = config.directory.base, unitsBase = config.directory.unitsBase
        var unitsExist = false
        for (what, dn) in [("base", base), ("units", unitsBase)] {
            do {
                if try conn.read(dn.string, attributes: ["1.1"]) != nil {
                    report(true, what, "\(tag)\(dn) exists")
                    if what == "units" { unitsExist = true }
                } else {
                    report(false, what, "\(tag)\(dn) does not exist: \(what == "units" ? fix : "create the suffix entry (Debian's postinst does)")")
                }
            } catch {
                report(false, what, "\(tag)\(dn): \(error)")
            }
        }
        return unitsExist
    }

    func checkSchema(_ report: Report) {
        // The schema, from the subschema subentry that every identity may read.
        do {
            let schema = try conn.read("cn=Subschema", attributes: ["objectClasses", "attributeTypes"])
            let classes = schema?.strings("objectClasses") ?? []
            let needed = ["rsAccount", "rsUnit", "rsUnitMailbox", "rsClosedMailbox"]
            let missing = needed.filter { name in !classes.contains { $0.contains("NAME '\(name)'") } }
            let hasMailLocal = (schema?.strings("attributeTypes") ?? []).contains { $0.contains("'mailLocalAddress'") }
            if missing.isEmpty && hasMailLocal {
                report(true, "schema", "\(tag)rostersync schema present (rsAccount, rsUnit, rsUnitMailbox, rsClosedMailbox; misc's mailLocalAddress)")
            } else {
                let what = (missing + (hasMailLocal ? [] : ["mailLocalAddress (misc.schema)"])).joined(separator: ", ")
                let update = !missing.isEmpty && missing.allSatisfy(["rsClosedMailbox", "rsUnitMailbox"].contains)
                    ? " (a server with the schema of an earlier version: setup, like `schema/update-schema`, adds what it lacks)" : ""
                report(false, "schema", "\(tag)missing \(what): \(fix)\(update)")
            }
        } catch {
            report(false, "schema", "\(tag)cannot read cn=Subschema: \(error)")
        }
    }

    /// What cn=config says of the directory's database, its overlays and the frontend, when
    /// this identity may read it (root over ldapi; the agent's DN once setup let it read the
    /// settings checked here): it answers the rest for certain.
    struct ConfigSettings {
        var database: LDAPEntry?
        var frontend: LDAPEntry?
        var overlays: [LDAPEntry] = []
        let unreadable = "could not read cn=config as this identity"

        init(_ conn: LDAPConnection, base: DN) {
            let cnConfig = try? conn.search(
                base: "cn=config",
                filter: .or([.equality("objectClass", "olcDatabaseConfig"), .equality("objectClass", "olcPPolicyConfig"),
                             .equality("objectClass", "olcLastBindConfig")]),
                attributes: ["objectClass", "olcSuffix", "olcLastBind", "olcPPolicyDefault", "olcPPolicyHashCleartext", "olcDatabase",
                             "olcDbIndex", "olcDbMaxSize", "olcPasswordHash", "olcLastBindPrecision"])
            database = cnConfig?.first { e in e.strings("olcSuffix").contains { (try? DN($0)) == base } }
            frontend = cnConfig?.first { $0.dn.lowercased().hasPrefix("olcdatabase={-1}frontend") }
            overlays = database.map { db in cnConfig?.filter { $0.dn.lowercased().hasSuffix("," + db.dn.lowercased()) } ?? [] } ?? []
        }
    }

    func checkIndex(_ settings: ConfigSettings, _ report: Report) {
        let (database, unreadable) = (settings.database, settings.unreadable)
        // The unit code index: units are found by rsUnitCode on every run.
        if let database {
            let indexed = database.strings("olcDbIndex").contains { v in
                let parts = v.split(separator: " ", omittingEmptySubsequences: true)
                let attrs = parts.first?.split(separator: ",").map { $0.lowercased() } ?? []
                let types = parts.count > 1 ? parts[1].lowercased().split(separator: ",").map(String.init) : ["eq"]
                return attrs.contains("rsunitcode") && types.contains("eq")
            }
            report(indexed, "index", indexed ? "\(tag)rsUnitCode eq" : "\(tag)no equality index on rsUnitCode in \(database.dn): every run searches by it; \(fix)")
        } else {
            report(nil, "index", "\(tag)\(unreadable): the rsUnitCode index was not verified (run check as root over ldapi, or \(fix) so the agent may read it)")
        }
    }

    /// The password policy: a default policy with pwdLockout (a lock refuses binds) and
    /// pwdMustChange (pwdReset forces a change at first use).
    func checkPolicy(_ settings: ConfigSettings, _ report: Report) {
        let (database, overlays, unreadable, base) = (settings.database, settings.overlays, settings.unreadable, config.directory.base)
        do {
            let rootDSE = try conn.read("", attributes: ["supportedControl"])
            let ppolicyControl = "1.3.6.1.4.1.42.2.27.8.5.1"
            let advertised = rootDSE?.strings("supportedControl").contains(ppolicyControl) ?? false
            let policies = try conn.search(
                base: base.string, filter: .equality("objectClass", "pwdPolicy"),
                attributes: ["pwdLockout", "pwdMustChange"])
            if database != nil {
                let overlay = overlays.first { $0.string("olcPPolicyDefault") != nil }
                if let defaultDN = overlay?.string("olcPPolicyDefault") {
                    let policy = policies.first { (try? DN($0.dn)) == (try? DN(defaultDN)) }
                    let lockout = policy?.string("pwdLockout") == "TRUE", mustChange = policy?.string("pwdMustChange") == "TRUE"
                    if lockout && mustChange {
                        report(true, "ppolicy", "\(tag)default policy \(defaultDN): pwdLockout and pwdMustChange on")
                    } else if policy == nil {
                        report(false, "ppolicy", "\(tag)the default policy \(defaultDN) does not exist (or is not readable): locked accounts would still bind; \(fix)")
                    } else {
                        let off = [lockout ? nil : "pwdLockout: TRUE (so pwdAccountLockedTime refuses binds)", mustChange ? nil : "pwdMustChange: TRUE (so pwdReset forces a change)"].compactMap { $0 }
                        report(false, "ppolicy", "\(tag)default policy \(defaultDN) needs \(off.joined(separator: " and ")); \(fix)")
                    }
                } else {
                    report(false, "ppolicy", "\(tag)no ppolicy overlay with a default policy (olcPPolicyDefault) on \(base): locked accounts would still bind; \(fix)")
                }
            } else if advertised {
                let good = policies.contains { $0.string("pwdLockout") == "TRUE" && $0.string("pwdMustChange") == "TRUE" }
                report(good ? nil : false, "ppolicy", good
                    ? "\(tag)overlay answers and a policy with pwdLockout and pwdMustChange exists; \(unreadable), so that it is the default was not verified"
                    : "\(tag)no pwdPolicy entry with pwdLockout: TRUE and pwdMustChange: TRUE under \(base); \(fix)")
            } else {
                report(false, "ppolicy", "\(tag)the server does not offer the password policy control: load and configure the ppolicy overlay; \(fix)")
            }
        } catch {
            report(false, "ppolicy", "\(tag)\(error)")
        }
    }

    func checkHashing(_ settings: ConfigSettings, _ report: Report) {
        let (frontend, overlays, unreadable) = (settings.frontend, settings.overlays, settings.unreadable)
        // How passwords are hashed: the agent hashes initial passwords itself
        // (directory.password_hash); the server's olcPasswordHash is what Password Modify (a
        // holder's own change) writes. Different schemes both verify, but they should agree.
        let mine = config.directory.passwordHash.rawValue
        if let frontend {
            let theirs = frontend.strings("olcPasswordHash")
            let scheme = theirs.first ?? "{SSHA}"
            let cleartext = overlays.contains { $0.string("olcPPolicyHashCleartext") == "TRUE" }
            let second = cleartext ? "; ppolicy hashes a cleartext value too (olcPPolicyHashCleartext)" : "; olcPPolicyHashCleartext is off: a cleartext userPassword written by another tool would be stored as it is"
            if scheme.caseInsensitiveCompare(mine) == .orderedSame {
                report(true, "hash", "\(tag)the agent and the server both hash with \(mine)\(theirs.isEmpty ? " (olcPasswordHash unset: slapd's default)" : "")\(second)")
            } else {
                report(nil, "hash", "\(tag)the agent hashes with \(mine) (directory.password_hash) but the server's olcPasswordHash is \(theirs.isEmpty ? "unset ({SSHA})" : theirs.joined(separator: " ")): both verify, but set one scheme (\(fix) --password-hash \(mine), or change directory.password_hash)\(second)")
            }
        } else {
            report(nil, "hash", "\(tag)\(unreadable): the server's olcPasswordHash was not compared with directory.password_hash (\(mine))")
        }
    }

    func checkLastLogin(_ settings: ConfigSettings, _ report: Report) {
        let (database, frontend, overlays, unreadable, base) = (settings.database, settings.frontend, settings.overlays, settings.unreadable, config.directory.base)
        // Last-login tracking: olcLastBind (pwdLastSuccess) or the lastbind overlay (authTimestamp).
        if let database {
            let lastBind = database.string("olcLastBind") == "TRUE" || frontend?.string("olcLastBind") == "TRUE"
            let overlay = overlays.first { $0.strings("objectClass").contains { $0.caseInsensitiveCompare("olcLastBindConfig") == .orderedSame } }
            if let overlay {
                report(true, "last bind", "\(tag)lastbind overlay: successful logins are recorded in authTimestamp\(overlay.string("olcLastBindPrecision").map { " (at most every \($0) s)" } ?? "")")
            } else if lastBind {
                report(true, "last bind", "\(tag)olcLastBind on: successful logins are recorded in pwdLastSuccess")
            } else {
                report(false, "last bind", "\(tag)no last-login tracking on \(base) (neither olcLastBind nor the lastbind overlay): inactive mailboxes cannot be found (art. 9.3); \(fix)")
            }
        } else {
            let seen = [Filter.present("pwdLastSuccess"), .present("authTimestamp")].contains { f in
                (try? conn.search(base: base.string, filter: f, attributes: ["1.1"], pageSize: 1).isEmpty == false) ?? false
            }
            report(seen ? true : nil, "last bind", seen
                ? "\(tag)pwdLastSuccess or authTimestamp values exist: last-login tracking is on"
                : "\(tag)\(unreadable) and no entry has pwdLastSuccess or authTimestamp yet: make sure the lastbind overlay (or olcLastBind) is on")
        }
    }

    func checkRoom(_ settings: ConfigSettings, _ report: Report) {
        let (database, unreadable) = (settings.database, settings.unreadable)
        // Room for the rosters: back-mdb's map is a hard limit (code 80 on every add beyond).
        if let database {
            let max = database.string("olcDbMaxSize").flatMap(Int.init) ?? Self.defaultMaxSize
            if let people {
                // Twice the data: mdb's copy-on-write pages and free pages, and growth.
                let needed = people * Self.bytesPerEntry * 2
                let mib = { (n: Int) in String(format: "%.0f MiB", Double(n) / 1_048_576) }
                if max >= needed {
                    report(true, "db size", "\(tag)olcDbMaxSize \(mib(max)): room for the rosters' \(people) units and people (~\(mib(needed)) with headroom)")
                } else {
                    report(false, "db size", "\(tag)olcDbMaxSize \(mib(max))\(database.string("olcDbMaxSize") == nil ? " (unset: back-mdb's default)" : "") is too small for the rosters' \(people) units and people (~\(mib(needed)) with headroom at ~\(Self.bytesPerEntry) bytes each): adds would fail with code 80; \(fix)")
                }
            } else {
                report(nil, "db size", "\(tag)olcDbMaxSize \(max) bytes; no rosters in the config to compare it with")
            }
        } else {
            report(nil, "db size", "\(tag)\(unreadable): olcDbMaxSize not compared with the rosters")
        }
    }

    /// Can the bind identity write what sync writes? A probe entry under the units base is
    /// added (with a hashed password, pwdReset and a permanent pwdAccountLockedTime, which
    /// need the manage access sync needs), changed, renamed and deleted, at once. Why a real
    /// write: slapd 2.5 offers neither the No-Op control nor effective-rights, and an
    /// assertion control that cannot match is evaluated before the access check on add and
    /// modify, so a dry attempt proves nothing. The probe is safe: an applicationProcess
    /// (like the run's lease; no mail, so Postfix and Dovecot never see it), locked, with a
    /// random password nobody knows; it lives for a few milliseconds, and a leftover (a check
    /// killed midway) has a name that says what it is and is removed by the next check.
    package func writeProbe(report: Report) {
        let units = config.directory.unitsBase.string
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        let name = "rostersync-check-probe-\(host)-\(getpid())"
        let dn = "cn=\(DN.escape(name)),\(units)", moved = "cn=\(DN.escape(name + "-moved")),\(units)"
        _ = try? conn.delete(dn)
        _ = try? conn.delete(moved)
        var random = SystemRandomNumberGenerator()
        let secret = Secret(String((0..<24).map { _ in "abcdefghijkmnpqrstuvwxyz23456789".randomElement(using: &random)! }))
        var step = "add"
        do {
            try conn.add(dn, [
                LDAPAttribute("objectClass", ["top", "applicationProcess", "simpleSecurityObject"]), LDAPAttribute("cn", name),
                LDAPAttribute("description", "rostersync check: write test, deleted at once"),
                LDAPAttribute("userPassword", config.directory.passwordHash.hash(secret)), LDAPAttribute("pwdReset", "TRUE"),
                LDAPAttribute("pwdAccountLockedTime", "000001010000Z"),
            ])
            step = "modify"
            try conn.modify(dn, [.replace("description", ["rostersync check: write test, changed"]), .replace("pwdAccountLockedTime", ["000001010000Z"])])
            step = "rename"
            try conn.rename(dn, newRDN: "cn=\(DN.escape(name + "-moved"))")
            step = "delete"
            try conn.delete(moved)
            report(true, "write", "\(tag)the bind identity adds, changes (password, pwdReset, pwdAccountLockedTime), renames and deletes under \(units) (probe entry, deleted)")
        } catch {
            if step == "modify" || step == "rename" { _ = try? conn.delete(dn) }
            if step == "delete" { _ = try? conn.delete(moved) }
            report(false, "write", "\(tag)the bind identity cannot \(step) under \(units) as sync does: \(error); the ACLs must give it manage there (\(fix), with --agent-dn naming this identity)")
        }
    }
}

extension Runner {
    package static func describe(_ bind: Config.Bind) -> String {
        switch bind {
        case .saslExternal: "SASL EXTERNAL"
        case let .simple(dn, source): "simple bind as \(dn) (password from \(source))"
        }
    }
}
