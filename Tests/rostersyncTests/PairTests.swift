import Foundation
import LDAPClient
import SlapdHarness
import Testing

/// A rostersync run started in the background, its output in files.
struct BackgroundRun {
    let pid: pid_t
    let out: String
    let err: String

    init(_ args: [String], in dir: String, environment extra: [String: String] = [:]) throws {
        out = dir + "/bg-\(UUID().uuidString.prefix(6)).out"
        err = out.replacingOccurrences(of: ".out", with: ".err")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] = ([rostersyncBinary] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        var env = ProcessInfo.processInfo.environment
        for (k, v) in extra { env[k] = v }
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        let rc = posix_spawn(&pid, rostersyncBinary, &actions, nil, argv, envp)
        guard rc == 0 else { throw HarnessError("cannot start rostersync: \(rc)") }
        self.pid = pid
    }

    /// Waits for the exit (at most `timeout` s, then SIGKILL) and returns the output.
    func wait(timeout: Double = 180) -> Slapd.ProcessOutput {
        let end = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > end { kill(pid, SIGKILL) }
            usleep(20_000)
        }
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Slapd.ProcessOutput(status: code, stdout: Slapd.readText(out), stderr: Slapd.readText(err))
    }
}

func accountCount(_ s: Slapd) -> Int {
    let out = try? s.tool("ldapsearch", ["-LLL", "-E", "pr=1000/noprompt", "-b", "ou=units,\(s.suffix)", "(objectClass=rsAccount)", "1.1"])
    return out?.stdout.split(separator: "\n").filter { $0.hasPrefix("dn:") }.count ?? -1
}

/// A config for both providers of a pair, node a first, with rosters of `staff` people made
/// by roster-gen in a's folder.
func pairScenario(_ a: Slapd, _ b: Slapd, staff: Int, extra: String = "", stateDir: String = "state") throws -> (config: String, rosters: String) {
    let dir = a.dir + "/rosters"
    if !FileManager.default.fileExists(atPath: dir + "/staff.csv") {
        let gen = try Slapd.run(rosterGenBinary, ["--staff", "\(staff)", "--out", dir])
        guard gen.status == 0 else { throw HarnessError("roster-gen: \(gen.stderr)") }
    }
    let config = try writeConfig(a, uris: [a.ldapiURI, b.ldapiURI], extra: """
        rosters:
          units: \(dir)/units.csv
          staff: \(dir)/staff.csv
        \(extra)
        """)
    let text = try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "state_dir: state", with: "state_dir: \(stateDir)")
    try text.write(toFile: config, atomically: true, encoding: .utf8)
    return (config, dir)
}

@Suite("a two-provider pair: failover mid-run", .serialized)
struct FailoverTests {
    /// Starts a 3,000-person first sync against [a, b], does `fault` to a once 300 accounts
    /// exist, and returns the run's output.
    func syncWithFault(_ a: Slapd, _ b: Slapd, fault: (Slapd) throws -> Void) throws -> Slapd.ProcessOutput {
        let (config, _) = try pairScenario(a, b, staff: 3000)
        let run = try BackgroundRun(["sync", "--config", config], in: a.dir)
        var seen = 0
        for _ in 0..<1500 {
            seen = accountCount(b)
            if seen > 300 { break }
            usleep(10_000)
        }
        try fault(a)
        let out = run.wait()
        #expect(seen > 300 && seen < 2500, "the fault came mid-run: \(seen) accounts")
        return out
    }

    /// `recover` brings a back; then a rerun finishes the work and nothing is left.
    func checkOutcome(_ out: Slapd.ProcessOutput, _ a: Slapd, _ b: Slapd, pair: SlapdPair, recover: () throws -> Void) throws {
        let all = out.stdout + out.stderr
        let failed = all.split(separator: "\n").filter { $0.hasPrefix("FAILED") }
        // Only the writes in flight when a was lost (the window, 8) may fail, and only as
        // unknown outcomes: the rest went to b.
        #expect(failed.count <= 8, "\(failed.count) FAILED: \(failed.prefix(3))")
        #expect(failed.allSatisfy { $0.contains("outcomeUnknown") }, "\(failed.prefix(3))")
        #expect(out.status == 0 || out.status == 4, "\(out.stderr.suffix(500))")
        #expect(all.contains("going on at \(b.ldapiURI)"), "\(out.stderr.suffix(500))")
        // Writes a took and had not yet passed on are on a alone: once a is back and the pair
        // has converged, the next run finishes the work, and then nothing is left.
        try recover()
        #expect(pair.waitConverged(timeout: 30))
        let config = try pairScenario(a, b, staff: 3000).config
        let rerun = try rostersync(["sync", "--config", config])
        #expect(rerun.status == 0, "\(rerun.stderr.suffix(800))")
        #expect(try rostersync(["plan", "--config", config]).status == 0)
        // The rerun wrote to a; b has them once replication has passed them on, or never: a
        // killed provider can leave its peer without writes it had not passed on (its
        // pipelined writes commit out of CSN order), which equal contextCSNs do not show. Then
        // check says so, naming both counts.
        #expect(pair.waitConverged(timeout: 30))
        func managed(_ s: Slapd) -> Int {
            let out = try? s.tool("ldapsearch", ["-LLL", "-E", "pr=1000/noprompt", "-b", "ou=units,\(s.suffix)",
                                                 "(|(objectClass=rsAccount)(objectClass=rsUnit)(objectClass=rsUnitMailbox))", "1.1"])
            return out?.stdout.split(separator: "\n").filter { $0.hasPrefix("dn:") }.count ?? -1
        }
        let (onA, onB) = (managed(a), managed(b))
        let check = try rostersync(["check", "--config", config, "--read-only"])
        if onA == onB {
            #expect(check.stdout.contains("ok    entries     every provider holds"), "\(check.stdout)")
        } else {
            #expect(check.status == 1 && check.stdout.contains("FAIL  entries     the providers hold different numbers of managed entries"), "a \(onA), b \(onB): \(check.stdout)")
        }
    }

