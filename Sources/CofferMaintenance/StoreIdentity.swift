import CofferAudit
import Foundation

/// The store identity record, `<data-dir>/store-identity.json`: which store this data dir holds
/// and the least the database must hold when it is opened again (issue 12). LevelDB only
/// grows these numbers, so a database that opens with less than the record promises lost
/// what it had (a MANIFEST cut short or swapped for an older one, an older copy of `db/` put
/// back) and is refused instead of served as a smaller store.
///
/// Written atomically (a temporary file, fsync, rename, fsync of the directory) when the
/// store opens and, while it serves, from the MANIFEST as LevelDB writes it
/// (``StoreIdentityKeeper``). The record holds no secret.
public struct StoreIdentity: Codable, Sendable, Equatable {
    /// The record's format.
    public var version = 1
    /// A random id given to the store when the record was first written.
    public var storeId: String
    public var createdAt: Date
    public var updatedAt: Date
    /// The high-water mark, from the newest MANIFEST read (all of it synced by LevelDB).
    public var mark: Mark

    /// What the MANIFEST had written when the record was made. Each only grows.
    public struct Mark: Codable, Sendable, Equatable {
        /// The number of the MANIFEST file (`MANIFEST-<number>`): LevelDB starts a new one at
        /// each open, with a larger number.
        public var manifestNumber: UInt64
        /// LevelDB's next file number: every table, log and MANIFEST it made is numbered below.
        public var nextFileNumber: UInt64
        /// The sequence number of the newest write in a table.
        public var lastSequence: UInt64
        /// Live table files and their bytes, for the operator (they shrink with compactions).
        public var tables: Int
        public var tableBytes: UInt64

        /// The mark of `manifest`, the MANIFEST file numbered `manifestNumber`.
        public init?(manifest: LevelDBManifest, manifestNumber: UInt64) {
            guard let next = manifest.nextFileNumber, let sequence = manifest.lastSequence else { return nil }
            self.manifestNumber = manifestNumber
            self.nextFileNumber = next
            self.lastSequence = sequence
            self.tables = manifest.tables.count
            self.tableBytes = manifest.tables.values.reduce(0) { $0 + $1.size }
        }

        /// A mark that promises nothing (after a recovery, until the repaired store opens).
        public static let none = Mark(manifestNumber: 0, nextFileNumber: 0, lastSequence: 0, tables: 0, tableBytes: 0)

        public init(manifestNumber: UInt64, nextFileNumber: UInt64, lastSequence: UInt64, tables: Int, tableBytes: UInt64) {
            self.manifestNumber = manifestNumber
            self.nextFileNumber = nextFileNumber
            self.lastSequence = lastSequence
            self.tables = tables
            self.tableBytes = tableBytes
        }

        /// Whether `self` is at least `other` in every number that only grows.
        public func covers(_ other: Mark) -> Bool {
            manifestNumber >= other.manifestNumber && nextFileNumber >= other.nextFileNumber && lastSequence >= other.lastSequence
        }

        /// The first number in which `self` falls short of `promised`, as a sentence.
        public func shortfall(against promised: Mark) -> String? {
            if nextFileNumber < promised.nextFileNumber {
                return "its next file number is \(nextFileNumber), the store had reached \(promised.nextFileNumber)"
            }
            if lastSequence < promised.lastSequence {
                return "its last sequence number is \(lastSequence), the store had reached \(promised.lastSequence)"
            }
            if manifestNumber < promised.manifestNumber {
                return "its MANIFEST is number \(manifestNumber), the store had reached \(promised.manifestNumber)"
            }
            return nil
        }
    }

    public static let fileName = "store-identity.json"

    public static func path(dataDir: String) -> String { (dataDir as NSString).appendingPathComponent(fileName) }

    /// The record of `dataDir`, or nil when there is none (a new store, or one made before
    /// the record existed). Throws when the file exists but does not decode.
    public static func read(dataDir: String) throws -> StoreIdentity? {
        let path = path(dataDir: dataDir)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            return try decoder.decode(StoreIdentity.self, from: data)
        } catch {
            throw StoreIdentityError("\(path) does not hold a store identity record (\(error))")
        }
    }

    /// Replaces the record of `dataDir` atomically (temporary file, fsync, rename, fsync of the
    /// directory: the trail's own writer of whole files).
    public func write(dataDir: String) throws {
        var data = try Self.encoder.encode(self)
        data.append(0x0A)
        try AuditFileIO.writeAtomically(Self.path(dataDir: dataDir), [UInt8](data), mode: 0o600)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

/// A store identity record that cannot be read.
public struct StoreIdentityError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
