import CofferServer
import Foundation
import Testing

/// `coffer serve`'s settings in their three forms (flag, `COFFER_*` environment, config file
/// key) and their precedence, for the settings read here.
@Suite struct ServerConfigurationTests {
    static func read(flags: [String: String] = [:], environment: [String: String] = [:], file: String? = nil) async throws -> ServerConfiguration {
        var path: String?
        if let file {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-config-\(UUID().uuidString).json").path
            try file.write(toFile: path!, atomically: true, encoding: .utf8)
        }
        defer { if let path { try? FileManager.default.removeItem(atPath: path) } }
        return try ServerConfiguration(reading: try await ServerConfiguration.reader(flags: flags, environment: environment, configFile: path))
    }

    @Test func sigV2IsAllowedByDefault() async throws {
        #expect(try await Self.read().allowSigV2)
    }

    @Test func sigV2InEveryForm() async throws {
        #expect(try await !Self.read(flags: ["sigv2": "deny"]).allowSigV2)
        #expect(try await !Self.read(environment: ["COFFER_SIGV2": "deny"]).allowSigV2)
        #expect(try await !Self.read(file: #"{"sigv2": "deny"}"#).allowSigV2)
        #expect(try await Self.read(file: #"{"sigv2": "allow"}"#).allowSigV2)
        // A flag wins over the environment, which wins over the file.
        #expect(try await Self.read(flags: ["sigv2": "allow"], environment: ["COFFER_SIGV2": "deny"]).allowSigV2)
        #expect(try await !Self.read(environment: ["COFFER_SIGV2": "deny"], file: #"{"sigv2": "allow"}"#).allowSigV2)
    }

    @Test func sigV2TakesAllowOrDeny() async throws {
        await #expect(throws: (any Error).self) { try await Self.read(flags: ["sigv2": "maybe"]) }
    }
}
