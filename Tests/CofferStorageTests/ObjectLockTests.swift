@testable import CofferStorage
import CofferStorageConformance
import Foundation
import Testing

/// Object Lock on the store (`ObjectStore+ObjectLock.swift`, the checks in `+Deletion` and
/// `+Versions`): the bucket configuration, lock state carried by writes and changed in place,
/// and versions that nothing removes while they are protected. Time comes from the dates
/// passed in.
@Suite struct ObjectLockTests {
    /// Creates `name` with Object Lock (and so versioning enabled).
    static func makeLockBucket(_ store: ObjectStore, _ name: String = "bucket") async throws {
        try await store.createBucket(BucketRecord(
            name: name, owner: "alice", region: "us-east-1", createdAt: fixedDate, versioning: .enabled, objectLockEnabled: true))
    }

    /// Puts a version of `key` at `date` carrying `retention` and `legalHold`.
    @discardableResult
    static func putLocked(_ store: ObjectStore, bucket: String = "bucket", key: String = "k", retention: ObjectRetention?,
                          legalHold: LegalHold? = nil, date: Date = at(0)) async throws -> ObjectRecord {
        let blob = try await writeBlob(store, chunks(1, of: 9))
        var record = objectRecord(bucket: bucket, key: key, segments: [blob])
        record.lastModified = date
        record.retention = retention
        record.legalHold = legalHold
        do {
            return try await store.commitObject(record).record
        } catch {
            try await store.discard([blob.id])
            throw error
        }
    }

    /// What a deletion threw: its code and protection, or nil when it did not throw.
    static func refusal(_ body: () async throws -> Void) async -> (StorageError.Code, ObjectLockProtection?)? {
        do {
            try await body()
            return nil
        } catch let error as StorageError {
            return (error.code, error.protection)
        } catch {
            return nil
        }
    }

    static func governance(_ offset: Int64) -> ObjectRetention { ObjectRetention(mode: .governance, retainUntil: at(offset)) }
    static func compliance(_ offset: Int64) -> ObjectRetention { ObjectRetention(mode: .compliance, retainUntil: at(offset)) }

    @Test(arguments: Backend.allCases) func aLockConfigurationOnlyOnALockBucket(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, "plain", versioning: .enabled)
            try await Self.makeLockBucket(store, "locked")
            let rule = DefaultRetention(mode: .governance, period: .days(10))
            #expect(await errorCode { try await store.updateBucket(named: "plain") { $0.defaultRetention = rule } } == .invalidBucketState)
            #expect(try await store.bucket(named: "plain")?.defaultRetention == nil)

