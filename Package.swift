// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "splitbook",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "splitbook", targets: ["splitbook"]),
        .library(name: "SplitbookSpec", targets: ["SplitbookSpec"]),
        .library(name: "SplitbookEngine", targets: ["SplitbookEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
    ],
    targets: [
        // The notebook model: YAML loading, validation, graph, diagnostics. No file or process I/O.
        .target(
            name: "SplitbookSpec",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        // Linux system calls Swift's Glibc module does not expose (copy_file_range, the per-process supervisor of spawn).
        .target(name: "CSplitbookSystem"),
        // Everything that touches files and processes: plan, build, run session, cache, registry, online workers.
        .target(
            name: "SplitbookEngine",
            dependencies: [
                "SplitbookSpec", "CSplitbookSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                // Online workers' pipes as channels on the server's event loops.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Markdown to HTML: CommonMark 0.31.2 and GitHub tables, no dependencies.
        .target(name: "SplitbookMarkdown"),
        // A finished run as a report: HTML, Jupyter notebook, Markdown.
        .target(
            name: "SplitbookReport",
            dependencies: ["SplitbookEngine", "SplitbookSpec", "SplitbookMarkdown"]
        ),
        // The two halves as deployable things: the offline batch job, the online serving bundle.
        .target(
            name: "SplitbookExport",
            dependencies: ["SplitbookEngine", "SplitbookSpec", .product(name: "Mustache", package: "swift-mustache")]
        ),
        // `splitbook serve`: the HTTP API of CONTRACT §8 on SwiftNIO's HTTP/1.1 codec (the only HTTP code).
        .target(
            name: "SplitbookServer",
            dependencies: [
                "SplitbookEngine", "SplitbookSpec",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The command-line interface: one ArgumentParser command per file.
        .target(
            name: "SplitbookCLI",
            dependencies: [
                "SplitbookSpec", "SplitbookEngine", "SplitbookReport", "SplitbookExport", "SplitbookServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "splitbook", dependencies: ["SplitbookCLI"]),
        .target(
            name: "SplitbookTestSupport",
            dependencies: ["SplitbookSpec"],
            path: "Tests/SplitbookTestSupport"
        ),
        .testTarget(
            name: "SplitbookSpecTests",
            dependencies: ["SplitbookSpec", "SplitbookTestSupport"]
        ),
        .testTarget(
            name: "SplitbookEngineTests",
            dependencies: ["SplitbookEngine", "SplitbookSpec", "SplitbookTestSupport"]
        ),
        .testTarget(
            name: "SplitbookServerTests",
            dependencies: [
                "SplitbookServer", "SplitbookEngine", "SplitbookSpec", "SplitbookTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SplitbookMarkdownTests",
            dependencies: ["SplitbookMarkdown", "SplitbookTestSupport"],
            exclude: ["Corpus"]
        ),
        .testTarget(
            name: "SplitbookCLITests",
            dependencies: ["SplitbookSpec", "SplitbookEngine", "SplitbookTestSupport"]
        ),
    ]
)
