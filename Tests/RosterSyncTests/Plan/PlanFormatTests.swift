import Foundation
import LDAPModel
@testable import RosterSync
import Testing

@Suite("Plan formats")
struct PlanFormatTests: PlannerFixtures {
    @Test("LDIF: non-ASCII values in base64, one record per operation, modify blocks closed by '-'")
    func ldif() throws {
        let p = plan(try roster(staff: "employee_id,full_name,unit_code\n1,Nguyễn Văn An,PC\n"), directory + [person("1", "annv", name: "Nguyễn Văn An", ["pwdLastSuccess": ["20261120000000Z"]])])
        let text = p.ldif()
        #expect(text.contains("dn: uid=annv,ou=vp,\(base)\nchangetype: modrdn\nnewrdn: uid=annv\ndeleteoldrdn: 1\nnewsuperior: ou=pc,\(base)\n"))
        #expect(text.contains("changetype: modify\nreplace: departmentNumber\ndepartmentNumber: PC\n-\n"))
        #expect(LDIF.line("cn", "Nguyễn") == "cn:: \(Data("Nguyễn".utf8).base64EncodedString())\n")
        #expect(LDIF.line("cn", " lead") .hasPrefix("cn:: "))
        #expect(LDIF.line("cn", "plain") == "cn: plain\n")
    }
}
