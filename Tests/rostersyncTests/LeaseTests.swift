import Foundation
import SlapdHarness
import Testing

/// Every entry of the directory with its operational attributes, but for the suffix's
/// `contextCSN`: a run that stops before writing has still taken and released its lease
/// (an add and a delete of cn=rostersync-lease), which moves the contextCSN and nothing else.
func directoryDump(_ s: Slapd) throws -> String {
    try s.tool("ldapsearch", ["-LLL", "-o", "ldif-wrap=no", "-b", s.suffix, "(objectClass=*)", "*", "+"]).stdout
        .split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("contextCSN:") }.joined(separator: "\n")
}

@Suite("the directory's lease: runs on other hosts or state folders are kept out", .serialized)
struct LeaseTests {
    let samples = Slapd.repoRoot + "/samples"

    func lease(_ s: Slapd) -> String {
        let out = try? s.tool("ldapsearch", ["-LLL", "-o", "ldif_wrap=no", "-b", "ou=units,\(s.suffix)", "(cn=rostersync-lease)", "description"])
        return out?.stdout.split(separator: "\n").first { $0.hasPrefix("description: ") }.map { String($0.dropFirst(13)) } ?? ""
    }

    func putLease(_ s: Slapd, _ description: String) throws {
        let out = try s.tool("ldapadd", [], stdin: "dn: cn=rostersync-lease,ou=units,\(s.suffix)\nobjectClass: applicationProcess\ncn: rostersync-lease\ndescription: \(description)\n")
        #expect(out.status == 0, "\(out.stderr)")
    }

    static func iso(_ offset: Double) -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: Date().addingTimeInterval(offset))
    }

    @Test("a lease held by a run on another host refuses the sync, naming it; a lapsed one is taken over and released")
    func heldAndLapsed() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            try putLease(s, "held by rostersync run 20261206-090000-77 on host mail2.cema.gov.vn, pid 77, until \(Self.iso(600))")
            let refused = try rostersync(["sync", "--config", sc.config])
            #expect(refused.status == 1, "\(refused.stdout.suffix(300))\(refused.stderr)")
            #expect(refused.stderr.contains("another rostersync run holds") && refused.stderr.contains("mail2.cema.gov.vn, pid 77"), "\(refused.stderr)")
            #expect(accountCount(s) == 0)

            _ = try s.tool("ldapdelete", ["cn=rostersync-lease,ou=units,\(s.suffix)"])
            try putLease(s, "held by rostersync run 20261206-090000-77 on host mail2.cema.gov.vn, pid 77, until \(Self.iso(-5))")
            let done = try rostersync(["sync", "--config", sc.config])
            #expect(done.status == 0, "\(done.stderr)")
            #expect(done.stdout.contains("took over the directory's lease"), "\(done.stdout.prefix(300))")
            #expect(lease(s) == "", "released at the end")
        }
    }

    @Test("a lease left by a dead process on this host is taken over at once")
    func deadHolderHere() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            let gone = try Slapd.run("/bin/sh", ["-c", "echo $$"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let host = try Slapd.run("/bin/hostname", []).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try putLease(s, "held by rostersync run 20261206-090000-\(gone) on host \(host), pid \(gone), until \(Self.iso(600))")
            let done = try rostersync(["sync", "--config", sc.config])
            #expect(done.status == 0, "\(done.stderr)")
            #expect(done.stdout.contains("that process is gone"))
        }
    }

    @Test("two runs with different state folders against one directory: the second is refused, naming the first")
    func twoStateFolders() throws {
        try withSlapd(nosync: false) { s in
            let dir = s.dir + "/big"
            #expect(try Slapd.run(rosterGenBinary, ["--staff", "3000", "--out", dir]).status == 0)
            let one = try Scenario(s, units: dir + "/units.csv", staff: dir + "/staff.csv", extra: "")
            let two = try writeConfig(s, extra: "rosters:\n  units: \(dir)/units.csv\n  staff: \(dir)/staff.csv\n")
            let text = try String(contentsOfFile: two, encoding: .utf8).replacingOccurrences(of: "state_dir: state", with: "state_dir: state-two")
            try text.write(toFile: two, atomically: true, encoding: .utf8)
            let first = try BackgroundRun(["sync", "--config", one.config], in: s.dir)
            var seen = 0
            for _ in 0..<1000 where seen == 0 {
                seen = accountCount(s)
                usleep(10_000)
            }
            let holder = lease(s)
            let second = try rostersync(["sync", "--config", two])
            let firstOut = first.wait()
            #expect(seen > 0 && holder.contains("pid \(first.pid)"), "\(holder)")
            #expect(second.status == 1, "\(second.stdout.suffix(300))")
            #expect(second.stderr.contains("another rostersync run holds") && second.stderr.contains("pid \(first.pid)"), "\(second.stderr)")
            #expect(!second.stdout.contains("did "), "the second run wrote nothing")
            #expect(firstOut.status == 0, "\(firstOut.stderr.suffix(300))")
            #expect(lease(s) == "")
        }
    }

    @Test("restore too is refused while another run holds the lease")
    func restoreRefused() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            try putLease(s, "held by rostersync run 20261206-090000-77 on host mail2.cema.gov.vn, pid 77, until \(Self.iso(600))")
            let out = try rostersync(["restore", "--config", sc.config, "20261206-080000-1"])
            #expect(out.status == 1 && out.stderr.contains("another rostersync run holds"), "\(out.stderr)")
        }
    }

    @Test("unlock too is refused while another run holds the lease")
    func unlockRefused() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            try putLease(s, "held by rostersync run 20261206-090000-77 on host mail2.cema.gov.vn, pid 77, until \(Self.iso(600))")
            let out = try rostersync(["unlock", "--config", sc.config, "annv@cema.gov.vn", "--reason", "CV 12/TTTT"])
            #expect(out.status == 1 && out.stderr.contains("another rostersync run holds"), "\(out.stderr)")
        }
    }

    @Test("apply takes the lock before reading its plan")
    func applyLocksFirst() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            let state = s.dir + "/state"
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            try "{ not a plan".write(toFile: s.dir + "/plan.json", atomically: true, encoding: .utf8)
            let fd = open(state + "/rostersync.lock", O_RDWR | O_CREAT, 0o640)
            #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
            let out = try rostersync(["apply", "--config", sc.config, s.dir + "/plan.json"])
            flock(fd, LOCK_UN)
            close(fd)
            #expect(out.status == 1 && out.stderr.contains("another run holds"), "\(out.stderr)")
        }
    }
}

