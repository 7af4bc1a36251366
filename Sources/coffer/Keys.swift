import ArgumentParser
import CofferS3
import Foundation

/// `coffer keys`: the SSE-S3 root keys of a data dir.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the SSE-S3 root keys of a data dir (run with the server stopped).",
        subcommands: [Rotate.self, Status.self])

    struct Options: ParsableArguments {
        @Option(help: "Data directory (default ./coffer-data).")
        var dataDir: String = "./coffer-data"
        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text
    }

    enum OutputFormat: String, ExpressibleByArgument { case text, json }

    static func emit<T: Encodable>(_ value: T, format: OutputFormat, text: String) throws {
        switch format {
        case .text: print(text)
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(value), as: UTF8.self))
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a root key version and re-seal every data key under it (no object data is rewritten).")
        @OptionGroup var options: Options
        @Flag(help: "Only finish an interrupted rotation: re-seal what is not yet under the current version.")
        var resume = false

        func run() async throws {
            let report = resume ? try await RootKeyRotation.resume(dataDir: options.dataDir) : try await RootKeyRotation.rotate(dataDir: options.dataDir)
            try Keys.emit(report, format: options.format, text: """
                root key version \(report.currentVersion) is current (was \(report.previousVersion)); \
                re-sealed \(report.objectsResealed) object and \(report.uploadsResealed) upload data keys \
                and \(report.kmsKeyVersionsResealed) built-in KMS key versions
                """)
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the root key versions and how many records each seals.")
        @OptionGroup var options: Options

        func run() async throws {
            let status = try await RootKeyRotation.status(dataDir: options.dataDir)
            let counts = status.recordsByVersion.sorted { $0.key < $1.key }.map { "v\($0.key): \($0.value)" }.joined(separator: ", ")
            try Keys.emit(status, format: options.format, text: """
                current root key version: \(status.currentVersion) (versions kept: \(status.versions.map(String.init).joined(separator: ", ")))
                records by version: \(counts.isEmpty ? "none" : counts)
                """)
        }
    }
}
