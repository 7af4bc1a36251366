// swift-tools-version:6.1
import Foundation
import PackageDescription

// The Ceph RADOS client (CRados, CofferRados and its tests) is declared only where librados's
// headers are installed (`scripts/install-deps.sh --test`), so that `swift build` of the
// default LevelDB server never needs librados. Where it is, `coffer` links the RADOS backend
// (`coffer serve --storage rados`); where it is not, that option says how to get it.
let radosAvailable = ["/usr/include/rados/librados.h", "/usr/local/include/rados/librados.h"]
    .contains { FileManager.default.fileExists(atPath: $0) }

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "coffer",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "coffer", targets: ["coffer"]),
        // The fuzz harnesses, for the fuzzer package in Fuzz/ (scripts/fuzz.sh, docs/fuzzing.md).
        .library(name: "CofferFuzzing", targets: ["CofferFuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // System libraries: every C call of Coffer goes through these two module maps.
        .systemLibrary(name: "CLevelDB", path: "Sources/CLevelDB", providers: [.apt(["libleveldb-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", providers: [.apt(["libssl-dev", "zlib1g-dev"])]),

        // The one bounded in-memory cache type (parsed policies, decoded records, signing keys).
        .target(name: "CofferCache", dependencies: [], swiftSettings: strict),
        // The one date codec: UTC times and every textual form of them Coffer reads or writes.
        .target(name: "CofferTime", dependencies: [], swiftSettings: strict),
        .target(name: "CofferCrypto", dependencies: ["COpenSSL"], swiftSettings: strict),
        .target(name: "CofferStorage", dependencies: ["CLevelDB", "CofferCache"], swiftSettings: strict),
        // AWS Signature Version 4 in every form, aws-chunked framing, percent encoding, AMZ dates.
        .target(
            name: "CofferSigV4",
            dependencies: ["CofferCrypto", "CofferCache", "CofferTime", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        // The audit trail: CloudTrail-shaped records, hash-chained files, signed digests.
        .target(
            name: "CofferAudit",
            dependencies: ["CofferCrypto", "CofferTime", "CofferStorage", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // The IAM policy engine: pure (no I/O, no clock, no network).
        .target(name: "CofferPolicy", dependencies: [], swiftSettings: strict),
        // The key service protocol, the built-in KMS and the KMS JSON API.
        .target(name: "CofferKMS", dependencies: ["CofferCrypto", "CofferCache", "CofferStorage", "CofferPolicy"], swiftSettings: strict),
        .target(
            name: "CofferS3",
            dependencies: [
                "CofferCrypto", "CofferCache", "CofferTime", "CofferSigV4", "CofferStorage", "CofferKMS", "CofferAudit", "CofferPolicy",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict
        ),
        // Offline and online care of a data directory: `coffer fsck` (every record, blob,
        // package, key and audit file checked), `coffer backup` and `coffer restore`.
        .target(
            name: "CofferMaintenance",
            dependencies: [
                "CofferStorage", "CofferCrypto", "CofferKMS", "CofferAudit", "CofferS3",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // The server: the Hummingbird application and its listeners, TLS, root credentials,
        // the audit recorder, and the front door routing to S3, KMS and CloudTrail.
        .target(
            name: "CofferServer",
            dependencies: [
                "CofferS3", "CofferSigV4", "CofferCrypto", "CofferStorage", "CofferKMS", "CofferAudit", "CofferMaintenance",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // A client of the AWS KMS protocol (AWS KMS or any compatible service), signed with
        // CofferSigV4's signer.
        .target(
            name: "CofferKMSRemote",
            dependencies: [
                "CofferKMS", "CofferSigV4", "CofferCrypto",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // One harness per fuzz target: bytes in, the parser exercised, invariants checked (a
        // broken invariant traps). Public APIs only, so it builds in every configuration.
        .target(
            name: "CofferFuzzing",
            dependencies: [
                "CofferSigV4", "CofferS3", "CofferPolicy", "CofferKMS", "CofferCrypto", "CofferStorage", "CofferMaintenance",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "coffer",
            dependencies: [
                "CofferServer", "CofferS3", "CofferSigV4", "CofferStorage", "CofferCrypto", "CofferKMS", "CofferKMSRemote", "CofferAudit",
                "CofferMaintenance",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        .testTarget(name: "CofferCacheTests", dependencies: ["CofferCache"]),
        .testTarget(name: "CofferTimeTests", dependencies: ["CofferTime"]),
        .testTarget(name: "CofferCryptoTests", dependencies: ["CofferCrypto"], resources: [.copy("Vectors")]),
        // The metadata store, blob store and audit sink conformance suites, one copy for every
        // implementation's tests.
        .target(name: "CofferStorageConformance", dependencies: ["CofferStorage"], path: "Tests/CofferStorageConformance"),
        .testTarget(name: "CofferStorageTests", dependencies: ["CofferStorage", "CofferStorageConformance", "CofferCrypto"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CofferPolicyTests", dependencies: ["CofferPolicy"]),
        .testTarget(name: "CofferAuditTests", dependencies: ["CofferAudit", "CofferCrypto", "CofferStorage", "CofferStorageConformance"]),
        .testTarget(
            name: "CofferKMSTests",
            dependencies: ["CofferKMS", "CofferKMSRemote", "CofferServer", "CofferS3", "CofferSigV4", "CofferAudit", "CofferCrypto", "CofferStorage"]
        ),
        .testTarget(
            name: "CofferMaintenanceTests",
            dependencies: [
                "CofferMaintenance", "CofferStorage", "CofferCrypto", "CofferKMS", "CofferAudit", "CofferS3",
                // The admin socket's backup route, in process (BackupAdminRouteTests).
                "CofferServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "CofferFuzzingTests", dependencies: ["CofferFuzzing"]),
        .testTarget(name: "CofferSigV4Tests", dependencies: ["CofferSigV4", "CofferCrypto", .product(name: "NIOCore", package: "swift-nio")], resources: [.copy("Vectors")]),
        .testTarget(name: "CofferS3Tests", dependencies: ["CofferS3", "CofferSigV4", "CofferCrypto", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(
            name: "CofferServerTests",
            dependencies: [
                "CofferServer", "CofferS3", "CofferSigV4", "CofferCrypto", "CofferStorage", "CofferKMS", "CofferAudit",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

if radosAvailable {
    package.targets += [
        .systemLibrary(name: "CRados", path: "Sources/CRados", providers: [.apt(["librados-dev"])]),
        // A thin Swift wrapper of librados: cluster connection, I/O contexts, objects, guarded
        // atomic omap write operations, paged omap reads, all asynchronous (rados_aio_*); and,
        // apart (io.blocking), the blocking calls of the synchronous audit sink.
        .target(name: "CofferRados", dependencies: ["CRados"], swiftSettings: strict),
        // Run against a live cluster only when COFFER_TEST_RADOS_CONF names its conf
        // (scripts/ceph-dev.sh up DIR); reported as skipped otherwise.
        .testTarget(name: "CofferRadosTests", dependencies: ["CofferRados"]),
        // The storage boundary on RADOS: metadata in the omap of an index object, blobs in
        // stripe objects, each node's audit sink, the built-in KMS's records (docs/scale-out.md).
        .target(name: "CofferStorageRados", dependencies: ["CofferStorage", "CofferRados", "CofferKMS"], swiftSettings: strict),
        // `coffer serve --storage rados`: the stores of CofferStorageRados as the server's
        // SharedStore (its layout in the pool: docs/scale-out.md).
        .target(name: "CofferRadosBackend", dependencies: [
            "CofferServer", "CofferStorageRados", "CofferRados", "CofferKMS", "CofferStorage", "CofferAudit", "CofferCrypto",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        // The conformance suites against a live cluster (COFFER_TEST_RADOS_CONF), skipped
        // otherwise; the audit trail (CofferAudit) over the RADOS audit sink.
        .testTarget(name: "CofferStorageRadosTests", dependencies: ["CofferStorageRados", "CofferStorageConformance", "CofferRados", "CofferAudit", "CofferKMS", "CofferCrypto"]),
    ]
    if let coffer = package.targets.first(where: { $0.name == "coffer" }) {
        coffer.dependencies.append("CofferRadosBackend")
    }
}
