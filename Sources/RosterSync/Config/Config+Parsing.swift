import Foundation
import LDAPModel
import Yams

extension Config {
    /// Parses the YAML text of the config file at `path` (used in messages and to resolve
    /// relative paths, which are taken relative to the file's folder). Reads no file itself.
    public static func parse(yaml: String, path: String) throws(ConfigError) -> Config {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ConfigError(file: path, line: 0, column: 0, key: "", message: "the file is empty")
            }
            root = node
        } catch let e as ConfigError {
            throw e
        } catch let YamlError.scanner(context, problem, mark, _) {
            throw ConfigError(file: path, line: mark.line, column: mark.column, key: "", message: "not valid YAML: \(problem)\(context.map { " \($0.text)" } ?? "")")
        } catch let YamlError.parser(context, problem, mark, _) {
            throw ConfigError(file: path, line: mark.line, column: mark.column, key: "", message: "not valid YAML: \(problem)\(context.map { " \($0.text)" } ?? "")")
        } catch {
            throw ConfigError(file: path, line: 0, column: 0, key: "", message: "not valid YAML: \(error)")
        }
        let folder = (path as NSString).deletingLastPathComponent
        let r = ConfigReader(file: path, folder: folder.isEmpty ? "." : folder)
        // The reader uses untyped throws: typed throws through closures returning large
        // structs miscompiled in optimized builds here (a corrupted Config, seen as a crash).
        do {
            return try r.config(root)
        } catch let e as ConfigError {
            throw e
        } catch {
            throw ConfigError(file: path, line: 0, column: 0, key: "", message: "\(error)")
        }
    }
}

/// Walks the YAML tree, checking every key and value and remembering where each came from.
private struct ConfigReader {
    let file: String
    let folder: String

    func error(_ node: Node?, _ key: String, _ message: String) -> ConfigError {
        ConfigError(file: file, line: node?.mark?.line ?? 0, column: node?.mark?.column ?? 0, key: key, message: message)
    }

    /// A mapping's entries, refusing keys not in `allowed` and duplicate keys.
    func mapping(_ node: Node, _ key: String, allowed: [String]) throws -> [String: Node] {
        guard case let .mapping(m) = node else { throw error(node, key, "expected a mapping of keys (\(allowed.joined(separator: ", ")))") }
        var out: [String: Node] = [:]
        for (k, v) in m {
            guard let name = k.scalar?.string else { throw error(k, key, "keys must be plain text") }
            let full = key.isEmpty ? name : "\(key).\(name)"
            guard allowed.contains(name) else {
                let hint = allowed.min { editDistance($0, name) < editDistance($1, name) }.flatMap { editDistance($0, name) <= 3 ? " (did you mean \($0)?)" : nil } ?? ""
                throw error(k, full, "unknown key\(hint); allowed here: \(allowed.joined(separator: ", "))")
            }
            guard out[name] == nil else { throw error(k, full, "given twice") }
            out[name] = v
        }
        return out
    }

