// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "oom-adjust",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "oom-adjust", targets: ["oom-adjust"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // The C shim on libmnl: socket, subscription, datagram decoding. No logging, no policy.
        .target(
            name: "CNetlink",
            path: "CNetlink",
            linkerSettings: [.linkedLibrary("mnl")]
        ),
        // The Linux calls and constants Swift's Glibc module cannot reach (getdents64, openat2, O_PATH,
        // signalfd's header); not netlink.
        .target(name: "CLinuxSystem", path: "CLinuxSystem"),
        // The version string of this build, generated from scripts/version.sh by the plugin below.
        .target(name: "OOMAdjustVersion", plugins: ["BuildVersionPlugin"]),
        .plugin(name: "BuildVersionPlugin", capability: .buildTool()),
        // Pure: config parsing, rules, matching, decisions. No syscalls, no clock.
        .target(name: "OOMAdjustCore"),
        // The edge: proc connector, /proc via dirfds, signals, files.
        .target(
            name: "OOMAdjustLinux",
            dependencies: [
                "CNetlink",
                "CLinuxSystem",
                "OOMAdjustCore",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // The loop: event → snapshot → decision → write → log.
        .target(
            name: "OOMAdjustAgent",
            dependencies: [
                "OOMAdjustCore",
                "OOMAdjustLinux",
                "OOMAdjustVersion",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .executableTarget(
            name: "oom-adjust",
            dependencies: [
                "OOMAdjustAgent",
                "OOMAdjustCore",
                "OOMAdjustLinux",
                "OOMAdjustVersion",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A tiny program the integration tests copy under unique names: it sleeps, forks, renames itself.
        .executableTarget(name: "oom-adjust-testproc"),
        // A crowd of waiting processes for the integration tests, in C so that 10,000 forks are cheap.
        .executableTarget(name: "oom-adjust-crowd"),
        // Feeds random and mutated datagrams and configs to the decoder and the parser; built with
        // AddressSanitizer and libFuzzer by scripts/fuzz.sh (README.md, "Fuzzing").
        // Replayable pseudo-random input for the fuzz driver and the fuzz tests.
        .target(name: "SeededRandom"),
        .executableTarget(name: "oom-adjust-fuzz", dependencies: ["CNetlink", "OOMAdjustCore", "OOMAdjustLinux", "SeededRandom"]),
        .testTarget(
            name: "OOMAdjustCoreTests",
            dependencies: ["OOMAdjustCore", "SeededRandom"],
            path: "Tests/OOMAdjustCoreTests"
        ),
        .testTarget(
            name: "OOMAdjustAgentTests",
            dependencies: [
                "OOMAdjustAgent",
                "OOMAdjustCore",
                "OOMAdjustLinux",
                "OOMAdjustVersion",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Tests/OOMAdjustAgentTests"
        ),
        // The edge's pure parts (the /proc text parsers) and its file writes, without root.
        .testTarget(
            name: "OOMAdjustLinuxTests",
            dependencies: [
                "OOMAdjustCore",
                "OOMAdjustLinux",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Tests/OOMAdjustLinuxTests"
        ),
        .testTarget(
            name: "CNetlinkTests",
            dependencies: ["CNetlink", "OOMAdjustLinux", "SeededRandom"],
            path: "Tests/CNetlinkTests"
        ),
        // In-process tests of the command line: parsing, validation and --help, as argument-parser's
        // examples test theirs.
        .testTarget(
            name: "CommandLineTests",
            dependencies: ["oom-adjust", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tests/CommandLineTests"
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["OOMAdjustCore", "OOMAdjustLinux"],
            path: "Tests/IntegrationTests"
        ),
    ]
)
