@testable import CofferServer
import Foundation
import Testing
import X509

import CofferS3

@Suite struct TLSMaterialTests {
    @Test func serverCertificateIsReissuedUnderTheExistingCA() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-tls-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try TLSMaterial.generatedIfNeeded(dataDir: dir)
        let ca = try String(contentsOfFile: first.caPath!, encoding: .utf8)
        let caKeyMode = try FileManager.default.attributesOfItem(atPath: dir + "/tls/ca-key.pem")[.posixPermissions] as? Int
        #expect(caKeyMode == 0o600)
        // Unchanged material is reused as it is.
        let server = try String(contentsOfFile: first.certificateChainPath, encoding: .utf8)
        _ = try TLSMaterial.generatedIfNeeded(dataDir: dir)
        #expect(try String(contentsOfFile: first.certificateChainPath, encoding: .utf8) == server)
        // A missing server certificate is reissued by the same CA; ca.pem stays what clients trust.
        try FileManager.default.removeItem(atPath: first.certificateChainPath)
        let second = try TLSMaterial.generatedIfNeeded(dataDir: dir)
        #expect(try String(contentsOfFile: second.caPath!, encoding: .utf8) == ca)
        let reissued = try Certificate(pemEncoded: String(contentsOfFile: second.certificateChainPath, encoding: .utf8))
        #expect(reissued.issuer == (try Certificate(pemEncoded: ca)).subject)
        #expect(try String(contentsOfFile: second.certificateChainPath, encoding: .utf8) != server)
        // One about to expire is renewed too.
        #expect(try TLSMaterial.expiresSoon(second.certificateChainPath, now: Date().addingTimeInterval(800 * 86400)))
        #expect(try !TLSMaterial.expiresSoon(second.certificateChainPath, now: Date()))
        _ = try second.serverConfiguration()
    }
}
