import Foundation

/// The checks across rows and files: unique codes and ids, parents that exist and form no
/// cycle, staff in known units, unique addresses, heads in their units.
extension RosterParser {
    /// The located issues of both files, and the staff index (employee id → row).
    struct Validation {
        let unitsFile: String
        let unitColumns: [String: Int]
        let staffFile: String
        let staffColumns: [String: Int]
        var issues: [RosterIssue] = []
        var warnings: [RosterIssue] = []

        /// The column (1-based) of a field in the units or the staff file.
        func unitColumn(_ field: String) -> Int { (unitColumns[field] ?? 0) + 1 }
        func staffColumn(_ field: String) -> Int { (staffColumns[field] ?? 0) + 1 }

        mutating func unitIssue(_ unit: UnitRecord, _ field: String, _ message: String) {
            issues.append(RosterIssue(file: unitsFile, line: unit.line, column: unitColumn(field), message: message))
        }
    }

    func validate(
        units: [UnitRecord], unitsFile: String, unitColumns: [String: Int], staff: [StaffRecord], staffFile: String,
        staffColumns: [String: Int], crossChecks: Bool, issues: inout [RosterIssue], warnings: inout [RosterIssue]
    ) -> [String: Int] {
        var validation = Validation(
            unitsFile: unitsFile, unitColumns: unitColumns, staffFile: staffFile, staffColumns: staffColumns)
        let unitByCode = Self.checkUnits(units, &validation)
        let staffById = Self.checkStaff(staff, unitByCode: unitByCode, crossChecks: crossChecks, &validation)
        if crossChecks { Self.checkHeads(units, staff: staff, staffById: staffById, &validation) }
        issues += validation.issues
        warnings += validation.warnings
        return staffById
    }

    /// Unique codes; parents in the roster, without cycles. Returns the units by code.
    static func checkUnits(_ units: [UnitRecord], _ validation: inout Validation) -> [String: UnitRecord] {
        var unitByCode: [String: UnitRecord] = [:]
        for unit in units {
            if let first = unitByCode[unit.code] {
                validation.unitIssue(
                    unit, "unit_code", "unit code \"\(unit.code)\" is already used on line \(first.line)")
            } else {
                unitByCode[unit.code] = unit
            }
        }
        for unit in units {
            if let parent = unit.parentCode, !unitByCode.keys.contains(parent) {
                validation.unitIssue(
                    unit, "parent_code", "parent unit \"\(parent)\" of \"\(unit.code)\" is not in the unit roster")
            }
        }
        // Cycles in parent_code: walk up from each unit.
        var reported = Set<String>()
        for unit in units {
            var seen: [String] = [unit.code]
            var next = unit.parentCode
            while let code = next, let parent = unitByCode[code] {
                if code == unit.code {
                    if reported.insert(seen.sorted().joined()).inserted {
                        validation.unitIssue(
                            unit, "parent_code",
                            "units form a cycle through their parents: \((seen + [code]).joined(separator: " → "))")
                    }
                    break
                }
                if seen.contains(code) { break }  // a cycle above, reported from its own member
                seen.append(code)
                next = parent.parentCode
            }
        }
        return unitByCode
    }

    /// Unique employee ids and addresses; every person in a known unit (with `crossChecks`).
    /// Returns the staff index: employee id → row.
    static func checkStaff(
        _ staff: [StaffRecord], unitByCode: [String: UnitRecord], crossChecks: Bool, _ validation: inout Validation
    ) -> [String: Int] {
        let file = validation.staffFile
        // Rows (indexes into `staff`), not copies of the records.
        var staffById: [String: Int] = [:]
        staffById.reserveCapacity(staff.count)
        var emailOwner: [String: Int] = [:]
        emailOwner.reserveCapacity(staff.count)
        for index in staff.indices {
            let id = staff[index].employeeId
            // One hash per row: insert, and put the first back in the rare case of a repeat.
            if let first = staffById.updateValue(index, forKey: id) {
                staffById[id] = first
                validation.issues.append(RosterIssue(
                    file: file, line: staff[index].line, column: validation.staffColumn("employee_id"),
                    message: "employee id \"\(id)\" is already used on line \(staff[first].line)"))
                continue
            }
            if crossChecks, !unitByCode.keys.contains(staff[index].unitCode) {  // not `== nil`: that copies the record
                let person = staff[index], departed = person.status == .departed
                let issue = RosterIssue(
                    file: file, line: person.line, column: validation.staffColumn("unit_code"),
                    message:
                        "unit \"\(person.unitCode)\" of \(departed ? "departed " : "")\(person.employeeId) "
                        + "\(person.fullName) is not in the unit roster\(departed ? " (a unit merged away?)" : "")"
                )
                // HR keeps departed staff with the code of their last unit, merged away or not:
                // such a row changes nothing the roster needs a unit for (their mailbox, if any,
                // is disabled where it is).
                if departed { validation.warnings.append(issue) } else { validation.issues.append(issue) }
            }
            if let email = staff[index].email, let owner = emailOwner.updateValue(index, forKey: email) {
                emailOwner[email] = owner
                let person = staff[index], other = staff[owner]
                validation.issues.append(RosterIssue(
                    file: file, line: person.line, column: validation.staffColumn("email"),
                    message: "\(person.employeeId) \(person.fullName) and \(other.employeeId) \(other.fullName) "
                        + "(line \(other.line)) both claim \(email)"))
            }
        }
        return staffById
    }

    /// Each active unit's head is in the staff roster, in that unit; a departed head is a warning.
    static func checkHeads(
        _ units: [UnitRecord], staff: [StaffRecord], staffById: [String: Int], _ validation: inout Validation
    ) {
        for unit in units where unit.status == .active {
            guard let head = unit.headEmployeeId else { continue }
            guard let person = staffById[head].map({ staff[$0] }) else {
                validation.unitIssue(
                    unit, "head_employee_id", "head \"\(head)\" of unit \"\(unit.code)\" is not in the staff roster")
                continue
            }
            if person.unitCode != unit.code {
                validation.unitIssue(
                    unit, "head_employee_id",
                    "head \(head) \(person.fullName) of unit \"\(unit.code)\" belongs to unit \"\(person.unitCode)\" "
                        + "(\(validation.staffFile):\(person.line))")
            } else if person.status == .departed {
                // HR updates the head column after the departure: until then the unit mailbox
                // stays with whoever holds it.
                validation.warnings.append(RosterIssue(
                    file: validation.unitsFile, line: unit.line, column: validation.unitColumn("head_employee_id"),
                    message: "head \(head) \(person.fullName) of unit \"\(unit.code)\" has departed: "
                        + "the unit mailbox is not handed over until the unit roster names a new head"))
            }
        }
    }
}
