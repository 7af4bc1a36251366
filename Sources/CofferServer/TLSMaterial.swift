import CofferS3
import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The HTTPS listener's certificate: the operator's own, or a local CA and a server
/// certificate for localhost, 127.0.0.1 and ::1 generated on first start under
/// `<data-dir>/tls/` (`ca.pem` is what clients pass to `--ca-bundle`).
public struct TLSMaterial: Sendable {
    public var certificateChainPath: String
    public var privateKeyPath: String
    /// Set when Coffer generated the material: the CA certificate clients should trust.
    public var caPath: String?

    public static func operatorSupplied(certificate: String, key: String) -> TLSMaterial {
        TLSMaterial(certificateChainPath: certificate, privateKeyPath: key, caPath: nil)
    }

    /// Loads `<dataDir>/tls/{ca,server,server-key}.pem`, creating them when missing.
    public static func generatedIfNeeded(dataDir: String, now: Date = Date()) throws -> TLSMaterial {
        let dir = (dataDir as NSString).appendingPathComponent("tls")
        let material = TLSMaterial(
            certificateChainPath: (dir as NSString).appendingPathComponent("server.pem"),
            privateKeyPath: (dir as NSString).appendingPathComponent("server-key.pem"),
            caPath: (dir as NSString).appendingPathComponent("ca.pem"))
        let fm = FileManager.default
        let caKeyPath = (dir as NSString).appendingPathComponent("ca-key.pem")
        if fm.fileExists(atPath: material.certificateChainPath), fm.fileExists(atPath: material.privateKeyPath),
            fm.fileExists(atPath: material.caPath!), !(try Self.expiresSoon(material.certificateChainPath, now: now)) {
            return material
        }
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])

        // Keep an existing CA (clients already trust its ca.pem): only the server certificate
        // is (re)issued when it is missing or close to expiry.
        let caKey: P256.Signing.PrivateKey
        let caName: DistinguishedName
        let notBefore = now.addingTimeInterval(-3600)
        if fm.fileExists(atPath: material.caPath!), fm.fileExists(atPath: caKeyPath) {
            caKey = try P256.Signing.PrivateKey(pemRepresentation: String(contentsOfFile: caKeyPath, encoding: .utf8))
            caName = try Certificate(pemEncoded: String(contentsOfFile: material.caPath!, encoding: .utf8)).subject
        } else {
            caKey = P256.Signing.PrivateKey()
            caName = try DistinguishedName {
                OrganizationName("Coffer")
                CommonName("Coffer local CA")
            }
            let caCert = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(),
                publicKey: .init(caKey.publicKey), notValidBefore: notBefore,
                notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
                issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: Certificate.PublicKey(caKey.publicKey))
                },
                issuerPrivateKey: .init(caKey))
            try writeFile(caKeyPath, caKey.pemRepresentation + "\n", mode: 0o600)
            try writeFile(material.caPath!, try caCert.serializeAsPEM().pemString + "\n", mode: 0o644)
        }

        let serverKey = P256.Signing.PrivateKey()
        let serverName = try DistinguishedName {
            OrganizationName("Coffer")
            CommonName("localhost")
        }
        let serverCert = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(),
            publicKey: .init(serverKey.publicKey), notValidBefore: notBefore,
            notValidAfter: now.addingTimeInterval(825 * 86400),
            issuer: caName, subject: serverName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([
                    .dnsName("localhost"),
                    .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                    .ipAddress(ASN1OctetString(contentBytes: ArraySlice([UInt8](repeating: 0, count: 15) + [1]))),
                ])
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: Certificate.PublicKey(caKey.publicKey)).keyIdentifier)
            },
            issuerPrivateKey: .init(caKey))

        try writeFile(material.privateKeyPath, serverKey.pemRepresentation + "\n", mode: 0o600)
        try writeFile(material.certificateChainPath, try serverCert.serializeAsPEM().pemString + "\n", mode: 0o644)
        return material
    }

    /// Whether the certificate at `path` expires within 30 days (or cannot be read).
    static func expiresSoon(_ path: String, now: Date) throws -> Bool {
        guard let pem = try? String(contentsOfFile: path, encoding: .utf8), let certificate = try? Certificate(pemEncoded: pem) else {
            return true
        }
        return certificate.notValidAfter < now.addingTimeInterval(30 * 86400)
    }

    /// NIOSSL's server configuration for this material.
    public func serverConfiguration() throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(certificateChainPath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
        var config = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        config.minimumTLSVersion = .tlsv12
        // After sending close_notify, wait this long for the peer's before closing: idle
        // keep-alive connections in SDK pools never answer, and would hold shutdown for NIOSSL's
        // default of 5 s.
        config.shutdownTimeout = .milliseconds(250)
        return config
    }

    private static func writeFile(_ path: String, _ contents: String, mode: Int) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(contents.utf8), attributes: [.posixPermissions: mode]) else {
            throw ConfigurationError("cannot write \(path)")
        }
    }
}
