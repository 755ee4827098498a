import LDAPModel
import Testing

@Suite("IndexedEntry")
struct IndexedEntryTests {
    @Test("values by slot; a slot sent twice keeps all its values together; reset empties every slot")
    func slots() {
        var e = IndexedEntry(dn: "uid=an,ou=units", count: 3)
        e.append("inetOrgPerson", to: 0)
        e.append("Nguyễn Văn An", to: 2)
        e.append("top", to: 0)  // slot 0 again, after slot 2
        e.append(["rsAccount", "person"], to: 0)
        #expect(Array(e[0]) == ["inetOrgPerson", "top", "rsAccount", "person"])
        #expect(e.first(2) == "Nguyễn Văn An" && e.first(1) == nil && e[1].isEmpty)
        #expect(e.values == [["inetOrgPerson", "top", "rsAccount", "person"], [], ["Nguyễn Văn An"]])
        let kept = e
        e.reset(dn: "uid=binh,ou=units")
        e.append("Lê Bình", to: 2)
        #expect(e.values == [[], [], ["Lê Bình"]] && e.dn == "uid=binh,ou=units")
        #expect(kept.values[0].count == 4 && kept.first(2) == "Nguyễn Văn An", "a copy kept by the reader is not changed by the reuse")
    }
}