@Suite("the directory's lease on a pair", .serialized)
struct PairLeaseTests {
    @Test("a lease another run took at the same time on the other provider: this run lets go of its own and stops, naming it")
    func raceOnTwoProviders() throws {
        try withPair { a, b in
            // Neither pulls from the other: b holds another host's lease that a has not seen,
            // as when two runs add the lease on two providers in the same instant.
            try a.replication(false)
            try b.replication(false)
            let add = try b.tool("ldapadd", [], stdin: "dn: cn=rostersync-lease,ou=units,\(b.suffix)\nobjectClass: applicationProcess\ncn: rostersync-lease\n"
                                  + "description: held by rostersync run 20261206-090000-77 on host mail2.cema.gov.vn, pid 77, until \(LeaseTests.iso(600))\n")
            #expect(add.status == 0, "\(add.stderr)")
            let samples = Slapd.repoRoot + "/samples"
            let config = try writeConfig(a, uris: [a.ldapiURI, b.ldapiURI], extra: "rosters:\n  units: \(samples)/units.csv\n  staff: \(samples)/staff.csv\n")
            let out = try rostersync(["sync", "--config", config])
            #expect(out.status == 1, "\(out.stdout.suffix(300))")
            #expect(out.stderr.contains("another rostersync run holds the directory's lease cn=rostersync-lease,ou=units,\(a.suffix) at \(b.ldapiURI)")
                    && out.stderr.contains("mail2.cema.gov.vn, pid 77"), "\(out.stderr)")
            #expect(LeaseTests().lease(a) == "", "this run let go of the lease it had added on a")
            #expect(accountCount(a) == 0)
        }
    }

    @Test("a run frozen past its lease, which another run then took: on waking it stops sending, the rest not attempted; the next run finishes")
    func leaseLostMidRun() throws {
        try withSlapd { s in
            let dir = s.dir + "/rosters"
            let gen = try Slapd.run(rosterGenBinary, ["--staff", "5000", "--out", dir])
            try #require(gen.status == 0, "\(gen.stderr)")
            let config = try writeConfig(s, extra: "rosters:\n  units: \(dir)/units.csv\n  staff: \(dir)/staff.csv\n")
            let run = try BackgroundRun(["sync", "--config", config], in: s.dir, environment: ["ROSTERSYNC_LEASE_TTL": "2"])
            var seen = 0
            for _ in 0..<1500 {
                seen = accountCount(s)
                if seen > 200 { break }
                usleep(10_000)
            }
            kill(run.pid, SIGSTOP)
            usleep(3_000_000)  // its 2-second lease lapses
            // Another run takes the lapsed lease over, as one on another host would.
            let other = "held by rostersync run 20261206-120000-88 on host mail2.cema.gov.vn, pid 88, until \(LeaseTests.iso(600))"
            let take = try s.tool("ldapmodify", [], stdin: "dn: cn=rostersync-lease,ou=units,\(s.suffix)\nchangetype: modify\nreplace: description\ndescription: \(other)\n")
            #expect(take.status == 0, "\(take.stderr)")
            kill(run.pid, SIGCONT)
            let out = run.wait()
            #expect(seen > 200 && seen < 2000, "frozen during the first slice: \(seen) accounts")
            #expect(out.status == 4, "\(out.stderr.suffix(600))")
            #expect(out.stderr.contains("was taken by another run") && out.stderr.contains("stopped before its end"), "\(out.stderr.suffix(600))")
            let stopped = accountCount(s)
            #expect(stopped < 4500, "nothing sent after the lease was lost: \(stopped) accounts")
            #expect((out.stdout + out.stderr).contains("not attempted: the lease"), "\(out.stderr.suffix(300))")
            #expect(LeaseTests().lease(s).contains("mail2.cema.gov.vn"), "the other run's lease is left alone")
            // The other run ends (its lease goes); the next run finishes the work.
            #expect(try s.tool("ldapdelete", ["cn=rostersync-lease,ou=units,\(s.suffix)"]).status == 0)
            let rerun = try rostersync(["sync", "--config", config])
            #expect(rerun.status == 0, "\(rerun.stderr.suffix(600))")
            #expect(accountCount(s) > stopped)
            let plan = try rostersync(["plan", "--config", config])
            #expect(plan.status == 0 && plan.stdout.contains("0 changes;"), "\(plan.stdout.suffix(300))")
        }
    }
}
