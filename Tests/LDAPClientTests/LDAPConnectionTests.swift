import Foundation
import LDAPClient
import LDAPModel
import SlapdHarness
import Testing

/// Everything here runs against a real slapd started for the test (deploy/dev/slapd-dev).
@Suite("LDAPConnection against a real slapd")
struct LDAPConnectionTests {
    func admin(_ s: Slapd, uris: [String]? = nil, timeout: Double = 10) throws -> LDAPConnection {
        try LDAPConnection.connect(
            LDAPConnectionOptions(uris: uris ?? [s.ldapURI], connectTimeout: 2, operationTimeout: timeout),
            credentials: .simple(dn: s.adminDN, password: Secret(s.adminPassword)))
    }

    func external(_ s: Slapd) throws -> LDAPConnection {
        try LDAPConnection.connect(LDAPConnectionOptions(uris: [s.ldapiURI]), credentials: .saslExternal)
    }

    func person(_ uid: String, under parent: String, cn: String? = nil, extra: [LDAPAttribute] = []) -> LDAPRequest {
        .add(dn: "uid=\(DN.escape(uid)),\(parent)", attributes: [
            LDAPAttribute("objectClass", ["inetOrgPerson"]),
            LDAPAttribute("uid", uid), LDAPAttribute("cn", cn ?? uid), LDAPAttribute("sn", cn ?? uid),
        ] + extra)
    }

    func unit(_ ou: String, under parent: String) -> LDAPRequest {
        .add(dn: "ou=\(DN.escape(ou)),\(parent)", attributes: [
            LDAPAttribute("objectClass", ["organizationalUnit"]), LDAPAttribute("ou", ou),
        ])
    }

    /// Adds every request through one pipeline and fails the test on any error.
    func load(_ conn: LDAPConnection, _ requests: [LDAPRequest]) throws {
        var errors: [LDAPError] = []
        try conn.pipeline(requests.map { LDAPOperation($0) }, window: 32) { _, r in
            if case let .failure(e) = r { errors.append(e) }
        }
        #expect(errors.isEmpty, "\(errors.prefix(3))")
    }

