import LDAPModel

/// Updates, part of the people's pass: the attributes an account holds made as the staff
/// roster has them (name, title, phone, unit code).
extension PlanDraft {
    /// The `sn` and `givenName` a person's entry holds: the family name (the whole name when
    /// there is none) and the given name, if any. Ordinary names are split without the full
    /// parse (`PersonName.simpleParts`); substrings, so comparing them allocates nothing.
    func wantedNames(_ person: StaffRecord) -> (sn: Substring, given: Substring?) {
        let family: Substring, given: Substring
        if let parts = PersonName.simpleParts(person.fullName) {
            (family, given) = parts
        } else {
            let name = PersonName(parsing: person.fullName)
            (family, given) = (Substring(name.family), Substring(name.given))
        }
        return (family.isEmpty ? Substring(person.fullName) : family, given.isEmpty ? nil : given)
    }

    func personAttributes(_ person: StaffRecord) -> [(String, [String])] {
        let names = wantedNames(person)
        return [
            ("cn", [person.fullName]),
            ("sn", [String(names.sn)]),
            ("givenName", names.given.map { [String($0)] } ?? []),
            ("displayName", [person.fullName]),
            ("title", person.title.map { [$0] } ?? []),
            ("telephoneNumber", person.phone.map { [$0] } ?? []),
            ("departmentNumber", [person.unitCode]),
        ]
    }

    /// True when the account already holds every value `personAttributes` would give it,
    /// found without building them (most people on most days).
    func unchanged(_ person: StaffRecord, _ account: DirectoryAccount, skipping: Set<String>) -> Bool {
        guard sameBytes(account.cn, person.fullName), sameBytes(account.displayName, person.fullName),
              sameBytes(account.title, person.title), PhoneNumber.same(account.phone, person.phone),
              skipping.contains("departmentNumber") || sameBytes(account.unitCode, person.unitCode)
        else { return false }
        let names = wantedNames(person)
        guard let sn = account.sn, sn.sameBytes(names.sn) else { return false }
        return sameBytes(account.givenName, names.given)
    }

    mutating func planUpdate(
        _ person: StaffRecord, _ account: DirectoryAccount, dn: @autoclosure () -> DN, skipping: Set<String> = []
    ) {
        if unchanged(person, account, skipping: skipping) { return }
        func current(_ name: String) -> String? {
            switch name {
            case "cn": account.cn
            case "sn": account.sn
            case "givenName": account.givenName
            case "displayName": account.displayName
            case "title": account.title
            case "telephoneNumber": account.phone
            default: account.unitCode
            }
        }
        var modifications: [LDAPModification] = []
        var attributes: [AttributeChange] = []
        var asserted: [Filter] = [.equality("employeeNumber", person.employeeId)]
        for (name, wanted) in personAttributes(person) where !skipping.contains(name) {
            let now = current(name)
            guard !sameBytes(now, wanted.first) || wanted.count > 1 else { continue }
            // A number re-typed in another notation is the same number.
            if name == "telephoneNumber", PhoneNumber.same(now, wanted.first) { continue }
            let old = now.map { [$0] } ?? []
            attributes.append(AttributeChange(name, old: old, new: wanted))
            modifications.append(wanted.isEmpty ? .delete(name) : .replace(name, wanted))
            asserted.append(old.isEmpty ? .not(.present(name)) : .equality(name, old[0]))
        }
        guard !modifications.isEmpty else { return }
        let names = attributes.map(\.name)
        let why =
            names.contains("cn")
            ? "name corrected in the staff roster" : "the staff roster differs: \(names.joined(separator: ", "))"
        let dn = dn().string
        add(
            Change(
                kind: .updateAccount, dn: dn, employeeId: person.employeeId, unitCode: person.unitCode,
                groupUnit: person.unitCode,
                subject: "\(person.employeeId) \(person.fullName)", reason: why, attributes: attributes,
                operations: [.modify(dn: dn, modifications: modifications, assertion: .and(asserted))]),
            pending: false, due: nil)
    }
}
