import ArgumentParser
import Foundation
import LDAPClient
import LDAPModel
import RosterSync

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

            Exit codes: 0 reopened; 1 error (no such mailbox, not locked, directory unreachable).
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
        if let until, Day(parsing: until) == nil { throw ValidationError("--until \(until): expected a date such as 2027-03-31") }
        if !address.contains("@") { throw ValidationError("\(address): expected a mailbox address such as annv@cema.gov.vn") }
    }

    func run() throws {
        let started = Date()
        // Under the run lock and the directory's lease, as every command that writes: a sync
        // planning at the same moment would otherwise lock again what was just reopened.
        let run = try Frontend.exclusiveRun(options.config, started: started)
        defer { run.release() }
        let (config, state) = (run.config, run.state)
        let today = Frontend.today()
        let exempt = until.flatMap(Day.init(parsing:)) ?? config.policy.lockAfter.after(today)
        try Frontend.failing(outcome: "nothing was done") {
            let conn = try Frontend.connect(config)
            let mail = address.lowercased()
            let found = try conn.search(base: config.directory.base.string, filter: .or([.equality("mail", mail), .equality("mailLocalAddress", mail)]),
                                        attributes: ["rsState", "rsStateSince", "employeeNumber", "cn"])
            if found.isEmpty {
                // Deleted for disuse: the record of the deletion is what keeps it from coming back.
                let closed = try conn.search(base: config.directory.unitsBase.string, filter: .and([.equality("objectClass", "rsClosedMailbox"), .equality("rsClosedAddress", mail)]),
                                             attributes: ["employeeNumber", "cn", "rsStateSince"])
                guard let record = closed.first, closed.count == 1 else {
                    throw Frontend.Failure(closed.isEmpty ? "no mailbox \(address) in \(config.directory.base), and none deleted for disuse" : "\(closed.count) records of deleted mailboxes name \(address): fix that first")
                }
                let id = record.string("employeeNumber")
                let change = Change(
                    kind: .enableAccount, dn: record.dn, employeeId: id, groupUnit: nil,
                    subject: "\(id ?? "") \(record.string("cn") ?? address)",
                    reason: "deleted for disuse, reopened at the unit's request (\(reason)): the next sync makes the mailbox again",
                    attributes: [AttributeChange("rsClosedAddress", old: [mail], new: [])])
                try conn.delete(record.dn, assertion: .equality("rsClosedAddress", mail))
                state.audit([AuditRecord(time: Frontend.timestamp(), run: Frontend.runId(started), actor: Frontend.actor(force: false, reason: nil), change: change, result: "ok")])
                Log.logger.notice("reopened \(address), deleted for disuse: the next sync makes the mailbox again, with a new initial password")
                return
            }
            guard let entry = found.first, found.count == 1 else {
                throw Frontend.Failure("\(found.count) entries answer to \(address): fix that first")
            }
            guard entry.string("rsState") == "locked" else {
                throw Frontend.Failure("\(address) is \(entry.string("rsState") ?? "not managed by rostersync"), not locked for inactivity")
            }
            let change = Change(
                kind: .enableAccount, dn: entry.dn, employeeId: entry.string("employeeNumber"), groupUnit: nil,
                subject: "\(entry.string("employeeNumber") ?? "") \(entry.string("cn") ?? address)",
                reason: "reopened at the unit's request (\(reason)); not locked again before \(exempt)",
                attributes: [AttributeChange("rsState", old: ["locked"], new: ["active"]), AttributeChange("rsLockExemptUntil", old: [], new: [exempt.generalizedTime])])
            try conn.modify(entry.dn, Planner.stateModifications(to: .active, on: today, reason: "reopened: \(reason)")
                + [.replace("rsLockExemptUntil", [exempt.generalizedTime])], assertion: .equality("rsState", "locked"))
            state.audit([AuditRecord(time: Frontend.timestamp(), run: Frontend.runId(started), actor: Frontend.actor(force: false, reason: nil), change: change, result: "ok")])
            Log.logger.notice("reopened \(address); not locked again before \(exempt)")
        }
    }
}
