import Foundation

/// The 16 random bytes the S3 layer draws for every object write before it seals a byte
/// (docs/storage-layout.md, "Versions"; docs/sealed-object-format.md, "Version 2"). The
/// packages of the write bind them, and in a versioning-enabled bucket the store makes them
/// the random part of the version's id (``VersionID``), so each version's packages open only
/// as that version. Stored in the record as standard base64; no secret.
public struct VersionNonce: Sendable, Hashable, Codable {
    /// The length of every nonce.
    public static let byteCount = 16

    /// The nonce's bytes, always ``byteCount`` of them.
    public let bytes: [UInt8]

    /// Wraps `bytes`; nil unless there are exactly ``byteCount``.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// A fresh nonce from `generator` (the system's by default).
    public static func random(using generator: inout some RandomNumberGenerator) -> VersionNonce {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(byteCount)
        for _ in 0..<(byteCount / 8) {
            let value: UInt64 = generator.next()
            bytes.append(contentsOf: KeyLayout.bigEndian(value))
        }
        return VersionNonce(bytes: bytes)!
    }

    /// A fresh nonce from the system's generator.
    public static func random() -> VersionNonce {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// The nonce in standard base64, as records keep it.
    public var base64: String { Data(bytes).base64EncodedString() }

    /// The nonce of `text` (standard base64 of 16 bytes); nil for anything else.
    public init?(base64 text: String) {
        guard let data = Data(base64Encoded: text) else { return nil }
        self.init(bytes: [UInt8](data))
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let nonce = VersionNonce(base64: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a version nonce"))
        }
        self = nonce
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(base64)
    }
}

extension VersionID {
    /// The id of the version at `stamp` whose random bytes are `nonce`.
    init(stamp: VersionStamp, nonce: VersionNonce) {
        self.init(stamp: stamp, nonce: nonce.bytes)
    }

    /// The id's random bytes: the version's nonce.
    public var versionNonce: VersionNonce { VersionNonce(bytes: nonce)! }
}
