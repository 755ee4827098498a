import Foundation

/// Counts delivered mail per mailbox from Postfix's standard syslog lines (art. 17.2, 18.3):
///
///     Nov 29 10:15:01 mx postfix/qmgr[812]: 4F1A2B3C4D: from=<annv@cema.gov.vn>, size=2210, nrcpt=2 (queue active)
///     Nov 29 10:15:02 mx postfix/lmtp[901]: 4F1A2B3C4D: to=<hanh@cema.gov.vn>, orig_to=<vp@cema.gov.vn>, relay=…, status=sent (250 2.0.0 Ok)
///     2026-11-29T10:15:02.331+07:00 mx postfix/smtp[902]: 4F1A2B3C4D: to=<x@example.com>, relay=…, status=bounced (…)
///     Nov 29 10:15:03 mx postfix/qmgr[812]: 4F1A2B3C4D: removed
///
/// A message counts as *sent* by the mailbox its `from=` resolves to, once, when its first
/// recipient is delivered (`status=sent`); it counts as *received* by every mailbox a
/// delivered `to=` (or, for an alias expanded on the way, `orig_to=`) resolves to. Deferred,
/// bounced and expired deliveries count for nobody. Lines outside the period are read (for the
/// sources' coverage) but not counted.
///
/// Pure: it is fed bytes; reading files (and .gz) is the caller's business. Traditional
/// syslog stamps carry no year: a line gets the period's last year, or the year before when
/// that would put it more than a month after the period (a December line read for a January
/// report).
public struct MailLogCounter: Sendable {
    public struct Source: Sendable, Hashable {
        public var name: String
        public var lines = 0
        public var postfixLines = 0
        public var first: Day?
        public var last: Day?
    }

    public let from: Day
    public let to: Day
    /// Address (lower case) → mailbox number; aliases resolve to their mailbox.
    let mailboxes: [String: Int]
    public private(set) var sent: [Int]
    public private(set) var received: [Int]
    public private(set) var sources: [Source] = []
    /// Days of the period with at least one log line, as offsets from `from`.
    var covered: [Bool]

    /// Queue id → (sender mailbox or -1, counted as sent already).
    private var queue: [QueueID: (sender: Int32, counted: Bool)] = [:]

    public init(from: Day, to: Day, mailboxes: [String: Int], count: Int) {
        self.from = from
        self.to = to
        self.mailboxes = mailboxes
        self.sent = Array(repeating: 0, count: count)
        self.received = Array(repeating: 0, count: count)
        self.covered = Array(repeating: false, count: max(0, to.ordinal - from.ordinal + 1))
    }

    /// Starts a new file (its lines are counted under `name`).
    public mutating func begin(source name: String) { sources.append(Source(name: name)) }

