import Foundation
import LDAPClient
import LDAPModel
import RosterSync

extension Runner {
    /// `unlock ADDRESS`: a mailbox locked or deleted for inactivity reopened at the unit's
    /// request, as a one-change plan run by the executor under the run lock and the lease.
    /// It settles earlier runs first, and leaves an unfinished sync and the metrics to the
    /// next sync.
    package static func reopen(configPath: String, address: String, request: String, until: Day?) throws {
        let started = Date()
        // A sync planning at the same moment would otherwise lock again what was just reopened.
        let exclusive = try exclusiveRun(configPath, started: started)
        defer { exclusive.release() }
        var run = RunContext(exclusive, actor: actor(force: false, reason: nil), started: started)
        run.isSync = false
        let today = today()
        let exempt = until ?? run.config.policy.lockAfter.after(today)
        let plan = try failing(outcome: "nothing was done") { () throws -> Plan in
            try settleEarlierRuns(state: run.state, runId: run.runId, config: run.config)
            let conn = try connect(run.config)
            defer { conn.close() }
            let change = try reopening(address.lowercased(), conn: conn, config: run.config, request: request, exempt: exempt, today: today)
            return Reopening.plan(change, asOf: today, directory: "\(conn.uri) \(run.config.directory.base)")
        }
        try execute(plan, in: run)
        let mail = address.lowercased()
        if case .delete? = plan.changes[0].operations.first {
            Log.logger.notice("reopened \(mail), deleted for disuse: the next sync makes the mailbox again, with a new initial password")
            // Its lock period then counts from the day it is made again.
            if until != nil { printError("warning: --until does not apply to a mailbox deleted for disuse: it is not locked before \(run.config.policy.lockAfter) after it is made again") }
        } else {
            Log.logger.notice("reopened \(mail); not locked again before \(exempt)")
        }
    }

    /// The change that reopens `mail`: its entry if it is locked, else the record of its
    /// deletion for disuse. Anything else is refused, naming what was found.
    static func reopening(_ mail: String, conn: LDAPConnection, config: Config, request: String, exempt: Day, today: Day) throws -> Change {
        let found = try conn.search(base: config.directory.base.string, filter: .or([.equality("mail", mail), .equality("mailLocalAddress", mail)]),
                                    attributes: ["rsState", "employeeNumber", "cn", "displayName", "rsUnitCode", "departmentNumber"])
        if found.isEmpty {
            // Deleted for disuse: the record of the deletion is what keeps it from coming back.
            let closed = try conn.search(base: config.directory.unitsBase.string,
                                         filter: .and([.equality("objectClass", "rsClosedMailbox"), .equality("rsClosedAddress", mail)]),
                                         attributes: ["employeeNumber", "cn", "rsUnitCode"])
            guard let record = closed.first, closed.count == 1 else {
                throw Failure(closed.isEmpty ? "no mailbox \(mail) in \(config.directory.base), and none deleted for disuse"
                                             : "\(closed.count) records of deleted mailboxes name \(mail): fix that first")
            }
            try refuseProtected(record.dn, mail, config)
            return Reopening.deleted(recordDN: record.dn, employeeId: record.string("employeeNumber"), unitCode: record.string("rsUnitCode"),
                                     name: record.string("cn") ?? mail, address: mail, request: request)
        }
        guard let entry = found.first, found.count == 1 else { throw Failure("\(found.count) entries answer to \(mail): fix that first") }
        try refuseProtected(entry.dn, mail, config)
        guard entry.string("rsState") == "locked" else {
            throw Failure("\(mail) is \(entry.string("rsState") ?? "not managed by rostersync"), not locked for inactivity")
        }
        return Reopening.locked(dn: entry.dn, employeeId: entry.string("employeeNumber"),
                                unitCode: entry.string("rsUnitCode") ?? entry.string("departmentNumber"),
                                name: entry.string("displayName") ?? entry.string("cn") ?? mail,
                                request: request, exempt: exempt, today: today)
    }

    /// An entry under `protected` is never changed by rostersync, an admin's reopen included.
    static func refuseProtected(_ dn: String, _ mail: String, _ config: Config) throws {
        guard let parsed = try? DN(dn), config.protected.contains(where: { parsed.isWithin($0) }) else { return }
        throw Failure("\(mail) (\(dn)) is protected (protected: in the config): rostersync never changes it; reopen it by hand")
    }
}
