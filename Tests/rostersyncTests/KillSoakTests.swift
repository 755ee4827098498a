import Foundation
import SlapdHarness
import Testing

/// The kill -9 soak (issue 14): `rostersync` killed at a random moment of an initial or churn
/// sync or apply (reading, notices, backup, writes), then run again to its end; after each
/// trial the directory equals an uninterrupted run's, every applied change has exactly one
/// final audit record, every mailbox's password is in exactly one notice entry and binds, and
/// the lock is free. `ROSTERSYNC_KILL_TRIALS` (default 3, `make killsoak`: 50),
/// `ROSTERSYNC_KILL_STAFF` (600), `ROSTERSYNC_KILL_SEED` (1).
@Suite("kill -9 soak against real slapd")
struct KillSoakTests {
    enum Mode: String, CaseIterable {
        case initialSync = "initial sync", churnApply = "churn apply", churnSync = "churn sync", initialApply = "initial apply"
        var churn: Bool { self == .churnApply || self == .churnSync }
        var apply: Bool { self == .churnApply || self == .initialApply }
    }

    /// SplitMix64: the same kill moments for the same seed.
    struct Rng {
        var state: UInt64
        mutating func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }

    struct Rosters {
        let dir: String
        let day1: String, day2: String
        func q1(_ s: Slapd) throws -> Scenario {
            try Scenario(s, units: dir + "/q1/units.csv", staff: dir + "/q1/staff.csv", extra: Self.safety)
        }
        func q2(_ s: Slapd) throws -> Scenario {
            try Scenario(s, units: dir + "/q2/units.csv", staff: dir + "/q2/staff.csv", extra: Self.safety + "policy:\n  last_login_file: \(dir)/q2/lastlogin.csv\n")
        }
        static let safety = "safety:\n  max_percent: 100\n  max_count: 1000000\n"
    }

    /// Loads quarter 1 when the mode is a churn; returns the command to kill (and a plan file
    /// made beforehand for apply) and the one that finishes the work.
    func prepare(_ mode: Mode, _ s: Slapd, _ r: Rosters) throws -> (run: [String], rerun: [String]) {
        let q1 = try r.q1(s), q2 = try r.q2(s)
        if mode.churn {
            let out = try rostersync(["sync", "--config", q1.config, "--as-of", r.day1])
            #expect(out.status == 0, "\(out.stderr)")
        }
        let (sc, day) = mode.churn ? (q2, r.day2) : (q1, r.day1)
        let sync = ["sync", "--config", sc.config, "--as-of", day]
        guard mode.apply else { return (sync, sync) }
        let planFile = s.dir + "/plan.json"
        #expect(try sc.plan(["--as-of", day, "--out", planFile]).status == 2)
        return (["apply", "--config", sc.config, planFile], sync)
    }

    /// What a run has done so far, from its state folder.
    struct Watch {
        let state: String
        let auditSize: Int
        init(_ s: Slapd) {
            state = s.dir + "/state"
            var st = stat()
            auditSize = stat(state + "/audit.jsonl", &st) == 0 ? Int(st.st_size) : 0
        }
        func marker() -> Bool {
            ((try? FileManager.default.contentsOfDirectory(atPath: state + "/runs")) ?? []).contains { $0.hasSuffix(".json") }
        }
        func backup() -> Bool {
            ((try? FileManager.default.contentsOfDirectory(atPath: state + "/backups")) ?? []).count > 0
        }
        func started() -> Bool {
            guard let h = FileHandle(forReadingAtPath: state + "/audit.jsonl") else { return false }
            defer { try? h.close() }
            try? h.seek(toOffset: UInt64(auditSize))
            let data = (try? h.readToEnd()) ?? Data()
            return data.count > 0 && String(decoding: data, as: UTF8.self).contains("\"result\":\"started\"")
        }
    }

