import ArgumentParser
import Foundation
import LDAPClient
import LDAPModel
import RosterSync

/// `rostersync check`: can the agent work against this directory with this config?
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the config and what the directory offers the agent.",
        discussion: """
            Reads the config, connects (trying each URI in order) and binds as configured, then \
            reports: the bind identity (WhoAmI), with several URIs whether each other provider \
            answers and whether the one used is behind it (contextCSN); then on every provider: \
            the base and units entries, the rostersync schema and the rsUnitCode index, the \
            password policy (ppolicy), how passwords are hashed, last-login tracking, the \
            database's size limit against the rosters, and that the bind identity can write \
            what sync writes (a probe entry under the units base, added, changed, renamed and \
            deleted at once; --read-only skips it). A failure says what to run to fix it \
            (deploy/slapd/setup, on the provider's host). Changes nothing else.

            Exit codes: 0 every check passed; 1 a check failed or the config is invalid.
            """)

    @OptionGroup var options: ConfigOptions

    @Flag(name: .customLong("read-only"), help: "Skip the write test (a probe entry added, changed, renamed and deleted under the units base).")
    var readOnly = false

    func run() throws {
        var failed = false
        func report(_ ok: Bool?, _ what: String, _ detail: String) {
            let mark = switch ok {
            case true?: "ok  "
            case false?: "FAIL"
            case nil: "warn"
            }
            if ok == false { failed = true }
            print("\(mark)  \(what.padding(toLength: 10, withPad: " ", startingAt: 0))  \(detail)")
        }

        let config: Config
        do {
            config = try Frontend.loadConfig(options.config)
        } catch {
            printError("rostersync: \(error)")
            throw ExitCode.failure
        }
        report(true, "config", options.config)

        let conn: LDAPConnection
        do {
            conn = try Frontend.connect(config)
        } catch {
            report(false, "directory", "\(error)")
            throw ExitCode.failure
        }
        let which = config.directory.uris.count > 1 ? " (URI \((config.directory.uris.firstIndex(of: conn.uri) ?? 0) + 1) of \(config.directory.uris.count))" : ""
        report(true, "directory", "reachable at \(conn.uri)\(which)")
        // Every other provider: reachable, and is the one used behind it (contextCSN)?
        if config.directory.uris.count > 1 {
            let base = config.directory.base.string
            let mine = try? Replication.contextCSN(conn, base: base)
            for uri in config.directory.uris where uri != conn.uri {
                var options = Frontend.connectionOptions(config)
                options.uris = [uri]
                do {
                    let peer = try LDAPConnection.connect(options, credentials: try Frontend.credentials(config))
                    defer { peer.close() }
                    let theirs = try Replication.contextCSN(peer, base: base)
                    let late = Replication.behind(mine ?? [:], theirs)
                    if late.isEmpty {
                        report(true, "replica", "\(uri) answers; \(conn.uri) is not behind it (contextCSN of \(theirs.count) server ID\(theirs.count == 1 ? "" : "s"))")
                    } else {
                        report(nil, "replica", "\(conn.uri) is behind \(uri): " + late.map { "serverID \($0.sid) \($0.mine) vs \($0.theirs)" }.joined(separator: "; ")
                               + " (sync waits up to operation_timeout for it, then refuses)")
                    }
                } catch {
                    report(nil, "replica", "\(uri) does not answer: \(error)")
                }
            }
        }
        do {
            let who = try conn.whoAmI()
            report(true, "bind", "\(Frontend.describe(config.directory.bind)) → \(who.isEmpty ? "anonymous" : who)")
        } catch {
            report(false, "bind", "WhoAmI failed: \(error)")
        }

        // Everything the agent relies on, on every provider: cn=config is per server (a schema,
        // an index or an overlay loaded on one provider only is a common mistake).
        let people = Self.rosterSize(config)
        var servers: [LDAPConnection] = [conn]
        for uri in config.directory.uris where uri != conn.uri {
            var options = Frontend.connectionOptions(config)
            options.uris = [uri]
            if let peer = try? LDAPConnection.connect(options, credentials: try Frontend.credentials(config)) { servers.append(peer) }
        }
        defer { for s in servers.dropFirst() { s.close() } }
        for server in servers {
            ServerChecks(config: config, conn: server, tag: config.directory.uris.count > 1 ? "\(server.uri): " : "",
                         people: people, probe: !readOnly).run(report: report)
        }

        if servers.count > 1 { Self.compareEntries(config, servers, report: report) }
        if let reader = config.directory.mailReader { Self.checkMailReader(config, reader, report: report) }

        if failed { throw ExitCode.failure }
    }

    /// The providers hold the same number of managed entries. Equal contextCSNs say that each
    /// has every change the other has *announced*: a provider killed in the middle of a run
    /// (pipelined writes commit out of CSN order) can leave its peer without some entries for
    /// good, which only a count shows (seen in the pair's failover test: 2,869 vs 2,842).
    static func compareEntries(_ config: Config, _ servers: [LDAPConnection], report: (Bool?, String, String) -> Void) {
        let managed = Filter.or(["rsAccount", "rsUnit", "rsUnitMailbox"].map { .equality("objectClass", $0) })
        var counts: [(uri: String, entries: Int, csn: [String: String]?)] = []
        for server in servers {
            var n = 0
            do {
                try server.search(base: config.directory.unitsBase.string, filter: managed, attributes: ["1.1"]) { _ in n += 1 }
                counts.append((server.uri, n, try? Replication.contextCSN(server, base: config.directory.base.string)))
            } catch {
                report(nil, "entries", "\(server.uri): cannot count the managed entries: \(error)")
                return
            }
        }
        let list = counts.map { "\($0.uri) \($0.entries)" }.joined(separator: ", ")
        if Set(counts.map(\.entries)).count == 1 {
            report(true, "entries", "every provider holds \(counts[0].entries) managed entries")
        } else if counts.allSatisfy({ $0.csn != nil && $0.csn! == counts[0].csn! }) {
            report(false, "entries", "the providers hold different numbers of managed entries (\(list)) though none is behind (same contextCSN): "
                   + "replication lost writes, as a provider killed mid-run can make it; reload the one with fewer from the other (slapcat, then slapadd) before the next sync")
        } else {
            report(nil, "entries", "the providers differ (\(list)) while replication catches up (their contextCSNs differ)")
        }
    }

    /// The mail servers' identity (`directory.mail_reader`) reads what Postfix and Dovecot
    /// look up (a mailbox's `mail`, aliases and state) and writes nothing. The write test
    /// deletes a value no entry has: the server answers "insufficient access" when the
    /// identity may not write, "no such attribute" when it may, and changes nothing either way.
    static func checkMailReader(_ config: Config, _ reader: Config.Bind, report: (Bool?, String, String) -> Void) {
        guard case let .simple(dn, _) = reader else { return }
        let conn: LDAPConnection
        do {
            conn = try LDAPConnection.connect(Frontend.connectionOptions(config), credentials: try Frontend.credentials(reader))
        } catch {
            let why = "\(error)".replacingOccurrences(of: "directory.bind.", with: "directory.mail_reader.")
            report(false, "mailserver", "\(dn) cannot bind: \(why) (directory.mail_reader: the DN and password Postfix and Dovecot use)")
            return
        }
        defer { conn.close() }
        struct Enough: Error {}
        var sample: LDAPEntry?
        do {
            try conn.search(base: config.directory.unitsBase.string, filter: .and([.equality("objectClass", "inetOrgPerson"), .present("mail")]),
                            attributes: ["mail", "mailLocalAddress", "rsState", "userPassword"], pageSize: 1) { e in
                sample = e
                throw Enough()
            }
        } catch is Enough {
        } catch {
            report(false, "mailserver", "\(dn) cannot search \(config.directory.unitsBase): \(error); the ACLs of deploy/slapd/rostersync-acl.ldif give it read access")
            return
        }
        guard let e = sample else {
            report(nil, "mailserver", "\(dn) binds; no mailbox to read yet (nothing synced)")
            return
        }
        guard e.attributes["mail"] != nil, e.attributes["rsstate"] != nil else {
            report(false, "mailserver", "\(dn) finds \(e.dn) but cannot read its mail and rsState: Postfix and Dovecot would find no mailbox; give it read access (deploy/slapd/rostersync-acl.ldif)")
            return
        }
        do {
            try conn.modify(e.dn, [.delete("rsState", ["x-rostersync-check"])])
            report(false, "mailserver", "\(dn) could write to \(e.dn) (the server accepted a delete; nothing was there to delete): mail servers must only read")
        } catch where error.code == .insufficientAccessRights {
            let hashes = e.attributes["userpassword"] != nil
            report(hashes ? nil : true, "mailserver",
                   "\(dn) reads mailboxes (mail, aliases, rsState) and cannot write" + (hashes ? "; it can also read password hashes, which auth_bind does not need" : ""))
        } catch where error.code == .noSuchAttribute {
            report(false, "mailserver", "\(dn) may write to \(e.dn) (the server answered \(error.code.text) to a delete, not insufficient access): mail servers must only read")
        } catch {
            report(nil, "mailserver", "\(dn): the write test was inconclusive: \(error)")
        }
    }
    /// Units and people in the configured rosters, for the size check; nil without rosters
    /// (or with rosters that do not read: `rostersync roster` says why).
    static func rosterSize(_ config: Config) -> Int? {
        guard let units = config.rosters.units, let staff = config.rosters.staff else { return nil }
        let parser = RosterParser(unitColumns: config.rosters.unitColumns, staffColumns: config.rosters.staffColumns, domain: config.mail.domain)
        guard let loaded = try? Frontend.loadRoster(
            units: units, staff: staff, unitsEncoding: RosterEncoding(name: config.rosters.unitsEncoding),
            staffEncoding: RosterEncoding(name: config.rosters.staffEncoding), parser: parser) else { return nil }
        return loaded.roster.units.count + loaded.roster.staff.count
    }
}

