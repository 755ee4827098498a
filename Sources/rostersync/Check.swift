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
            answers and whether the one used is behind it (contextCSN), the base and units entries, the rostersync \
            schema, the password policy (ppolicy) and last-login tracking. Changes nothing.

            Exit codes: 0 every check passed; 1 a check failed or the config is invalid.
            """)

    @OptionGroup var options: ConfigOptions

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

        for (what, dn) in [("base", config.directory.base), ("units", config.directory.unitsBase)] {
            do {
                if try conn.read(dn.string, attributes: ["1.1"]) != nil {
                    report(true, what, "\(dn) exists")
                } else {
                    report(false, what, "\(dn) does not exist")
                }
            } catch {
                report(false, what, "\(dn): \(error)")
            }
        }

        // The schema, from the subschema subentry that every identity may read.
        do {
            let schema = try conn.read("cn=Subschema", attributes: ["objectClasses", "attributeTypes"])
            let classes = schema?.strings("objectClasses") ?? []
            let needed = ["rsAccount", "rsUnit", "rsClosedMailbox"]
            let missing = needed.filter { name in !classes.contains { $0.contains("NAME '\(name)'") } }
            let hasMailLocal = (schema?.strings("attributeTypes") ?? []).contains { $0.contains("'mailLocalAddress'") }
            if missing.isEmpty && hasMailLocal {
                report(true, "schema", "rostersync schema present (rsAccount, rsUnit, rsClosedMailbox; misc's mailLocalAddress)")
            } else {
                let what = (missing + (hasMailLocal ? [] : ["mailLocalAddress (misc.schema)"])).joined(separator: ", ")
                let update = missing == ["rsClosedMailbox"]
                    ? " (a server with the schema of an earlier version: `schema/update-schema ldapi:///` on each provider)" : ""
                report(false, "schema", "missing \(what): load schema/rostersync.ldif with `ldapadd -Y EXTERNAL -H ldapi:/// -f schema/rostersync.ldif`\(update)")
            }
        } catch {
            report(false, "schema", "cannot read cn=Subschema: \(error)")
        }

        // cn=config, when this identity may read it, answers the rest for certain.
        let cnConfig = try? conn.search(
            base: "cn=config", filter: .or([.equality("objectClass", "olcDatabaseConfig"), .equality("objectClass", "olcPPolicyConfig")]),
            attributes: ["olcSuffix", "olcLastBind", "olcPPolicyDefault", "olcDatabase"])
        let database = cnConfig?.first { e in e.strings("olcSuffix").contains { (try? DN($0)) == config.directory.base } }
        let frontend = cnConfig?.first { $0.dn.lowercased().hasPrefix("olcdatabase={-1}frontend") }

        do {
            let rootDSE = try conn.read("", attributes: ["supportedControl"])
            let ppolicyControl = "1.3.6.1.4.1.42.2.27.8.5.1"
            let advertised = rootDSE?.strings("supportedControl").contains(ppolicyControl) ?? false
            let policies = try conn.search(
                base: config.directory.base.string, filter: .equality("objectClass", "pwdPolicy"),
                attributes: ["pwdLockout", "pwdMustChange"])
            if let database {
                let overlay = cnConfig?.first { $0.dn.lowercased().hasSuffix(database.dn.lowercased()) && $0.string("olcPPolicyDefault") != nil }
                if let defaultDN = overlay?.string("olcPPolicyDefault") {
                    let policy = policies.first { (try? DN($0.dn)) == (try? DN(defaultDN)) }
                    let lockout = policy?.string("pwdLockout") == "TRUE", mustChange = policy?.string("pwdMustChange") == "TRUE"
                    if lockout && mustChange {
                        report(true, "ppolicy", "default policy \(defaultDN): pwdLockout and pwdMustChange on")
                    } else {
                        report(false, "ppolicy", "default policy \(defaultDN) needs pwdLockout: TRUE (so pwdAccountLockedTime refuses binds) and pwdMustChange: TRUE (so pwdReset forces a change)")
                    }
                } else {
                    report(false, "ppolicy", "the ppolicy overlay has no default policy (olcPPolicyDefault) on \(config.directory.base): locked accounts would still bind")
                }
            } else if advertised {
                let good = policies.contains { $0.string("pwdLockout") == "TRUE" && $0.string("pwdMustChange") == "TRUE" }
                report(good ? nil : false, "ppolicy", good
                    ? "overlay answers and a policy with pwdLockout and pwdMustChange exists; cn=config is not readable, so that it is the default was not verified"
                    : "no pwdPolicy entry with pwdLockout: TRUE and pwdMustChange: TRUE under \(config.directory.base)")
            } else {
                report(false, "ppolicy", "the server does not offer the password policy control: load and configure the ppolicy overlay")
            }
        } catch {
            report(false, "ppolicy", "\(error)")
        }

        if let database {
            let on = database.string("olcLastBind") == "TRUE" || frontend?.string("olcLastBind") == "TRUE"
            report(on, "last bind", on
                ? "olcLastBind on: successful logins are recorded in pwdLastSuccess"
                : "olcLastBind is off on \(config.directory.base): set olcLastBind: TRUE so inactive mailboxes can be found (art. 9.3)")
        } else {
            let seen = (try? conn.search(base: config.directory.base.string, filter: .present("pwdLastSuccess"), attributes: ["1.1"], pageSize: 1).isEmpty == false) ?? false
            report(seen ? true : nil, "last bind", seen
                ? "pwdLastSuccess values exist: last-login tracking is on"
                : "cannot read cn=config and no entry has pwdLastSuccess yet: make sure olcLastBind: TRUE is set")
        }

        if failed { throw ExitCode.failure }
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