    @Test("kill -9 at random moments of syncs and applies; each rerun converges with one final audit record per change and one notice entry per mailbox")
    func killSoak() throws {
        let env = ProcessInfo.processInfo.environment
        let trials = Int(env["ROSTERSYNC_KILL_TRIALS"] ?? "") ?? 3
        let staff = Int(env["ROSTERSYNC_KILL_STAFF"] ?? "") ?? 600
        var rng = Rng(state: UInt64(env["ROSTERSYNC_KILL_SEED"] ?? "") ?? 1)
        let base = "/tmp/rs-ks-\(getpid())"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let rosters = Rosters(dir: base, day1: dayString(offset: 0), day2: dayString(offset: 30))
        #expect(try Slapd.run(rosterGenBinary, ["--staff", "\(staff)", "--out", base + "/q1"]).status == 0)
        let mutate = try Slapd.run(rosterGenBinary, ["mutate", "--from", base + "/q1", "--out", base + "/q2", "--as-of", rosters.day2])
        #expect(mutate.status == 0, "\(mutate.stderr)")

        // The uninterrupted runs: the directory to reach and how long a run takes.
        let modes = Array(Mode.allCases.prefix(max(1, min(trials, Mode.allCases.count))))
        var reference: [Mode: (dump: [String], marks: [Double])] = [:]
        for mode in modes {
            try withSlapd { s in
                let (run, _) = try prepare(mode, s, rosters)
                let watch = Watch(s)
                let t0 = Date()
                let pid = Durability.spawn(run, dir: s.dir)
                var marks: [Double] = [0, 0, 0]  // marker written, writes started, exited
                var done: Int32 = -1
                while done < 0 {
                    var status: Int32 = 0
                    if waitpid(pid, &status, WNOHANG) == pid { done = status; marks[2] = Date().timeIntervalSince(t0); break }
                    if marks[0] == 0, watch.marker() { marks[0] = Date().timeIntervalSince(t0) }
                    if marks[1] == 0, watch.started() { marks[1] = Date().timeIntervalSince(t0) }
                    usleep(300)
                }
                #expect(done == 0, "\(mode.rawValue): \(Slapd.readText(s.dir + "/spawned.err").suffix(300))")
                if marks[0] == 0 { marks[0] = marks[2] }
                if marks[1] == 0 { marks[1] = marks[2] }
                reference[mode] = (try Durability.dump(s), marks)
            }
        }

        var phases: [String: Int] = [:]
        var failedTrials: [String] = []
        for trial in 0..<trials {
            let mode = modes[trial % modes.count]
            let ref = try #require(reference[mode])
            // Each phase in turn: reading and planning, notices and backup, writes; a random
            // moment within it, as long as it took in the uninterrupted run.
            // (The backup's own share, for a churn: from its folder appearing to the writes.)
            // (Shifted with each round of modes, so that the default three trials kill an
            // initial sync in its writes, a churn apply in its backup, a churn sync in its notices.)
            var target = (3 - trial % modes.count + trial / modes.count) % 4
            if target == 2 && !mode.churn { target = 1 }
            let window = target == 0 ? ref.marks[0] : target == 1 ? ref.marks[1] - ref.marks[0] : target == 2 ? (ref.marks[1] - ref.marks[0]) / 3 : ref.marks[2] - ref.marks[1]
            let delay = rng.next() * max(window, 0.001)
            try withSlapd { s in
                let (run, rerun) = try prepare(mode, s, rosters)
                let linesBefore = Durability.audit(s).count
                let watch = Watch(s)
                let pid = Durability.spawn(run, dir: s.dir)
                var exited = false
                for _ in 0..<200_000 where target > 0 {
                    if target == 1 ? watch.marker() : target == 2 ? watch.backup() : watch.started() { break }
                    var status: Int32 = 0
                    if waitpid(pid, &status, WNOHANG) == pid { exited = true; break }
                    usleep(200)
                }
                usleep(useconds_t(delay * 1_000_000))
                let backupBegun = ((try? FileManager.default.contentsOfDirectory(atPath: s.dir + "/state/backups")) ?? []).count > 0
                kill(pid, SIGKILL)
                if !exited { _ = Durability.wait(pid) }
                // Where it was killed, from what it left.
                let records = Durability.audit(s).dropFirst(linesBefore)
                let marker = ((try? FileManager.default.contentsOfDirectory(atPath: s.dir + "/state/runs")) ?? []).contains { $0.hasSuffix(".json") }
                let phase = records.contains { ($0["result"] as? String) == "done" || ($0["result"] as? String) == "partial" } ? "after the writes"
                    : records.contains { ($0["result"] as? String) == "started" } ? "writes"
                    : marker ? (backupBegun ? "backup" : "notices") : "reading and planning"
                phases[phase, default: 0] += 1
                let label = "trial \(trial) \(mode.rawValue) killed at \(String(format: "%.2f", delay)) s (\(phase))"
                #expect(Durability.lockIsFree(s), "\(label): lock held")

                let again = try rostersync(rerun)
                #expect(again.status == 0, "\(label): rerun \(again.status): \(again.stderr.suffix(300))")
                let after = try rostersync(rerun)
                #expect(after.status == 0 && after.stdout.hasPrefix("nothing to do"), "\(label): \(after.stdout.prefix(300))")
                let dump = try Durability.dump(s)
                let onlyHere = Set(dump).subtracting(ref.dump), onlyThere = Set(ref.dump).subtracting(dump)
                let boxes = try Durability.mailboxes(s)
                let audit = Durability.auditProblems(s, mailboxes: boxes)
                let notices = Durability.noticeProblems(s, mailboxes: boxes, strict: !mode.churn)
                let ok = onlyHere.isEmpty && onlyThere.isEmpty && audit.isEmpty && notices.isEmpty && Durability.lockIsFree(s)
                #expect(onlyHere.isEmpty && onlyThere.isEmpty, "\(label): \(onlyHere.count)/\(onlyThere.count) entries differ: \(onlyHere.sorted().prefix(1)) / \(onlyThere.sorted().prefix(1))")
                #expect(audit.isEmpty, "\(label): \(audit.count) audit problems: \(audit.prefix(4))")
                #expect(notices.isEmpty, "\(label): \(notices.count) notice problems: \(notices.prefix(4))")
                if !ok {
                    failedTrials.append(label)
                    let detail = "\(label)\nonly here:\n\(onlyHere.sorted().joined(separator: "\n\n"))\nonly in the reference:\n\(onlyThere.sorted().joined(separator: "\n\n"))\naudit: \(audit)\nnotices: \(notices)\nrerun: \(again.stdout)\n\(again.stderr)\n"
                    try? detail.write(toFile: "/tmp/rs-killsoak-trial-\(trial).txt", atomically: true, encoding: .utf8)
                    try? FileManager.default.copyItem(atPath: s.dir + "/state/audit.jsonl", toPath: "/tmp/rs-killsoak-trial-\(trial).audit")
                }
            }
        }
        let summary = "kill soak: \(trials) trials, \(staff) staff, \(failedTrials.count) failed; killed during " + phases.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print(summary)
        try? (summary + "\n" + failedTrials.joined(separator: "\n") + "\n").write(toFile: "/tmp/rs-killsoak-last.txt", atomically: true, encoding: .utf8)
    }
}