            let updated = try await store.updateBucket(named: "locked") { $0.defaultRetention = rule }
            #expect(updated.defaultRetention == rule)
            #expect(try await store.bucket(named: "locked")?.defaultRetention == rule)
            #expect(await errorCode { try await store.updateBucket(named: "locked") { $0.defaultRetention = DefaultRetention(mode: .compliance, period: .days(0)) } } == .invalidArgument)
            // ObjectLockEnabled without a rule: the default goes.
            try await store.updateBucket(named: "locked") { $0.defaultRetention = nil }
            #expect(try await store.bucket(named: "locked")?.defaultRetention == nil)
            // Object Lock itself is set at creation only.
            #expect(await errorCode { try await store.updateBucket(named: "plain") { $0.objectLockEnabled = true } } == .invalidArgument)
            #expect(await errorCode {
                try await store.createBucket(BucketRecord(name: "bad", owner: "alice", region: "us-east-1", createdAt: fixedDate, defaultRetention: rule))
            } == .invalidBucketState)
        }
    }

    @Test(arguments: Backend.allCases) func versioningOfALockBucketCannotBeSuspended(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await Self.makeLockBucket(store)
            #expect(await errorCode { try await setVersioning(store, .suspended) } == .invalidBucketState)
            #expect(try await store.bucket(named: "bucket")?.versioning == .enabled)
            // Another bucket suspends as before.
            try await makeBucket(store, "plain", versioning: .enabled)
            try await setVersioning(store, .suspended, bucket: "plain")
        }
    }

    @Test(arguments: Backend.allCases) func writesCarryLockStateOnlyIntoALockBucket(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, "plain", versioning: .enabled)
            try await Self.makeLockBucket(store)
            for (retention, hold) in [(Self.governance(100), nil), (nil, LegalHold.on), (nil, LegalHold.off)] {
                #expect(await errorCode { try await Self.putLocked(store, bucket: "plain", retention: retention, legalHold: hold) } == .invalidArgument)
            }
            #expect(try await allVersions(store, bucket: "plain").isEmpty)
            #expect(try await store.pendingBlobCount() == 0)

            let record = try await Self.putLocked(store, retention: Self.compliance(100), legalHold: .on)
            #expect(record.retention == Self.compliance(100) && record.legalHold == .on)
            #expect(try await store.version(bucket: "bucket", key: "k", selector(record)) == record)
        }
    }

    @Test(arguments: Backend.allCases, RetentionMode.allCases) func deletionAcrossTheRetainUntilBoundary(_ backend: Backend, _ mode: RetentionMode) async throws {
        try await withStore(backend) { store, _ in
            try await Self.makeLockBucket(store)
            let retention = ObjectRetention(mode: mode, retainUntil: at(1000))
            let v1 = try await Self.putLocked(store, retention: retention, date: at(0))
            let v2 = try await Self.putLocked(store, retention: retention, date: at(1))
            let note = CommitNote(id: "refused", bytes: Array("DeleteObject".utf8))
            // Current and noncurrent alike, until the millisecond before retain-until.
            for version in [v1, v2] {
                for date in [at(2), at(999)] {
                    let refused = await Self.refusal { try await deleteVersion(store, key: "k", selector(version), date: date, note: note) }
                    #expect(refused?.0 == .objectLocked && refused?.1 == .retention(retention))
                }
            }
            #expect(try await store.notes().isEmpty, "a refused deletion writes nothing")
            // A deletion without a version id adds a delete marker: allowed, the versions stay.
            let marker = try #require(try await deleteVersion(store, key: "k", date: at(3)).marker)
            #expect(try await allVersions(store).count == 3)
            // From retain-until on, nothing protects them.
            #expect(try await deleteVersion(store, key: "k", selector(v1), date: at(1000)).removed == v1)
            #expect(try await deleteVersion(store, key: "k", selector(v2), date: at(1001)).removed == v2)
            #expect(try await deleteVersion(store, key: "k", selector(marker), date: at(1001)).removed == marker)
            #expect(try await allVersions(store).isEmpty)
            #expect(try await store.garbageBlobCount() == 0)
            #expect(try await store.chunkCount() == 0)
        }
    }

    @Test(arguments: Backend.allCases) func theBypassLiftsGovernanceOnly(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await Self.makeLockBucket(store)
            let g = try await Self.putLocked(store, key: "g", retention: Self.governance(1000))
            let c = try await Self.putLocked(store, key: "c", retention: Self.compliance(1000))
            func delete(_ record: ObjectRecord, bypass: Bool) async throws -> ObjectDeletion {
                try await store.deleteObject(ObjectDeletionRequest(
                    bucket: "bucket", key: record.key, version: selector(record), owner: "alice", date: at(10), bypassGovernanceRetention: bypass))
            }
            #expect(await errorCode { _ = try await delete(g, bypass: false) } == .objectLocked)
            #expect(await errorCode { _ = try await delete(c, bypass: true) } == .objectLocked)
            #expect(try await delete(g, bypass: true).removed == g)
            #expect(try await store.version(bucket: "bucket", key: "c", selector(c)) == c)
        }
    }

    @Test(arguments: Backend.allCases) func aLegalHoldProtectsUntilItIsOff(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await Self.makeLockBucket(store)
            let v1 = try await Self.putLocked(store, retention: nil)
            let note = CommitNote(id: "hold-on", bytes: Array("PutObjectLegalHold".utf8))
            let on = try await store.putLegalHold(bucket: "bucket", key: "k", version: selector(v1), on: true, note: note)
            #expect(on.before == v1)
            var held = v1
            held.legalHold = .on
            #expect(on.after == held)
            #expect(try await store.notes() == [note])
            #expect(try await store.version(bucket: "bucket", key: "k", .current) == held)

            let request = ObjectDeletionRequest(bucket: "bucket", key: "k", version: selector(v1), owner: "alice", date: at(5), bypassGovernanceRetention: true)
            let refused = await Self.refusal { _ = try await store.deleteObject(request) }
            #expect(refused?.0 == .objectLocked && refused?.1 == .legalHold)

            // Off: stored as OFF, and the version can go.
            let off = try await store.putLegalHold(bucket: "bucket", key: "k", on: false)
            #expect(off.before == held && off.after.legalHold == .off)
            #expect(try await store.deleteObject(request).removed == off.after)
        }
    }

    @Test(arguments: Backend.allCases) func retentionChangesFollowTheRules(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await Self.makeLockBucket(store)
            let v1 = try await Self.putLocked(store, retention: Self.governance(1000))
            let v2 = try await Self.putLocked(store, retention: nil, date: at(1))
            func put(_ retention: ObjectRetention?, _ version: ObjectRecord = v1, bypass: Bool = false, now: Int64 = 10) async throws -> VersionChange {
                try await store.putRetention(bucket: "bucket", key: "k", version: selector(version), retention: retention, bypassGovernance: bypass, now: at(now))
            }
            // A noncurrent version, changed where it is.
            let longer = try await put(Self.governance(2000))
            #expect(longer.before == v1 && longer.after.retention == Self.governance(2000))
            #expect(try await store.version(bucket: "bucket", key: "k", .current) == v2)
            #expect(await errorCode { _ = try await put(Self.governance(1500)) } == .objectLocked)
            #expect(await errorCode { _ = try await put(nil) } == .objectLocked)
            #expect(try await put(Self.governance(1500), bypass: true).after.retention == Self.governance(1500))
            #expect(try await put(Self.compliance(1500)).after.retention == Self.compliance(1500))
            // COMPLIANCE now: no way back, bypass or not.
            for (retention, bypass) in [(Self.governance(5000), true), (nil, true), (Self.compliance(1499), true)] {
                let refused = await Self.refusal { _ = try await put(retention, bypass: bypass) }
                #expect(refused?.0 == .objectLocked && refused?.1 == .retention(Self.compliance(1500)))
            }
            #expect(await errorCode { _ = try await put(Self.compliance(10)) } == .invalidArgument, "retain-until must be in the future")
            // Once expired, it may go.
            #expect(try await put(nil, now: 1500).after.retention == nil)
            #expect(try await put(Self.governance(20), v2).after.retention == Self.governance(20))
            #expect(try await store.version(bucket: "bucket", key: "k", selector(v1))?.retention == nil)
            #expect(try await store.chunkCount() == 2)
            #expect(try await store.garbageBlobCount() == 0)
        }
    }

    @Test(arguments: Backend.allCases) func lockChangesRefusedWhereTheyCannotApply(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, "plain", versioning: .enabled)
            try await Self.makeLockBucket(store)
            try await putVersion(store, bucket: "plain", key: "k")
            let note = CommitNote(id: "never", bytes: Array("x".utf8))
            #expect(await errorCode { _ = try await store.putRetention(bucket: "plain", key: "k", retention: Self.governance(50), now: at(0), note: note) } == .objectLockNotEnabled)
            #expect(await errorCode { _ = try await store.putLegalHold(bucket: "plain", key: "k", on: true, note: note) } == .objectLockNotEnabled)
            #expect(await errorCode { _ = try await store.putLegalHold(bucket: "gone", key: "k", on: true) } == .noSuchBucket)

            try await Self.makeLockBucket(store, "locked")
            let marker = try #require(try await deleteVersion(store, bucket: "locked", key: "k", date: at(1)).marker)
            #expect(await errorCode { _ = try await store.putLegalHold(bucket: "locked", key: "k", version: selector(marker), on: true, note: note) } == .deleteMarker)
            #expect(await errorCode { _ = try await store.putRetention(bucket: "locked", key: "k", version: selector(marker), retention: Self.governance(50), now: at(0), note: note) } == .deleteMarker)
            #expect(await errorCode { _ = try await store.putLegalHold(bucket: "locked", key: "k", on: true, note: note) } == .notFound)
            #expect(await errorCode { _ = try await store.putLegalHold(bucket: "locked", key: "absent", on: true, note: note) } == .notFound)
            #expect(try await store.notes().isEmpty)
        }
    }

    /// The placement defence: a write that would remove a protected version is refused, even
    /// where S3's rules never ask for one (a suspended null replacement, an overwrite in a
    /// bucket never versioned). Such stores are made by hand: no lock bucket gets there.
    @Test func noPlacementRemovesAProtectedVersion() async throws {
        let store = try await ObjectStore(metadata: MemoryMetadataStore(), blobs: MemoryBlobStore())
        try await Self.makeLockBucket(store)
        let locked = try await Self.putLocked(store, retention: Self.compliance(1000), legalHold: .on)
        // Rewrite the bucket record as if it had been suspended (bypassing the update's rules).
        var record = try #require(try await store.bucket(named: "bucket"))
        record.versioning = .suspended
        var batch = MetadataBatch()
        batch.put(KeyLayout.bucket("bucket"), try record.encoded())
        try await store.metadata.commit(batch, durability: .synced)
        // The current version is an id version, so it moves to `v`: allowed. A null version
        // written now, then locked by hand, is what a later write would replace.
        let null = try await putVersion(store, key: "k", date: at(1)).record
        #expect(null.isNullVersion)
        var heldNull = null
        heldNull.legalHold = .on
        var hold = MetadataBatch()
        hold.put(KeyLayout.object(bucket: "bucket", key: "k"), try heldNull.encoded())
        try await store.metadata.commit(hold, durability: .synced)
        #expect(await errorCode { try await putVersion(store, key: "k", date: at(2)) } == .objectLocked)
        #expect(await errorCode { try await deleteVersion(store, key: "k", date: at(2)) } == .objectLocked)
        #expect(try await store.version(bucket: "bucket", key: "k", .current) == heldNull)
        #expect(try await store.version(bucket: "bucket", key: "k", selector(locked)) == locked)
        #expect(try await store.pendingBlobCount() == 0)
    }

    /// A retention committed between a deletion's read and its commit (a writer elsewhere):
    /// the deletion's commit fails its condition, reads again, and refuses.
    @Test(arguments: [false, true]) func aRetentionSetMeanwhileIsNeverRacedPast(_ noncurrent: Bool) async throws {
        let metadata = InterferingMetadataStore(base: MemoryMetadataStore())
        let store = try await ObjectStore(metadata: metadata, blobs: MemoryBlobStore())
        try await Self.makeLockBucket(store)
        let v1 = try await Self.putLocked(store, retention: nil, date: at(0))
        if noncurrent { try await Self.putLocked(store, retention: nil, date: at(1)) }
        let where_ = noncurrent ? KeyLayout.version(bucket: "bucket", key: "k", stamp: v1.stamp) : KeyLayout.object(bucket: "bucket", key: "k")
        var locked = v1
        locked.retention = Self.compliance(1000)
        metadata.interfere(onCommitTo: where_, put: try locked.encoded())
        let refused = await Self.refusal { try await deleteVersion(store, key: "k", selector(v1), date: at(5)) }
        #expect(metadata.interfered)
        #expect(refused?.0 == .objectLocked && refused?.1 == .retention(Self.compliance(1000)))
        #expect(try await store.version(bucket: "bucket", key: "k", selector(v1)) == locked)
    }

    /// Retention extended against a deletion by id, on two nodes (two stores over the same
    /// metadata, racing through the commit conditions), many rounds: either the retention
    /// committed first and the deletion was refused, or the deletion removed the version and
    /// the retention found nothing. Never both, never neither.
    @Test(arguments: Backend.allCases) func retentionRacingDeletion(_ backend: Backend) async throws {
        try await withStore(backend) { first, _ in
            try await Self.makeLockBucket(first)
            let second = try await ObjectStore(metadata: first.metadata, blobs: first.blobs)
            var outcomes = (locked: 0, deleted: 0)
            for round in 0..<40 {
                let key = "k\(round)"
                let version = try await Self.putLocked(first, key: key, retention: Self.governance(100))
                let longer = Self.compliance(10_000)
                async let retention: StorageError.Code? = errorCode {
                    _ = try await (round % 2 == 0 ? first : second).putRetention(bucket: "bucket", key: key, version: selector(version), retention: longer, now: at(50))
                }
                async let deletion: (StorageError.Code, ObjectLockProtection?)? = Self.refusal {
                    _ = try await (round % 2 == 0 ? second : first).deleteObject(ObjectDeletionRequest(
                        bucket: "bucket", key: key, version: selector(version), owner: "alice", date: at(60), bypassGovernanceRetention: true))
                }
                let (retentionError, deletionError) = await (retention, deletion)
                let stored = try await first.version(bucket: "bucket", key: key, selector(version))
                if retentionError == nil {
                    #expect(deletionError?.0 == .objectLocked && deletionError?.1 == .retention(longer), "round \(round)")
                    #expect(stored?.retention == longer)
                    outcomes.locked += 1
                } else {
                    #expect(retentionError == .notFound && deletionError == nil, "round \(round)")
                    #expect(stored == nil)
                    outcomes.deleted += 1
                }
            }
            #expect(outcomes.locked + outcomes.deleted == 40)
        }
    }

    /// A record without lock fields is the bytes it was before Object Lock existed, and lock
    /// changes of one version leave every other record as it was, byte for byte.
    @Test(arguments: Backend.allCases) func recordsWithoutLockFieldsAreUnchanged(_ backend: Backend) async throws {
        // Written by the build before Object Lock (the document of ``objectRecord``'s record).
        let before = #"{"bucket":"bucket","contentHeaders":{},"etag":"etag","key":"k","lastModified":1700000000123,"owner":"alice","segments":[],"size":0,"storageClass":"STANDARD","userMetadata":{}}"#
        let plain = objectRecord(key: "k", segments: [])
        #expect(try plain.encoded() == [ObjectRecord.recordVersion] + Array(before.utf8))
        #expect(try ObjectRecord(encoded: [ObjectRecord.recordVersion] + Array(before.utf8)) == plain)
        var locked = plain
        locked.retention = Self.governance(7)
        locked.legalHold = .off
        let json = String(decoding: try locked.encodedJSON(), as: UTF8.self)
        #expect(json.contains(#""lastModified":1700000000123,"legalHold":"OFF","owner""#))
        #expect(json.contains(#""retention":{"mode":"GOVERNANCE","retainUntil":1700000000130},"segments""#))
        #expect(try ObjectRecord(encoded: try locked.encoded()) == locked)

        try await withStore(backend) { store, _ in
            try await Self.makeLockBucket(store)
            let v1 = try await Self.putLocked(store, retention: nil)
            let v2 = try await Self.putLocked(store, retention: nil, date: at(1))
            let v1Key = KeyLayout.version(bucket: "bucket", key: "k", stamp: v1.stamp)
            let v1Bytes = try #require(try await store.metadata.get(v1Key))
            #expect(!String(decoding: v1Bytes, as: UTF8.self).contains("retention"))
            #expect(!String(decoding: v1Bytes, as: UTF8.self).contains("legalHold"))
            try await store.putLegalHold(bucket: "bucket", key: "k", on: true)
            try await store.putRetention(bucket: "bucket", key: "k", retention: Self.governance(100), now: at(2))
            #expect(try await store.metadata.get(v1Key) == v1Bytes)
            var expected = v2
            expected.legalHold = .on
            expected.retention = Self.governance(100)
            #expect(try await store.object(bucket: "bucket", key: "k") == expected)
        }
    }
}
