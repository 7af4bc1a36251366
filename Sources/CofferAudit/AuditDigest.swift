import CofferCrypto
import Foundation

/// The digest file written when a log file is finished, in the manner of CloudTrail's log
/// file integrity validation: the log file's SHA-256 and record range, the previous digest's
/// name and SHA-256 (a chain of digests), and an Ed25519 signature over ``signedString``.
///
/// **FROZEN for version 1**: the member names and the signed string (docs/audit-trail.md).
public struct AuditDigest: Sendable, Hashable {
    public static let currentVersion = 1
    public static let signatureAlgorithm = "Ed25519"

    public var version: Int
    /// The log file's name (not its path).
    public var logFile: String
    /// Lowercase hex SHA-256 of the log file's bytes.
    public var logFileSHA256: String
    public var logFileBytes: Int64
    /// `nil` for a file without records.
    public var firstSequence: Int64?
    public var lastSequence: Int64?
    public var recordCount: Int64
    /// When the log file was created, `2026-11-25T12:00:00Z`.
    public var startTime: String
    /// When it was finished and digested.
    public var endTime: String
    /// The digest before this one; `nil` for the trail's first digest.
    public var previousDigestFile: String?
    /// Lowercase hex SHA-256 of the previous digest file's bytes.
    public var previousDigestSHA256: String?
    /// ``AuditSigningKey/fingerprint(publicKey:)`` of the signing key.
    public var publicKeyFingerprint: String
    /// Base64 of the 64-byte Ed25519 signature of ``signedString``.
    public var signature: String

    /// The exact text that is signed: one `name=value` per line, in this order, joined by
    /// line feeds, no final line feed; absent values are empty.
    public var signedString: String {
        [
            "CofferAuditDigest-\(version)",
            "logFile=\(logFile)",
            "logFileSHA256=\(logFileSHA256)",
            "logFileBytes=\(logFileBytes)",
            "firstSequence=\(firstSequence.map(String.init) ?? "")",
            "lastSequence=\(lastSequence.map(String.init) ?? "")",
            "recordCount=\(recordCount)",
            "startTime=\(startTime)",
            "endTime=\(endTime)",
            "previousDigestFile=\(previousDigestFile ?? "")",
            "previousDigestSHA256=\(previousDigestSHA256 ?? "")",
            "publicKeyFingerprint=\(publicKeyFingerprint)",
        ].joined(separator: "\n")
    }

    /// The digest file's bytes: the JSON object with sorted keys and a final line feed.
    public var fileBytes: [UInt8] {
        var members: [String: AuditJSON] = [
            "digestVersion": .number(Double(version)),
            "logFile": .string(logFile),
            "logFileSHA256": .string(logFileSHA256),
            "logFileBytes": .number(Double(logFileBytes)),
            "recordCount": .number(Double(recordCount)),
            "startTime": .string(startTime),
            "endTime": .string(endTime),
            "previousDigestFile": previousDigestFile.map(AuditJSON.string) ?? .null,
            "previousDigestSHA256": previousDigestSHA256.map(AuditJSON.string) ?? .null,
            "publicKeyFingerprint": .string(publicKeyFingerprint),
            "signatureAlgorithm": .string(Self.signatureAlgorithm),
            "signature": .string(signature),
        ]
        members["firstSequence"] = firstSequence.map { .number(Double($0)) } ?? .null
        members["lastSequence"] = lastSequence.map { .number(Double($0)) } ?? .null
        return AuditJSON.object(members).serialized() + [0x0a]
    }

    /// Reads a digest file; `nil` when it is not a version-1 digest.
    public init?(fileBytes: [UInt8]) {
        guard let json = AuditJSON.parse(fileBytes), let version = json["digestVersion"]?.integerValue, version == Self.currentVersion,
              json["signatureAlgorithm"]?.stringValue == Self.signatureAlgorithm,
              let logFile = json["logFile"]?.stringValue, let sha = json["logFileSHA256"]?.stringValue,
              let bytes = json["logFileBytes"]?.integerValue, let count = json["recordCount"]?.integerValue,
              let start = json["startTime"]?.stringValue, let end = json["endTime"]?.stringValue,
              let fingerprint = json["publicKeyFingerprint"]?.stringValue, let signature = json["signature"]?.stringValue
        else { return nil }
        self.version = Int(version)
        self.logFile = logFile
        self.logFileSHA256 = sha
        self.logFileBytes = bytes
        self.firstSequence = json["firstSequence"]?.integerValue
        self.lastSequence = json["lastSequence"]?.integerValue
        self.recordCount = count
        self.startTime = start
        self.endTime = end
        self.previousDigestFile = json["previousDigestFile"]?.stringValue
        self.previousDigestSHA256 = json["previousDigestSHA256"]?.stringValue
        self.publicKeyFingerprint = fingerprint
        self.signature = signature
    }

    init(logFile: String, logFileSHA256: String, logFileBytes: Int64, firstSequence: Int64?, lastSequence: Int64?,
         recordCount: Int64, startTime: String, endTime: String, previousDigestFile: String?, previousDigestSHA256: String?,
         signer: AuditSigner) throws {
        self.version = Self.currentVersion
        self.logFile = logFile
        self.logFileSHA256 = logFileSHA256
        self.logFileBytes = logFileBytes
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.recordCount = recordCount
        self.startTime = startTime
        self.endTime = endTime
        self.previousDigestFile = previousDigestFile
        self.previousDigestSHA256 = previousDigestSHA256
        self.publicKeyFingerprint = AuditSigningKey.fingerprint(publicKey: signer.publicKey)
        self.signature = ""
        self.signature = Base64.encode(try signer.sign(Array(signedString.utf8)))
    }

    /// Whether the signature is valid under `publicKey` and was made by that key.
    public func hasValidSignature(publicKey: [UInt8]) -> Bool {
        guard publicKeyFingerprint == AuditSigningKey.fingerprint(publicKey: publicKey), let raw = Base64.decode(signature) else { return false }
        return AuditSigningKey.isValid(signature: raw, message: Array(signedString.utf8), publicKey: publicKey)
    }
}
