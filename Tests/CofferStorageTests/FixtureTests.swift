import CofferCrypto
import CofferStorage
import Foundation
import Testing

/// A data directory written by release e489255 (Fixtures/store-e489255, see its README)
/// opens with this build and reads back exactly what its manifest says.
@Suite struct FixtureTests {
    struct Manifest: Decodable {
        struct Bucket: Decodable { var name, owner, region: String; var createdAt: Int64; var settingsKeys: [String] }
        struct Segment: Decodable { var chunkCount: Int; var size: Int64; var header: String? }
        struct PartSummary: Decodable { var number: Int; var size: Int64; var etag: String }
        struct Object: Decodable {
            var bucket, key, etag, sha256: String
            var size: Int64
            var lastModified: Int64
            var segments: [Segment]
            var parts: [PartSummary]?
            var userMetadata, extensions: [String: String]
            var checksum: StoredChecksum?
        }
        struct Part: Decodable { var number: Int; var size: Int64; var etag, sha256: String; var chunkCount: Int }
        struct Upload: Decodable {
            var bucket, key, uploadId, owner: String
            var initiated: Int64
            var contentHeaders, userMetadata: [String: String]
            var checksumAlgorithm, checksumType: String?
            var parts: [Part]
        }
        var writtenBy: String
        var buckets: [Bucket]
        var objects: [Object]
        var uploads: [Upload]
        var pendingBlobs: Int
        var chunksAfterRecovery: Int
    }

    static let fixture = "store-e489255"

