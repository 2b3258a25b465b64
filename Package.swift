// swift-tools-version: 6.1
// dfc-ledger: the double-entry books of Defense Production Act financing, kept in PostgreSQL.
//
// Dependencies point one way (DESIGN.md §1):
//   dfc-ledger → {Reports, Reconciliation, LedgerStore} → Ledger
//   LedgerStore → Postgres → CLibPQ
//   Dates (calendar dates and instants) is shared by Postgres and Ledger.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "dfc-ledger",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dfc-ledger", targets: ["dfc-ledger"]),
        .library(name: "Postgres", targets: ["Postgres"]),
        .library(name: "Ledger", targets: ["Ledger"]),
        .library(name: "LedgerStore", targets: ["LedgerStore"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "Reconciliation", targets: ["Reconciliation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // Builds the DocC catalogs (Scripts/docs); nothing of it is linked into the program.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .target(name: "Dates", swiftSettings: swiftSettings),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ", "Dates",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Ledger",
            dependencies: ["Dates", .product(name: "Crypto", package: "swift-crypto"), .product(name: "BigInt", package: "BigInt")],
            swiftSettings: swiftSettings),
        .target(
            name: "LedgerStore",
            dependencies: ["Ledger", "Postgres"],
            resources: [.embedInCode("Schema")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Reports", dependencies: ["Ledger", .product(name: "Mustache", package: "swift-mustache")],
            resources: [.embedInCode("Templates")], swiftSettings: swiftSettings),
        .target(
            name: "Reconciliation", dependencies: ["Ledger", "Dates"],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "dfc-ledger",
            dependencies: [
                "LedgerStore", "Reports", "Reconciliation", "Ledger",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "dfc-bench",
            dependencies: ["LedgerStore", "Ledger", "Postgres", "Dates", "TestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .target(name: "TestSupport", dependencies: ["Postgres"], path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DatesTests", dependencies: ["Dates"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgerTests", dependencies: ["Ledger", .product(name: "BigInt", package: "BigInt")], swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgerStoreTests", dependencies: ["LedgerStore", "Postgres", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"], swiftSettings: swiftSettings),
        .testTarget(name: "ReconciliationTests", dependencies: ["Reconciliation", "Ledger", "Dates"], swiftSettings: swiftSettings),
        .testTarget(name: "CLITests", dependencies: ["Postgres", "TestSupport"], swiftSettings: swiftSettings),
    ]
)
