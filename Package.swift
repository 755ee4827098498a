// swift-tools-version: 6.0
import PackageDescription

// Swift 6 language mode everywhere; ExistentialAny keeps `any` explicit (STYLE.md).
let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "rostersync",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rostersync", targets: ["rostersync"]),
        .library(name: "LDAPClient", targets: ["LDAPClient"]),
        .library(name: "RosterSync", targets: ["RosterSync"]),
    ],
    dependencies: [
        // Subcommands, --help texts, validation and exit codes for the CLI.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The one YAML config file; its Node API keeps line numbers for error messages.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // SHA-256 of the input rosters recorded in a plan, so `apply` can refuse stale ones.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The run's log: one line per change, levels, quiet under a timer; any backend later.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The zip container of the --format xlsx reports (Office Open XML), written in memory.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // libldap/liblber as a system library; shim.h holds only what Swift cannot import.
        .systemLibrary(
            name: "CLDAP",
            providers: [.apt(["libldap2-dev", "libsasl2-dev"])]
        ),
        // zlib, for the rotated .gz mail logs the usage report reads (Debian's zlib1g-dev). Not
        // named CZlib: ZIPFoundation's own zlib module has that name, and clang refuses two.
        .systemLibrary(name: "CSystemZlib", providers: [.apt(["zlib1g-dev"])]),
        // Pure LDAP values: DNs (RFC 4514), filters (RFC 4515), entries, modifications, LDIF.
        // No C, no I/O: the planner builds these and its tests need no libldap.
        .target(name: "LDAPModel", swiftSettings: strict),
        // The only importer of CLDAP: connections, binds, paged search, pipelined writes.
        .target(name: "LDAPClient", dependencies: ["CLDAP", "LDAPModel"], swiftSettings: strict),
        // The pure core: configuration, rosters, naming, policy, planner. No network, clock or files.
        .target(
            name: "RosterSync",
            dependencies: ["LDAPModel", .product(name: "Yams", package: "Yams"), .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: strict
        ),
        // Running the core against the world: config and secrets, gathering rosters and the
        // directory, the executor and applier, the state folder (lock, audit, backups, notices),
        // settling, the lease, checks and restores. Every command calls into it; its API is
        // `package`, for the executable and the tests only.
        .target(
            name: "RosterSyncRun",
            dependencies: [
                "LDAPClient", "RosterSync", "CSystemZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The thin executable: one file per subcommand, each options, validation and a call.
        .executableTarget(
            name: "rostersync",
            dependencies: [
                "RosterSyncRun", "RosterSync",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Measures pipelined adds at several windows against the same slapd (scripts/bench-pipeline).
        .executableTarget(
            name: "ldap-pipeline-bench",
            dependencies: ["LDAPClient"],
            path: "Benchmarks/ldap-pipeline-bench",
            swiftSettings: strict
        ),
        // Realistic, deterministic rosters (samples/, tests, benchmarks).
        // Its CLI uses the same argument parser as rostersync (help, usage errors, exit codes).
        .executableTarget(
            name: "roster-gen",
            dependencies: ["RosterSync", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/roster-gen", swiftSettings: strict),
        // HR-style quarterly exports made independently of roster-gen, for the soak test (issue 13).
        .executableTarget(name: "hr-export", dependencies: ["RosterSync"], path: "Tools/hr-export", swiftSettings: strict),
        // Starts and stops real slapd instances (deploy/dev/slapd-dev) for the tests.
        .target(name: "SlapdHarness", path: "Tests/SlapdHarness", swiftSettings: strict),
        .testTarget(name: "LDAPModelTests", dependencies: ["LDAPModel"], swiftSettings: strict),
        .testTarget(
            name: "LDAPClientTests",
            dependencies: ["LDAPClient", "SlapdHarness"],
            swiftSettings: strict
        ),
        .testTarget(name: "RosterSyncTests", dependencies: ["RosterSync"], exclude: ["Snapshots"], swiftSettings: strict),
        // The applier and the executor against a real slapd, through the run library's API.
        .testTarget(
            name: "RosterSyncRunTests",
            dependencies: ["RosterSyncRun", "SlapdHarness", "LDAPClient", "RosterSync"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "rostersyncTests",
            dependencies: ["SlapdHarness", "LDAPClient", "RosterSync"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