    /// A copy of the fixture in a temporary directory (the original is never opened: LevelDB
    /// would rewrite it) and its manifest.
    static func copy() throws -> (TemporaryDirectory, Manifest) {
        let source = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent(fixture)
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: source.appendingPathComponent("manifest.json")))
        let directory = try TemporaryDirectory()
        try FileManager.default.copyItem(atPath: source.appendingPathComponent("db").path, toPath: directory.path + "/db")
        return (directory, manifest)
    }

    static func sha256(_ pieces: [[UInt8]]) -> String {
        let digest = Digest(.sha256)
        for piece in pieces { digest.update(piece) }
        return digest.finalize().map { String(format: "%02x", $0) }.joined()
    }

    @Test func releaseDataDirReadsBackExactly() async throws {
        let (directory, manifest) = try Self.copy()
        defer { directory.remove() }
        #expect(manifest.writtenBy == "e489255")
        let store = try await ObjectStore(directory: directory.path)
        #expect(store.recoveredBlobCount == manifest.pendingBlobs)
        #expect(try await store.chunkCount() == manifest.chunksAfterRecovery)
        #expect(try await store.pendingBlobCount() == 0)

        let buckets = try await store.listBuckets()
        #expect(buckets.map(\.name) == manifest.buckets.map(\.name))
        for (bucket, expected) in zip(buckets, manifest.buckets) {
            #expect(bucket.owner == expected.owner && bucket.region == expected.region)
            #expect(Date.milliseconds(of: bucket.createdAt) == expected.createdAt)
            // Version 1's settings became typed fields (record version 2).
            #expect((bucket.policy != nil) == expected.settingsKeys.contains("policy"))
            #expect((bucket.encryption != nil) == expected.settingsKeys.contains("encryption"))
        }

        for expected in manifest.objects {
            let reader = try #require(try await store.openObject(bucket: expected.bucket, key: expected.key), "\(expected.key)")
            let record = reader.record
            #expect(record.size == expected.size && record.etag == expected.etag, "\(expected.key)")
            #expect(Date.milliseconds(of: record.lastModified) == expected.lastModified)
            #expect(record.segments.map(\.chunkCount) == expected.segments.map(\.chunkCount), "\(expected.key)")
            #expect(record.segments.map(\.size) == expected.segments.map(\.size))
            #expect(record.segments.map(\.header) == expected.segments.map(\.header))
            #expect(record.parts?.map(\.number) == expected.parts?.map(\.number))
            #expect(record.parts?.map(\.etag) == expected.parts?.map(\.etag))
            // The fixture's only `sse` entry ("AES256") is not the JSON the S3 layer wrote:
            // version 1 and this build both read it as no encryption information.
            #expect(record.userMetadata == expected.userMetadata && record.encryption == nil)
            #expect(record.checksum == expected.checksum)
            let body = try await readBody(reader)
            #expect(Int64(body.reduce(0) { $0 + $1.count }) == expected.size, "\(expected.key)")
            #expect(Self.sha256(body) == expected.sha256, "\(expected.key)")
        }
        for bucket in manifest.buckets {
            let listed = try await store.listObjects(bucket: bucket.name).objects.map(\.key)
            #expect(listed == manifest.objects.filter { $0.bucket == bucket.name }.map(\.key).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        }

        for expected in manifest.uploads {
            let upload = try #require(try await store.upload(id: expected.uploadId))
            #expect(upload.bucket == expected.bucket && upload.key == expected.key && upload.owner == expected.owner)
            #expect(Date.milliseconds(of: upload.initiated) == expected.initiated)
            #expect(upload.contentHeaders == expected.contentHeaders && upload.userMetadata == expected.userMetadata)
            #expect(upload.checksumAlgorithm == expected.checksumAlgorithm && upload.checksumType == expected.checksumType)
            #expect(try await store.listUploads(bucket: expected.bucket).uploads.map(\.uploadId) == [expected.uploadId])
            let parts = try await store.parts(uploadId: expected.uploadId)
            #expect(parts.map(\.number) == expected.parts.map(\.number))
            for (part, want) in zip(parts, expected.parts) {
                #expect(part.size == want.size && part.etag == want.etag && part.blob.chunkCount == want.chunkCount)
                let packages = try await store.blobs.read(part.blob.id, packages: 0..<part.blob.chunkCount)
                #expect(Self.sha256(packages) == want.sha256, "part \(part.number)")
            }
        }
    }

    /// The release's data dir keeps working: the upload in progress completes, objects are
    /// overwritten and deleted, buckets emptied and deleted; a reopen finds nothing to reclaim.
    @Test func releaseDataDirAcceptsWrites() async throws {
        let (directory, manifest) = try Self.copy()
        defer { directory.remove() }
        do {
            let store = try await ObjectStore(directory: directory.path)
            let upload = try #require(manifest.uploads.first)
            let parts = try await store.parts(uploadId: upload.uploadId)
            let object = objectRecord(bucket: upload.bucket, key: upload.key, segments: parts.map(\.blob))
            try await store.completeUpload(uploadId: upload.uploadId, object: object, usedParts: Set(parts.map(\.number)))
            let reader = try #require(try await store.openObject(bucket: upload.bucket, key: upload.key))
            #expect(Self.sha256(try await readBody(reader)) == Self.sha256(try await readParts(store, parts)))
            try await putObject(store, bucket: "alpha", key: "size/65537", chunks: [[1]])
            for object in manifest.objects where object.bucket == "beta" {
                try await store.deleteObject(bucket: "beta", key: object.key)
            }
            try await store.deleteObject(bucket: upload.bucket, key: upload.key)
            try await store.deleteBucket(named: "beta")
            try await store.deleteBucket(named: "gamma-empty")
        }
        let store = try await ObjectStore(directory: directory.path)
        #expect(store.recoveredBlobCount == 0)
        #expect(try await store.listBuckets().map(\.name) == ["alpha"])
        #expect(try await store.chunkCount() == 1 + 1 + 1 + 1 + 4)
    }

    func readParts(_ store: ObjectStore, _ parts: [PartRecord]) async throws -> [[UInt8]] {
        var packages: [[UInt8]] = []
        for part in parts { packages += try await store.blobs.read(part.blob.id, packages: 0..<part.blob.chunkCount) }
        return packages
    }
}
