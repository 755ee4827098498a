import Foundation
import SlapdHarness
import Testing

/// Runs `command` (a shell command line) on a pseudo-terminal with `script`, as an admin at a
/// terminal would: stdout and stderr both go to the terminal, and come back mixed in stdout.
/// nil when util-linux's `script` is missing.
func onTerminal(_ command: String, environment extra: [String: String] = [:]) throws -> Slapd.ProcessOutput? {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return nil }
    var env = ProcessInfo.processInfo.environment
    env["INVOCATION_ID"] = nil  // as under a systemd unit otherwise
    env["TERM"] = "xterm"
    for (k, v) in extra { env[k] = v }
    return try Slapd.run("/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"], environment: env)
}

/// Quotes a word for `sh -c`.
func shellQuoted(_ words: [String]) -> String {
    words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
}

@Suite("the command line as admins know it")
struct CLITests {
    let samples = Slapd.repoRoot + "/samples"

    @Test("a mistyped command is a usage error (64) that names the command meant, at any level")
    func didYouMean() throws {
        let pln = try rostersync(["pln"])
        #expect(pln.status == 64, "\(pln.stderr)")
        #expect(pln.stderr.contains("Unknown command 'pln'. Did you mean 'plan'?"), "\(pln.stderr)")
        let snyc = try rostersync(["snyc", "--config", "x.yaml"])
        #expect(snyc.status == 64 && snyc.stderr.contains("Did you mean 'sync'?"), "\(snyc.stderr)")
        let review = try rostersync(["report", "reveiw", "--out", "x"])
        #expect(review.status == 64 && review.stderr.contains("Unknown command 'reveiw' for 'rostersync report'. Did you mean 'review'?"), "\(review.stderr)")
        let nothing = try rostersync(["xyzzy"])
        #expect(nothing.status == 64 && nothing.stderr.contains("The commands are: check, roster, plan, show, sync"), "\(nothing.stderr)")
        // Real commands still run.
        #expect(try rostersync(["help", "plan"]).status == 0)
        #expect(try rostersync(["report", "overdue", "--help"]).status == 0)
    }

    @Test("usage errors exit 64 (EX_USAGE), as the README's table says")
    func usageErrors() throws {
        let unknown = try rostersync(["plan", "--fromat", "json"])
        #expect(unknown.status == 64 && unknown.stderr.contains("Unknown option '--fromat'"), "\(unknown.stderr)")
        let value = try rostersync(["plan", "--format", "yaml"])
        #expect(value.status == 64, "\(value.stderr)")
        let both = try rostersync(["sync", "-q", "-v"])
        #expect(both.status == 64 && both.stderr.contains("--quiet and --verbose exclude each other"), "\(both.stderr)")
        // An exemption that has already ended would let the next sync lock the mailbox again.
        let past = try rostersync(["unlock", "annv@cema.gov.vn", "--reason", "CV 1", "--until", "2020-01-01"])
        #expect(past.status == 64 && past.stderr.contains("--until 2020-01-01: must be after today"), "\(past.stderr)")
    }

    @Test("--version names the version and the commit it was built from")
    func version() throws {
        let out = try rostersync(["--version"])
        #expect(out.status == 0)
        let line = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let pattern = #"^[0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]{7,40}(-dirty)?|unknown: built without make)\)$"#
        #expect(line.range(of: pattern, options: .regularExpression) != nil, "\(line)")
    }

    @Test("roster-gen uses the same argument parser: --help exits 0, a bad value 64")
    func rosterGenHelp() throws {
        let help = try Slapd.run(rosterGenBinary, ["--help"])
        #expect(help.status == 0, "\(help.stderr)")
        #expect(help.stdout.contains("USAGE: roster-gen") && help.stdout.contains("mutate") && help.stdout.contains("maillog"), "\(help.stdout)")
        #expect(try Slapd.run(rosterGenBinary, ["help", "mutate"]).status == 0)
        #expect(try Slapd.run(rosterGenBinary, ["--staff", "many", "--out", "/tmp/x"]).status == 64)
    }