/// The checks of one provider: what the agent relies on in its data and its cn=config.
struct ServerChecks {
    let config: Config
    let conn: LDAPConnection
    /// "<uri>: " with several providers, so each line says which one it is about.
    let tag: String
    let people: Int?
    let probe: Bool

    /// Bytes of back-mdb's map one directory entry takes, measured: a stock Debian slapd
    /// 2.5.13 set up by deploy/slapd/setup, durable writes, after the initial sync of
    /// `roster-gen --staff 5000 --seed 7` (66 units): data.mdb grew from 81,920 to 8,531,968
    /// bytes for 4,863 entries, 1,737 bytes each (free pages included), rounded up here. The
    /// check asks for twice that per roster row: a pair's entryCSN/entryUUID indexes and
    /// syncprov, mdb's copy-on-write pages and growth (the 10 MiB default held ~4,000 people
    /// on the dev server, ~2,600 bytes each).
    static let bytesPerEntry = 1_800
    /// back-mdb's olcDbMaxSize when none is set.
    static let defaultMaxSize = 10_485_760

    /// What fixes a setting of this provider: setup runs as root on the provider's own host.
    var fix: String {
        conn.uri.hasPrefix("ldapi://") ? "run: deploy/slapd/setup \(conn.uri)" : "run: deploy/slapd/setup ldapi:/// as root on the host of \(conn.uri)"
    }

