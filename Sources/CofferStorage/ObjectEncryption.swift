import Foundation

/// How an object's (or a multipart upload's) data key is kept at rest: the encryption mode and
/// the data key in a form only its key-encryption key opens (docs/key-hierarchy.md, "What a
/// record holds"). Nothing here is secret: sealed keys, salts, a salted key check, the key
/// service's ciphertexts and the encryption context, never a key in the clear.
///
/// Stored in `ObjectRecord.encryption` and `UploadRecord.encryption` (record version 2) as
///
/// ```
/// {"mode": "AES256",  "rootKeyVersion": 2, "sealedKey": b64}
/// {"mode": "SSE-C",   "salt": b64, "keyCheck": b64, "sealedKey": b64}
/// {"mode": "aws:kms", "kmsKeyArn": "...", "context": {...}, "sealedKey": b64, "bucketKeyBlob"?: b64}
/// ```
///
/// (standard base64 with padding); a version-1 record kept the same fields, plus `"v": 1` and
/// `"bucketKey"`, as a JSON string in `extensions["sse"]` (RecordVersion1.swift).
public enum ObjectEncryption: Sendable, Hashable {
    case sseS3(SSES3)
    case sseC(SSEC)
    case sseKMS(SSEKMS)

    /// SSE-S3: the data key sealed under the key-encryption key of root key `rootKeyVersion`.
    public struct SSES3: Sendable, Hashable {
        public var rootKeyVersion: Int
        /// `nonce ‖ ciphertext ‖ tag`.
        public var sealedKey: [UInt8]

        public init(rootKeyVersion: Int, sealedKey: [UInt8]) {
            self.rootKeyVersion = rootKeyVersion
            self.sealedKey = sealedKey
        }
    }

    /// SSE-C: the data key sealed under a key derived from the customer's key and `salt`, and
    /// the salted HMAC that recognises the customer's key (never the key itself).
    public struct SSEC: Sendable, Hashable {
        public var salt: [UInt8]
        public var keyCheck: [UInt8]
        /// `nonce ‖ ciphertext ‖ tag`.
        public var sealedKey: [UInt8]

        public init(salt: [UInt8], keyCheck: [UInt8], sealedKey: [UInt8]) {
            self.salt = salt
            self.keyCheck = keyCheck
            self.sealedKey = sealedKey
        }
    }

    /// SSE-KMS: the KMS key, the full encryption context every key-service call binds, and the
    /// data key: without a bucket key, `sealedKey` is the key service's ciphertext of it; with
    /// one, `bucketKeyBlob` is the key service's ciphertext of the bucket key and `sealedKey`
    /// the data key sealed under the bucket key (`nonce ‖ ciphertext ‖ tag`).
    public struct SSEKMS: Sendable, Hashable {
        public var kmsKeyArn: String
        public var context: [String: String]
        public var sealedKey: [UInt8]
        public var bucketKeyBlob: [UInt8]?

        /// Whether the data key is sealed under a bucket key.
        public var bucketKey: Bool { bucketKeyBlob != nil }

        public init(kmsKeyArn: String, context: [String: String], sealedKey: [UInt8], bucketKeyBlob: [UInt8]? = nil) {
            self.kmsKeyArn = kmsKeyArn
            self.context = context
            self.sealedKey = sealedKey
            self.bucketKeyBlob = bucketKeyBlob
        }
    }

    /// The mode as S3 names it and the record stores it.
    public enum Mode: String, Sendable, Codable {
        case sseS3 = "AES256"
        case sseC = "SSE-C"
        case sseKMS = "aws:kms"
    }

    public var mode: Mode {
        switch self {
        case .sseS3: .sseS3
        case .sseC: .sseC
        case .sseKMS: .sseKMS
        }
    }
}

extension ObjectEncryption: Codable {
    enum CodingKeys: String, CodingKey {
        case mode, rootKeyVersion, sealedKey, salt, keyCheck, kmsKeyArn, context, bucketKeyBlob
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let sealedKey = try c.decodeBase64(.sealedKey)
        switch try c.decode(Mode.self, forKey: .mode) {
        case .sseS3:
            self = .sseS3(SSES3(rootKeyVersion: try c.decode(Int.self, forKey: .rootKeyVersion), sealedKey: sealedKey))
        case .sseC:
            self = .sseC(SSEC(salt: try c.decodeBase64(.salt), keyCheck: try c.decodeBase64(.keyCheck), sealedKey: sealedKey))
        case .sseKMS:
            self = .sseKMS(SSEKMS(
                kmsKeyArn: try c.decode(String.self, forKey: .kmsKeyArn), context: try c.decode([String: String].self, forKey: .context),
                sealedKey: sealedKey, bucketKeyBlob: try c.contains(.bucketKeyBlob) ? c.decodeBase64(.bucketKeyBlob) : nil))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mode, forKey: .mode)
        switch self {
        case .sseS3(let s):
            try c.encode(s.rootKeyVersion, forKey: .rootKeyVersion)
            try c.encode(Data(s.sealedKey).base64EncodedString(), forKey: .sealedKey)
        case .sseC(let s):
            try c.encode(Data(s.salt).base64EncodedString(), forKey: .salt)
            try c.encode(Data(s.keyCheck).base64EncodedString(), forKey: .keyCheck)
            try c.encode(Data(s.sealedKey).base64EncodedString(), forKey: .sealedKey)
        case .sseKMS(let s):
            try c.encode(s.kmsKeyArn, forKey: .kmsKeyArn)
            try c.encode(s.context, forKey: .context)
            try c.encode(Data(s.sealedKey).base64EncodedString(), forKey: .sealedKey)
            try c.encodeIfPresent(s.bucketKeyBlob.map { Data($0).base64EncodedString() }, forKey: .bucketKeyBlob)
        }
    }
}

extension KeyedDecodingContainer {
    /// Standard base64 (with padding) at `key`; a decoding error (never the text) otherwise.
    func decodeBase64(_ key: Key) throws -> [UInt8] {
        guard let bytes = Data(base64Encoded: try decode(String.self, forKey: key)) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not base64")
        }
        return [UInt8](bytes)
    }
}
