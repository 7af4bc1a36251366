/// The fuzz targets: one harness per parser, each a function of arbitrary bytes that must
/// never crash, hang or trip a sanitizer. A harness that finds an invariant broken traps
/// (`FuzzCheck.require`), so libFuzzer reports it like a crash.
///
/// `Fuzz/Targets/<name>/main.swift` wraps each harness as `LLVMFuzzerTestOneInput`;
/// `Tests/CofferFuzzingTests` replays the seed corpus and every regression input through
/// the same functions. docs/fuzzing.md lists the targets and what they check.
public struct FuzzTarget: Sendable {
    /// The directory name under `Fuzz/corpus/` and `Fuzz/regressions/`.
    public let name: String
    public let run: @Sendable ([UInt8]) -> Void

    public static let all: [FuzzTarget] = [
        FuzzTarget(name: "sigv4_header", run: SigV4Harness.header),
        FuzzTarget(name: "sigv4_presigned", run: SigV4Harness.presigned),
        FuzzTarget(name: "aws_chunked", run: AWSChunkedHarness.run),
        FuzzTarget(name: "s3_xml", run: S3XMLHarness.run),
        FuzzTarget(name: "policy_json", run: PolicyHarness.run),
        FuzzTarget(name: "kms_json", run: KMSHarness.run),
        FuzzTarget(name: "sealed_package", run: SealedPackageHarness.run),
        FuzzTarget(name: "records", run: RecordHarness.run),
        FuzzTarget(name: "leveldb_manifest", run: ManifestHarness.run),
    ]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// Invariant checks of the harnesses: a failure is a finding, so it traps.
enum FuzzCheck {
    static func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                        file: StaticString = #fileID, line: UInt = #line) {
        if !condition() { fatalError("fuzz invariant broken: \(message())", file: file, line: line) }
    }
}

/// Reads a fuzz input front to back: option bytes first, the rest as the document.
struct FuzzInput {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The next byte, 0 once the input is used up.
    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Everything not read yet.
    var rest: [UInt8] { offset < bytes.count ? Array(bytes[offset...]) : [] }
}
