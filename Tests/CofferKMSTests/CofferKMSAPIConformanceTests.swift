import CofferServer
import CofferSigV4
import CofferCrypto
import CofferKMS
import CofferKMSRemote
import CofferS3
import Foundation
import Logging
import XCTest

/// The remote client talking to Coffer's own KMS API: a real `CofferServer` in process, on a
/// free loopback port, reached over HTTP with SigV4 (service `kms`).
final class CofferKMSAPIConformanceTests: KeyServiceConformanceCase {
    override func makeHarness() async throws -> any KeyServiceHarness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-kms-api-\(UUID().uuidString)").path
        let access = "KMSCONFORMANCE0001", secret = Hex.encode(secureRandomBytes(20))
        var logger = Logger(label: "coffer-kms-api-test")
        logger.logLevel = .critical
        let server = CofferServer(
            configuration: ServerConfiguration(
                dataDir: directory, httpAddress: ListenAddress(host: "127.0.0.1", port: 0), httpsAddress: nil,
                region: "us-east-1", domains: ["localhost"], tlsCertificate: nil, tlsKey: nil, usersFile: nil,
                rootAccessKey: access, rootSecretKey: secret),
            logger: logger)
        let port = PortBox()
        let task = Task { try await server.run { startup in port.set(startup.httpPort ?? -1) } }
        let bound = try await port.wait()
        let client = try AWSKMSKeyService(configuration: .init(
            endpoint: "http://127.0.0.1:\(bound)", region: "us-east-1", accessKeyId: access, secretAccessKey: secret, maxAttempts: 1))
        return RemoteKeyServiceHarness(client: client, capabilities: KeyServiceCapability.all, onTearDown: {
            task.cancel()
            _ = await task.result
            try? FileManager.default.removeItem(atPath: directory)
        })
    }

    func testConformance() async throws { try await runConformance() }
}

/// The port a server bound, handed from its ready callback to the test.
final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?

    func set(_ value: Int) { lock.withLock { port = value } }

    func wait() async throws -> Int {
        for _ in 0..<500 {
            if let port = lock.withLock({ port }) {
                guard port > 0 else { throw HarnessError("the server bound no HTTP port") }
                return port
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("the server did not start within 10 s")
    }
}
