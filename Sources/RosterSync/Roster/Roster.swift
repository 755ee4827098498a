import Foundation

/// A unit (Vụ, Văn phòng, Trung tâm…) as HR's unit roster gives it.
public struct UnitRecord: Sendable, Hashable, Codable {
    public var code: String
    /// The name as HR wrote it (NFC, spaces collapsed).
    public var name: String
    public var parentCode: String?
    /// The unit mailbox's local part from the roster (empty: derived from the name).
    public var mailbox: String?
    public var headEmployeeId: String?
    /// The unit's code before a reorganisation.
    public var previousCode: String?
    public var status: UnitStatus
    public var effectiveDate: Day?
    /// Where it came from, for messages.
    public var line: Int

    public init(
        code: String, name: String, parentCode: String? = nil, mailbox: String? = nil, headEmployeeId: String? = nil,
        previousCode: String? = nil, status: UnitStatus = .active, effectiveDate: Day? = nil, line: Int = 0
    ) {
        self.code = code
        self.name = name
        self.parentCode = parentCode
        self.mailbox = mailbox
        self.headEmployeeId = headEmployeeId
        self.previousCode = previousCode
        self.status = status
        self.effectiveDate = effectiveDate
        self.line = line
    }
}

public enum UnitStatus: String, Sendable, Codable { case active, dissolved }

/// A person as HR's staff roster gives them.
public struct StaffRecord: Sendable, Hashable, Codable {
    public var employeeId: String
    /// NFC, spaces collapsed; an all-capitals export is title-cased.
    public var fullName: String
    public var unitCode: String
    public var title: String?
    /// The address HR already knows (kept as it is), lower case.
    public var email: String?
    public var status: StaffStatus
    public var startDate: Day?
    public var endDate: Day?
    public var phone: String?
    public var line: Int

    public init(
        employeeId: String, fullName: String, unitCode: String, title: String? = nil, email: String? = nil,
        status: StaffStatus = .active, startDate: Day? = nil, endDate: Day? = nil, phone: String? = nil, line: Int = 0
    ) {
        self.employeeId = employeeId
        self.fullName = fullName
        self.unitCode = unitCode
        self.title = title
        self.email = email
        self.status = status
        self.startDate = startDate
        self.endDate = endDate
        self.phone = phone
        self.line = line
    }
}

public enum StaffStatus: String, Sendable, Codable {
    case active
    case departed
    /// A notified absence: never locked for inactivity.
    case onLeave = "on_leave"
}

/// Both rosters, validated.
public struct Roster: Sendable {
    public let units: [UnitRecord]
    public let staff: [StaffRecord]
    public var unitsFile: String
    public var staffFile: String
    /// Non-fatal findings (implausible names…), in the same located form as errors.
    public var warnings: [RosterIssue]
    /// Each employee id's row in `staff` (the first, should an id repeat). Made once, on the
    /// thread that reads the rosters, for everything that looks people up by id.
    public let staffIndex: [String: Int]
    /// Rows in employee-id order: the order the planner finds changes in.
    public let idOrder: [Int]

    /// `staffIndex` is the one validation made (`RosterParser.validate`).
    init(
        units: [UnitRecord], staff: [StaffRecord], unitsFile: String, staffFile: String, warnings: [RosterIssue],
        staffIndex: [String: Int]
    ) {
        self.units = units
        self.staff = staff
        self.unitsFile = unitsFile
        self.staffFile = staffFile
        self.warnings = warnings
        self.staffIndex = staffIndex
        self.idOrder = staff.indices.sorted { staff[$0].employeeId < staff[$1].employeeId }
    }

    /// The row of the person with this employee id.
    public func person(_ id: String) -> StaffRecord? { staffIndex[id].map { staff[$0] } }
}

/// A problem in a roster file, located: `file:line:column: message`.
public struct RosterIssue: Sendable, Hashable, CustomStringConvertible, Comparable {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String
    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }
    public var description: String { "\(file):\(line):\(column): \(message)" }
    public static func < (a: Self, b: Self) -> Bool { (a.file, a.line, a.column, a.message) < (b.file, b.line, b.column, b.message) }
}

/// Every problem found in the rosters, all at once.
public struct RosterValidationError: Error, Sendable, CustomStringConvertible {
    public var issues: [RosterIssue]
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
