import Foundation
import RosterSync

// roster-gen maillog --addresses FILE --from YYYY-MM-DD --days D --lines N --out FILE
//                    [--seed S] [--rfc3339] [--gap DAY]
//
// A Postfix log that looks like a real one (smtpd connects, cleanup message-ids, qmgr from=
// lines, lmtp/smtp/local deliveries, deferrals later sent, bounces and their notifications,
// aliases expanded with orig_to=, "removed", anvil statistics, warnings, and dovecot lines
// between them) for the mailboxes of FILE (one "address" or "alias address" per line), and
// FILE.expected.json beside --out: the mail each mailbox sent and received in the period
// [from, from + days), counted from what was generated, plus the days without a line.
// About 2 % of the messages fall on the day before the period (read, never counted);
// --gap DAY leaves that day of the period (0-based) without a single line.

func runMailLog(list: String, out: String, from: Day, days: Int, lines: Int, seed: UInt64, rfc3339: Bool, gap: Int?) throws {
    var rng = Random(seed: seed)
    var mailboxes: [String] = []
    var canonical: [String: String] = [:]
    var aliases: [String] = []
    for line in try String(contentsOfFile: list, encoding: .utf8).split(separator: "\n") {
        let parts = line.split(separator: " ").map(String.init)
        if parts.count == 1 { mailboxes.append(parts[0]); canonical[parts[0]] = parts[0] }
        if parts.count == 2 { aliases.append(parts[0]); canonical[parts[0]] = parts[1] }
    }
    guard !mailboxes.isEmpty else { throw Failure("\(list): no addresses") }
    let outside = ["nguyen.lan@gmail.com", "contact@vnexpress.net", "hotro@mof.gov.vn", "no-reply@dichvucong.gov.vn", "tranhung@yahoo.com", "vanphong@moit.gov.vn"]
    var sent: [String: Int] = [:], received: [String: Int] = [:]
    var text: [UInt8] = []
    text.reserveCapacity(lines * 150)
    var written = 0
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    // The day of the current message, and seconds into it; messages move forward in time.
    let totalMessages = max(1, lines / 9)
    var message = 0
    var pid = 4000

    func stamp(_ day: Day, _ second: Int) -> String {
        let h = second / 3600 % 24, m = second / 60 % 60, s = second % 60
        if rfc3339 { return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06d+07:00", day.year, day.month, day.day, h, m, s, rng.int(1_000_000)) }
        return String(format: "%@ %2d %02d:%02d:%02d", months[day.month - 1], day.day, h, m, s)
    }
    func emit(_ day: Day, _ second: Int, _ program: String, _ message: String) {
        pid += rng.int(3)
        text.append(contentsOf: "\(stamp(day, second)) mx1 \(program)[\(pid % 30000 + 1000)]: \(message)\n".utf8)
        written += 1
    }
    func qid() -> String { String(format: "%05X%05X", rng.int(0xFFFFF), rng.int(0xFFFFF)) }
    func deliver(_ to: String) -> (program: String, relay: String) {
        canonical[to] != nil || to.hasSuffix("@cema.gov.vn")
            ? ("postfix/lmtp", "mail.cema.gov.vn[private/dovecot-lmtp]") : ("postfix/smtp", "mx.example.net[203.0.113.25]:25")
    }

    while written < lines {
        // Where in time: spread over the period, 2 % before it, none on the gap day.
        var offset = message * days / totalMessages
        if message % 50 == 7 { offset = -1 }
        if let gap, offset == gap { offset = gap + 1 < days ? gap + 1 : gap - 1 }
        let day = from.adding(days: min(offset, days - 1))
        let counted = offset >= 0
        var second = (message * 7919) % 86_000
        message += 1
        let id = qid()
        // Who writes to whom: most mail is internal; some comes from outside, some goes out.
        let inbound = rng.chance(0.3)
        let sender = inbound ? rng.pick(outside) : rng.pick(mailboxes)
        let client = inbound ? "mail-gw.example.net[198.51.100.\(rng.int(250) + 1)]" : "webmail.cema.gov.vn[10.0.0.12]"
        var recipients: [String] = []
        for _ in 0..<(1 + (rng.chance(0.25) ? rng.int(4) : 0)) {
            let r = rng.int(10)
            recipients.append(r < 6 ? rng.pick(mailboxes) : r < 8 && !aliases.isEmpty ? rng.pick(aliases) : inbound ? rng.pick(mailboxes) : rng.pick(outside))
        }
        emit(day, second, "postfix/smtpd", "connect from \(client)")
        emit(day, second, inbound ? "postfix/smtpd" : "postfix/submission/smtpd", "\(id): client=\(client)\(inbound ? "" : ", sasl_method=PLAIN, sasl_username=\(sender)")")
        emit(day, second, "postfix/cleanup", "\(id): message-id=<\(rng.next() % 1_000_000_000).\(id)@\(inbound ? "example.net" : "cema.gov.vn")>")
        emit(day, second, "postfix/qmgr", "\(id): from=<\(sender)>, size=\(800 + rng.int(400_000)), nrcpt=\(recipients.count) (queue active)")
        if rng.chance(0.02) { emit(day, second, "postfix/anvil", "statistics: max connection rate 3/60s for (smtp:198.51.100.7) at \(stamp(day, second))") }
        var delivered = false
        var bounced = false
        for to in recipients {
            second += 1
            let (program, relay) = deliver(to)
            let fate = rng.int(100)
            if fate < 4 {
                // Deferred first, delivered on a later attempt.
                emit(day, second, program, "\(id): to=<\(to)>, relay=\(relay), delay=\(rng.int(9)).\(rng.int(99)), delays=0.1/0/5/0, dsn=4.4.1, status=deferred (connect to \(relay): Connection timed out)")
                second += 300
            }
            if fate >= 97 && canonical[to] == nil {
                emit(day, second, program, "\(id): to=<\(to)>, relay=\(relay), delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host \(relay) said: 550 5.1.1 <\(to)>: Recipient address rejected: User unknown)")
                bounced = true
                continue
            }
            if let target = canonical[to], to != target {
                // An alias, expanded by local(8): the final mailbox and the alias it came by.
                emit(day, second, "postfix/local", "\(id): to=<\(target)>, orig_to=<\(to)>, relay=local, delay=0.4, delays=0.1/0/0.1/0.2, dsn=2.0.0, status=sent (delivered to mailbox)")
                if counted { received[target, default: 0] += 1 }
            } else {
                let upper = rng.chance(0.05) ? to.uppercased() : to  // addresses are matched without case
                emit(day, second, program, "\(id): to=<\(upper)>, relay=\(relay), delay=0.3, delays=0.1/0/0.1/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as \(qid()))")
                if counted, let c = canonical[to] { received[c, default: 0] += 1 }
            }
            delivered = true
        }
        if delivered, counted, let c = canonical[sender] { sent[c, default: 0] += 1 }
        if bounced, canonical[sender] != nil {
            // The bounce notification goes back to the sender, from the null sender.
            let b = qid()
            emit(day, second, "postfix/bounce", "\(id): sender non-delivery notification: \(b)")
            emit(day, second, "postfix/qmgr", "\(b): from=<>, size=\(3000 + rng.int(2000)), nrcpt=1 (queue active)")
            emit(day, second, "postfix/lmtp", "\(b): to=<\(sender)>, relay=mail.cema.gov.vn[private/dovecot-lmtp], delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Saved)")
            if counted, let c = canonical[sender] { received[c, default: 0] += 1 }
            emit(day, second, "postfix/qmgr", "\(b): removed")
        }
        emit(day, second + 1, "postfix/qmgr", "\(id): removed")
        emit(day, second + 1, "postfix/smtpd", "disconnect from \(client) ehlo=2 starttls=1 auth=1 mail=1 rcpt=\(recipients.count) data=1 quit=1 commands=8")
        if rng.chance(0.3) { emit(day, second + 2, "dovecot", "imap-login: Login: user=<\(rng.pick(mailboxes))>, method=PLAIN, rip=10.0.0.\(rng.int(250)), lip=10.0.0.5, mpid=\(rng.int(99999)), TLS") }
        if rng.chance(0.01) { emit(day, second + 2, "postfix/smtpd", "warning: hostname unknown.example does not resolve to address 198.51.100.9") }
    }
    try Data(text).write(to: URL(fileURLWithPath: out))
    let gaps = gap.map { g in [from.adding(days: g).description] } ?? []
    var json = "{\n  \"lines\": \(written),\n  \"gapDays\": [\(gaps.map { "\"\($0)\"" }.joined(separator: ", "))],\n  \"sent\": {"
    json += sent.sorted { $0.key < $1.key }.map { "\n    \"\($0.key)\": \($0.value)" }.joined(separator: ",") + "\n  },\n  \"received\": {"
    json += received.sorted { $0.key < $1.key }.map { "\n    \"\($0.key)\": \($0.value)" }.joined(separator: ",") + "\n  }\n}\n"
    try Data(json.utf8).write(to: URL(fileURLWithPath: out + ".expected.json"))
    FileHandle.standardError.write(Data("roster-gen: \(written) log lines, \(message) messages → \(out)\n".utf8))
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