    @Test("node a killed mid-run: the run goes on at b; only writes in flight are outcomeUnknown")
    func stopped() throws {
        let pair = try SlapdPair.start(nosync: false)
        defer { pair.destroy() }
        let out = try syncWithFault(pair.a, pair.b) { $0.kill9() }
        try checkOutcome(out, pair.a, pair.b, pair: pair) { try pair.a.start() }
    }

    @Test("node a frozen (SIGSTOP) mid-run: after the operation timeout the run goes on at b")
    func frozen() throws {
        let pair = try SlapdPair.start(nosync: false)
        defer { pair.destroy() }
        let out = try syncWithFault(pair.a, pair.b) { $0.freeze() }
        try checkOutcome(out, pair.a, pair.b, pair: pair) { pair.a.thaw() }
    }
}

@Suite("a two-provider pair: a provider behind its peer", .serialized)
struct BehindPeerTests {
    let samples = Slapd.repoRoot + "/samples"

    /// A config for `uris` with the sample rosters, its state folder in a's folder.
    func config(_ a: Slapd, _ uris: [String]) throws -> String {
        try writeConfig(a, uris: uris, extra: "rosters:\n  units: \(samples)/units.csv\n  staff: \(samples)/staff.csv\n")
    }

    @Test("node a restarted behind b: plan warns; sync waits for it, else refuses naming both and their CSNs")
    func restartedBehind() throws {
        try withPair { a, b in
            // a goes down and comes back without pulling from b; meanwhile b takes the first load.
            try a.replication(false)
            try a.stop()
            let load = try rostersync(["sync", "--config", try config(a, [b.ldapiURI])])
            #expect(load.status == 0, "\(load.stderr)")
            try a.start()
            #expect(accountCount(a) == 0 && accountCount(b) == 290)
            let both = try config(a, [a.ldapiURI, b.ldapiURI])

            let plan = try rostersync(["plan", "--config", both])
            #expect(plan.stderr.contains("warning: \(a.ldapiURI) is behind \(b.ldapiURI)"), "\(plan.stderr)")

            let refused = try rostersync(["sync", "--config", both])
            #expect(refused.status == 1, "\(refused.stdout.suffix(300))")
            let csnB = try #require(try b.contextCSN().first { $0.contains("#002#") })
            #expect(refused.stderr.contains("\(a.ldapiURI) is behind \(b.ldapiURI)") && refused.stderr.contains(csnB), "\(refused.stderr)")
            #expect(!refused.stdout.contains("did "), "nothing written")
            #expect(accountCount(a) == 0)

            // Replication comes back a second into the run: the run waits for it, then has nothing to do.
            let run = try BackgroundRun(["sync", "--config", both], in: a.dir)
            usleep(1_000_000)
            try a.replication(true)
            let out = run.wait()
            #expect(out.status == 0, "\(out.stderr)")
            #expect(out.stdout.contains("waited") && out.stdout.contains("nothing to do"), "\(out.stdout.prefix(500))")
            #expect(accountCount(a) == 290)
        }
    }

    @Test("check with both providers: each answers, and a provider behind its peer is a warning naming both")
    func checkReplicas() throws {
        try withPair { a, b in
            let both = try config(a, [a.ldapiURI, b.ldapiURI])
            let fine = try rostersync(["check", "--config", both])
            #expect(fine.status == 0, "\(fine.stdout)")
            #expect(fine.stdout.contains("ok    replica     \(b.ldapiURI) answers; \(a.ldapiURI) is not behind it"), "\(fine.stdout)")
            try a.replication(false)
            let add = try b.tool("ldapadd", [], stdin: "dn: cn=x,ou=services,\(b.suffix)\nobjectClass: device\ncn: x\n")
            #expect(add.status == 0)
            let late = try rostersync(["check", "--config", both])
            #expect(late.stdout.contains("warn  replica     \(a.ldapiURI) is behind \(b.ldapiURI): serverID 002"), "\(late.stdout)")
        }
    }
}
