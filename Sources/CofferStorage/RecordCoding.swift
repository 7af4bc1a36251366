import Foundation

/// A record stored as one version byte followed by JSON (sorted keys, dates as integer
/// milliseconds since 1970). A build writes `recordVersion`, decodes older versions it knows
/// through `migrate` (each record type keeps the frozen shapes of its old versions), and
/// rejects every other version with `.unsupportedRecordVersion`: it never guesses.
public protocol StoredRecord: Codable, Sendable, Equatable {
    /// The record-format version written by this build.
    static var recordVersion: UInt8 { get }

    /// The record from the JSON of an older `version`, its fields moved into today's typed
    /// ones. The default knows no older version.
    static func migrate(version: UInt8, json: Data, decoder: JSONDecoder) throws(StorageError) -> Self

    /// The JSON of the current version. The default is `JSONEncoder`'s (sorted keys, slashes
    /// unescaped, dates as milliseconds); hot records write the same JSON by hand.
    func encodedJSON() throws(StorageError) -> [UInt8]

    /// The record from the JSON of the current version, which starts at `offset` in `bytes`.
    /// The default is `JSONDecoder`'s.
    static func decodedJSON(_ bytes: [UInt8], offset: Int) throws(StorageError) -> Self
}

extension StoredRecord {
    public static var recordVersion: UInt8 { 1 }

    public static func migrate(version: UInt8, json: Data, decoder: JSONDecoder) throws(StorageError) -> Self {
        throw StorageError(.unsupportedRecordVersion, "\(Self.self) has record version \(version)")
    }

    /// The stored form: version byte + JSON.
    public func encoded() throws(StorageError) -> [UInt8] {
        var bytes = [Self.recordVersion]
        bytes.append(contentsOf: try encodedJSON())
        return bytes
    }

    public func encodedJSON() throws(StorageError) -> [UInt8] {
        try codableJSON()
    }

    /// `JSONEncoder`'s form of the record: sorted keys, slashes unescaped, dates as integer
    /// milliseconds since 1970.
    func codableJSON() throws(StorageError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Date.milliseconds(of: date))
        }
        do {
            return [UInt8](try encoder.encode(self))
        } catch {
            throw StorageError(.invalidRecord, "cannot encode \(Self.self)")
        }
    }

    public static func decodedJSON(_ bytes: [UInt8], offset: Int) throws(StorageError) -> Self {
        try decodeJSON(Self.self, Data(bytes[offset...]), decoder: recordDecoder())
    }

    /// Decodes the stored form: the current version directly, an older one through `migrate`;
    /// anything else is `.unsupportedRecordVersion`, malformed JSON `.invalidRecord`.
    public init(encoded bytes: some Collection<UInt8>) throws(StorageError) {
        guard let version = bytes.first else {
            throw StorageError(.invalidRecord, "empty \(Self.self)")
        }
        if version == Self.recordVersion {
            self = try Self.decodedJSON(Array(bytes), offset: 1)
        } else {
            self = try Self.migrate(version: version, json: Data(bytes.dropFirst()), decoder: Self.recordDecoder())
        }
    }

    /// The decoder of every record version: dates as integer milliseconds since 1970.
    static func recordDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            Date(milliseconds: try decoder.singleValueContainer().decode(Int64.self))
        }
        return decoder
    }

    /// `json` as a `T`, or `.invalidRecord` naming only the record type (a decoding error may
    /// quote stored bytes).
    static func decodeJSON<T: Decodable>(_ type: T.Type, _ json: Data, decoder: JSONDecoder) throws(StorageError) -> T {
        do {
            return try decoder.decode(T.self, from: json)
        } catch {
            throw StorageError(.invalidRecord, "malformed \(Self.self)")
        }
    }
}

extension Date {
    /// The date at `milliseconds` since 1970.
    public init(milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// Whole milliseconds since 1970 (rounded to nearest), the precision records store.
    public static func milliseconds(of date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// This date rounded to record precision (whole milliseconds), so it survives a round trip.
    public var roundedToMilliseconds: Date { Date(milliseconds: Date.milliseconds(of: self)) }
}
