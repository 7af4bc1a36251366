@testable import CofferStorage
import Foundation
import Testing

/// Random sequences of writes, deletions and versioning changes, checked after every step
/// against a model of S3's rules written from AWS's documentation: every listing (paged at
/// several sizes, with and without a delimiter), every read by version, and the blobs (each
/// live object version holds exactly its own, nothing else is left).
@Suite struct VersioningModelTests {
    /// S3's versions of a bucket, as AWS documents them.
    struct Model {
        struct Version: Equatable {
            var id: String
            var isMarker: Bool
            var etag: String
            var chunkCount: Int
        }

        var state: BucketVersioning?
        /// Each key's versions, newest first.
        var keys: [String: [Version]] = [:]

        /// A write (or, with `isMarker`, a deletion without version id) committed with `id`.
        mutating func add(_ key: String, _ version: Version) {
            var versions = keys[key] ?? []
            switch state {
            case nil: versions = []
            case .enabled: break
            case .suspended: versions.removeAll { $0.id == "null" }
            }
            if !(state == nil && version.isMarker) { versions.insert(version, at: 0) }
            keys[key] = versions.isEmpty ? nil : versions
        }

        mutating func remove(_ key: String, id: String) {
            keys[key]?.removeAll { $0.id == id }
            if keys[key]?.isEmpty == true { keys[key] = nil }
        }

        var sortedKeys: [String] { keys.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }

        enum Item: Equatable { case version(VersionRow), prefix(String) }

        /// The whole listing S3 gives for `prefix` and `delimiter`.
        func listing(prefix: String, delimiter: String?) -> [Item] {
            var items: [Item] = []
            for key in sortedKeys where key.utf8.starts(with: prefix.utf8) {
                if let delimiter, let group = ListingBytes.commonPrefix(of: Array(key.utf8)[...], prefixCount: prefix.utf8.count, delimiter: Array(delimiter.utf8)) {
                    let name = ListingBytes.string(group)
                    if items.last != .prefix(name) { items.append(.prefix(name)) }
                    continue
                }
                for (index, version) in keys[key]!.enumerated() {
                    items.append(.version(VersionRow(key: key, versionId: version.id, isLatest: index == 0, isDeleteMarker: version.isMarker, etag: version.etag)))
                }
            }
            return items
        }
    }

    static let keys = ["a", "a/b", "a/c/d", "b", "a\u{0}", "é"]

    /// The whole listing through pages of `pageSize`.
    func pagedListing(_ store: ObjectStore, prefix: String, delimiter: String?, pageSize: Int) async throws -> [Model.Item] {
        var items: [Model.Item] = []
        var keyMarker: String?
        var versionMarker = VersionSelector.current
        for _ in 0..<10_000 {
            let page = try await store.listObjectVersions(
                bucket: "bucket", prefix: prefix, delimiter: delimiter, keyMarker: keyMarker, versionIdMarker: versionMarker, maxKeys: pageSize)
            #expect(page.versions.count + page.commonPrefixes.count <= pageSize)
            items += Self.merge(page)
            guard page.isTruncated else { return items }
            keyMarker = page.nextKeyMarker
            versionMarker = try #require(VersionSelector(versionId: page.nextVersionIdMarker))
        }
        Issue.record("the listing never ended")
        return items
    }

    /// A page's versions and prefixes, which come in two arrays, in listing order (by key; a
    /// key's versions keep their order, and no key equals a common prefix).
    static func merge(_ page: VersionListing) -> [Model.Item] {
        var items: [Model.Item] = []
        var versions = page.versions[...], prefixes = page.commonPrefixes[...]
        while let version = versions.first {
            if let prefix = prefixes.first, prefix.utf8.lexicographicallyPrecedes(version.record.key.utf8) {
                items.append(.prefix(prefix))
                prefixes = prefixes.dropFirst()
            } else {
                items.append(.version(VersionRow(version)))
                versions = versions.dropFirst()
            }
        }
        return items + prefixes.map { .prefix($0) }
    }

