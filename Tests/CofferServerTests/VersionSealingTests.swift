import CofferCrypto
@testable import CofferS3
import CofferStorage
import Foundation
import HTTPTypes
import Testing

/// Every version is sealed on its own (docs/sealed-object-format.md, "Version 2"): each write
/// draws its nonce before sealing, its packages bind it, and in a versioning-enabled bucket the
/// store makes it the random part of the version id. A version's record given another
/// version's data is a damaged object, never the other version's bytes.
@Suite struct VersionSealingTests {
    /// Creates `bucket` with versioning enabled (set in the store: the S3 handler is not this
    /// suite's subject).
    static func versionedBucket(_ s3: S3TestClient, _ bucket: String) async throws {
        try await s3.createBucket(bucket).expect(.ok)
        _ = try await s3.harness.parts.store.updateBucket(named: bucket) { $0.versioning = .enabled }
    }

    static func current(_ s3: S3TestClient, _ bucket: String, _ key: String) async throws -> ObjectRecord {
        try #require(try await s3.harness.parts.store.object(bucket: bucket, key: key))
    }

    @Test func everyWriteBindsItsNonceAndTheIdCarriesIt() async throws {
        try await Harness.run { s3 in
            try await Self.versionedBucket(s3, "versioned")
            try await s3.putObject("versioned", "put", "first")
            let put = try await Self.current(s3, "versioned", "put")
            try await s3.send(.put, "/versioned/copy", headers: [("x-amz-copy-source", "/versioned/put")]).expect(.ok)
            let copy = try await Self.current(s3, "versioned", "copy")
            let uploadId = try await s3.createUpload("versioned", "mp")
            let etag = try await s3.uploadPart("versioned", "mp", uploadId: uploadId, number: 1, "part one")
            let complete = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(etag)</ETag></Part></CompleteMultipartUpload>"
            try await s3.send(.post, "/versioned/mp", query: "uploadId=\(uploadId)", body: Array(complete.utf8)).expect(.ok)
            let completed = try await Self.current(s3, "versioned", "mp")
            var nonces: Set<VersionNonce> = []
            for record in [put, copy, completed] {
                let nonce = try #require(record.versionNonce)
                #expect(record.versionId?.versionNonce == nonce)
                #expect(try record.boundVersionNonce() == nonce)
                #expect(record.segments.allSatisfy { BlobSeal(blob: $0)?.version == .v2 })
                nonces.insert(nonce)
            }
            #expect(nonces.count == 3)
            #expect(try await s3.send(.get, "/versioned/mp").expect(.ok).text == "part one")
            #expect(try await s3.send(.get, "/versioned/copy").expect(.ok).text == "first")
        }
    }

    @Test func nullVersionsKeepTheirNonce() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("plain").expect(.ok)
            try await s3.putObject("plain", "k", "unversioned")
            let record = try await Self.current(s3, "plain", "k")
            #expect(record.versionId == nil && record.versionNonce != nil)
            #expect(try await s3.send(.get, "/plain/k").expect(.ok).text == "unversioned")
        }
    }

    /// Version B's record given version A's `encryption` and `segments` (both versions of one
    /// key, so the data key opens): reading B is a 500, never A's bytes. With A's nonce copied
    /// along too, B's version id still names B's nonce: also a 500.
    @Test func aVersionGivenAnotherVersionsDataIsDamaged() async throws {
        try await Harness.run { s3 in
            try await Self.versionedBucket(s3, "versioned")
            try await s3.putObject("versioned", "k", "version A: the secret")
            let a = try await Self.current(s3, "versioned", "k")
            try await s3.putObject("versioned", "k", "version B")
            let b = try await Self.current(s3, "versioned", "k")
            #expect(a.versionId != b.versionId)
            let store = s3.harness.parts.store
            let objectKey = [UInt8(ascii: "o")] + Array("versioned".utf8) + [0] + Array("k".utf8)

            var swapped = b
            swapped.encryption = a.encryption
            swapped.segments = a.segments
            swapped.size = a.size
            try #require(store.db).put(objectKey, try swapped.encoded(), sync: true)
            let reply = try await s3.send(.get, "/versioned/k").expect(.internalServerError)
            #expect(reply.code == "InternalError" && !reply.text.contains("secret"))

            swapped.versionNonce = a.versionNonce
            try #require(store.db).put(objectKey, try swapped.encoded(), sync: true)
            let copiedNonce = try await s3.send(.get, "/versioned/k").expect(.internalServerError)
            #expect(copiedNonce.code == "InternalError" && !copiedNonce.text.contains("secret"))

            // Without its nonce, B's format 2 blob is refused as well.
            var withoutNonce = b
            withoutNonce.versionNonce = nil
            try #require(store.db).put(objectKey, try withoutNonce.encoded(), sync: true)
            #expect(try await s3.send(.get, "/versioned/k").expect(.internalServerError).code == "InternalError")

            // B's own record reads again.
            try #require(store.db).put(objectKey, try b.encoded(), sync: true)
            #expect(try await s3.send(.get, "/versioned/k").expect(.ok).text == "version B")
        }
    }
}
