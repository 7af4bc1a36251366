import Foundation

/// A record stored as one version byte followed by JSON (sorted keys, dates as integer
/// milliseconds since 1970). Decoding rejects versions it does not know.
public protocol StoredRecord: Codable, Sendable, Equatable {
    /// The record-format version written by this build.
    static var recordVersion: UInt8 { get }
}

extension StoredRecord {
    public static var recordVersion: UInt8 { 1 }

    /// The stored form: version byte + JSON.
    public func encoded() throws(StorageError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Date.milliseconds(of: date))
        }
        do {
            return [Self.recordVersion] + [UInt8](try encoder.encode(self))
        } catch {
            throw StorageError(.invalidRecord, "cannot encode \(Self.self)")
        }
    }

    /// Decodes the stored form, rejecting unknown versions with `.unsupportedRecordVersion`.
    public init(encoded bytes: some Collection<UInt8>) throws(StorageError) {
        guard let version = bytes.first else {
            throw StorageError(.invalidRecord, "empty \(Self.self)")
        }
        guard version == Self.recordVersion else {
            throw StorageError(.unsupportedRecordVersion, "\(Self.self) has record version \(version)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            Date(milliseconds: try decoder.singleValueContainer().decode(Int64.self))
        }
        do {
            self = try decoder.decode(Self.self, from: Data(bytes.dropFirst()))
        } catch {
            // The decoding error may quote stored bytes; report only the type.
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