    @Test("show prints a saved plan byte for byte as plan printed it, in each format; a file that is not a plan is refused")
    func showSavedPlan() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            for format in ["text", "json", "ldif"] {
                let saved = s.dir + "/plan-\(format).json"
                let plan = try sc.plan(["--format", format, "--out", saved])
                #expect(plan.status == 2, "\(plan.stderr)")
                #expect(plan.stdout.count > 1000)
                let show = try rostersync(["show", saved, "--format", format])
                #expect(show.status == 0, "\(show.stderr)")
                #expect(show.stdout == plan.stdout, "show --format \(format) differs from plan")
            }
            // The default format is text, as plan's.
            #expect(try rostersync(["show", s.dir + "/plan-json.json"]).stdout == (try sc.plan()).stdout)
            try "{\"not\": \"a plan\"}".write(toFile: s.dir + "/other.json", atomically: true, encoding: .utf8)
            let other = try rostersync(["show", s.dir + "/other.json"])
            #expect(other.status == 1 && other.stderr.contains("not a rostersync plan"), "\(other.stderr)")
            #expect(try rostersync(["show", s.dir + "/missing.json"]).status == 1)
        }
    }

    @Test("sync through pipes: the per-change lines, and no progress line; -q keeps only the errors; on a terminal the progress line shows")
    func progressOnlyOnTerminal() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            var env = ProcessInfo.processInfo.environment
            env["INVOCATION_ID"] = nil
            env["TERM"] = "xterm"
            // A first sync through pipes (as the tests and a log file see it).
            let piped = try Slapd.run(rostersyncBinary, ["sync", "--config", sc.config, "--as-of", dayString(offset: 0)], environment: env)
            #expect(piped.status == 0, "\(piped.stderr)")
            #expect(piped.stdout.contains("did createAccount"), "per-change lines stay")
            #expect(!piped.stderr.contains("\r") && !piped.stderr.contains("\u{1B}[K") && !piped.stderr.contains("changes ("), "\(piped.stderr)")
            // -q: the summary is a notice, so nothing at all on a run without errors.
            let quiet = try Slapd.run(rostersyncBinary, ["sync", "-q", "--config", sc.config], environment: env)
            #expect(quiet.status == 0 && quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet.stdout)\(quiet.stderr)")
            // -v shows what the default level hides (the info lines), quiet overrides the environment.
            let verbose = try Slapd.run(rostersyncBinary, ["sync", "--verbose", "--config", sc.config], environment: env.merging(["ROSTERSYNC_LOG_LEVEL": "error"]) { $1 })
            #expect(verbose.stdout.contains("nothing to do"), "\(verbose.stdout)")

            // On a terminal: a fresh directory, the same sync, now with its progress line.
            try withSlapd { t in
                let tc = try Scenario(t, units: samples + "/units.csv", staff: samples + "/staff.csv")
                guard let tty = try onTerminal(shellQuoted([rostersyncBinary, "sync", "--config", tc.config])) else { return }
                #expect(tty.status == 0, "\(tty.stdout)")
                #expect(tty.stdout.contains("\r\u{1B}[Krostersync: "), "\(tty.stdout.suffix(500))")
                #expect(tty.stdout.contains("/310 changes ("), "\(tty.stdout.suffix(500))")
                #expect(tty.stdout.contains("310 changes applied, 0 failed"))
                // -q on a terminal: no progress line either.
                let t2 = try Scenario(t, units: samples + "/units.csv", staff: samples + "/staff.csv")
                let quietTTY = try #require(try onTerminal(shellQuoted([rostersyncBinary, "plan", "-q", "--config", t2.config])))
                #expect(!quietTTY.stdout.contains("changes ("))
            }
        }
    }

    @Test("NO_COLOR turns the plan's colour off only when it is set to something (no-color.org)")
    func noColor() throws {
        try withSlapd { s in
            let sc = try Scenario(s, units: samples + "/units.csv", staff: samples + "/staff.csv")
            let command = shellQuoted([rostersyncBinary, "plan", "--config", sc.config])
            guard let empty = try onTerminal(command, environment: ["NO_COLOR": ""]) else { return }
            #expect(empty.status == 2)
            #expect(empty.stdout.contains("\u{1B}["), "an empty NO_COLOR does not count")
            let set = try #require(try onTerminal(command, environment: ["NO_COLOR": "1"]))
            #expect(set.status == 2 && !set.stdout.contains("\u{1B}["))
            #expect(set.stdout.count > 1000)
        }
    }
}
