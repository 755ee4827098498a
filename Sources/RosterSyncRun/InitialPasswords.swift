import Foundation
import LDAPClient
import LDAPModel
import Logging
import RosterSync

extension Runner {
    /// Who runs: the systemd timer, or the user (with the reason of a forced run).
    package static func actor(force: Bool, reason: String?) -> String {
        let env = ProcessInfo.processInfo.environment
        let user = env["SUDO_USER"] ?? env["USER"] ?? env["LOGNAME"] ?? "uid \(getuid())"
        if let reason, force { return "admin \(user), forced: \(reason)" }
        return env["INVOCATION_ID"] != nil ? "timer (\(user))" : "user \(user)"
    }

    package static func timestamp(_ date: Date = Date()) -> String {
        AuditRecord.timestamp(secondsSince1970: Int(date.timeIntervalSince1970.rounded(.down)))
    }

    package static func runId(_ date: Date) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date) + "-\(getpid())"
    }

    /// A random initial password from the system CSPRNG: 16 characters without look-alikes.
    /// 16 characters from 56 unambiguous letters and digits (about 93 bits), in groups of 4.
    /// Bytes come from the system CSPRNG eight at a time; a byte ≥ 224 (4 × 56) is drawn
    /// again, so every character is equally likely.
    package static func randomPassword() -> Secret {
        var rng = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(19)
        var chars = 0
        while chars < 16 {
            var word = rng.next()
            for _ in 0..<8 where chars < 16 {
                let b = UInt8(truncatingIfNeeded: word)
                word >>= 8
                guard b < 224 else { continue }
                if chars > 0 && chars % 4 == 0 { out.append(UInt8(ascii: "-")) }
                out.append(passwordAlphabet[Int(b % 56)])
                chars += 1
            }
        }
        return Secret(bytes: out)
    }

    package static let passwordAlphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789".utf8)

    package static func credential(for c: Change, plan: Plan, domain: String) -> Credential {
        let code = c.unitCode ?? c.groupUnit ?? ""
        let address = c.newValue("mail") ?? ""
        switch c.kind {
        case .createAccount:
            return Credential(unitCode: code, holder: c.subject, address: address, password: randomPassword(), occasion: "hộp thư cá nhân mới")
        case .createUnit:
            return Credential(unitCode: code, holder: "Hộp thư đơn vị \(plan.unitNames[code] ?? code)", address: address, password: randomPassword(), occasion: "hộp thư đơn vị mới")
        default:
            let local = (try? DN(c.dn))?.rdn?.value ?? c.dn
            return Credential(unitCode: code, holder: "Hộp thư đơn vị \(plan.unitNames[code] ?? code)", address: "\(local)@\(domain)", password: randomPassword(),
                              occasion: "bàn giao cho thủ trưởng đơn vị mới \(headName(of: c, plan: plan)) (Điều 12.3); mật khẩu cũ không còn dùng được")
        }
    }

    /// The new head's name, as the plan gives it: the handover's reason names them ("… a
    /// notice made for NAME (art. 12.3)"); else a change about that person ("ID NAME");
    /// else their employee number. The letter is in Vietnamese: the reason's English is not.
    package static func headName(of c: Change, plan: Plan) -> String {
        let marker = "a notice made for ", end = " (art. 12.3)"
        if let a = c.reason.range(of: marker, options: .backwards), let b = c.reason.range(of: end, range: a.upperBound..<c.reason.endIndex) {
            let name = c.reason[a.upperBound..<b.lowerBound].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty { return name }
        }
        let head = c.attributes.first { $0.name == "rsHeadEmployeeNumber" }?.new.first
        if let head, let other = plan.changes.first(where: { $0.employeeId == head && $0.subject.hasPrefix(head + " ") }) {
            return String(other.subject.dropFirst(head.count + 1))
        }
        return head.map { "mã cán bộ \($0)" } ?? "(chưa rõ tên)"
    }

    /// A unit mailbox's separation planned from the snapshot, its writes made again from the
    /// unit's entry as it is now (with its password and lock, which plans never hold); the
    /// planned writes if it cannot be read.
    package static func separatingLive(_ c: Change, conn: LDAPConnection) -> Change {
        guard c.kind == .separateUnitMailbox,
              let unit = try? conn.read(c.dn, attributes: ["*", "pwdReset", "pwdAccountLockedTime"]) else { return c }
        let exists = ((try? conn.read(UnitMailbox.dn(of: c.dn), attributes: ["1.1"])) ?? nil) != nil
        var live = c
        live.operations = UnitMailbox.separation(
            unit: c.dn, entry: unit.attributes.map { LDAPAttribute($0.key, $0.value) }.sorted { $0.name < $1.name }, mailboxExists: exists)
        return live
    }

    /// The change's writes with the initial password added, hashed in the server's scheme
    /// (never cleartext): in the add of a new mailbox (a person's or a unit's: the add with
    /// `mail`), or replacing the unit mailbox's password on a handover; with `pwdReset` so that
    /// it must be changed at first use.
    package static func withPassword(_ c: Change, _ credential: Credential?, hash: Config.PasswordHash = .ssha) -> [PlannedOperation] {
        guard let credential else { return c.operations }
        let password = hash.hash(credential.password)
        // A unit mailbox of rostersync 1.1 is its unit's entry: no write names its own entry.
        let separate = c.kind == .handoverUnitMailbox && c.operations.contains { UnitMailbox.isMailbox($0.dn) }
        return c.operations.map { op in
            switch op {
            case let .add(dn, attrs) where attrs.contains(where: { $0.name.lowercased() == "mail" }):
                return .add(dn: dn, attributes: attrs + [LDAPAttribute("userPassword", password), LDAPAttribute("pwdReset", "TRUE")])
            case let .modify(dn, mods, assertion) where c.kind == .handoverUnitMailbox && (UnitMailbox.isMailbox(dn) || !separate):
                return .modify(dn: dn, modifications: mods + [.replace("userPassword", [password]), .replace("pwdReset", ["TRUE"])], assertion: assertion)
            default:
                return op
            }
        }
    }
}
