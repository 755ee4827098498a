import Foundation
import LDAPClient
import LDAPModel
import RosterSync
import Synchronization

/// The run's lease in the directory itself, beside the state folder's flock: the flock keeps
/// out runs sharing a `state_dir`, the lease keeps out runs on other hosts (or with another
/// state folder) writing to the same directory.
///
/// The lease is one entry, `cn=rostersync-lease,<units_base>` (an `applicationProcess`: no
/// schema needed), whose `description` says who holds it and until when:
///
///     held by rostersync run 20261206-091500-4242 on host mail1, pid 4242, until 2026-12-06T09:17:00Z
///
/// It is taken by adding the entry (the directory lets one add win), or, when the holder's
/// time has passed (or the holder is a dead process on this host), by replacing that value
/// with an assertion on it (RFC 4528), so two runs cannot both take it over. A thread renews
/// it the same way every quarter of its time, on its own connection; the run deletes it at
/// its end, again asserting it still holds it.
package final class DirectoryLease: Sendable {
    package let dn: String
    package let holder: String
    /// Seconds a lease lasts unless renewed.
    package let ttl: Double
    private let state: Mutex<State>
    private let stopped = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    private struct State {
        var value: String
        var lost: String?
    }

    package static let rdn = "cn=rostersync-lease"

    private init(dn: String, holder: String, ttl: Double, value: String) {
        self.dn = dn
        self.holder = holder
        self.ttl = ttl
        state = Mutex(State(value: value))
    }

    /// The lease's text for `holder` until `date`.
    package static func text(_ holder: String, until date: Date) -> String {
        "held by rostersync \(holder), until \(Runner.timestamp(date))"
    }

    /// Who holds a lease and until when, from its text; nil for a text that is not one.
    package static func parse(_ text: String) -> (holder: String, host: String?, pid: Int32?, until: Date?)? {
        guard text.hasPrefix("held by rostersync "), let u = text.range(of: ", until ", options: .backwards) else { return nil }
        let holder = String(text[text.index(text.startIndex, offsetBy: 19)..<u.lowerBound])
        let until = ISO8601DateFormatter().date(from: String(text[u.upperBound...]))
        let host = holder.range(of: " on host ").flatMap { r in holder[r.upperBound...].split(separator: ",").first.map(String.init) }
        let pid = holder.range(of: ", pid ").flatMap { Int32(holder[$0.upperBound...]) }
        return (holder, host, pid, until)
    }

    package static func hostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, buf.count)
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Takes the lease for the run `runId`, or throws naming its holder.
    package static func take(_ config: Config, runId: String) throws -> DirectoryLease {
        let options = Runner.connectionOptions(config)
        let credentials = try Runner.credentials(config)
        let conn = try LDAPConnection.connect(options, credentials: credentials)
        defer { conn.close() }
        // ROSTERSYNC_LEASE_TTL (seconds, at least 2) is for tests that lose a lease mid-run.
        let ttl = ProcessInfo.processInfo.environment["ROSTERSYNC_LEASE_TTL"].flatMap(Double.init).map { max(2, $0) }
            ?? max(120, 4 * config.directory.operationTimeout)
        let holder = "run \(runId) on host \(hostname()), pid \(getpid())"
        var dn = "\(rdn),\(config.directory.unitsBase.string)"
        for _ in 0..<5 {
            let mine = text(holder, until: Date().addingTimeInterval(ttl))
            let added = attempt { () throws(LDAPError) in
                try conn.add(dn, [LDAPAttribute("objectClass", ["top", "applicationProcess"]), LDAPAttribute("cn", "rostersync-lease"), LDAPAttribute("description", mine)])
            }
            switch added?.code {
            case nil:
                try confirm(config, conn: conn, dn: dn, mine: mine, holder: holder)
                return start(DirectoryLease(dn: dn, holder: holder, ttl: ttl, value: mine), options: options, credentials: credentials)
            case .noSuchObject? where dn.hasSuffix(",\(config.directory.unitsBase.string)") && config.directory.unitsBase != config.directory.base:
                // No units base yet (a first load creates it): the lease sits under the base.
                dn = "\(rdn),\(config.directory.base.string)"
                continue
            case .entryAlreadyExists?:
                break  // held, or left behind: see by whom and until when
            default:
                throw added!
            }
            var current: String?
            var gone = false
            do {
                try conn.search(base: dn, scope: .base, attributes: ["description"]) { current = $0.string("description") }
            } catch let e as LDAPError where e.code == .noSuchObject {
                gone = true  // released in between: add again
            }
            if gone { continue }
            guard let current else { throw Runner.Failure("\(dn) exists but says nothing of its holder: remove it if no rostersync run is writing (ldapdelete)") }
            let held = parse(current)
            let expired = held?.until.map { $0 < Date() } ?? true
            let deadHere = held.map { h in
                guard h.host == hostname(), let pid = h.pid, pid != getpid() else { return false }
                return kill(pid, 0) != 0 && errno == ESRCH
            } ?? false
            guard expired || deadHere else {
                throw Runner.Failure(
                    "another rostersync run holds the directory's lease \(dn): \(current). Nothing was done. "
                    + "If that run is gone, its lease lapses at that time; an admin may also delete the entry")
            }
            let taken = attempt { () throws(LDAPError) in
                try conn.modify(dn, [.replace("description", [mine])], assertion: .equality("description", current))
            }
            switch taken?.code {
            case nil:
                Log.logger.notice("took over the directory's lease from \(held?.holder ?? current) (\(deadHere ? "that process is gone" : "it had lapsed"))")
                try confirm(config, conn: conn, dn: dn, mine: mine, holder: holder)
                return start(DirectoryLease(dn: dn, holder: holder, ttl: ttl, value: mine), options: options, credentials: credentials)
            case .assertionFailed?, .noSuchObject?:
                continue  // another run was quicker, or released it: look again
            default:
                throw taken!
            }
        }
        throw Runner.Failure("could not take the directory's lease \(dn): it changed hands five times while this run tried")
    }

    /// With several providers, two runs may take the lease at once on two of them (each add
    /// succeeds where it is made). Replication then leaves one value everywhere: the lease is
    /// this run's once every provider that answers shows this run's value. One that shows
    /// another live holder's means the other run won: this run lets go and stops. One that
    /// shows nothing yet is waited for (up to operation_timeout, at most 10 s), then left
    /// with a warning (replication slow or stalled: the contextCSN check comes next).
    private static func confirm(_ config: Config, conn: LDAPConnection, dn: String, mine: String, holder: String) throws {
        guard config.directory.uris.count > 1 else { return }
        let credentials = try Runner.credentials(config)
        var peers: [(uri: String, conn: LDAPConnection)] = [(conn.uri, conn)]
        for uri in config.directory.uris where uri != conn.uri {
            var options = Runner.connectionOptions(config)
            options.uris = [uri]
            do {
                peers.append((uri, try LDAPConnection.connect(options, credentials: credentials)))
            } catch {
                printError("warning: cannot confirm the directory's lease on \(uri) (\(error))")
            }
        }
        defer { for p in peers.dropFirst() { p.conn.close() } }
        let deadline = Date().addingTimeInterval(min(10, config.directory.operationTimeout))
        var pending: [String] = []
        repeat {
            pending = []
            for p in peers {
                var value: String?
                try? p.conn.search(base: dn, scope: .base, attributes: ["description"]) { value = $0.string("description") }
                if value == mine { continue }
                if let value, let other = parse(value), other.holder != holder, let until = other.until, until > Date() {
                    _ = attempt { () throws(LDAPError) in try conn.delete(dn, assertion: .equality("description", mine)) }
                    throw Runner.Failure(
                        "another rostersync run holds the directory's lease \(dn) at \(p.uri): \(value). It took it at the same time as this run, "
                        + "on another provider; nothing was done")
                }
                pending.append(p.uri)
            }
            if !pending.isEmpty { usleep(100_000) }
        } while !pending.isEmpty && Date() < deadline
        if !pending.isEmpty {
            printError("warning: the directory's lease \(dn) has not reached \(pending.joined(separator: ", ")) (replication slow or stalled)")
        }
    }

    /// Runs one write; returns its error, if any.
    private static func attempt(_ body: () throws(LDAPError) -> Void) -> LDAPError? {
        do throws(LDAPError) {
            try body()
            return nil
        } catch {
            return error
        }
    }

    /// Starts the renewing thread.
    private static func start(_ lease: DirectoryLease, options: LDAPConnectionOptions, credentials: LDAPCredentials) -> DirectoryLease {
        let thread = Thread { lease.renewLoop(options: options, credentials: credentials) }
        thread.name = "rostersync-lease"
        thread.start()
        return lease
    }

    /// Renews every quarter of the lease's time until released; then deletes it. Its own
    /// connection, on its own thread (a connection is driven from one thread only).
    private func renewLoop(options: LDAPConnectionOptions, credentials: LDAPCredentials) {
        defer { finished.signal() }
        let writer = LeaseWriter(options: options, credentials: credentials)
        defer { writer.close() }
        while stopped.wait(timeout: .now() + ttl / 4) == .timedOut {
            let old = value
            let renewed = Self.text(holder, until: Date().addingTimeInterval(ttl))
            let op = LDAPOperation(.modify(dn: dn, modifications: [.replace("description", [renewed])]), assertion: .equality("description", old))
            if let e = writer.perform(op) {
                if e.code == .assertionFailed || e.code == .noSuchObject {
                    setLost("the lease \(dn) was taken by another run")
                    Log.logger.error("rostersync: the directory's lease \(dn) is no longer this run's (\(e)): another run may be writing")
                    return
                }
                Log.logger.warning("rostersync: could not renew the directory's lease \(dn): \(e)")
            } else {
                setValue(renewed)
            }
        }
        let op = LDAPOperation(.delete(dn: dn), assertion: .equality("description", value))
        if let e = writer.perform(op), e.code != .noSuchObject {
            Log.logger.warning("rostersync: could not release the directory's lease \(dn) (\(e)); it lapses by itself")
        }
    }

    /// Why the lease was lost during the run, if it was.
    package var lost: String? { state.withLock { $0.lost } }
    private var value: String { state.withLock { $0.value } }
    private func setValue(_ v: String) { state.withLock { $0.value = v } }
    private func setLost(_ why: String) { state.withLock { $0.lost = why } }

    /// Stops renewing and deletes the lease (if still this run's). Waits at most the
    /// connection's time for it.
    package func release() {
        stopped.signal()
        _ = finished.wait(timeout: .now() + ttl / 2)
    }
}

