@testable import CofferStorage
import Foundation
import Testing

/// Helpers of the versioning tests (`Versioning*Tests.swift`).

/// Creates `name` and sets its versioning state (nil: never versioned).
func makeBucket(_ store: ObjectStore, _ name: String = "bucket", versioning: BucketVersioning?) async throws {
    try await makeBucket(store, name)
    if let versioning { try await setVersioning(store, versioning, bucket: name) }
}

/// PutBucketVersioning, through the conditional bucket update.
func setVersioning(_ store: ObjectStore, _ state: BucketVersioning, bucket: String = "bucket") async throws {
    try await store.updateBucket(named: bucket) { $0.versioning = state }
}

/// A time `offset` milliseconds after ``fixedDate``.
func at(_ offset: Int64) -> Date { Date(milliseconds: 1_700_000_000_123 + offset) }

/// Writes and commits a version of `key` whose body is `count` chunks of `byte`, modified at
/// `date`.
@discardableResult
func putVersion(_ store: ObjectStore, bucket: String = "bucket", key: String, byte: UInt8 = 1, count: Int = 1,
                date: Date = fixedDate) async throws -> ObjectCommit {
    let blob = try await writeBlob(store, chunks(count, of: byte))
    var record = objectRecord(bucket: bucket, key: key, segments: [blob], etag: "etag-\(byte)")
    record.lastModified = date
    do {
        return try await store.commitObject(record)
    } catch {
        try await store.discard([blob.id])
        throw error
    }
}

/// DeleteObject as the S3 layer asks for it.
@discardableResult
func deleteVersion(_ store: ObjectStore, bucket: String = "bucket", key: String, _ version: VersionSelector = .current,
                   date: Date = fixedDate, note: CommitNote? = nil) async throws -> ObjectDeletion {
    try await store.deleteObject(ObjectDeletionRequest(bucket: bucket, key: key, version: version, owner: "alice", date: date, note: note))
}

/// The selector of a committed version.
func selector(_ record: ObjectRecord) -> VersionSelector {
    record.versionId.map { .id($0) } ?? .null
}

/// One row of a version listing, as the tests compare them.
struct VersionRow: Equatable, CustomStringConvertible {
    var key: String
    var versionId: String
    var isLatest: Bool
    var isDeleteMarker: Bool
    var etag: String

    init(_ entry: VersionListing.Entry) {
        key = entry.record.key
        versionId = entry.record.versionIdText
        isLatest = entry.isLatest
        isDeleteMarker = entry.record.isDeleteMarker
        etag = entry.record.etag
    }

    init(key: String, versionId: String, isLatest: Bool, isDeleteMarker: Bool, etag: String) {
        self.key = key
        self.versionId = versionId
        self.isLatest = isLatest
        self.isDeleteMarker = isDeleteMarker
        self.etag = etag
    }

    var description: String { "\(key)@\(versionId.prefix(8))\(isLatest ? "*" : "")\(isDeleteMarker ? "(marker)" : "(\(etag))")" }
}

/// Every version of the bucket, listed in pages of `pageSize` (following the next markers).
func allVersions(_ store: ObjectStore, bucket: String = "bucket", prefix: String = "", pageSize: Int = 1000) async throws -> [VersionRow] {
    var rows: [VersionRow] = []
    var keyMarker: String?
    var versionMarker = VersionSelector.current
    while true {
        let page = try await store.listObjectVersions(bucket: bucket, prefix: prefix, keyMarker: keyMarker, versionIdMarker: versionMarker, maxKeys: pageSize)
        rows += page.versions.map(VersionRow.init)
        guard page.isTruncated else { return rows }
        keyMarker = page.nextKeyMarker
        versionMarker = try #require(VersionSelector(versionId: page.nextVersionIdMarker))
    }
}

/// The body of the version `selector` names, or nil for a delete marker or no version.
func body(_ store: ObjectStore, bucket: String = "bucket", key: String, _ selector: VersionSelector) async throws -> [[UInt8]]? {
    guard case .object(let reader) = try await store.openVersion(bucket: bucket, key: key, selector) else { return nil }
    return try await readBody(reader)
}
