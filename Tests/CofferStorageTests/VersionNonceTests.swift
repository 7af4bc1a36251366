@testable import CofferStorage
import CofferStorageConformance
import Foundation
import Testing

/// The version nonce (`ObjectRecord.versionNonce`, docs/storage-layout.md, "Versions"): the S3
/// layer draws it before sealing, the store makes it the random part of the version id in an
/// enabled bucket, keeps it on null versions and through re-sealing, and a completion must
/// carry its upload's.
@Suite struct VersionNonceTests {
    static func put(_ store: ObjectStore, key: String = "k", nonce: VersionNonce?, date: Date) async throws -> ObjectRecord {
        let blob = try await writeBlob(store, chunks(1, of: 1))
        var record = objectRecord(key: key, segments: [blob])
        record.versionNonce = nonce
        record.lastModified = date
        return try await store.commitObject(record).record
    }

    @Test(arguments: Backend.allCases) func theStoreMakesTheNonceTheIdsRandomPart(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .enabled)
            let nonce = VersionNonce.random()
            let enabled = try await Self.put(store, nonce: nonce, date: at(0))
            #expect(enabled.versionId?.versionNonce == nonce && enabled.versionNonce == nonce)
            #expect(try enabled.boundVersionNonce() == nonce)
            // A record without a nonce (a caller that seals nothing) still gets a random id.
            let unsealed = try await Self.put(store, nonce: nil, date: at(1))
            #expect(unsealed.versionId != nil && unsealed.versionNonce == nil)
            #expect(try await store.version(bucket: "bucket", key: "k", .id(enabled.versionId!))?.versionNonce == nonce)
            // Null versions keep their nonce; they have no id.
            try await setVersioning(store, .suspended)
            let null = try await Self.put(store, nonce: nonce, date: at(2))
            #expect(null.versionId == nil && null.versionNonce == nonce)
            // Re-sealing data keys (`coffer keys rotate`) keeps every nonce.
            let sealed = ObjectEncryption.sseS3(.init(rootKeyVersion: 2, sealedKey: Array(repeating: 7, count: 60)))
            try await store.rewriteEncryption { _, _, _ in sealed }
            #expect(try await store.version(bucket: "bucket", key: "k", .id(enabled.versionId!))?.versionNonce == nonce)
            #expect(try await store.version(bucket: "bucket", key: "k", .null)?.versionNonce == nonce)
        }
    }

    @Test func aNonceThatIsNotTheIdsIsRefused() throws {
        var record = objectRecord(key: "k", segments: [])
        let stamp = VersionStamp(date: at(0))
        record.versionNonce = .random()
        record.versionId = VersionID(stamp: stamp, nonce: VersionNonce.random())
        #expect(throws: StorageError.self) { try record.boundVersionNonce() }
        record.versionId = VersionID(stamp: stamp, nonce: record.versionNonce!)
        #expect(try record.boundVersionNonce() == record.versionNonce)
    }

    /// Records without a nonce are the bytes they were; with one, `versionNonce` is standard
    /// base64 of 16 bytes, and anything else does not decode.
    @Test func recordsWithoutANonceAreUnchanged() throws {
        let record = objectRecord(key: "k", segments: [])
        #expect(!String(decoding: try record.encoded(), as: UTF8.self).contains("versionNonce"))
        var upload = UploadRecord(bucket: "bucket", key: "k", uploadId: "u", initiated: at(0), owner: "o")
        #expect(!String(decoding: try upload.encoded(), as: UTF8.self).contains("versionNonce"))
        let nonce = VersionNonce(bytes: Array(0..<16))!
        upload.versionNonce = nonce
        #expect(String(decoding: try upload.encoded(), as: UTF8.self).contains(#""versionNonce":"AAECAwQFBgcICQoLDA0ODw==""#))
        #expect(try UploadRecord(encoded: try upload.encoded()) == upload)
        var withNonce = record
        withNonce.versionNonce = nonce
        let text = String(decoding: try withNonce.encoded(), as: UTF8.self)
        #expect(text.contains(#""versionNonce":"AAECAwQFBgcICQoLDA0ODw==""#))
        #expect(try ObjectRecord(encoded: try withNonce.encoded()) == withNonce)
        let short = text.replacingOccurrences(of: "AAECAwQFBgcICQoLDA0ODw==", with: "AAECAwQFBgcICQoLDA0O")
        #expect(throws: StorageError.self) { try ObjectRecord(encoded: Array(short.utf8)) }
    }

    @Test(arguments: Backend.allCases) func aCompletionCarriesItsUploadsNonce(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, versioning: .enabled)
            let nonce = VersionNonce.random()
            try await store.createUpload(UploadRecord(bucket: "bucket", key: "k", uploadId: "u1", initiated: at(0), owner: "o", versionNonce: nonce))
            let blob = try await writeBlob(store, chunks(1, of: 2))
            try await store.commitPart(PartRecord(uploadId: "u1", number: 1, size: blob.size, etag: "p", lastModified: at(0), blob: blob))
            var object = objectRecord(key: "k", segments: [blob])
            object.versionNonce = .random()
            #expect(await errorCode { try await store.completeUpload(uploadId: "u1", object: object, usedParts: [1]) } == .invalidArgument)
            object.versionNonce = nonce
            let completed = try await store.completeUpload(uploadId: "u1", object: object, usedParts: [1]).record
            #expect(completed.versionId?.versionNonce == nonce)
        }
    }
}
