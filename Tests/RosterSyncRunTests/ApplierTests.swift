import Foundation
import LDAPClient
import LDAPModel
import RosterSync
import RosterSyncRun
import SlapdHarness
import Testing

/// The applier against a real slapd: every outcome reported once, in the order the contract
/// promises, with the directory checked afterwards.
@Suite("Applier against a real slapd")
struct ApplierTests {
    func admin(_ s: Slapd) throws -> LDAPConnection {
        try LDAPConnection.connect(LDAPConnectionOptions(uris: [s.ldapURI], connectTimeout: 2, operationTimeout: 10),
                                   credentials: .simple(dn: s.adminDN, password: Secret(s.adminPassword)))
    }

    func add(_ uid: String, _ s: Slapd, kind: ChangeKind = .createAccount, extra: [LDAPAttribute] = []) -> Change {
        let dn = "uid=\(DN.escape(uid)),\(s.suffix)"
        return Change(kind: kind, dn: dn, groupUnit: nil, subject: uid, reason: "test",
                      operations: [.add(dn: dn, attributes: [
                          LDAPAttribute("objectClass", ["inetOrgPerson"]), LDAPAttribute("uid", uid),
                          LDAPAttribute("cn", uid), LDAPAttribute("sn", uid),
                      ] + extra)])
    }

    func exists(_ conn: LDAPConnection, _ uid: String, _ s: Slapd) throws -> Bool {
        try conn.read("uid=\(DN.escape(uid)),\(s.suffix)", attributes: ["1.1"]) != nil
    }

    /// Runs the applier; returns each change's outcome by index and the fatal error.
    func run(_ applier: Applier, _ changes: [Change], sending: ([Int]) -> Void = { _ in }) -> ([Int: Applier.Outcome], LDAPError?, Int) {
        var outcomes: [Int: Applier.Outcome] = [:]
        var reports = 0
        let fatal = applier.apply(changes, operations: { changes[$0].operations }, sending: { indices, _ in sending(indices) }) { i, o in
            outcomes[i] = o
            reports += 1
        }
        return (outcomes, fatal, reports)
    }

    func isOK(_ o: Applier.Outcome?) -> Bool { if case .ok? = o { true } else { false } }
    func failure(_ o: Applier.Outcome?) -> LDAPError? { if case let .failed(e)? = o { e } else { nil } }

    @Test("a change that fails fails alone: a duplicate add and a stale assertion, the others applied")
    func failsAlone() throws {
        try withSlapd { s in
            let conn = try admin(s)
            defer { conn.close() }
            let first = run(Applier(conn: conn, window: 8), [add("taken", s), add("kept", s, extra: [LDAPAttribute("description", "new")])]).0
            #expect(isOK(first[0]) && isOK(first[1]))
            let keptDN = "uid=kept,\(s.suffix)"
            let stale = Change(kind: .updateAccount, dn: keptDN, groupUnit: nil, subject: "kept", reason: "test",
                               operations: [.modify(dn: keptDN, modifications: [.replace("description", ["newer"])], assertion: .equality("description", "old"))])
            let changes = [stale, add("a1", s), add("taken", s), add("a2", s), add("a3", s)]
            let (outcomes, fatal, reports) = run(Applier(conn: conn, window: 8), changes)
            #expect(fatal == nil)
            #expect(reports == changes.count, "every change reported exactly once")
            #expect(failure(outcomes[0])?.code == .assertionFailed)
            #expect(failure(outcomes[2])?.code == .entryAlreadyExists)
            #expect([1, 3, 4].allSatisfy { isOK(outcomes[$0]) })
            #expect(try ["a1", "a2", "a3"].allSatisfy { try exists(conn, $0, s) })
            #expect(try conn.read(keptDN, attributes: ["description"])?.string("description") == "new", "the stale write changed nothing")
        }
    }

