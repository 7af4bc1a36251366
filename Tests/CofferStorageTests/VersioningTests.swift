@testable import CofferStorage
import CofferStorageConformance
import Foundation
import Testing

/// S3's versioning rules on the store (`ObjectStore+Versions.swift`, `+Deletion`, `+VersionReads`):
/// writes and deletions in enabled, suspended and never-versioned buckets, each version with
/// its own blobs.
@Suite struct VersioningTests {
    @Test(arguments: Backend.allCases) func anEnabledBucketKeepsEveryVersion(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .enabled)
            let v1 = try await putVersion(store, key: "k", byte: 1, count: 2, date: at(0))
            let v2 = try await putVersion(store, key: "k", byte: 2, count: 3, date: at(1))
            let v3 = try await putVersion(store, key: "k", byte: 3, count: 1, date: at(2))
            #expect(v1.replaced == nil && v1.removed.isEmpty)
            #expect(v2.replaced == v1.record && v2.removed.isEmpty)
            #expect(v3.replaced == v2.record)
            let ids = [v1, v2, v3].compactMap(\.record.versionId)
            #expect(Set(ids).count == 3)
            #expect(ids.map(\.stamp) == ids.map(\.stamp).sorted())

            #expect(try await store.object(bucket: "bucket", key: "k") == v3.record)
            #expect(try await store.version(bucket: "bucket", key: "k", .current) == v3.record)
            #expect(try await store.version(bucket: "bucket", key: "k", selector(v1.record)) == v1.record)
            #expect(try await store.version(bucket: "bucket", key: "k", .null) == nil)
            #expect(try await body(store, key: "k", selector(v1.record)) == chunks(2, of: 1))
            #expect(try await body(store, key: "k", selector(v2.record)) == chunks(3, of: 2))
            #expect(try await body(store, key: "k", .current) == chunks(1, of: 3))
            #expect(try await store.chunkCount() == 6)
            #expect(try await store.garbageBlobCount() == 0)

