import Foundation
import LDAPClient
import LDAPModel
import RosterSync

extension Runner {
    /// `check`: the config, the directory and every provider, one line per check on standard
    /// output; throws `RunExit.failure` when one failed.
    package static func check(configPath: String, probe: Bool) throws {
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
            config = try loadConfig(configPath)
        } catch {
            printError("rostersync: \(error)")
            throw RunExit.failure
        }
        report(true, "config", configPath)

        let conn: LDAPConnection
        do {
            conn = try Runner.connect(config)
        } catch {
            report(false, "directory", "\(error)")
            throw RunExit.failure
        }
        let which = config.directory.uris.count > 1 ? " (URI \((config.directory.uris.firstIndex(of: conn.uri) ?? 0) + 1) of \(config.directory.uris.count))" : ""
        report(true, "directory", "reachable at \(conn.uri)\(which)")
        if config.directory.uris.count > 1 { checkReplicas(config, conn, report: report) }
        do {
            let who = try conn.whoAmI()
            report(true, "bind", "\(Runner.describe(config.directory.bind)) → \(who.isEmpty ? "anonymous" : who)")
        } catch {
            report(false, "bind", "WhoAmI failed: \(error)")
        }

        // Everything the agent relies on, on every provider: cn=config is per server (a schema,
        // an index or an overlay loaded on one provider only is a common mistake).
        let people = rosterSize(config)
        var servers: [LDAPConnection] = [conn]
        for uri in config.directory.uris where uri != conn.uri {
            var options = Runner.connectionOptions(config)
            options.uris = [uri]
            if let peer = try? LDAPConnection.connect(options, credentials: try Runner.credentials(config)) { servers.append(peer) }
        }
        defer { for s in servers.dropFirst() { s.close() } }
        for server in servers {
            ServerChecks(config: config, conn: server, tag: config.directory.uris.count > 1 ? "\(server.uri): " : "",
                         people: people, probe: probe).run(report: report)
        }

        if servers.count > 1 { compareEntries(config, servers, report: report) }
        if let reader = config.directory.mailReader { checkMailReader(config, reader, report: report) }

        if failed { throw RunExit.failure }
    }

    /// Every other provider: does it answer, and is the one used behind it (contextCSN)?
    static func checkReplicas(_ config: Config, _ conn: LDAPConnection, report: ServerChecks.Report) {
        let base = config.directory.base.string
        let mine = try? Replication.contextCSN(conn, base: base)
        for uri in config.directory.uris where uri != conn.uri {
            var options = Runner.connectionOptions(config)
            options.uris = [uri]
            do {
                let peer = try LDAPConnection.connect(options, credentials: try Runner.credentials(config))
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

    /// The providers hold the same number of managed entries. Equal contextCSNs say that each
    /// has every change the other has *announced*: a provider killed in the middle of a run
    /// (pipelined writes commit out of CSN order) can leave its peer without some entries for
    /// good, which only a count shows (seen in the pair's failover test: 2,869 vs 2,842).
    static func compareEntries(_ config: Config, _ servers: [LDAPConnection], report: ServerChecks.Report) {
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
    static func checkMailReader(_ config: Config, _ reader: Config.Bind, report: ServerChecks.Report) {
        guard case let .simple(dn, _) = reader else { return }
        let conn: LDAPConnection
        do {
            conn = try LDAPConnection.connect(Runner.connectionOptions(config), credentials: try Runner.credentials(reader))
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
        guard let loaded = try? Runner.loadRoster(
            units: units, staff: staff, unitsEncoding: RosterEncoding(name: config.rosters.unitsEncoding),
            staffEncoding: RosterEncoding(name: config.rosters.staffEncoding), parser: parser) else { return nil }
        return loaded.roster.units.count + loaded.roster.staff.count
    }
}