    func string(_ node: Node?, _ key: String) throws -> String? {
        guard let node else { return nil }
        guard case let .scalar(s) = node else { throw error(node, key, "expected a single value") }
        if s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) { return nil }
        return s.string
    }

    func required(_ node: Node?, _ key: String, in parent: Node) throws -> String {
        guard let v = try string(node, key), !v.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw error(node ?? parent, key, "is required")
        }
        return v
    }

    func bool(_ node: Node?, _ key: String, default d: Bool) throws -> Bool {
        guard let s = try string(node, key) else { return d }
        switch s.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(node, key, "expected true or false, got \"\(s)\"")
        }
    }

    func number(_ node: Node?, _ key: String, default d: Double, range: ClosedRange<Double>) throws -> Double {
        guard let s = try string(node, key) else { return d }
        guard let v = Double(s), range.contains(v) else {
            throw error(node, key, "expected a number from \(format(range.lowerBound)) to \(format(range.upperBound)), got \"\(s)\"")
        }
        return v
    }

    func integer(_ node: Node?, _ key: String, default d: Int, range: ClosedRange<Int>) throws -> Int {
        guard let s = try string(node, key) else { return d }
        guard let v = Int(s), range.contains(v) else {
            throw error(node, key, "expected a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(s)\"")
        }
        return v
    }

    func format(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }

    func list(_ node: Node?, _ key: String) throws -> [(String, Node)] {
        guard let node else { return [] }
        if case .scalar = node, let one = try string(node, key) { return [(one, node)] }
        guard case let .sequence(seq) = node else { throw error(node, key, "expected a list") }
        var out: [(String, Node)] = []
        for (i, item) in seq.enumerated() {
            guard let v = try string(item, "\(key)[\(i)]") else { throw error(item, "\(key)[\(i)]", "empty list item") }
            out.append((v, item))
        }
        return out
    }

    func dn(_ value: String, _ node: Node?, _ key: String) throws -> DN {
        do { return try DN(value) } catch { throw self.error(node, key, "not a valid DN: \(error.reason) (offset \(error.offset))") }
    }

    func path(_ value: String) -> String {
        value.hasPrefix("/") ? value : (folder as NSString).appendingPathComponent(value)
    }

    func period(_ node: Node?, _ key: String, default d: Config.Period) throws -> Config.Period {
        guard let s = try string(node, key) else { return d }
        let parts = s.lowercased().split(separator: " ", omittingEmptySubsequences: true)
        if parts.count == 2, let n = Int(parts[0]), n > 0 {
            switch parts[1] {
            case "day", "days": return .days(n)
            case "week", "weeks": return .days(7 * n)
            case "month", "months": return .months(n)
            default: break
            }
        }
        throw error(node, key, "expected a period such as \"90 days\", \"12 weeks\" or \"3 months\", got \"\(s)\"")
    }

    func config(_ root: Node) throws -> Config {
        let top = try mapping(root, "", allowed: ["directory", "mail", "rosters", "policy", "state_dir", "protected", "safety", "reports", "documents"])
        guard let dirNode = top["directory"] else { throw error(root, "directory", "is required") }
        guard let mailNode = top["mail"] else { throw error(root, "mail", "is required") }
        let directory = try self.directory(dirNode)
        let mail = try self.mail(mailNode)
        let rosters = try self.rosters(top["rosters"])
        let policy = try self.policy(top["policy"])
        let stateDir = path(try required(top["state_dir"], "state_dir", in: root))
        var protected: [DN] = []
        for (i, (v, n)) in try list(top["protected"], "protected").enumerated() {
            protected.append(try dn(v, n, "protected[\(i)]"))
        }
        var config = Config(directory: directory, mail: mail, rosters: rosters, policy: policy, stateDir: stateDir, protected: protected, safety: try safety(top["safety"]))
        config.reports = try reports(top["reports"])
        config.documents = try documents(top["documents"])
        return config
    }

    func reports(_ node: Node?) throws -> Config.Reports {
        let k = "reports"
        let m = try node.map { n throws in try mapping(n, k, allowed: ["holidays", "mail_logs", "mailbox_sizes"]) } ?? [:]
        var r = Config.Reports()
        for (i, (v, n)) in try list(m["holidays"], "\(k).holidays").enumerated() {
            guard let day = Day(parsing: v) else { throw error(n, "\(k).holidays[\(i)]", "expected a date such as 2026-09-02, got \"\(v)\"") }
            r.holidays.insert(day)
        }
        r.mailLogs = try list(m["mail_logs"], "\(k).mail_logs").map { path($0.0) }
        r.mailboxSizes = try string(m["mailbox_sizes"], "\(k).mailbox_sizes").map(path)
        return r
    }

    func documents(_ node: Node?) throws -> Config.Documents {
        let k = "documents"
        let m = try node.map { n throws in
            try mapping(n, k, allowed: ["agency", "issuing_unit", "signer_title", "signer_name", "place", "directory_label"])
        } ?? [:]
        var d = Config.Documents()
        func text(_ key: String) throws -> String? {
            guard let v = try string(m[key], "\(k).\(key)") else { return nil }
            let t = v.trimmingCharacters(in: .whitespaces).precomposedStringWithCanonicalMapping
            guard !t.isEmpty, !t.contains(where: \.isNewline) else { throw error(m[key], "\(k).\(key)", "expected one line of text") }
            return t
        }
        if let v = try text("agency") { d.agency = v }
        if let v = try text("issuing_unit") { d.issuingUnit = v }
        if let v = try text("signer_title") { d.signerTitle = v }
        d.signerName = try text("signer_name")
        if let v = try text("place") { d.place = v }
        if let v = try text("directory_label") { d.directoryLabel = v }
        return d
    }

    func directory(_ node: Node) throws -> Config.Directory {
        let k = "directory"
        let m = try mapping(node, k, allowed: ["uris", "base", "units_base", "bind", "tls", "connect_timeout", "operation_timeout", "window", "page_size", "password_hash",
                                                "mail_reader"])
        let uris = try list(m["uris"], "\(k).uris")
        guard !uris.isEmpty else { throw error(m["uris"] ?? node, "\(k).uris", "is required: at least one ldap://, ldaps:// or ldapi:// URI") }
        for (i, (u, n)) in uris.enumerated() {
            let lower = u.lowercased()
            guard lower.hasPrefix("ldap://") || lower.hasPrefix("ldaps://") || lower.hasPrefix("ldapi://"), !u.contains(" ") else {
                throw error(n, "\(k).uris[\(i)]", "expected an ldap://, ldaps:// or ldapi:// URI, got \"\(u)\"")
            }
        }
        let base = try dn(try required(m["base"], "\(k).base", in: node), m["base"], "\(k).base")
        let unitsBase = try m["units_base"].map { n throws in try dn(try required(n, "\(k).units_base", in: node), n, "\(k).units_base") }
            ?? base.child(type: "ou", value: "units")
        guard unitsBase.isWithin(base) else {
            throw error(m["units_base"], "\(k).units_base", "must be \(k).base or below it")
        }
        guard let bindNode = m["bind"] else { throw error(node, "\(k).bind", "is required") }
        let bind = try self.bind(bindNode)
        let tls = try self.tls(m["tls"])
        if tls.mode == "starttls", uris.contains(where: { $0.0.lowercased().hasPrefix("ldaps://") || $0.0.lowercased().hasPrefix("ldapi://") }) {
            throw error(m["tls"], "\(k).tls.mode", "starttls applies to ldap:// URIs only (ldaps:// is already TLS, ldapi:// is a local socket)")
        }
        let mailReader = try m["mail_reader"].map { n throws in try self.bind(n, key: "\(k).mail_reader") }
        if case .saslExternal? = mailReader {
            throw error(m["mail_reader"], "\(k).mail_reader.method", "the mail servers' identity binds with method simple (a DN and its password)")
        }
        var directory = Config.Directory(
            uris: uris.map(\.0), base: base, unitsBase: unitsBase, bind: bind, tls: tls,
            connectTimeout: try number(m["connect_timeout"], "\(k).connect_timeout", default: 5, range: 0.1...600),
            operationTimeout: try number(m["operation_timeout"], "\(k).operation_timeout", default: 30, range: 0.1...3600),
            window: try integer(m["window"], "\(k).window", default: 8, range: 1...1024),
            pageSize: try integer(m["page_size"], "\(k).page_size", default: 1000, range: 1...100_000),
            passwordHash: try passwordHash(m["password_hash"], "\(k).password_hash"))
        directory.mailReader = mailReader
        return directory
    }

    func passwordHash(_ node: Node?, _ key: String) throws -> Config.PasswordHash {
        guard let text = try string(node, key) else { return .ssha }
        guard let scheme = Config.PasswordHash(rawValue: text.uppercased()) else {
            throw error(node, key, "\"\(text)\" is not one of \(Config.PasswordHash.allCases.map(\.rawValue).joined(separator: ", ")) (the server's olcPasswordHash)")
        }
        return scheme
    }

    func bind(_ node: Node, key k: String = "directory.bind") throws -> Config.Bind {
        let m = try mapping(node, k, allowed: ["method", "dn", "password_file", "password_env"])
        let method = try required(m["method"], "\(k).method", in: node)
        switch method {
        case "sasl-external":
            for extra in ["dn", "password_file", "password_env"] where m[extra] != nil {
                throw error(m[extra], "\(k).\(extra)", "does not apply to method sasl-external")
            }
            return .saslExternal
        case "simple":
            let bindDN = try required(m["dn"], "\(k).dn", in: node)
            _ = try dn(bindDN, m["dn"], "\(k).dn")
            let file = try string(m["password_file"], "\(k).password_file")
            let env = try string(m["password_env"], "\(k).password_env")
            switch (file, env) {
            case let (f?, nil): return .simple(dn: bindDN, password: .file(path(f)))
            case let (nil, e?): return .simple(dn: bindDN, password: .environment(e))
            case (nil, nil): throw error(node, "\(k).password_file", "method simple needs password_file or password_env (a password never goes in the config or on the command line)")
            case (_?, _?): throw error(m["password_env"], "\(k).password_env", "give password_file or password_env, not both")
            }
        default:
            throw error(m["method"], "\(k).method", "expected sasl-external or simple, got \"\(method)\"")
        }
    }

    func tls(_ node: Node?) throws -> Config.TLS {
        let k = "directory.tls"
        guard let node else { return Config.TLS(mode: "none", caFile: nil, verify: true) }
        let m = try mapping(node, k, allowed: ["mode", "ca_file", "verify"])
        let mode = try string(m["mode"], "\(k).mode") ?? "none"
        guard ["none", "starttls"].contains(mode) else { throw error(m["mode"], "\(k).mode", "expected none or starttls, got \"\(mode)\"") }
        return Config.TLS(mode: mode, caFile: try string(m["ca_file"], "\(k).ca_file").map(path), verify: try bool(m["verify"], "\(k).verify", default: true))
    }

    func mail(_ node: Node) throws -> Config.Mail {
        let k = "mail"
        let m = try mapping(node, k, allowed: ["domain", "shared_mailbox", "reserved", "pattern"])
        let domain = try required(m["domain"], "\(k).domain", in: node).lowercased()
        let label = "[a-z0-9]([a-z0-9-]*[a-z0-9])?"
        guard domain.range(of: "^\(label)(\\.\(label))+$", options: .regularExpression) != nil else {
            throw error(m["domain"], "\(k).domain", "expected an ASCII domain such as cema.gov.vn, got \"\(domain)\"")
        }
        let shared = try string(m["shared_mailbox"], "\(k).shared_mailbox") ?? "ubdt"
        var reserved = Config.Mail.defaults.reserved
        if m["reserved"] != nil { reserved = try list(m["reserved"], "\(k).reserved").map { $0.0.lowercased() } }
        var pattern = LocalPartPattern.default
        if let text = try string(m["pattern"], "\(k).pattern") {
            do { pattern = try LocalPartPattern(text) } catch { throw self.error(m["pattern"], "\(k).pattern", error.description) }
        }
        return Config.Mail(domain: domain, sharedMailbox: shared.lowercased(), reserved: reserved, pattern: pattern)
    }

    func rosters(_ node: Node?) throws -> Config.Rosters {
        let k = "rosters"
        guard let node else {
            return Config.Rosters(units: nil, staff: nil, unitsEncoding: "auto", staffEncoding: "auto", unitColumns: [:], staffColumns: [:])
        }
        let m = try mapping(node, k, allowed: ["units", "staff", "encoding", "columns"])
        let known = ["auto", "utf-8", "utf-16", "cp1258", "tcvn3", "vni"]
        func encodingName(_ n: Node?, _ key: String) throws -> String {
            let name = try string(n, key) ?? "auto"
            guard known.contains(name.lowercased()) else {
                throw error(n, key, "expected one of \(known.joined(separator: ", ")), got \"\(name)\"")
            }
            return name.lowercased()
        }
        // One name for both files, or one per file (`encoding: {units: tcvn3, staff: auto}`).
        var unitsEncoding = "auto", staffEncoding = "auto"
        if let e = m["encoding"], case .mapping = e {
            let em = try mapping(e, "\(k).encoding", allowed: ["units", "staff"])
            unitsEncoding = try encodingName(em["units"], "\(k).encoding.units")
            staffEncoding = try encodingName(em["staff"], "\(k).encoding.staff")
        } else {
            unitsEncoding = try encodingName(m["encoding"], "\(k).encoding")
            staffEncoding = unitsEncoding
        }
        var unitColumns: [String: [String]] = [:], staffColumns: [String: [String]] = [:]
        if let c = m["columns"] {
            let cm = try mapping(c, "\(k).columns", allowed: ["units", "staff"])
            for (which, fields) in [("units", Array(RosterParser.unitAliases.keys)), ("staff", Array(RosterParser.staffAliases.keys))] {
                guard let n = cm[which] else { continue }
                let fm = try mapping(n, "\(k).columns.\(which)", allowed: fields.sorted())
                for (field, v) in fm {
                    let names = try list(v, "\(k).columns.\(which).\(field)").map(\.0)
                    if which == "units" { unitColumns[field] = names } else { staffColumns[field] = names }
                }
            }
        }
        return Config.Rosters(
            units: try string(m["units"], "\(k).units").map(path), staff: try string(m["staff"], "\(k).staff").map(path),
            unitsEncoding: unitsEncoding, staffEncoding: staffEncoding, unitColumns: unitColumns, staffColumns: staffColumns)
    }

    func safety(_ node: Node?) throws -> Config.Safety {
        let k = "safety"
        let m = try node.map { n in try mapping(n, k, allowed: ["max_percent", "max_count", "min_count"]) } ?? [:]
        return Config.Safety(
            maxPercent: try number(m["max_percent"], "\(k).max_percent", default: 10, range: 0...100),
            maxCount: try integer(m["max_count"], "\(k).max_count", default: 500, range: 0...10_000_000),
            minCount: try integer(m["min_count"], "\(k).min_count", default: 10, range: 0...10_000_000))
    }

    func policy(_ node: Node?) throws -> Config.Policy {
        let k = "policy"
        let m = try node.map { n throws in
            try mapping(n, k, allowed: ["lock_after", "delete_unused_after", "disabled_retention", "rename_alias_transition", "new_mailbox_working_days", "last_login_file", "orphans"])
        } ?? [:]
        var p = Config.Policy(
            lockAfter: try period(m["lock_after"], "\(k).lock_after", default: .months(3)),
            deleteUnusedAfter: try period(m["delete_unused_after"], "\(k).delete_unused_after", default: .months(6)),
            disabledRetention: try period(m["disabled_retention"], "\(k).disabled_retention", default: .days(180)),
            renameAliasTransition: try period(m["rename_alias_transition"], "\(k).rename_alias_transition", default: .days(90)),
            newMailboxWorkingDays: try integer(m["new_mailbox_working_days"], "\(k).new_mailbox_working_days", default: 2, range: 0...60),
            lastLoginFile: try string(m["last_login_file"], "\(k).last_login_file").map(path))
        if let o = try string(m["orphans"], "\(k).orphans") {
            guard let v = Config.OrphanPolicy(rawValue: o) else { throw error(m["orphans"], "\(k).orphans", "expected report or disable, got \"\(o)\"") }
            p.orphans = v
        }
        if p.deleteUnusedAfter.approximateDays <= p.lockAfter.approximateDays {
            throw error(m["delete_unused_after"] ?? node, "\(k).delete_unused_after", "must be longer than lock_after (\(p.lockAfter)): a mailbox is locked before it is deleted")
        }
        return p
    }
}

extension Config.Period {
    /// For comparing periods only (a month counted as 30 days).
    var approximateDays: Int {
        switch self {
        case let .days(n): n
        case let .months(n): n * 30
        }
    }
}

/// Levenshtein distance, for "did you mean" hints on misspelt keys.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    for i in 1...a.count {
        var cur = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        prev = cur
    }
    return prev[b.count]
}
