// swift-tools-version:6.1
// The libFuzzer binaries: one executable per harness of the CofferFuzzing library (in the
// package one directory up). Built only by scripts/fuzz.sh, with
// `-sanitize=fuzzer,address`; each `main` names its harness to FuzzDriver, which starts
// libFuzzer's driver (`LLVMFuzzerRunDriver`, declared by CLibFuzzer). docs/fuzzing.md.
import Foundation
import PackageDescription

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let harnesses = ["sigv4_header", "sigv4_presigned", "aws_chunked", "s3_xml", "policy_json", "kms_json", "sealed_package", "records", "leveldb_manifest"]

let package = Package(
    name: "coffer-fuzz",
    platforms: [.macOS(.v15)],
    products: harnesses.map { .executable(name: "fuzz_\($0)", targets: ["fuzz_\($0)"]) },
    dependencies: [.package(path: root.path)],
    targets: [
        .target(name: "CLibFuzzer", path: "Sources/CLibFuzzer"),
        .target(
            name: "FuzzDriver",
            dependencies: ["CLibFuzzer", .product(name: "CofferFuzzing", package: root.lastPathComponent)],
            path: "Sources/FuzzDriver"
        ),
    ] + harnesses.map {
        .executableTarget(name: "fuzz_\($0)", dependencies: ["FuzzDriver"], path: "Targets/\($0)")
    },
    swiftLanguageModes: [.v6]
)
