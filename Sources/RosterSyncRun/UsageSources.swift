import Foundation
import RosterSync

extension Runner {
    /// The usage report of `period` (art. 17.2, 18.3): mail counts from the Postfix logs
    /// (`mailLogs`, else reports.mail_logs), sizes from reports.mailbox_sizes, the period's
    /// changes from the audit log.
    package static func usageReport(_ gathered: Gathered, period: ReportPeriod, mailLogs: [String], timings: Bool) throws -> UsageReport {
        // Every address that delivers to a mailbox, aliases included, numbered.
        var index: [String: Int] = [:]
        let boxes = gathered.snapshot.accounts.map { ($0.mail, $0.aliases) } + gathered.snapshot.units.map { ($0.mail, $0.aliases) }
        for case let (mail?, aliases) in boxes {
            let i = index[mail] ?? index.count
            index[mail] = i
            for x in aliases where index[x] == nil { index[x] = i }
        }
        let patterns = mailLogs.isEmpty ? gathered.config.reports.mailLogs : mailLogs
        let files = try expand(patterns)
        if files.isEmpty && !patterns.isEmpty {
            printError("warning: no mail log matches \(patterns.joined(separator: ", ")): the report has no mail counts")
        }
        var counter: MailLogCounter?
        if !files.isEmpty {
            var c = MailLogCounter(from: period.from, to: period.to, mailboxes: index, count: index.count + 1)
            let start = DispatchTime.now()
            for f in files { try readMailLog(f, into: &c) }
            if timings {
                let s = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                let lines = c.sources.reduce(0) { $0 + $1.lines }
                printError(String(format: "timing: mail logs %d lines in %.3f s (%.0f lines/s)", lines, s, Double(lines) / max(s, 1e-9)))
            }
            counter = c
        }
        var sizes: [String: (quota: Int64?, used: Int64?)] = [:]
        if let path = gathered.config.reports.mailboxSizes { sizes = try readSizes(path) }
        let auditPath = gathered.config.stateDir + "/audit.jsonl"
        let audit = readAudit(auditPath)
        return UsageReport(gathered.reportInput, period: period, mail: counter, mailboxIndex: index, sizes: sizes,
                           sizesSource: gathered.config.reports.mailboxSizes, audit: audit,
                           auditSource: audit.isEmpty ? "\(auditPath) (trống hoặc chưa có)" : auditPath)
    }

    /// People HR lists as active who still have no mailbox after 2 working days (art. 6.1b),
    /// each counted from the day the audit log first names them, or the staff roster's date.
    package static func overdueReport(_ gathered: Gathered) -> OverdueReport {
        var firstSeen: [String: Day] = [:]
        for a in readAudit(gathered.config.stateDir + "/audit.jsonl") {
            guard let id = a.employeeId else { continue }
            firstSeen[id] = min(firstSeen[id] ?? a.day, a.day)
        }
        var st = stat()
        let rosterDay = stat(gathered.staffPath, &st) == 0 ? Day(ordinal: Int(st.st_mtim.tv_sec) / 86_400) : gathered.day
        let report = OverdueReport(gathered.reportInput, firstSeen: firstSeen, rosterDay: rosterDay, calendar: WorkCalendar(holidays: gathered.config.reports.holidays))
        return report
    }
}