    func check(_ store: ObjectStore, _ model: Model, step: String) async throws {
        for (prefix, delimiter) in [("", nil), ("", "/"), ("a", "/"), ("a/", nil), ("a/", "/"), ("z", nil)] as [(String, String?)] {
            let expected = model.listing(prefix: prefix, delimiter: delimiter)
            for pageSize in [1, 2, 3, 1000] {
                let listed = try await pagedListing(store, prefix: prefix, delimiter: delimiter, pageSize: pageSize)
                #expect(listed == expected, "\(step): prefix \(prefix) delimiter \(delimiter ?? "-") page \(pageSize)")
            }
        }
        var chunkCount = 0
        for key in Self.keys {
            let versions = model.keys[key] ?? []
            let current = try await store.version(bucket: "bucket", key: key, .current)
            #expect(current?.versionIdText == versions.first?.id && current?.isDeleteMarker == versions.first?.isMarker, "\(step): current of \(key)")
            let object = try await store.object(bucket: "bucket", key: key)
            #expect(object?.etag == versions.first.flatMap { $0.isMarker ? nil : $0.etag }, "\(step): object \(key)")
            #expect(try await store.listObjects(bucket: "bucket", prefix: key).objects.contains { $0.key == key } == (object != nil))
            for version in versions {
                let selector = try #require(VersionSelector(versionId: version.id))
                let found = try await store.version(bucket: "bucket", key: key, selector)
                #expect(found?.etag == version.etag && found?.isDeleteMarker == version.isMarker, "\(step): \(key)@\(version.id)")
                chunkCount += version.chunkCount
            }
            if !versions.contains(where: { $0.id == "null" }) {
                #expect(try await store.version(bucket: "bucket", key: key, .null) == nil, "\(step): no null version of \(key)")
            }
        }
        #expect(try await store.chunkCount() == chunkCount, "\(step): every live version keeps its blobs, nothing else is left")
        #expect(try await store.pendingBlobCount() == 0, "\(step)")
        #expect(try await store.garbageBlobCount() == 0, "\(step)")
    }

    @Test(arguments: Backend.allCases, [1, 2, 3]) func randomHistoriesFollowS3sRules(_ backend: Backend, _ seed: Int) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            var model = Model()
            var rng = RecordSeededGenerator(seed: UInt64(seed))
            var clock: Int64 = 0
            for step in 0..<60 {
                let key = Self.keys[Int(rng.next() % UInt64(Self.keys.count))]
                // The clock mostly moves on, sometimes stands still or goes back.
                clock += Int64(rng.next() % 4) - 1
                let label = "seed \(seed) step \(step)"
                switch rng.next() % 10 {
                case 0:
                    let state: BucketVersioning = rng.next() % 2 == 0 ? .enabled : .suspended
                    try await setVersioning(store, state)
                    model.state = state
                case 1, 2, 3, 4:
                    let count = Int(1 + rng.next() % 3)
                    let byte = UInt8(step)
                    let commit = try await putVersion(store, key: key, byte: byte, count: count, date: at(clock))
                    if model.state == .enabled { #expect(commit.record.versionId != nil, "\(label)") } else { #expect(commit.record.isNullVersion, "\(label)") }
                    model.add(key, .init(id: commit.record.versionIdText, isMarker: false, etag: "etag-\(byte)", chunkCount: count))
                case 5, 6:
                    let deletion = try await deleteVersion(store, key: key, date: at(clock))
                    if let marker = deletion.marker {
                        #expect(model.state != nil && marker.isNullVersion == (model.state == .suspended), "\(label)")
                        model.add(key, .init(id: marker.versionIdText, isMarker: true, etag: "", chunkCount: 0))
                    } else {
                        #expect(model.state == nil, "\(label)")
                        model.keys[key] = nil
                    }
                default:
                    guard let versions = model.keys[key], !versions.isEmpty else { continue }
                    let victim = versions[Int(rng.next() % UInt64(versions.count))]
                    let deletion = try await deleteVersion(store, key: key, try #require(VersionSelector(versionId: victim.id)))
                    #expect(deletion.removed?.versionIdText == victim.id, "\(label)")
                    model.remove(key, id: victim.id)
                    let promoted = victim == versions[0] ? model.keys[key]?.first : nil
                    #expect(deletion.promoted?.versionIdText == promoted?.id, "\(label)")
                }
                try await check(store, model, step: label)
            }
        }
    }
}