    @Test("simple bind succeeds; a wrong password fails with invalidCredentials (49), named")
    func simpleBind() throws {
        try withSlapd { s in
            let conn = try admin(s)
            #expect(try conn.whoAmI() == "dn:\(s.adminDN)")
            #expect(conn.uri == s.ldapURI)
            let error = #expect(throws: LDAPError.self) {
                _ = try LDAPConnection.connect(
                    LDAPConnectionOptions(uris: [s.ldapURI]),
                    credentials: .simple(dn: s.adminDN, password: Secret("wrong-password")))
            }
            #expect(error?.code == .invalidCredentials)
            #expect(error?.code.rawValue == 49)
            let text = error.map { "\($0)" } ?? ""
            #expect(text.contains("invalidCredentials (49)"))
            #expect(text.contains("Invalid credentials"))
            #expect(!text.contains("wrong-password"), "a password must never be printed")
        }
    }

    @Test("SASL EXTERNAL over ldapi maps the process's uid to the admin identity")
    func saslExternal() throws {
        try withSlapd { s in
            let conn = try external(s)
            #expect(try conn.whoAmI() == "dn:\(s.adminDN)")
            // The identity can read cn=config, which only the mapped peer credentials may.
            let schemas = try conn.search(base: "cn=schema,cn=config", scope: .oneLevel, attributes: ["cn"])
            #expect(schemas.contains { $0.string("cn")?.hasSuffix("rostersync") == true })
        }
    }

    @Test("a paged search returns all 5,000 entries past the server's 500-entry size limit")
    func pagedSearch() throws {
        try withSlapd { s in
            let conn = try external(s)
            let base = "ou=units,\(s.suffix)"
            try load(conn, (0..<5000).map { person(String(format: "p%05d", $0), under: base) })
            // An ordinary user (the admin has no size limit) reads the subtree.
            try conn.setPassword("uid=p00000,\(base)", to: Secret("reader-pw"))
            try conn.modify("uid=p00000,\(base)", [.delete("pwdReset")])
            let reader = try LDAPConnection.connect(
                LDAPConnectionOptions(uris: [s.ldapURI]), credentials: .simple(dn: "uid=p00000,\(base)", password: Secret("reader-pw")))
            var seen = Set<String>()
            try reader.search(base: base, scope: .oneLevel, filter: .equality("objectClass", "inetOrgPerson"), attributes: ["uid"], pageSize: 700) {
                seen.insert($0.string("uid") ?? "")
            }
            #expect(seen.count == 5000)
            #expect(seen.contains("p00000") && seen.contains("p04999"))
            // Without paging the same user stops at the size limit: the control is what works.
            let plain = try Slapd.run("/usr/bin/ldapsearch", [
                "-x", "-H", s.ldapURI, "-D", "uid=p00000,\(base)", "-w", "reader-pw", "-b", base, "-s", "one", "-LLL", "1.1",
            ])
            #expect(plain.status == 4, "ldapsearch without paging should hit sizeLimitExceeded: \(plain.stderr)")
        }
    }

    @Test("an indexed search gives each requested attribute's values in its slot, names without case, non-UTF-8 values left out")
    func indexedSearch() throws {
        try withSlapd { s in
            let conn = try external(s)
            let base = "ou=units,\(s.suffix)"
            try load(conn, [
                person("an", under: base, cn: "Nguyễn Văn An", extra: [LDAPAttribute("mail", "an@cema.gov.vn"), LDAPAttribute("audio", [Data("ok".utf8), Data([0xFF, 0xFE])])]),
                person("binh", under: base, cn: "Lê Bình"),
            ])
            var seen: [String: IndexedEntry] = [:]
            let wanted = ["UID", "cn", "mail", "audio", "objectclass", "createTimestamp"]
            try conn.search(base: base, scope: .oneLevel, indexing: wanted, pageSize: 1) { seen[$0.first(0) ?? "?"] = $0 }
            let an = try #require(seen["an"])
            #expect(an.dn == "uid=an,\(base)" && an.values.count == wanted.count)
            #expect(an.values[1] == ["Nguyễn Văn An"] && an.values[2] == ["an@cema.gov.vn"])
            #expect(an.values[3] == ["ok"], "the 0xFF 0xFE value is not text: left out")
            #expect(an.values[4].contains("inetOrgPerson") && an.first(5)?.hasSuffix("Z") == true)
            #expect(seen["binh"]?.values[2] == [] && seen["binh"]?.values[1] == ["Lê Bình"])
        }
    }

    @Test("many entries read by DN, pipelined: each index answered once, missing ones nil, a bad DN failing alone")
    func pipelinedReads() throws {
        try withSlapd { s in
            let conn = try external(s)
            let base = "ou=units,\(s.suffix)"
            try load(conn, (0..<300).map { person(String(format: "r%04d", $0), under: base) })
            var dns = (0..<300).map { String(format: "uid=r%04d,\(base)", $0) }
            dns.insert("uid=nobody,\(base)", at: 100)
            dns.insert("not a dn", at: 200)
            var answers: [Int: Result<LDAPEntry?, LDAPError>] = [:]
            try conn.read(dns, attributes: ["uid"], window: 16) { i, r in
                #expect(answers[i] == nil, "index \(i) answered twice")
                answers[i] = r
            }
            #expect(answers.count == dns.count)
            for (i, dn) in dns.enumerated() {
                switch answers[i] {
                case let .success(e?)?: #expect(e.dn == dn && e.string("uid") == String(dn.dropFirst(4).prefix(5)))
                case .success(nil)?: #expect(i == 100, "\(dn) read as missing")
                case let .failure(e)?: #expect(i == 200 && e.code == .invalidDNSyntax, "\(dn): \(e)")
                case nil: Issue.record("\(dn) unanswered")
                }
            }
        }
    }

    @Test("add, modify, modrdn of a unit with 100 children under a new parent, delete")
    func writeOperations() throws {
        try withSlapd { s in
            let conn = try external(s)
            let units = "ou=units,\(s.suffix)"
            try conn.perform(LDAPOperation(unit("vu-a", under: units)))
            try conn.perform(LDAPOperation(unit("vu-b", under: units)))
            let old = "ou=vu-a,\(units)"
            try load(conn, (0..<100).map { person("n\($0)", under: old) })
            try conn.modify(old, [.replace("description", ["Vụ Dân tộc thiểu số"]), .add("l", ["Hà Nội"])])
            try conn.modify(old, [.delete("l")])
            // Rename the non-leaf unit and move it under vu-b in one modrdn.
            try conn.rename(old, newRDN: "ou=vu-a2", newSuperior: "ou=vu-b,\(units)")
            let moved = "ou=vu-a2,ou=vu-b,\(units)"
            let entry = try #require(try conn.read(moved, attributes: ["ou", "description", "l"]))
            #expect(entry.string("description") == "Vụ Dân tộc thiểu số")
            #expect(entry.strings("l").isEmpty)
            #expect(entry.strings("ou").contains("vu-a2") && !entry.strings("ou").contains("vu-a"))
            let children = try conn.search(base: moved, scope: .oneLevel, attributes: ["1.1"])
            #expect(children.count == 100)
            #expect(try conn.read(old) == nil)
            // A non-leaf delete is refused; deleting the children first then works.
            let e = #expect(throws: LDAPError.self) { try conn.delete(moved) }
            #expect(e?.code == .notAllowedOnNonLeaf)
            for c in children { try conn.delete(c.dn) }
            try conn.delete(moved)
            #expect(try conn.read(moved) == nil)
        }
    }

    @Test("a write whose assertion no longer holds fails with assertionFailed (122) and changes nothing")
    func assertionControl() throws {
        try withSlapd { s in
            let conn = try external(s)
            let units = "ou=units,\(s.suffix)"
            try conn.perform(LDAPOperation(person("annv", under: units, extra: [LDAPAttribute("title", "Chuyên viên")])))
            let dn = "uid=annv,\(units)"
            try conn.modify(dn, [.replace("title", ["Phó Vụ trưởng"])], assertion: .equality("title", "Chuyên viên"))
            let e = #expect(throws: LDAPError.self) {
                try conn.modify(dn, [.replace("title", ["Vụ trưởng"])], assertion: .equality("title", "Chuyên viên"))
            }
            #expect(e?.code == .assertionFailed)
            #expect(e?.code.rawValue == 122)
            #expect(e?.dn == dn && e?.operation == "modify")
            #expect(try conn.read(dn, attributes: ["title"])?.string("title") == "Phó Vụ trưởng")
            // Deletes and renames carry it too.
            let d = #expect(throws: LDAPError.self) { try conn.delete(dn, assertion: .equality("title", "nobody")) }
            #expect(d?.code == .assertionFailed)
            #expect(try conn.read(dn) != nil)
        }
    }

    @Test("Password Modify by an admin sets pwdReset; the holder's bind then reports changeAfterReset")
    func passwordModifyForcesChange() throws {
        try withSlapd { s in
            let conn = try external(s)
            let units = "ou=units,\(s.suffix)"
            try conn.perform(LDAPOperation(person("lvpang", under: units, cn: "Lò Văn Pấng")))
            let dn = "uid=lvpang,\(units)"
            let generated = try #require(try conn.setPassword(dn, to: nil), "the server generates one when none is given")
            #expect(!generated.isEmpty)
            #expect("\(generated)" == "<redacted>")
            try conn.setPassword(dn, to: Secret("Khởi-tạo-2026!"))
            let entry = try #require(try conn.read(dn, attributes: ["pwdReset", "userPassword"]))
            #expect(entry.string("pwdReset") == "TRUE")
            #expect(entry.string("userPassword")?.hasPrefix("{SSHA}") == true, "hashed by the server")
            let user = try LDAPConnection.connect(
                LDAPConnectionOptions(uris: [s.ldapURI]), credentials: .simple(dn: dn, password: Secret("Khởi-tạo-2026!")))
            #expect(user.bindResult.passwordPolicy == .changeAfterReset)
            // In that state the server allows nothing but the password change.
            let denied = #expect(throws: LDAPError.self) { _ = try user.search(base: units, scope: .base) }
            #expect(denied?.code == .insufficientAccessRights)
            try user.setPassword(dn, to: Secret("Mật-khẩu-mới-2026"))
            #expect(try conn.read(dn, attributes: ["pwdReset"])?.string("pwdReset") == nil)
        }
    }

    @Test("an account with pwdAccountLockedTime cannot bind, even with the right password")
    func lockedAccount() throws {
        try withSlapd { s in
            let conn = try external(s)
            let units = "ou=units,\(s.suffix)"
            try conn.perform(LDAPOperation(person("sad", under: units, cn: "Sùng A Dình", extra: [LDAPAttribute("userPassword", "Đúng-mật-khẩu")])))
            let dn = "uid=sad,\(units)"
            let opts = LDAPConnectionOptions(uris: [s.ldapURI])
            _ = try LDAPConnection.connect(opts, credentials: .simple(dn: dn, password: Secret("Đúng-mật-khẩu")))
            try conn.modify(dn, [.replace("pwdAccountLockedTime", ["000001010000Z"])])
            let e = #expect(throws: LDAPError.self) {
                _ = try LDAPConnection.connect(opts, credentials: .simple(dn: dn, password: Secret("Đúng-mật-khẩu")))
            }
            #expect(e?.code == .invalidCredentials)
            #expect(e?.passwordPolicy == .accountLocked)
        }
    }

    @Test("last-bind tracking writes pwdLastSuccess, read as an operational attribute on request")
    func lastBindTracking() throws {
        try withSlapd { s in
            let conn = try external(s)
            let units = "ou=units,\(s.suffix)"
            try conn.perform(LDAPOperation(person("hhn", under: units, cn: "H'Hen Niê", extra: [LDAPAttribute("userPassword", "pw-H'Hen")])))
            let dn = "uid=hhn,\(units)"
            #expect(try conn.read(dn, attributes: ["pwdLastSuccess"])?.string("pwdLastSuccess") == nil)
            _ = try LDAPConnection.connect(LDAPConnectionOptions(uris: [s.ldapURI]), credentials: .simple(dn: dn, password: Secret("pw-H'Hen")))
            let entry = try #require(try conn.read(dn, attributes: ["*", "+"]))
            #expect(entry.string("pwdLastSuccess")?.hasSuffix("Z") == true)
            #expect(entry.string("createTimestamp") != nil)
            #expect(entry.string("cn") == "H'Hen Niê")
            // Operational attributes are not returned unless asked for.
            #expect(try conn.read(dn)?.string("createTimestamp") == nil)
        }
    }

    @Test("values are binary safe: NUL and invalid UTF-8 bytes round-trip")
    func binaryValues() throws {
        try withSlapd { s in
            let conn = try external(s)
            let units = "ou=units,\(s.suffix)"
            let photo = Data([0xFF, 0xD8, 0x00, 0x01, 0xC3, 0x28, 0x00, 0xFF, 0xD9])
            try conn.perform(LDAPOperation(person("bin", under: units, extra: [LDAPAttribute("jpegPhoto", [photo])])))
            #expect(try conn.read("uid=bin,\(units)", attributes: ["jpegPhoto"])?["jpegPhoto"] == [photo])
        }
    }

    @Test("a pipelined batch of 10,000 adds: every one accounted for, duplicates failing alone")
    func pipelinedAddsWithFailures() throws {
        try withSlapd { s in
            let conn = try external(s)
            let units = "ou=units,\(s.suffix)"
            var requests = (0..<10_000).map { person("u\($0)", under: units) }
            // Every 500th operation repeats the add of 100 operations earlier, which the window
            // of 32 guarantees has completed: it must fail with entryAlreadyExists.
            var duplicateIndexes = Set<Int>()
            for i in stride(from: 499, to: requests.count, by: 500) {
                requests[i] = requests[i - 100]
                duplicateIndexes.insert(i)
            }
            var results = [Result<LDAPWriteResult, LDAPError>?](repeating: nil, count: requests.count)
            try conn.pipeline(requests.map { LDAPOperation($0) }, window: 32) { i, r in
                #expect(results[i] == nil, "operation \(i) reported twice")
                results[i] = r
            }
            #expect(results.allSatisfy { $0 != nil })
            var failed = Set<Int>()
            for (i, r) in results.enumerated() {
                if case let .failure(e)? = r {
                    failed.insert(i)
                    #expect(e.code == .entryAlreadyExists)
                    #expect(e.dn == requests[i].dn)
                }
            }
            #expect(failed == duplicateIndexes)
            let count = try conn.search(base: units, scope: .oneLevel, attributes: ["1.1"]).count
            #expect(count == 10_000 - duplicateIndexes.count)
        }
    }

    @Test("the server killed mid-batch (one URI): writes in flight are outcomeUnknown, the rest serverDown, no hang")
    func serverKilledMidBatch() throws {
        try withSlapd { s in
            let conn = try admin(s, timeout: 5)
            let units = "ou=units,\(s.suffix)"
            let requests = (0..<20_000).map { LDAPOperation(person("k\($0)", under: units)) }
            var ok = 0
            var failed: [LDAPError] = []
            var reported = 0
            let start = Date()
            let thrown = #expect(throws: LDAPError.self) {
                try conn.pipeline(requests, window: 8) { _, r in
                    reported += 1
                    switch r {
                    case .success: ok += 1
                    case let .failure(e): failed.append(e)
                    }
                    if reported == 2000 { s.kill9() }
                }
            }
            #expect(Date().timeIntervalSince(start) < 30)
            #expect(thrown?.code == .serverDown)
            #expect(reported == requests.count, "every operation reported exactly once")
            #expect(ok >= 2000 - 8 && ok < requests.count)
            // Sent and unanswered: maybe applied (at most the window); never sent: serverDown.
            #expect(failed.filter { $0.code == .outcomeUnknown }.count <= 8)
            #expect(failed.allSatisfy { $0.code == .serverDown || $0.code == .outcomeUnknown })
            // Never sent is said by a field, not only in the message: the applier relies on it.
            #expect(failed.allSatisfy { $0.notSent == ($0.code == .serverDown) })
            #expect(failed.contains { $0.notSent })
            // Further use of the dead connection fails cleanly too.
            let again = #expect(throws: LDAPError.self) { _ = try conn.search(base: units, scope: .base) }
            #expect(again?.code == .serverDown)
        }
    }

    @Test("a pipeline whose server is killed mid-batch goes on at the next URI: only writes in flight are outcomeUnknown")
    func pipelineFailsOver() throws {
        try withPair { a, b in
            let conn = try LDAPConnection.connect(
                LDAPConnectionOptions(uris: [a.ldapiURI, b.ldapiURI], connectTimeout: 2, operationTimeout: 5), credentials: .saslExternal)
            var moved: String?
            conn.onFailover = { _, next in moved = next }
            let units = "ou=units,\(a.suffix)"
            let requests = (0..<6000).map { LDAPOperation(person("f\($0)", under: units)) }
            var ok = 0, reported = 0
            var failed: [LDAPError] = []
            try conn.pipeline(requests, window: 8) { _, r in
                reported += 1
                switch r {
                case .success: ok += 1
                case let .failure(e): failed.append(e)
                }
                if reported == 1000 { a.kill9() }
            }
            #expect(reported == requests.count, "every operation reported exactly once")
            #expect(moved == b.ldapiURI && conn.uri == b.ldapiURI && conn.failovers == 1)
            #expect(failed.count <= 8 && failed.allSatisfy { $0.code == .outcomeUnknown }, "\(failed.prefix(2))")
            #expect(ok >= requests.count - 8)
        }
    }

    @Test("a URI list fails over past a refused port and past a frozen server")
    func failover() throws {
        try withSlapd { first in
            try withSlapd { second in
                // A port nothing listens on: refused at once.
                let closed = "ldap://127.0.0.1:1"
                var conn = try admin(second, uris: [closed, second.ldapURI])
                #expect(conn.uri == second.ldapURI)
                conn.close()
                // Both servers share no data, so the one that answered is told by a marker.
                let secondConn = try external(second)
                try secondConn.perform(LDAPOperation(unit("marker", under: "ou=units,\(second.suffix)")))
                // A frozen server accepts the TCP connection but never answers.
                first.freeze()
                defer { first.thaw() }
                let started = Date()
                conn = try LDAPConnection.connect(
                    LDAPConnectionOptions(uris: [first.ldapURI, second.ldapURI], connectTimeout: 1, operationTimeout: 1),
                    credentials: .simple(dn: second.adminDN, password: Secret(second.adminPassword)))
                #expect(conn.uri == second.ldapURI)
                #expect(Date().timeIntervalSince(started) < 10)
                #expect(try conn.read("ou=marker,ou=units,\(second.suffix)") != nil)
                // With no server left, the error names every URI tried.
                let e = #expect(throws: LDAPError.self) {
                    _ = try LDAPConnection.connect(
                        LDAPConnectionOptions(uris: [closed, first.ldapURI], connectTimeout: 1, operationTimeout: 1),
                        credentials: .anonymous)
                }
                #expect(e?.message.contains(closed) == true && e?.message.contains(first.ldapURI) == true)
            }
        }
    }

    @Test("DN and filter escaping with 'Nguyễn Văn Đức, Jr.' and '*)(uid=*' against the server")
    func escapingAgainstServer() throws {
        try withSlapd { s in
            let conn = try external(s)
            let units = "ou=units,\(s.suffix)"
            let tricky = ["Nguyễn Văn Đức, Jr.", "*)(uid=*", " #lead+trail ", "a\\b\"c<d>e;f=g"]
            for (i, name) in tricky.enumerated() {
                let dn = DN(rdns: [.init(type: "cn", value: name)] + (try DN(units)).rdns).string
                try conn.add(dn, [
                    LDAPAttribute("objectClass", ["inetOrgPerson"]), LDAPAttribute("cn", name),
                    LDAPAttribute("sn", name), LDAPAttribute("uid", "t\(i)"),
                ])
                let back = try #require(try conn.read(dn, attributes: ["cn"]))
                #expect(back.string("cn") == name)
                #expect(try DN(back.dn) == DN(dn), "the server's DN string parses to the same DN")
                let found = try conn.search(base: units, filter: .equality("cn", name), attributes: ["uid"])
                #expect(found.map { $0.string("uid") } == ["t\(i)"], "filter for \(name) must match exactly one entry")
            }
            // The injection attempt as a filter value matches only itself, never every uid.
            let injected = try conn.search(base: units, filter: .and([.equality("cn", "*)(uid=*"), .present("uid")]), attributes: ["uid"])
            #expect(injected.count == 1)
        }
    }

    @Test("StartTLS and ldaps:// verify the server against the CA file; an unknown CA is refused unless verification is off")
    func tls() throws {
        try withSlapd { s in
            #expect(!s.caFile.isEmpty, "slapd-dev made no certificates: is openssl installed?")
            let creds = LDAPCredentials.simple(dn: s.adminDN, password: Secret(s.adminPassword))
            let startTLS = try LDAPConnection.connect(
                LDAPConnectionOptions(uris: [s.ldapURI], tls: .startTLS, caFile: s.caFile), credentials: creds)
            #expect(try startTLS.whoAmI() == "dn:\(s.adminDN)")
            let ldaps = try LDAPConnection.connect(LDAPConnectionOptions(uris: [s.ldapsURI], caFile: s.caFile), credentials: creds)
            #expect(try ldaps.whoAmI() == "dn:\(s.adminDN)")
            // Without the CA, the system store does not know the server: refused, no fallback to plain.
            for options in [LDAPConnectionOptions(uris: [s.ldapURI], tls: .startTLS), LDAPConnectionOptions(uris: [s.ldapsURI])] {
                let e = #expect(throws: LDAPError.self) { _ = try LDAPConnection.connect(options, credentials: creds) }
                #expect(e?.code == .connectError || e?.code == .serverDown, "\(String(describing: e))")
                // Said plainly: the certificate, not the server, is the problem.
                #expect(e?.description.contains("the server's certificate did not verify against the system's CA certificates") == true, "\(String(describing: e))")
            }
            // Verification off (a flag in the config) accepts it.
            let unverified = try LDAPConnection.connect(
                LDAPConnectionOptions(uris: [s.ldapsURI], verifyCertificates: false), credentials: creds)
            #expect(try unverified.whoAmI() == "dn:\(s.adminDN)")
            // A CA file that cannot be read is named.
            let missing = #expect(throws: LDAPError.self) {
                _ = try LDAPConnection.connect(LDAPConnectionOptions(uris: [s.ldapsURI], caFile: "/nonexistent/ca.pem"), credentials: creds)
            }
            #expect(missing?.message.contains("/nonexistent/ca.pem") == true)
        }
    }
}
