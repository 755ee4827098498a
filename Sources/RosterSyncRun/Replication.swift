import Foundation
import LDAPClient
import LDAPModel
import RosterSync

/// Whether the provider a run reads and writes is behind another configured provider.
///
/// A syncprov provider keeps `contextCSN` on the suffix entry, one value per server ID: the
/// newest change it holds from that server. A provider restarted after its peer took writes
/// needs a while (~20 s on a 3,000-entry tree) to catch up, and planned against in that time
/// it looks as if entries were missing (2,082 spurious creations in issue 14). So before a
/// plan the contextCSN of every configured provider is read and compared per server ID.
package enum Replication {
    package enum Mode {
        /// plan and the reports: say so on stderr, go on.
        case warn
        /// sync and apply: wait (up to operation_timeout) for the provider to catch up, else
        /// refuse before any write.
        case wait
    }

    /// A provider's contextCSN values by server ID (the CSN's third field, `#sid#`).
    package static func contextCSN(_ conn: LDAPConnection, base: String) throws -> [String: String] {
        var out: [String: String] = [:]
        try conn.search(base: base, scope: .base, attributes: ["contextCSN"]) { e in
            for csn in e.strings("contextCSN") {
                let parts = csn.split(separator: "#")
                guard parts.count >= 3 else { continue }
                let sid = String(parts[2])
                if csn > out[sid] ?? "" { out[sid] = csn }
            }
        }
        return out
    }

    /// The server IDs for which `mine` lacks what `theirs` holds: (sid, mine, theirs).
    package static func behind(_ mine: [String: String], _ theirs: [String: String]) -> [(sid: String, mine: String, theirs: String)] {
        theirs.keys.sorted().compactMap { sid in
            let t = theirs[sid]!, m = mine[sid] ?? ""
            // CSNs are fixed-width (time.usec#count#sid#mod): text order is time order.
            return m < t ? (sid, m.isEmpty ? "none" : m, t) : nil
        }
    }

    /// Compares the provider of `conn` with every other configured URI. A provider that does
    /// not answer is left out with a warning (the run is failing over from it, or it is down).
    package static func check(_ config: Config, conn: LDAPConnection, mode: Mode) throws {
        let uris = config.directory.uris
        guard uris.count > 1 else { return }
        let base = config.directory.base.string
        let credentials = try Runner.credentials(config)
        var peers: [(uri: String, csn: [String: String])] = []
        for uri in uris where uri != conn.uri {
            var options = Runner.connectionOptions(config)
            options.uris = [uri]
            do {
                let peer = try LDAPConnection.connect(options, credentials: credentials)
                defer { peer.close() }
                peers.append((uri, try contextCSN(peer, base: base)))
            } catch {
                printError("warning: cannot compare replication state with \(uri) (\(error)); going on with \(conn.uri)")
            }
        }
        guard !peers.isEmpty else { return }
        var mine = try contextCSN(conn, base: base)
        func lag() -> [(peer: String, sid: String, mine: String, theirs: String)] {
            peers.flatMap { p in behind(mine, p.csn).map { (p.uri, $0.sid, $0.mine, $0.theirs) } }
        }
        var late = lag()
        guard !late.isEmpty else { return }
        let describe = { (l: [(peer: String, sid: String, mine: String, theirs: String)]) in
            l.map { "serverID \($0.sid): \($0.mine) at \(conn.uri), \($0.theirs) at \($0.peer)" }.joined(separator: "; ")
        }
        switch mode {
        case .warn:
            printError("warning: \(conn.uri) is behind \(late[0].peer) (contextCSN \(describe(late))): it has not yet received changes made there, "
                       + "so this plan may list changes already made; plan again once replication has caught up")
        case .wait:
            let started = Date()
            let limit = config.directory.operationTimeout
            while !late.isEmpty && Date().timeIntervalSince(started) < limit {
                usleep(250_000)
                mine = try contextCSN(conn, base: base)
                late = lag()
            }
            let waited = String(format: "%.1f", Date().timeIntervalSince(started))
            if late.isEmpty {
                Log.logger.notice("waited \(waited) s for \(conn.uri) to catch up with its peer (replication)")
                return
            }
            throw Runner.Failure(
                "\(conn.uri) is behind \(late[0].peer): contextCSN \(describe(late)) (waited \(waited) s, directory.operation_timeout). "
                + "A plan against it would redo or undo changes it has not yet received; nothing was done. "
                + "Let replication catch up (or fix it) and run again")
        }
    }
}
