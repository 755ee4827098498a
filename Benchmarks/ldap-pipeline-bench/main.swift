import Foundation
import LDAPClient
import LDAPModel

// ldap-pipeline-bench: the same N person entries, either printed as LDIF (for ldapadd) or
// added through LDAPClient's pipeline with a given window, so both clients write exactly the
// same entries to the same slapd. scripts/bench-pipeline runs it and prints the table.
//
//   ldap-pipeline-bench ldif --count N --parent DN
//   ldap-pipeline-bench add --uri URI --count N --parent DN --window W

let given = ["An", "Bình", "Cường", "Dũng", "Đức", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Ngọc", "Phương", "Quân", "Sáng", "Pấng", "Dình", "Thảo", "Thắng", "Trang", "Tuấn", "Việt", "Yến"]
let family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Lò", "Sùng", "Hà", "Triệu"]
let middle = ["Văn", "Thị", "Minh", "Thu", "Đức", "Quốc", "A", "Thanh", "Hữu", "Ngọc"]

func attributes(_ i: Int) -> [LDAPAttribute] {
    let g = given[i % given.count], f = family[(i / given.count) % family.count], m = middle[(i / 7) % middle.count]
    let uid = String(format: "bench%07d", i)
    return [
        LDAPAttribute("objectClass", ["inetOrgPerson"]),
        LDAPAttribute("uid", uid),
        LDAPAttribute("cn", "\(f) \(m) \(g)"),
        LDAPAttribute("sn", f),
        LDAPAttribute("givenName", g),
        LDAPAttribute("mail", "\(uid)@cema.gov.vn"),
        LDAPAttribute("employeeNumber", String(format: "%07d", i)),
        LDAPAttribute("title", "Chuyên viên"),
        LDAPAttribute("userPassword", "Bench-\(i)-pw"),
    ]
}

func arg(_ name: String) -> String? {
    guard let i = CommandLine.arguments.firstIndex(of: name), i + 1 < CommandLine.arguments.count else { return nil }
    return CommandLine.arguments[i + 1]
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ldap-pipeline-bench: \(message)\n".utf8))
    exit(2)
}

let mode = CommandLine.arguments.dropFirst().first ?? ""
let count = Int(arg("--count") ?? "") ?? 1000
guard let parent = arg("--parent") else { fail("--parent DN is required") }

switch mode {
case "ldif":
    var out = ""
    out.reserveCapacity(count * 300)
    for i in 0..<count {
        let attrs = attributes(i)
        out += "dn: uid=\(String(format: "bench%07d", i)),\(parent)\n"
        for a in attrs {
            for v in a.values {
                let s = String(decoding: v, as: UTF8.self)
                if s.unicodeScalars.allSatisfy({ $0.isASCII }) {
                    out += "\(a.name): \(s)\n"
                } else {
                    out += "\(a.name):: \(v.base64EncodedString())\n"
                }
            }
        }
        out += "\n"
        if out.utf8.count > 1 << 20 {
            FileHandle.standardOutput.write(Data(out.utf8))
            out.removeAll(keepingCapacity: true)
        }
    }
    FileHandle.standardOutput.write(Data(out.utf8))
case "add":
    guard let uri = arg("--uri") else { fail("--uri is required") }
    let window = Int(arg("--window") ?? "") ?? LDAPConnection.defaultWindow
    let conn: LDAPConnection
    do {
        conn = try LDAPConnection.connect(LDAPConnectionOptions(uris: [uri], operationTimeout: 120), credentials: .saslExternal)
    } catch { fail("\(error)") }
    let ops = (0..<count).map { LDAPOperation(.add(dn: "uid=\(String(format: "bench%07d", $0)),\(parent)", attributes: attributes($0))) }
    var failures = 0
    var firstError: LDAPError?
    let start = DispatchTime.now()
    do {
        try conn.pipeline(ops, window: window) { _, r in
            if case let .failure(e) = r { failures += 1; firstError = firstError ?? e }
        }
    } catch { fail("\(error)") }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    if let firstError { fail("\(failures) adds failed, first: \(firstError)") }
    print(String(format: "%.3f", seconds))
default:
    fail("usage: ldap-pipeline-bench ldif|add --count N --parent DN [--uri URI --window W]")
}
