import CofferFuzzing
import Foundation
import Testing

/// Keeps the fuzz harnesses compiling and the findings fixed: every harness runs over its whole
/// seed corpus (`Fuzz/corpus/<target>/`) and over every input that once crashed it
/// (`Fuzz/regressions/<target>/`). A broken invariant traps, which fails the run.
@Suite struct FuzzCorpusTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let targetNames = FuzzTarget.all.map(\.name)

    static func inputs(_ kind: String, _ target: String) throws -> [(name: String, bytes: [UInt8])] {
        let directory = repository.appendingPathComponent("Fuzz/\(kind)/\(target)")
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().filter { !$0.hasPrefix(".") }.map {
            ($0, [UInt8](try Data(contentsOf: directory.appendingPathComponent($0))))
        }
    }

    @Test(arguments: targetNames)
    func seedCorpus(_ name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        let seeds = try Self.inputs("corpus", name)
        #expect(!seeds.isEmpty, "no seeds for \(name)")
        for seed in seeds { target.run(seed.bytes) }
    }

    @Test(arguments: targetNames)
    func regressions(_ name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        for input in try Self.inputs("regressions", name) { target.run(input.bytes) }
    }

    /// Every harness directory of the fuzzer package has a target here, and the other way round.
    @Test func fuzzerPackageListsEveryTarget() throws {
        let manifest = try String(contentsOf: Self.repository.appendingPathComponent("Fuzz/Package.swift"), encoding: .utf8)
        for name in Self.targetNames { #expect(manifest.contains("\"\(name)\""), "Fuzz/Package.swift lacks \(name)") }
        let directories = try FileManager.default.contentsOfDirectory(atPath: Self.repository.appendingPathComponent("Fuzz/Targets").path)
        #expect(Set(directories) == Set(Self.targetNames))
    }

    /// The computed seeds are committed as computed (set COFFER_WRITE_FUZZ_SEEDS=1 to rewrite).
    @Test func derivedSeedsAreCommitted() throws {
        let write = ProcessInfo.processInfo.environment["COFFER_WRITE_FUZZ_SEEDS"] == "1"
        for seed in try DerivedSeeds.all(repository: Self.repository) {
            let url = Self.repository.appendingPathComponent("Fuzz/corpus/\(seed.target)/\(seed.name)")
            if write {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(seed.bytes).write(to: url)
            }
            let committed = try? Data(contentsOf: url)
            #expect(committed.map { [UInt8]($0) } == seed.bytes, "\(seed.target)/\(seed.name) differs from what DerivedSeeds computes")
        }
    }
}