    func run(report: (Bool?, String, String) -> Void) {
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

        // cn=config, when this identity may read it (root over ldapi; the agent's DN once setup
        // let it read the settings checked here), answers the rest for certain.
        let cnConfig = try? conn.search(
            base: "cn=config",
            filter: .or([.equality("objectClass", "olcDatabaseConfig"), .equality("objectClass", "olcPPolicyConfig"),
                         .equality("objectClass", "olcLastBindConfig")]),
            attributes: ["objectClass", "olcSuffix", "olcLastBind", "olcPPolicyDefault", "olcPPolicyHashCleartext", "olcDatabase",
                         "olcDbIndex", "olcDbMaxSize", "olcPasswordHash", "olcLastBindPrecision"])
        let database = cnConfig?.first { e in e.strings("olcSuffix").contains { (try? DN($0)) == base } }
        let frontend = cnConfig?.first { $0.dn.lowercased().hasPrefix("olcdatabase={-1}frontend") }
        let overlays = database.map { db in cnConfig?.filter { $0.dn.lowercased().hasSuffix("," + db.dn.lowercased()) } ?? [] } ?? []
        let unreadable = "could not read cn=config as this identity"

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

        if probe && unitsExist { writeProbe(report: report) }
        else if !probe { report(nil, "write", "\(tag)not tested (--read-only)") }
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
    func writeProbe(report: (Bool?, String, String) -> Void) {
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

extension Frontend {
    static func describe(_ bind: Config.Bind) -> String {
        switch bind {
        case .saslExternal: "SASL EXTERNAL"
        case let .simple(dn, source): "simple bind as \(dn) (password from \(source))"
        }
    }
}
