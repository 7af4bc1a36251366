import CofferCrypto
import CofferKMS
import CofferMaintenance
import CofferStorage
import Foundation
import Testing

/// One test per kind of damage: the damage is done to the stored bytes of an otherwise clean
/// store, and fsck reports exactly that, naming what it concerns.
@Suite struct FsckDamageTests {
    /// A clean store with bucket `b`, and `objects` written into it.
    static func store(_ write: (FsckFixture) async throws -> Void = { _ in }) async throws -> FsckFixture {
        let fixture = try await FsckFixture()
        try await fixture.createBucket("b")
        try await write(fixture)
        try fixture.audit(2)
        return fixture
    }

    /// The findings of `report`, by kind.
    static func kinds(_ report: FsckReport) -> [String: Int] { report.findingCounts }

    @Test func aMissingChunk() async throws {
        var record: ObjectRecord?
        let fixture = try await Self.store { record = try await $0.put("b", "k", body(200_000)) }
        let blob = try #require(record).segments[0]
        try fixture.delete(.chunk(blob.id, index: 1))
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["chunkMissing": 1], "\(report.summary)")
        let finding = try #require(report.findings(.chunkMissing).first)
        #expect(finding.subject == .init(bucket: "b", key: "k", blob: blob.id.hex, chunk: 1))
        #expect(finding.message.hasSuffix("chunks are missing: 1"))
        #expect(report.counts.packagesOpened == 3)
    }

    @Test func gapsOfMissingChunks() async throws {
        var record: ObjectRecord?
        let fixture = try await Self.store { record = try await $0.put("b", "k", body(20 * 65_536 + 1)) }
        let blob = try #require(record).segments[0]
        for index in [0, 1, 5, 6, 7, 8, 20] { try fixture.delete(.chunk(blob.id, index: index)) }
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["chunkMissing": 1], "\(report.summary)")
        #expect(report.findings(.chunkMissing).first?.message == "7 of the blob's 21 chunks are missing: 0-1, 5-8, 20")
        #expect(report.counts.packagesOpened == 14)
    }

    @Test func aFlippedByteInAPackage() async throws {
        var record: ObjectRecord?
        let fixture = try await Self.store { record = try await $0.put("b", "k", body(200_000), .sseKMS(keyId: nil, bucketKey: true)) }
        try fixture.flipByte(of: try #require(record).segments[0], chunk: 2, at: 100)
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["packageDoesNotOpen": 1], "\(report.summary)")
        #expect(report.findings(.packageDoesNotOpen).first?.subject.chunk == 2)
    }

    @Test func anExtraChunk() async throws {
        var record: ObjectRecord?
        let fixture = try await Self.store { record = try await $0.put("b", "k", body(10)) }
        let blob = try #require(record).segments[0]
        try fixture.put(.chunk(blob.id, index: 1), try #require(try fixture.value(.chunk(blob.id, index: 0))))
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["chunkExtra": 1], "\(report.summary)")
        #expect(report.findings(.chunkExtra).first?.subject.chunk == 1)
    }

    @Test func aPackageOfTheWrongLength() async throws {
        var record: ObjectRecord?
        let fixture = try await Self.store { record = try await $0.put("b", "k", body(100), .sseC) }
        let blob = try #require(record).segments[0]
        try fixture.put(.chunk(blob.id, index: 0), try #require(try fixture.value(.chunk(blob.id, index: 0))).dropLast(3).map { $0 })
        let report = await fixture.check()
        // SSE-C: not opened, but the stored length gives the damage away.
        #expect(Self.kinds(report) == ["packageLength": 1], "\(report.summary)")
        #expect(report.notOpened.sseC == 1)
    }

    @Test func aRecordWhoseJSONIsBroken() async throws {
        let fixture = try await Self.store { try await $0.put("b", "fine", body(10)) }
        try fixture.put(.object(bucket: "b", key: "broken"), [2] + Array(#"{"bucket": "b", "key": "#.utf8))
        try fixture.put(.bucket("c"), [9] + Array("{}".utf8))
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["malformedRecord": 2], "\(report.summary)")
        #expect(report.findings(.malformedRecord).map(\.subject) == [.init(bucket: "c"), .init(bucket: "b", key: "broken")])
    }

    @Test func anOrphanBlobAndAPendingOne() async throws {
        let fixture = try await Self.store()
        let orphan = BlobID(bytes: [UInt8](repeating: 0x0A, count: 16))!
        let pending = BlobID(bytes: [UInt8](repeating: 0x0B, count: 16))!
        try await fixture.store!.blobs.write(orphan, packages: [[1, 2, 3], [4]], startingAt: 0, durability: .buffered)
        try await fixture.store!.blobs.write(pending, packages: [[1]], startingAt: 0, durability: .buffered)
        try fixture.put(.blobMarker(pending), [1])
        try fixture.stop() // as a crash leaves it: fsck collects nothing
        let report = try await fixture.checkOffline()
        #expect(Self.kinds(report) == ["orphanBlob": 1], "\(report.summary)")
        #expect(report.findings(.orphanBlob).first?.subject == .init(blob: orphan.hex))
        #expect(report.counts.pendingBlobs == 1)
        #expect(report.notices.contains { $0.kind == .pendingBlobs && $0.message.contains("will be collected at next start") })
    }

    @Test func aCommittedBlobWithAMarker() async throws {
        var record: ObjectRecord?
        let fixture = try await Self.store { record = try await $0.put("b", "k", body(10)) }
        try fixture.put(.blobMarker(try #require(record).segments[0].id), [2])
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["markedBlobInUse": 1], "\(report.summary)")
    }

    @Test func partsWithoutTheirUpload() async throws {
        var uploadId = ""
        let fixture = try await Self.store { uploadId = try await $0.multipart("b", "k", parts: [body(10), body(20)], complete: false) }
        try fixture.delete(.upload(bucket: "b", key: "k", uploadId: uploadId))
        try fixture.delete(.uploadIndex(uploadId: uploadId))
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["partWithoutUpload": 2], "\(report.summary)")
        #expect(report.findings(.partWithoutUpload).map(\.subject.part) == [1, 2])
    }

    @Test func anUploadIndexWithoutItsRecord() async throws {
        var uploadId = ""
        let fixture = try await Self.store { uploadId = try await $0.multipart("b", "k", parts: [], complete: false) }
        try fixture.delete(.upload(bucket: "b", key: "k", uploadId: uploadId))
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["uploadRecordMissing": 1], "\(report.summary)")
        #expect(report.findings(.uploadRecordMissing).first?.subject == .init(bucket: "b", key: "k", uploadId: uploadId))
    }

    @Test func anUploadWithoutItsIndex() async throws {
        var uploadId = ""
        let fixture = try await Self.store { uploadId = try await $0.multipart("b", "k", parts: [body(3)], complete: false) }
        try fixture.delete(.uploadIndex(uploadId: uploadId))
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["uploadIndexMissing": 1], "\(report.summary)")
    }

    @Test func anObjectWhoseBucketIsGone() async throws {
        let fixture = try await Self.store { try await $0.put("b", "k", body(10)) }
        try fixture.delete(.bucket("b"))
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["bucketMissing": 1], "\(report.summary)")
        #expect(report.findings(.bucketMissing).first?.subject == .init(bucket: "b", key: "k"))
    }

    @Test func aRecordStoredUnderAnotherKey() async throws {
        let fixture = try await Self.store { try await $0.put("b", "k", body(10)) }
        try fixture.put(.object(bucket: "b", key: "copy"), try #require(try fixture.value(.object(bucket: "b", key: "k"))))
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["recordKeyMismatch": 1, "blobReferencedTwice": 1], "\(report.summary)")
    }

    @Test func recordsWhoseSizesOrPartsDisagree() async throws {
        let fixture = try await Self.store {
            try await $0.put("b", "single", body(100))
            try await $0.multipart("b", "multi", parts: [body(70_000), body(5)])
        }
        var single = try #require(try await fixture.store!.object(bucket: "b", key: "single"))
        single.size += 1
        var multi = try #require(try await fixture.store!.object(bucket: "b", key: "multi"))
        multi.parts?[1].number = 3
        try fixture.put(.object(bucket: "b", key: "single"), try single.encoded())
        try fixture.put(.object(bucket: "b", key: "multi"), try multi.encoded())
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["sizeMismatch": 1, "sealHeaderInvalid": 1], "\(report.summary)")
        #expect(report.findings(.sizeMismatch).first?.subject.key == "single")
        #expect(report.findings(.sealHeaderInvalid).first?.message == "the blob's seal header binds part 2, its record makes it part 3")
    }

    @Test func keysNoRecordUses() async throws {
        let fixture = try await Self.store()
        try fixture.db.put([0x7A] + Array("stray".utf8), [1], sync: false)
        try fixture.db.put([UInt8(ascii: "c"), 1, 2, 3], [1], sync: false)
        try fixture.put(.meta("identity"), [1])
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["unknownKey": 2, "malformedKey": 1], "\(report.summary)")
    }

    @Test func dataKeysThatDoNotOpen() async throws {
        var s3: ObjectRecord?, kms: ObjectRecord?
        let fixture = try await Self.store {
            s3 = try await $0.put("b", "s3", body(10))
            kms = try await $0.put("b", "kms", body(10), .sseKMS(keyId: nil, bucketKey: false))
        }
        guard var s3 = s3, var kms = kms, case .sseS3(var sealed) = s3.encryption, case .sseKMS(var wrapped) = kms.encryption else {
            Issue.record("unexpected encryption")
            return
        }
        sealed.sealedKey[20] ^= 1
        s3.encryption = .sseS3(sealed)
        wrapped.context["aws:s3:arn"] = "arn:aws:s3:::b/elsewhere"
        kms.encryption = .sseKMS(wrapped)
        try fixture.put(.object(bucket: "b", key: "s3"), try s3.encoded())
        try fixture.put(.object(bucket: "b", key: "kms"), try kms.encoded())
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["dataKeyDoesNotOpen": 2], "\(report.summary)")
        #expect(report.findings(.dataKeyDoesNotOpen).map(\.subject.key) == ["kms", "s3"])
    }

    @Test func aKMSKeyWhoseMaterialDoesNotOpen() async throws {
        let fixture = try await Self.store()
        // A key sealed under a root key the data directory does not hold (same version number).
        let foreign = try RootKeyring(keys: [1: SecretBytes.random(count: 32)], currentVersion: 1)
        let key = try BuiltInKeyService(db: fixture.db, keyring: foreign, options: .init(region: FsckFixture.region, accountId: FsckFixture.account))
            .createKey(description: "foreign").KeyId
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["kmsMaterialDoesNotOpen": 1], "\(report.summary)")
        #expect(report.findings(.kmsMaterialDoesNotOpen).first?.subject == .init(kmsKeyId: key))
    }

    @Test func aKMSKeySealedUnderAMissingRootKeyVersion() async throws {
        let fixture = try await Self.store()
        let newer = try RootKeyring(keys: [7: SecretBytes.random(count: 32)], currentVersion: 7)
        _ = try BuiltInKeyService(db: fixture.db, keyring: newer, options: .init(region: FsckFixture.region, accountId: FsckFixture.account))
            .createKey(description: "newer")
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["rootKeyVersionMissing": 1], "\(report.summary)")
    }

    @Test func anAliasToAMissingKey() async throws {
        let fixture = try await Self.store()
        let key = try fixture.createKMSKey()
        try fixture.createAlias("alias/gone", to: key)
        try fixture.delete(.kmsKey(key))
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["aliasTargetMissing": 1], "\(report.summary)")
        #expect(report.findings(.aliasTargetMissing).first?.subject == .init(kmsKeyId: key, alias: "alias/gone"))
    }

    @Test func anSSEKMSObjectWhoseKeyIsGoneOrRemote() async throws {
        var key = ""
        let fixture = try await Self.store {
            key = try $0.createKMSKey()
            try await $0.put("b", "k", body(10), .sseKMS(keyId: key, bucketKey: false))
        }
        try fixture.delete(.kmsKey(key))
        let report = await fixture.check()
        #expect(Self.kinds(report) == ["kmsKeyMissing": 1], "\(report.summary)")
        var options = FsckOptions()
        options.remoteKeyService = true
        let remote = await fixture.check(options: options)
        #expect(remote.isClean, "\(remote.summary)")
        #expect(remote.notOpened.remoteKMS == 1)
    }

    @Test func anAlteredAuditLine() async throws {
        let fixture = try await Self.store { try await $0.put("b", "k", body(10)) }
        try fixture.stop()
        let audit = (fixture.directory as NSString).appendingPathComponent("audit")
        let log = try #require(try FileManager.default.contentsOfDirectory(atPath: audit).sorted().first { $0.hasSuffix(".jsonl") })
        let path = (audit as NSString).appendingPathComponent(log)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "\"k0\"", with: "\"k9\"").write(toFile: path, atomically: false, encoding: .utf8)
        let report = try await fixture.checkOffline()
        #expect(Self.kinds(report) == ["auditTrail": 1], "\(report.summary)")
        #expect(report.findings(.auditTrail).first?.subject.file == "audit/\(log)")
    }

    @Test func missingRootKeys() async throws {
        let fixture = try await Self.store { try await $0.put("b", "k", body(10)) }
        try fixture.stop()
        try FileManager.default.removeItem(atPath: (fixture.directory as NSString).appendingPathComponent("keys/sse-s3-root-keys.json"))
        let report = try await fixture.checkOffline()
        #expect(Self.kinds(report) == ["rootKeysUnavailable": 1], "\(report.summary)")
        #expect(report.notOpened.noRootKeys == 1)
        #expect(!FileManager.default.fileExists(atPath: (fixture.directory as NSString).appendingPathComponent("keys/sse-s3-root-keys.json")))
    }

    @Test func theOperatorsRootKeyIsUsedInsteadOfTheFile() async throws {
        let fixture = try await Self.store { try await $0.put("b", "k", body(10)) }
        try fixture.stop()
        let other = try await fixture.checkOffline(operatorRootKey: Base64.encode([UInt8](repeating: 7, count: 32)))
        #expect(Self.kinds(other) == ["dataKeyDoesNotOpen": 1], "\(other.summary)")
        let invalid = try await fixture.checkOffline(operatorRootKey: "not base64")
        #expect(Self.kinds(invalid) == ["rootKeysUnavailable": 1], "\(invalid.summary)")
    }

    @Test func noDataDirectoryIsNoCheck() async throws {
        await #expect(throws: FsckError.self) {
            try await Fsck.run(dataDirectory: "/nonexistent/coffer-fsck", operatorRootKey: nil)
        }
    }
}