            #expect(try await allVersions(store) == [
                VersionRow(key: "k", versionId: v3.record.versionIdText, isLatest: true, isDeleteMarker: false, etag: "etag-3"),
                VersionRow(key: "k", versionId: v2.record.versionIdText, isLatest: false, isDeleteMarker: false, etag: "etag-2"),
                VersionRow(key: "k", versionId: v1.record.versionIdText, isLatest: false, isDeleteMarker: false, etag: "etag-1"),
            ])
            // ListObjects shows the current version only.
            #expect(try await store.listObjects(bucket: "bucket").objects == [v3.record])
        }
    }

    /// A version id with the right stamp and other random bytes names no version.
    @Test(arguments: Backend.allCases) func aForgedIdNamesNothing(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .enabled)
            let v1 = try await putVersion(store, key: "k", date: at(0))
            try await putVersion(store, key: "k", date: at(1))
            let real = try #require(v1.record.versionId)
            let forged = VersionID(stamp: real.stamp, nonce: [UInt8](repeating: 7, count: 16))
            #expect(try await store.version(bucket: "bucket", key: "k", .id(forged)) == nil)
            #expect(try await store.openVersion(bucket: "bucket", key: "k", .id(forged)) == nil)
            #expect(try await deleteVersion(store, key: "k", .id(forged)) == ObjectDeletion())
            #expect(try await store.version(bucket: "bucket", key: "other", .id(real)) == nil)
            #expect(try await allVersions(store).count == 2)
        }
    }

    /// Versions written in one millisecond, or with a clock set back, still order as written.
    @Test(arguments: Backend.allCases) func stampsFollowTheOrderOfWrites(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .enabled)
            var written: [ObjectCommit] = []
            for (i, offset) in [5, 5, 5, 2, 9, 0].enumerated() {
                written.append(try await putVersion(store, key: "k", byte: UInt8(i), date: at(Int64(offset))))
            }
            let stamps = written.map(\.record.stamp)
            #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 < $1 })
            #expect(try await allVersions(store).map(\.etag) == written.reversed().map(\.record.etag))
            #expect(try await store.object(bucket: "bucket", key: "k")?.etag == "etag-5")
        }
    }

    @Test(arguments: Backend.allCases) func aDeletionWithoutIdAddsADeleteMarker(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .enabled)
            let v1 = try await putVersion(store, key: "k", count: 2, date: at(0))
            let note = CommitNote(id: "note-1", bytes: Array("DeleteObject".utf8))
            let deletion = try await deleteVersion(store, key: "k", date: at(1), note: note)
            let marker = try #require(deletion.marker)
            #expect(marker.isDeleteMarker && marker.versionId != nil && marker.owner == "alice" && marker.lastModified == at(1))
            #expect(deletion.removed == nil && deletion.promoted == nil)
            #expect(try await store.notes() == [note])

            // The object is gone for reads without an id; every version stays, with its blobs.
            #expect(try await store.object(bucket: "bucket", key: "k") == nil)
            #expect(try await store.openObject(bucket: "bucket", key: "k") == nil)
            #expect(try await store.version(bucket: "bucket", key: "k", .current) == marker)
            guard case .deleteMarker(let current) = try await store.openVersion(bucket: "bucket", key: "k", .current) else {
                Issue.record("the current version is not the delete marker")
                return
            }
            #expect(current == marker)
            guard case .deleteMarker = try await store.openVersion(bucket: "bucket", key: "k", selector(marker)) else {
                Issue.record("the marker by id is not a delete marker")
                return
            }
            #expect(try await body(store, key: "k", selector(v1.record)) == chunks(2, of: 1))
            #expect(try await store.chunkCount() == 2)
            #expect(try await store.listObjects(bucket: "bucket").objects.isEmpty)

            // A second deletion adds a second marker; a write after it is current again.
            let second = try #require(try await deleteVersion(store, key: "k", date: at(2)).marker)
            let v2 = try await putVersion(store, key: "k", byte: 2, date: at(3))
            #expect(v2.replaced == second)
            #expect(try await allVersions(store).map { [$0.isLatest, $0.isDeleteMarker] } == [[true, false], [false, true], [false, true], [false, false]])
            #expect(try await store.listObjects(bucket: "bucket").objects == [v2.record])
        }
    }

    /// A marker is added even for a key that has no version at all.
    @Test(arguments: Backend.allCases) func aDeletionOfNothingStillAddsAMarker(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .enabled)
            let deletion = try await deleteVersion(store, key: "never")
            #expect(deletion.marker?.isDeleteMarker == true)
            #expect(try await allVersions(store).map(\.isDeleteMarker) == [true])
            #expect(try await store.listObjects(bucket: "bucket").objects.isEmpty)
        }
    }

    @Test(arguments: Backend.allCases) func deletingTheCurrentVersionByIdPromotesTheNext(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .enabled)
            let v1 = try await putVersion(store, key: "k", byte: 1, count: 2, date: at(0))
            let marker = try #require(try await deleteVersion(store, key: "k", date: at(1)).marker)
            let v3 = try await putVersion(store, key: "k", byte: 3, count: 3, date: at(2))
            #expect(try await store.chunkCount() == 5)

            // v3 goes: the marker becomes current again (under `d`), and v3's blobs are reclaimed.
            let first = try await deleteVersion(store, key: "k", selector(v3.record))
            #expect(first == ObjectDeletion(removed: v3.record, promoted: marker))
            #expect(try await store.chunkCount() == 2)
            #expect(try await store.object(bucket: "bucket", key: "k") == nil)
            #expect(try await store.version(bucket: "bucket", key: "k", .current) == marker)
            #expect(try await allVersions(store).map { [$0.isLatest, $0.isDeleteMarker] } == [[true, true], [false, false]])

            // The marker goes: v1 is current again (under `o`), its body whole.
            let second = try await deleteVersion(store, key: "k", selector(marker))
            #expect(second == ObjectDeletion(removed: marker, promoted: v1.record))
            #expect(try await store.object(bucket: "bucket", key: "k") == v1.record)
            #expect(try await body(store, key: "k", .current) == chunks(2, of: 1))
            #expect(try await store.listObjects(bucket: "bucket").objects == [v1.record])

            // The last version goes: nothing is left of the key.
            #expect(try await deleteVersion(store, key: "k", selector(v1.record)) == ObjectDeletion(removed: v1.record))
            #expect(try await allVersions(store).isEmpty)
            #expect(try await store.chunkCount() == 0)
            #expect(try await store.garbageBlobCount() == 0)
            #expect(try await deleteVersion(store, key: "k", selector(v1.record)) == ObjectDeletion())
        }
    }

    @Test(arguments: Backend.allCases) func deletingANoncurrentVersionRemovesExactlyIt(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .enabled)
            let v1 = try await putVersion(store, key: "k", byte: 1, count: 1, date: at(0))
            let v2 = try await putVersion(store, key: "k", byte: 2, count: 2, date: at(1))
            let v3 = try await putVersion(store, key: "k", byte: 3, count: 4, date: at(2))
            #expect(try await deleteVersion(store, key: "k", selector(v2.record)) == ObjectDeletion(removed: v2.record))
            #expect(try await store.chunkCount() == 1 + 4)
            #expect(try await allVersions(store).map(\.versionId) == [v3, v1].map(\.record.versionIdText))
            #expect(try await store.object(bucket: "bucket", key: "k") == v3.record)
            #expect(try await body(store, key: "k", selector(v1.record)) == chunks(1, of: 1))
            #expect(try await store.openVersion(bucket: "bucket", key: "k", selector(v2.record)) == nil)
        }
    }

    /// Suspending versioning: writes make the `null` version, replacing the previous null
    /// version wherever it is (current or not, object or marker); every other version stays.
    @Test(arguments: Backend.allCases) func aSuspendedBucketReplacesTheNullVersionAndKeepsTheOthers(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: nil)
            let original = try await putVersion(store, key: "k", byte: 0, count: 1, date: at(0))
            #expect(original.record.versionId == nil && original.record.versionStamp == nil)
            try await setVersioning(store, .enabled)
            let v1 = try await putVersion(store, key: "k", byte: 1, count: 2, date: at(1))
            #expect(v1.replaced == original.record && v1.removed.isEmpty)
            // The null version is noncurrent now, and still found by `null`.
            #expect(try await store.version(bucket: "bucket", key: "k", .null) == original.record)

            try await setVersioning(store, .suspended)
            let n1 = try await putVersion(store, key: "k", byte: 2, count: 3, date: at(2))
            #expect(n1.record.isNullVersion && n1.record.versionStamp != nil)
            #expect(n1.replaced == v1.record)
            #expect(n1.removed == [original.record])
            #expect(try await store.chunkCount() == 2 + 3)
            #expect(try await allVersions(store).map(\.versionId) == ["null", v1.record.versionIdText])

            // Again: the current null version is replaced, v1 stays.
            let n2 = try await putVersion(store, key: "k", byte: 3, count: 1, date: at(3))
            #expect(n2.removed == [n1.record])
            #expect(try await store.chunkCount() == 2 + 1)
            #expect(try await allVersions(store).map(\.versionId) == ["null", v1.record.versionIdText])
            #expect(try await body(store, key: "k", .null) == chunks(1, of: 3))

            // A deletion: a null delete marker replaces the null object.
            let deletion = try await deleteVersion(store, key: "k", date: at(4))
            let marker = try #require(deletion.marker)
            #expect(marker.isNullVersion && marker.isDeleteMarker)
            #expect(deletion.removed == n2.record)
            #expect(try await store.chunkCount() == 2)
            #expect(try await allVersions(store).map { [$0.versionId, "\($0.isLatest)", "\($0.isDeleteMarker)"] } == [
                ["null", "true", "true"], [v1.record.versionIdText, "false", "false"],
            ])
            #expect(try await store.object(bucket: "bucket", key: "k") == nil)
            #expect(try await store.garbageBlobCount() == 0)
        }
    }

    /// Suspended, with no null version: a deletion only adds the null marker.
    @Test(arguments: Backend.allCases) func aSuspendedDeletionWithoutANullVersionRemovesNothing(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .enabled)
            let v1 = try await putVersion(store, key: "k", count: 2, date: at(0))
            try await setVersioning(store, .suspended)
            let deletion = try await deleteVersion(store, key: "k", date: at(1))
            #expect(deletion.marker?.isNullVersion == true && deletion.removed == nil)
            #expect(try await store.chunkCount() == 2)
            #expect(try await allVersions(store).map(\.versionId) == ["null", v1.record.versionIdText])

            // Enabled again: the null marker becomes noncurrent and stays findable as `null`.
            try await setVersioning(store, .enabled)
            let v3 = try await putVersion(store, key: "k", date: at(2))
            #expect(try await allVersions(store).map(\.versionId) == [v3.record.versionIdText, "null", v1.record.versionIdText])
            #expect(try await store.version(bucket: "bucket", key: "k", .null)?.isDeleteMarker == true)
            // ... and a suspended write replaces it, though it is not current.
            try await setVersioning(store, .suspended)
            let n = try await putVersion(store, key: "k", date: at(3))
            #expect(n.removed.map(\.isDeleteMarker) == [true])
            #expect(try await allVersions(store).map(\.versionId) == ["null", v3.record.versionIdText, v1.record.versionIdText])
        }
    }

    /// `null` names the null version for a deletion too, current or not.
    @Test(arguments: Backend.allCases) func deletingTheNullVersionById(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: nil)
            let original = try await putVersion(store, key: "k", byte: 0, count: 3, date: at(0))
            try await setVersioning(store, .enabled)
            let v1 = try await putVersion(store, key: "k", byte: 1, count: 1, date: at(1))
            #expect(try await deleteVersion(store, key: "k", .null) == ObjectDeletion(removed: original.record))
            #expect(try await store.version(bucket: "bucket", key: "k", .null) == nil)
            #expect(try await store.chunkCount() == 1)
            #expect(try await deleteVersion(store, key: "k", .null) == ObjectDeletion())
            #expect(try await allVersions(store).map(\.versionId) == [v1.record.versionIdText])
            // No index entry is left behind.
            #expect(try await store.metadata.get(KeyLayout.nullVersion(bucket: "bucket", key: "k")) == nil)
        }
    }

    /// A bucket never versioned behaves as before versioning existed; its objects are `null`
    /// versions to the version operations.
    @Test(arguments: Backend.allCases) func aBucketNeverVersionedOverwrites(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            let first = try await putVersion(store, key: "k", byte: 1, count: 2, date: at(0))
            let second = try await putVersion(store, key: "k", byte: 2, count: 1, date: at(1))
            #expect(second.replaced == first.record && second.removed == [first.record])
            #expect(second.record.versionId == nil && second.record.versionStamp == nil)
            #expect(try await store.chunkCount() == 1)
            #expect(try await allVersions(store) == [VersionRow(key: "k", versionId: "null", isLatest: true, isDeleteMarker: false, etag: "etag-2")])
            #expect(try await store.version(bucket: "bucket", key: "k", .null) == second.record)
            #expect(try await body(store, key: "k", .null) == chunks(1, of: 2))

            // A deletion without id removes the object and adds no marker.
            let deletion = try await deleteVersion(store, key: "k")
            #expect(deletion == ObjectDeletion(removed: second.record))
            #expect(try await allVersions(store).isEmpty)
            #expect(try await store.chunkCount() == 0)
            #expect(try await deleteVersion(store, key: "k") == ObjectDeletion())

            // By `null`, too; an id names nothing there.
            let third = try await putVersion(store, key: "k", date: at(2))
            #expect(try await deleteVersion(store, key: "k", .id(VersionID(stamp: third.record.stamp, nonce: Array(repeating: 1, count: 16)))) == ObjectDeletion())
            #expect(try await deleteVersion(store, key: "k", .null) == ObjectDeletion(removed: third.record))
            #expect(try await store.chunkCount() == 0)
        }
    }

    /// The short form of DeleteObject has no marker owner or time: refused in a versioned
    /// bucket, rather than deleting for good.
    @Test(arguments: Backend.allCases) func theUnversionedDeletionIsRefusedInAVersionedBucket(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .suspended)
            try await putVersion(store, key: "k")
            #expect(await errorCode { try await store.deleteObject(bucket: "bucket", key: "k") } == .invalidArgument)
            #expect(try await store.object(bucket: "bucket", key: "k") != nil)
        }
    }

    /// Each version owns its blobs, and a new version may not claim another version's blob.
    @Test(arguments: Backend.allCases) func aVersionCannotShareAnotherVersionsBlobs(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .enabled)
            let v1 = try await putVersion(store, key: "k", count: 2, date: at(0))
            var again = v1.record
            again.userMetadata = ["new": "metadata"]
            #expect(await errorCode { try await store.commitObject(again) } == .invalidRecord)
            #expect(await errorCode { try await store.commitObject(ObjectRecord.deleteMarker(bucket: "bucket", key: "k", owner: "o", date: at(1))) } == .invalidArgument)
            #expect(try await allVersions(store).count == 1)
        }
    }

    /// A note commits with a versioned write, and a deletion that finds nothing writes none.
    @Test(arguments: Backend.allCases) func notesRideOnVersionedCommits(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .enabled)
            let blob = try await writeBlob(store, chunks(1, of: 1))
            let putNote = CommitNote(id: "put", bytes: [1])
            try await store.commitObject(objectRecord(key: "k", segments: [blob]), note: putNote)
            let absent = try #require(VersionID("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
            #expect(try await deleteVersion(store, key: "k", .id(absent), note: CommitNote(id: "nothing", bytes: [2])) == ObjectDeletion())
            #expect(try await store.notes() == [putNote])
        }
    }

    /// If-None-Match and If-Match see the current object; a current delete marker is none.
    @Test(arguments: Backend.allCases) func preconditionsSeeTheCurrentObject(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .enabled)
            try await putObject(store, key: "k", etag: "one")
            #expect(await errorCode { try await putObject(store, key: "k", precondition: .absent) } == .preconditionFailed)
            try await putObject(store, key: "k", etag: "two", precondition: .etagMatches("one"))
            try await deleteVersion(store, key: "k")
            try await putObject(store, key: "k", etag: "three", precondition: .absent)
            #expect(try await allVersions(store).map(\.etag) == ["three", "", "two", "one"])
            #expect(try await store.pendingBlobCount() == 0)
        }
    }

    @Test(arguments: Backend.allCases) func multipartCompletionMakesAVersion(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .enabled)
            let v1 = try await putVersion(store, key: "big", count: 2, date: at(0))
            try await store.createUpload(UploadRecord(bucket: "bucket", key: "big", uploadId: "u1", initiated: fixedDate, owner: "alice"))
            var parts: [PartRecord] = []
            for number in 1...3 {
                let blob = try await writeBlob(store, chunks(number, of: UInt8(number)))
                let part = PartRecord(uploadId: "u1", number: number, size: blob.size, etag: "p\(number)", lastModified: fixedDate, blob: blob)
                try await store.commitPart(part)
                parts.append(part)
            }
            var object = objectRecord(key: "big", segments: [parts[0].blob, parts[1].blob])
            object.lastModified = at(1)
            let completed = try await store.completeUpload(uploadId: "u1", object: object, usedParts: [1, 2])
            #expect(completed.replaced == v1.record && completed.removed.isEmpty)
            #expect(completed.record.versionId != nil && completed.record.versionId != v1.record.versionId)
            #expect(try await store.chunkCount() == 2 + 1 + 2)  // v1, and parts 1 and 2; part 3 reclaimed
            #expect(try await allVersions(store).map(\.versionId) == [completed, v1].map(\.record.versionIdText))
            #expect(try await body(store, key: "big", selector(v1.record)) == chunks(2, of: 1))
        }
    }

    /// Tags belong to one version: a noncurrent version is tagged in place; a delete marker has
    /// none to set.
    @Test(arguments: Backend.allCases) func tagsBelongToOneVersion(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .enabled)
            let tags = [StoredTag(key: "project", value: "alpha")]
            let v1 = try await putVersion(store, key: "k", count: 2, date: at(0))
            let v2 = try await putVersion(store, key: "k", date: at(1))
            let tagged = try await store.replaceObjectTags(bucket: "bucket", key: "k", version: selector(v1.record), tags: tags)
            #expect(tagged.tags == tags && tagged.versionId == v1.record.versionId)
            #expect(try await store.version(bucket: "bucket", key: "k", selector(v1.record))?.tags == tags)
            #expect(try await store.object(bucket: "bucket", key: "k") == v2.record)
            #expect(try await body(store, key: "k", selector(v1.record)) == chunks(2, of: 1))
            #expect(try await allVersions(store).map(\.versionId) == [v2, v1].map(\.record.versionIdText))

            let marker = try #require(try await deleteVersion(store, key: "k", date: at(2)).marker)
            let note = CommitNote(id: "tagging", bytes: [1])
            #expect(await errorCode { _ = try await store.replaceObjectTags(bucket: "bucket", key: "k", tags: tags, note: note) } == .notFound)
            #expect(await errorCode { _ = try await store.replaceObjectTags(bucket: "bucket", key: "k", version: selector(marker), tags: tags, note: note) } == .deleteMarker)
            #expect(await errorCode { _ = try await store.replaceObjectTags(bucket: "bucket", key: "k", version: .null, tags: tags, note: note) } == .notFound)
            #expect(try await store.notes().isEmpty)
            // The current version after the marker goes is v2, untagged.
            try await deleteVersion(store, key: "k", selector(marker))
            #expect(try await store.replaceObjectTags(bucket: "bucket", key: "k", tags: tags).versionId == v2.record.versionId)
        }
    }
}
