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

    @Test func storageIsLevelDBByDefault() async throws {
        #expect(try await Self.read().storage == .levelDB)
        #expect(try await Self.read(flags: ["storage": "leveldb"]).storage == .levelDB)
    }

    @Test func radosSettingsInEveryForm() async throws {
        let expected = StorageSettings.rados(try RadosSettings(conf: "/etc/ceph/ceph.conf", pool: "coffer", user: "admin", node: "a"))
        #expect(try await Self.read(flags: ["storage": "rados", "rados.conf": "/etc/ceph/ceph.conf", "node.name": "a"]).storage == expected)
        #expect(try await Self.read(environment: ["COFFER_STORAGE": "rados", "COFFER_RADOS_CONF": "/etc/ceph/ceph.conf", "COFFER_NODE_NAME": "a"]).storage == expected)
        #expect(try await Self.read(file: #"{"storage": "rados", "rados": {"conf": "/etc/ceph/ceph.conf", "pool": "p", "user": "coffer"}, "node": {"name": "n-1.x"}}"#).storage
            == .rados(try RadosSettings(conf: "/etc/ceph/ceph.conf", pool: "p", user: "coffer", node: "n-1.x")))
        // The default node name is the host's, cut to what a node name allows.
        guard case .rados(let defaulted) = try await Self.read(flags: ["storage": "rados", "rados.conf": "c"]).storage else {
            Issue.record("not rados")
            return
        }
        #expect(RadosSettings.isValidNodeName(defaulted.node))
    }

    @Test func radosSettingsAreChecked() async throws {
        await #expect(throws: (any Error).self) { try await Self.read(flags: ["storage": "ceph"]) }
        // No conf, a client-prefixed user, node names with a slash, too long or empty.
        await #expect(throws: (any Error).self) { try await Self.read(flags: ["storage": "rados"]) }
        await #expect(throws: (any Error).self) { try await Self.read(flags: ["storage": "rados", "rados.conf": "c", "rados.user": "client.admin"]) }
        for node in ["a/b", String(repeating: "n", count: 65), "", "n\u{0}"] {
            await #expect(throws: (any Error).self) { try await Self.read(flags: ["storage": "rados", "rados.conf": "c", "node.name": node]) }
        }
    }
}