    @Test("a change's second write goes out only once its first succeeded")
    func writesInOrder() throws {
        try withSlapd { s in
            let conn = try admin(s)
            defer { conn.close() }
            let missing = "uid=nobody,\(s.suffix)"
            let blocked = Change(kind: .updateAccount, dn: missing, groupUnit: nil, subject: "blocked", reason: "test",
                                 operations: [.modify(dn: missing, modifications: [.replace("description", ["x"])], assertion: nil)]
                                     + add("after-failure", s).operations)
            var twoSteps = add("two-steps", s)
            twoSteps.operations.append(.modify(dn: "uid=two-steps,\(s.suffix)", modifications: [.add("description", ["second"])], assertion: nil))
            let (outcomes, _, _) = run(Applier(conn: conn, window: 8), [blocked, twoSteps])
            #expect(failure(outcomes[0])?.code == .noSuchObject)
            #expect(try !exists(conn, "after-failure", s), "the write after a failed one was sent")
            #expect(isOK(outcomes[1]))
            #expect(try conn.read("uid=two-steps,\(s.suffix)", attributes: ["description"])?.string("description") == "second")
        }
    }

    @Test("sending is told of every change before its first write reaches the directory")
    func pendingBeforeWrites() throws {
        try withSlapd { s in
            let conn = try admin(s), observer = try admin(s)
            defer { conn.close(); observer.close() }
            let changes = (0..<40).map { add("p\($0)", s) } + [add("unit-like", s, kind: .createUnit)]
            var told = Set<Int>(), seenEarly: [String] = []
            let (outcomes, fatal, _) = run(Applier(conn: conn, window: 8), changes) { indices in
                for i in indices {
                    told.insert(i)
                    if (try? exists(observer, changes[i].subject, s)) != false { seenEarly.append(changes[i].subject) }
                }
            }
            #expect(fatal == nil)
            #expect(told == Set(changes.indices))
            #expect(seenEarly.isEmpty, "in the directory before sending was told: \(seenEarly)")
            #expect(changes.indices.allSatisfy { isOK(outcomes[$0]) })
        }
    }

    @Test("once stop says why (a lost lease), nothing more is sent and the rest is reported not attempted")
    func stopsSending() throws {
        try withSlapd { s in
            let conn = try admin(s)
            defer { conn.close() }
            var applier = Applier(conn: conn, window: 8)
            applier.stop = { "the lease was taken" }
            let changes = [add("s1", s), add("s2", s)]
            let (outcomes, fatal, reports) = run(applier, changes)
            #expect(fatal != nil)
            #expect(reports == 2)
            #expect(changes.indices.allSatisfy { failure(outcomes[$0])?.message.hasPrefix("not attempted: the lease was taken") == true })
            #expect(try !exists(conn, "s1", s) && !exists(conn, "s2", s))
        }
    }

    @Test("a server lost mid-run: what was sent is unknown or answered, what was not is not attempted")
    func serverLost() throws {
        try withSlapd { s in
            let conn = try LDAPConnection.connect(LDAPConnectionOptions(uris: [s.ldapURI], connectTimeout: 1, operationTimeout: 2),
                                                  credentials: .simple(dn: s.adminDN, password: Secret(s.adminPassword)))
            defer { conn.close() }
            let changes = (0..<30).map { add("l\($0)", s) }
            var applier = Applier(conn: conn, window: 4)
            var sent = 0
            applier.stop = { nil }
            let (outcomes, fatal, reports) = run(applier, changes) { indices in
                sent += indices.count
                s.kill9()
            }
            #expect(fatal != nil)
            #expect(reports == changes.count, "every change reported exactly once")
            let unknown = outcomes.values.filter { if case .unknown = $0 { true } else { false } }.count
            let ok = outcomes.values.filter { if case .ok = $0 { true } else { false } }.count
            #expect(ok == 0, "slapd was killed before the first write went out")
            #expect(unknown + outcomes.values.compactMap(failure).count == changes.count)
            #expect(sent == changes.count)
        }
    }
}
