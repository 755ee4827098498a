@testable import LDAPModel
import Testing

@Suite("DN (RFC 4514)")
struct DNTests {
    @Test("an RDN made by the plain-ASCII shortcut equals the general one, and other text takes the general way", arguments: [
        ("uid", "annv"), ("UID", "AnNV2"), ("ou", "vu-dan-toc"), ("cn", "Nguyễn Văn An"), ("cn", "two  spaces"), ("cn", "#41"),
        ("cn", "a,b"), ("cn", "a+b"), ("cn", "x\\y"), ("cn", ""), ("cn", " lead"), ("o", "A.B_C-1"),
    ])
    func plainRDN(type: String, value: String) {
        let plain = DN.RDN(plainType: type, value: value), general = DN.RDN(type: type, value: value)
        #expect(plain == general && plain.key == general.key && plain.description == general.description && plain.avas == general.avas)
    }

    @Test("escape: every special character, leading # and space, trailing space, NUL")
    func escapeSpecials() {
        #expect(DN.escape("Nguyễn Văn Đức, Jr.") == "Nguyễn Văn Đức\\, Jr.")
        #expect(DN.escape("*)(uid=*") == "*)(uid\\=*")
        #expect(DN.escape("a+b\"c\\d<e>f;g") == "a\\+b\\\"c\\\\d\\<e\\>f\\;g")
        #expect(DN.escape("#x") == "\\#x")
        #expect(DN.escape("x#") == "x#")
        #expect(DN.escape(" x ") == "\\ x\\ ")
        #expect(DN.escape("a b") == "a b")
        #expect(DN.escape("nul\0") == "nul\\00")
    }

    @Test("parse then print round-trips any value, Vietnamese included", arguments: [
        "Nguyễn Văn Đức, Jr.", "*)(uid=*", " #lead+trail ", "a\\b\"c<d>e;f=g", "Hoàng A Sáng", "H'Hen Niê", "Y Moan Ênuôl", "x\0y", "Ủy ban Dân tộc",
    ])
    func roundTrip(value: String) throws {
        let dn = DN(rdns: [.init(type: "cn", value: value), .init(type: "ou", value: "units"), .init(type: "dc", value: "vn")])
        let parsed = try DN(dn.string)
        #expect(parsed.rdns.first?.value == value)
        #expect(parsed == dn)
        #expect(parsed.string == dn.string)
    }

    @Test("hex escapes decode to UTF-8, as other tools write Vietnamese letters")
    func hexEscapes() throws {
        // "Đức" written with hex pairs for each UTF-8 byte.
        let dn = try DN("cn=\\C4\\90\\E1\\BB\\A9c,dc=vn")
        #expect(dn.rdns[0].value == "Đức")
        #expect(try DN("cn=a\\2Cb,dc=vn").rdns[0].value == "a,b")
    }

    @Test("comparison ignores case of types and values and insignificant spaces")
    func comparison() throws {
        #expect(try DN("UID=AnNV, OU=Units ,dc=CEMA") == DN("uid=annv,ou=units,dc=cema"))
        #expect(try DN("cn=a+sn=b,dc=x") == DN("sn=b+cn=a,dc=x"))
        #expect(try DN("uid=annv,dc=x") != DN("uid=annv2,dc=x"))
        // Decomposed and precomposed forms of a Vietnamese name are the same DN.
        #expect(try DN("cn=Nguye\u{0302}\u{0303}n,dc=x") == DN("cn=Nguyễn,dc=x"))
    }

    @Test("multi-valued RDNs, quoted values and ';' separators parse")
    func grammarVariants() throws {
        let dn = try DN("cn=a+uid=b;ou=\"x, y\",dc=z")
        #expect(dn.rdns.count == 3)
        #expect(dn.rdns[0].avas.map(\.type) == ["cn", "uid"])
        #expect(dn.rdns[1].value == "x, y")
        #expect(try DN("").isRoot)
    }

    @Test("invalid DNs are refused with the offset of the problem", arguments: [
        "cn", "cn=a,", "=x", "cn=a\\", "cn=a\\zz", "cn=a\"b", "cn=\"open",
    ])
    func invalid(text: String) {
        let e = #expect(throws: DNError.self) { _ = try DN(text) }
        #expect(e?.description.contains(text) == true)
    }

    @Test("parent, child, descendant and rebase")
    func navigation() throws {
        let base = try DN("ou=units,dc=cema,dc=gov,dc=vn")
        let unit = base.child(type: "ou", value: "vu-a")
        let person = unit.child(type: "uid", value: "annv")
        #expect(person.parent == unit)
        #expect(person.isDescendant(of: base) && !base.isDescendant(of: person) && !unit.isDescendant(of: unit))
        let moved = base.child(type: "ou", value: "vu-b").child(type: "ou", value: "vu-a")
        #expect(person.rebased(from: unit, to: moved) == moved.child(type: "uid", value: "annv"))
        #expect(base.rebased(from: unit, to: moved) == nil)
        // The cut-short keys of parent and child equal those of the same names parsed.
        #expect(person.parent?.normalized == (try DN(unit.string)).normalized)
        #expect(person.normalized == (try DN(person.string)).normalized)
        #expect(base.parent?.parent?.parent?.parent?.isRoot == true)
        #expect(person.isChild(of: unit) && !person.isChild(of: base) && !unit.isChild(of: person) && !person.isChild(of: moved))
        #expect(try DN("UID=AnNV,OU=Vu-A,ou=units,dc=cema,dc=gov,dc=vn").isChild(of: unit))
    }

    @Test("a comma or plus inside a value never makes two names compare equal")
    func keysAreUnambiguous() throws {
        #expect(try DN("ou=a\\,ou=b,dc=x") != DN("ou=a,ou=b,dc=x"))
        #expect(try DN("cn=a\\+sn=b,dc=x") != DN("cn=a+sn=b,dc=x"))
        #expect(try DN("ou=A\\, B,dc=x") == DN("ou=a\\,  b,dc=x"))
    }
}

@Suite("Filter (RFC 4515)")
struct FilterTests {
    @Test("assertion values are escaped; UTF-8 stays as it is")
    func escaping() {
        #expect(Filter.escape("*)(uid=*") == "\\2a\\29\\28uid=\\2a")
        #expect(Filter.escape("a\\b\0") == "a\\5cb\\00")
        #expect(Filter.escape("Nguyễn Văn Đức, Jr.") == "Nguyễn Văn Đức, Jr.")
    }

    @Test("composed filters print with every value escaped")
    func composition() {
        let f = Filter.and([.equality("objectClass", "rsAccount"), .or([.equality("cn", "*)(uid=*"), .not(.present("mail"))])])
        #expect(f.description == "(&(objectClass=rsAccount)(|(cn=\\2a\\29\\28uid=\\2a)(!(mail=*))))")
        #expect(Filter.substrings("cn", initial: "Ng(", any: ["*"], final: nil).description == "(cn=Ng\\28*\\2a*)")
        #expect(Filter.raw("uid=ubdt").description == "(uid=ubdt)")
    }
}

@Suite("Secret")
struct SecretTests {
    @Test("a secret never prints, in any form")
    func redacted() {
        let s = Secret("Mật-khẩu-123")
        #expect("\(s)" == "<redacted>")
        #expect(String(reflecting: s) == "<redacted>")
        var dumped = ""
        dump(s, to: &dumped)
        #expect(!dumped.contains("Mật"))
        #expect(s.reveal() == "Mật-khẩu-123")
    }
}