    /// Reads every complete line of `bytes`; returns how many bytes were used (the rest is a
    /// partial last line, to be fed again with what follows). `final`: the file ends here.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, final: Bool = false) -> Int {
        if sources.isEmpty { begin(source: "input") }
        let b = bytes.bindMemory(to: UInt8.self)
        var start = 0
        let n = b.count
        while start < n {
            guard let nl = memchrIndex(b, from: start) else {
                if final { line(b, start, n); return n }
                return start
            }
            line(b, start, nl)
            start = nl + 1
        }
        return n
    }

    private func memchrIndex(_ b: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard from < b.count, let base = b.baseAddress else { return nil }
        guard let p = memchr(base + from, 0x0A, b.count - from) else { return nil }
        return base.distance(to: p.assumingMemoryBound(to: UInt8.self))
    }

    // MARK: - One line

    private static let months: [UInt32: Int] = {
        var m: [UInt32: Int] = [:]
        for (i, name) in ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].enumerated() {
            let u = Array(name.utf8)
            m[UInt32(u[0]) << 16 | UInt32(u[1]) << 8 | UInt32(u[2])] = i + 1
        }
        return m
    }()

    private mutating func line(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) {
        var e = e
        if e > s, b[e - 1] == 0x0D { e -= 1 }
        guard e - s > 16 else { return }
        let k = sources.count - 1
        sources[k].lines += 1
        // The stamp: "Nov 29 10:15:01" or "2026-11-29T10:15:01…".
        var i = s
        let day: Day?
        if isDigit(b[s]) {
            guard e - s > 10, b[s + 4] == 0x2D, b[s + 7] == 0x2D else { return }
            day = Day(year: num(b, s, 4), month: num(b, s + 5, 2), day: num(b, s + 8, 2))
            while i < e, b[i] != 0x20 { i += 1 }
        } else {
            let key = UInt32(b[s] | 0x20) << 16 | UInt32(b[s + 1] | 0x20) << 8 | UInt32(b[s + 2] | 0x20)
            guard let month = Self.months[key] else { return }
            i = s + 3
            while i < e, b[i] == 0x20 { i += 1 }
            var d = 0
            while i < e, isDigit(b[i]) { d = d * 10 + Int(b[i] - 0x30); i += 1 }
            day = inferYear(month: month, day: d)
            i += 9  // " HH:MM:SS"
        }
        guard let day else { return }
        if sources[k].first.map({ day < $0 }) ?? true { sources[k].first = day }
        if sources[k].last.map({ day > $0 }) ?? true { sources[k].last = day }
        let offset = day.ordinal - from.ordinal
        if offset >= 0 && offset < covered.count { covered[offset] = true }
        // " host program[pid]: message"
        while i < e, b[i] == 0x20 { i += 1 }
        while i < e, b[i] != 0x20 { i += 1 }  // host
        while i < e, b[i] == 0x20 { i += 1 }
        let program = i
        while i < e, b[i] != 0x3A, b[i] != 0x20 { i += 1 }
        guard i + 2 < e, b[i] == 0x3A, b[i + 1] == 0x20, contains(b, program, i, "postfix") else { return }
        sources[k].postfixLines += 1
        i += 2
        // "QUEUEID: rest"
        let qStart = i
        while i < e, isAlnum(b[i]) { i += 1 }
        guard i > qStart, i + 2 < e, b[i] == 0x3A, b[i + 1] == 0x20 else { return }
        let qid = QueueID(b, qStart, i)
        i += 2
        let inPeriod = offset >= 0 && offset < covered.count
        if has(b, i, e, "from=<") {
            let a = i + 6
            guard let close = find(b, a, e, 0x3E) else { return }
            let sender = close > a ? mailbox(b, a, close) : nil
            queue[qid] = (Int32(sender ?? -1), false)
        } else if has(b, i, e, "to=<") {
            let a = i + 4
            guard let close = find(b, a, e, 0x3E) else { return }
            var j = close + 1
            var orig: (Int, Int)?
            if has(b, j, e, ", orig_to=<"), let oc = find(b, j + 11, e, 0x3E) { orig = (j + 11, oc); j = oc + 1 }
            guard let st = search(b, j, e, "status="), has(b, st + 7, e, "sent") else { return }
            guard inPeriod else { return }
            if let m = mailbox(b, a, close) ?? orig.flatMap({ mailbox(b, $0.0, $0.1) }) { received[m] += 1 }
            if let q = queue[qid], !q.counted {
                if q.sender >= 0 { sent[Int(q.sender)] += 1 }
                queue[qid] = (q.sender, true)
            }
        } else if has(b, i, e, "removed") {
            queue[qid] = nil
        }
    }

    /// A traditional stamp's year: the period's end year, or the one before when that puts
    /// the day more than a month after the period.
    private func inferYear(month: Int, day: Int) -> Day? {
        guard let d = Day(year: to.year, month: month, day: day) else { return Day(year: to.year - 1, month: month, day: day) }
        if d.ordinal > to.ordinal + 31 { return Day(year: to.year - 1, month: month, day: day) }
        return d
    }

    private func mailbox(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Int? {
        guard e > s else { return nil }
        let lowered = String(unsafeUninitializedCapacity: e - s) { out in
            for j in s..<e { out[j - s] = b[j] >= 0x41 && b[j] <= 0x5A ? b[j] + 0x20 : b[j] }
            return e - s
        }
        return mailboxes[lowered]
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) }
    private func num(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ n: Int) -> Int {
        var v = 0
        for j in s..<(s + n) { v = v * 10 + Int(b[j] &- 0x30) }
        return v
    }
    private func has(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, _ lit: StaticString) -> Bool {
        let n = lit.utf8CodeUnitCount
        guard e - s >= n else { return false }
        let p = lit.utf8Start
        for j in 0..<n where b[s + j] != p[j] { return false }
        return true
    }
    private func find(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, _ c: UInt8) -> Int? {
        var j = s
        while j < e { if b[j] == c { return j }; j += 1 }
        return nil
    }
    private func search(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, _ lit: StaticString) -> Int? {
        let first = lit.utf8Start[0]
        var j = s
        while j < e {
            if b[j] == first, has(b, j, e, lit) { return j }
            j += 1
        }
        return nil
    }
    private func contains(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, _ lit: StaticString) -> Bool { search(b, s, e, lit) != nil }

    // MARK: - Coverage

    /// Runs of days of the period without a single log line: where the counts have a gap.
    public var gaps: [(from: Day, to: Day)] {
        var out: [(Day, Day)] = []
        var start: Int?
        for (i, c) in covered.enumerated() {
            if !c, start == nil { start = i }
            if c, let s = start { out.append((from.adding(days: s), from.adding(days: i - 1))); start = nil }
        }
        if let s = start { out.append((from.adding(days: s), to)) }
        return out
    }
}

/// A Postfix queue id (short hex or long form), kept in two words: no string per line.
struct QueueID: Hashable, Sendable {
    var a: UInt64 = 0
    var b: UInt64 = 0
    var n: UInt8 = 0
    init(_ buf: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) {
        n = UInt8(truncatingIfNeeded: e - s)
        for j in s..<min(e, s + 16) {
            let k = j - s
            if k < 8 { a |= UInt64(buf[j]) << (8 * k) } else { b |= UInt64(buf[j]) << (8 * (k - 8)) }
        }
        // Longer ids (not Postfix's) fold their tail in.
        if e - s > 16 { for j in (s + 16)..<e { b = b &* 31 &+ UInt64(buf[j]) } }
    }
}
