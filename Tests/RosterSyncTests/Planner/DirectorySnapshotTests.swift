import Foundation
import LDAPModel
@testable import RosterSync
import Testing

@Suite("Directory snapshot")
struct DirectorySnapshotTests: PlannerFixtures {
    @Test("entry DNs read through the parent cache and the simple-RDN path equal the parsed DNs", arguments: [
        "uid=annv,ou=vu-a,ou=units,dc=cema,dc=gov,dc=vn", "UID=AnNV,OU=Vu-A,ou=units,dc=cema,dc=gov,dc=vn",
        "uid=a\\,b,ou=vu-a,ou=units,dc=cema,dc=gov,dc=vn", "cn=Nguyễn Văn An,ou=vu-a,ou=units,dc=cema,dc=gov,dc=vn",
        "cn= lead,ou=vu-a,ou=units,dc=cema,dc=gov,dc=vn", "cn=#41,ou=vu-a,ou=units,dc=cema,dc=gov,dc=vn",
        "cn=a+sn=b,ou=vu-a,ou=units,dc=cema,dc=gov,dc=vn", "ou=\"x, y\",ou=units,dc=cema,dc=gov,dc=vn", "dc=vn",
        "cn=a=b,ou=vu-a,ou=units,dc=cema,dc=gov,dc=vn",
    ])
    func snapshotDNs(text: String) throws {
        var snapshot = DirectorySnapshot()
        _ = snapshot.parse("uid=warm,ou=vu-a,ou=units,dc=cema,dc=gov,dc=vn")  // the parent is cached now
        let read = snapshot.parse(text)
        let dn = try #require(read)
        let parsed = try DN(text)
        #expect(dn == parsed)
        #expect(dn.rdns == parsed.rdns)
        #expect(dn.string == parsed.string)
    }
}
