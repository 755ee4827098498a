import ArgumentParser
import Foundation
import RosterSync
import RosterSyncRun

/// `rostersync unlock ADDRESS`: reopen a mailbox locked for inactivity (art. 9.3a).
struct UnlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Reopen a mailbox locked or deleted for inactivity, at the unit's written request.",
        discussion: """
            Removes the lock of a mailbox that `sync` locked because nobody logged in for the \
            lock period, and exempts it from being locked again until --until (default: the lock \
            period from today), so its holder has time to log in. The reference of the unit's \
            request goes into the audit log. Disabled mailbox of departed staff are not reopened \
            here: HR lists the person as active again and the next sync enables it.

            A mailbox deleted after 6 months without use (art. 9.3b) is remembered in the \
            directory, so that its holder, still active in HR, gets no new mailbox by itself; \
            naming its old address here removes that record, and the next sync creates the \
            mailbox again with a new initial password (in a new notice).

            Exit codes: 0 reopened; 1 error, nothing was done (no such mailbox, not locked, \
            protected, directory unreachable); 4 the write got no answer: whether it took effect \
            is settled by the next run (sync or unlock), as for sync.
            """)

    @OptionGroup var options: ConfigOptions
    @Argument(help: ArgumentHelp("The mailbox address, e.g. annv@cema.gov.vn.", valueName: "ADDRESS"))
    var address: String
    @Option(help: ArgumentHelp("The unit's written request (reference, date).", valueName: "TEXT"))
    var reason: String
    @Option(help: ArgumentHelp("Not locked again for inactivity before this day.", valueName: "YYYY-MM-DD"))
    var until: String?

    func validate() throws {
        if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must name the unit's request") }
        if let until {
            guard let day = Day(parsing: until) else { throw ValidationError("--until \(until): expected a date such as 2027-03-31") }
            // A past day would let the next sync lock it again at once, and an open mailbox cannot be unlocked again.
            if day <= Runner.today() { throw ValidationError("--until \(until): must be after today") }
        }
        if !address.contains("@") { throw ValidationError("\(address): expected a mailbox address such as annv@cema.gov.vn") }
    }

    func run() throws {
        try Runner.reopen(configPath: options.config, address: address, request: reason, until: until.flatMap(Day.init(parsing:)))
    }
}
