/// An S3 version id other than `null`, made by the store when it commits a version in a
/// versioning-enabled bucket: 32 characters of unpadded base64url (`A-Z a-z 0-9 - _`) encoding
/// 24 bytes, the version's ``VersionStamp`` (8 bytes, big-endian) and 16 random bytes.
///
/// The stamp tells the store where the version is (a lookup by id is one read); the random
/// bytes make ids unguessable and unique across nodes, and a lookup checks the whole id, so an
/// id with a right stamp and wrong random bytes names no version. `null`, the id of the null
/// version, is never a `VersionID` (see ``VersionSelector``).
public struct VersionID: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The version's place among its key's versions.
    public let stamp: VersionStamp
    /// The 16 random bytes.
    let nonce: [UInt8]

    /// The length of every id's text.
    public static let textCount = 32

    init(stamp: VersionStamp, nonce: [UInt8]) {
        precondition(nonce.count == 16)
        self.stamp = stamp
        self.nonce = nonce
    }

    /// A new id for a version at `stamp`, its random bytes from `generator`.
    static func make(stamp: VersionStamp, using generator: inout some RandomNumberGenerator) -> VersionID {
        var nonce: [UInt8] = []
        nonce.reserveCapacity(16)
        for _ in 0..<2 {
            let random: UInt64 = generator.next()
            nonce.append(contentsOf: KeyLayout.bigEndian(random))
        }
        return VersionID(stamp: stamp, nonce: nonce)
    }

    /// Parses an id this store made; nil for anything else (`null` included). The text must be
    /// exactly what ``description`` writes (canonical base64url, no padding).
    public init?(_ text: String) {
        guard text.utf8.count == Self.textCount, let bytes = Base64URL.decode(text), bytes.count == 24,
              let raw = KeyLayout.readBigEndian64(bytes.prefix(8)), let stamp = VersionStamp(rawValue: raw)
        else { return nil }
        self.init(stamp: stamp, nonce: Array(bytes.suffix(16)))
        guard description == text else { return nil }
    }

    /// The id as clients see it.
    public var description: String {
        Base64URL.encode(KeyLayout.bigEndian(stamp.rawValue) + nonce)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = VersionID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a version id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Which version of a key an operation names: S3's `versionId` parameter, parsed.
public enum VersionSelector: Sendable, Hashable {
    /// No version id: the current version (for a deletion: add a delete marker in a versioned
    /// bucket, remove the object in an unversioned one).
    case current
    /// `versionId=null`: the null version (the one object of an unversioned bucket, and what a
    /// versioning-suspended bucket writes).
    case null
    /// A version id the store made.
    case id(VersionID)

    /// The selector for a `versionId` value: absent is ``current``, `null` is ``null``; nil when
    /// the value is no id this store makes (S3 answers `InvalidArgument`).
    public init?(versionId: String?) {
        guard let versionId else { self = .current; return }
        if versionId == "null" { self = .null; return }
        guard let id = VersionID(versionId) else { return nil }
        self = .id(id)
    }
}