extension Runner {
    /// The directory's lease for a run started at `started` (beside the state folder's flock).
    package static func lease(_ config: Config, started: Date) throws -> DirectoryLease {
        try DirectoryLease.take(config, runId: runId(started))
    }

    /// What a command that writes holds for its run: its config and state folder, the run
    /// lock (flock) and the directory's lease, taken in that order; `release()` gives both up.
    package struct ExclusiveRun {
        package let config: Config
        package let state: StateFolder
        package let lock: StateFolder.Lock
        package let lease: DirectoryLease
        package func release() {
            lease.release()
            lock.release()
        }
    }

    /// `isSync`: a sync or apply, whose failure to take the lease (the directory unreachable)
    /// goes into the metrics; a run that finds the lock held leaves them to the run holding it.
    package static func exclusiveRun(_ configPath: String, started: Date, isSync: Bool = false) throws -> ExclusiveRun {
        let config = try failing(outcome: "nothing was done") { try loadConfig(configPath) }
        let state = try failing(outcome: "nothing was done") { try StateFolder(config.stateDir) }
        let lock = try failing(outcome: "nothing was done") { try state.lock() }
        do {
            let taken = try failing(outcome: "nothing was done") { try Self.lease(config, started: started) }
            return ExclusiveRun(config: config, state: state, lock: lock, lease: taken)
        } catch {
            if isSync { state.writeMetrics(started: started, result: "error", outcomes: [:]) }
            lock.release()
            throw error
        }
    }
}

/// The renewing thread's connection, opened when first needed and again after a lost server.
private final class LeaseWriter {
    package let options: LDAPConnectionOptions
    package let credentials: LDAPCredentials
    package var conn: LDAPConnection?

    package init(options: LDAPConnectionOptions, credentials: LDAPCredentials) {
        self.options = options
        self.credentials = credentials
    }

    /// One write; a lost server gets one more try on a new connection. Returns the error.
    package func perform(_ op: LDAPOperation) -> LDAPError? {
        var last: LDAPError?
        for _ in 0..<2 {
            do throws(LDAPError) {
                if conn == nil { conn = try LDAPConnection.connect(options, credentials: credentials) }
                try conn?.perform(op)
                return nil
            } catch {
                last = error
                guard error.code.isConnectionFailure || error.code == .outcomeUnknown else { return error }
                close()
            }
        }
        return last
    }

    package func close() {
        conn?.close()
        conn = nil
    }
}
