import CofferStorage
import CofferStorageConformance
import Testing

@Suite struct ListingTests {
    static let keys = ["a", "a/b", "a/c/d", "a//b/", "b/", "b/x", "c", "é", "z", "zz/1", "zz/2"]

    struct Case: Sendable, CustomTestStringConvertible {
        var prefix = ""
        var delimiter: String?
        var startAfter: String?
        var maxKeys = 1000
        var objects: [String]
        var prefixes: [String] = []
        var truncated = false
        var next: String?
        var testDescription: String { "prefix=\(prefix) delimiter=\(delimiter ?? "-") after=\(startAfter ?? "-") max=\(maxKeys)" }
    }

    static let cases: [Case] = [
        Case(objects: ["a", "a//b/", "a/b", "a/c/d", "b/", "b/x", "c", "z", "zz/1", "zz/2", "é"]),
        Case(delimiter: "/", objects: ["a", "c", "z", "é"], prefixes: ["a/", "b/", "zz/"]),
        Case(delimiter: "/", maxKeys: 3, objects: ["a"], prefixes: ["a/", "b/"], truncated: true, next: "b/"),
        Case(delimiter: "/", startAfter: "b/", maxKeys: 3, objects: ["c", "z"], prefixes: ["zz/"], truncated: true, next: "zz/"),
        Case(delimiter: "/", startAfter: "zz/", maxKeys: 3, objects: ["é"]),
        Case(prefix: "a/", delimiter: "/", objects: ["a/b"], prefixes: ["a//", "a/c/"]),
        Case(delimiter: "/", startAfter: "a/b", objects: ["c", "z", "é"], prefixes: ["b/", "zz/"]),
        Case(startAfter: "a/b", objects: ["a/c/d", "b/", "b/x", "c", "z", "zz/1", "zz/2", "é"]),
        Case(maxKeys: 0, objects: []),
        Case(prefix: "zz/", objects: ["zz/1", "zz/2"]),
        Case(prefix: "b/", delimiter: "/", objects: ["b/", "b/x"]),
        Case(prefix: "nothing", objects: []),
        Case(maxKeys: 2, objects: ["a", "a//b/"], truncated: true, next: "a//b/"),
        Case(startAfter: "é", objects: []),
        Case(prefix: "zz/", startAfter: "a", objects: ["zz/1", "zz/2"]),
        Case(delimiter: "zz", objects: ["a", "a//b/", "a/b", "a/c/d", "b/", "b/x", "c", "z", "é"], prefixes: ["zz"]),
        Case(prefix: "a", delimiter: "/", maxKeys: 2, objects: ["a"], prefixes: ["a/"], truncated: false),
    ]

    @Test(arguments: Backend.allCases, cases) func listing(_ backend: Backend, _ c: Case) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            for key in Self.keys { try await putObject(store, key: key) }
            let listing = try await store.listObjects(bucket: "bucket", prefix: c.prefix, delimiter: c.delimiter,
                                                startAfter: c.startAfter, maxKeys: c.maxKeys)
            #expect(listing.objects.map(\.key) == c.objects)
            #expect(listing.commonPrefixes == c.prefixes)
            #expect(listing.isTruncated == c.truncated)
            #expect(listing.nextMarker == c.next)
        }
    }

    @Test(arguments: Backend.allCases) func multiByteKeysSortAsBytes(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            let keys = ["😀", "ﬀ", "z", "é", "e\u{301}", "Z", "ä"]
            for key in keys { try await putObject(store, key: key) }
            let listed = try await store.listObjects(bucket: "bucket").objects.map(\.key)
            let expected = keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            #expect(listed.map { Array($0.utf8) } == expected.map { Array($0.utf8) })
            #expect(listed.first == "Z")
            #expect(listed.last == "😀")
        }
    }

    @Test(arguments: Backend.allCases) func paginationVisitsEverythingOnce(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            var keys: [String] = []
            for i in 0..<40 { keys.append("d\(i % 4)/f\(i)") }
            for i in 0..<10 { keys.append("top\(i)") }
            for key in keys { try await putObject(store, key: key) }
            var seen: [String] = []
            var marker: String?
            repeat {
                let page = try await store.listObjects(bucket: "bucket", delimiter: "/", startAfter: marker, maxKeys: 3)
                seen += page.commonPrefixes + page.objects.map(\.key)
                marker = page.isTruncated ? page.nextMarker : nil
            } while marker != nil
            #expect(Set(seen) == Set(["d0/", "d1/", "d2/", "d3/"] + (0..<10).map { "top\($0)" }))
            #expect(seen.count == 14)
        }
    }

    @Test(arguments: Backend.allCases) func hostileKeys(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            let long = String(repeating: "k", count: 1024)
            let keys = ["a//b/", "trailing/", long, "&+ é\"", "x\u{0}y"]
            for key in keys { try await putObject(store, key: key, chunks: [Array(key.utf8.prefix(8))]) }
            for key in keys {
                let record = try #require(try await store.object(bucket: "bucket", key: key))
                #expect(record.key == key)
            }
            let listed = try await store.listObjects(bucket: "bucket").objects.map(\.key)
            #expect(Set(listed) == Set(keys))
            #expect(try await store.listObjects(bucket: "bucket", prefix: "trailing/", delimiter: "/").objects.map(\.key) == ["trailing/"])
            #expect(try await store.listObjects(bucket: "bucket", prefix: "a/", delimiter: "/").commonPrefixes == ["a//"])
        }
    }

    @Test(arguments: Backend.allCases) func bucketBoundariesHoldWithZeroBytes(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store, "a")
            try await makeBucket(store, "a-b")
            try await putObject(store, bucket: "a", key: "-b\u{0}x")
            try await putObject(store, bucket: "a", key: "\u{0}")
            try await putObject(store, bucket: "a-b", key: "x")
            #expect(try await store.listObjects(bucket: "a").objects.map(\.key) == ["\u{0}", "-b\u{0}x"])
            #expect(try await store.listObjects(bucket: "a-b").objects.map(\.key) == ["x"])
            #expect(try await store.object(bucket: "a", key: "b\u{0}x") == nil)
            try await store.deleteObject(bucket: "a-b", key: "x")
            try await store.deleteBucket(named: "a-b")
            #expect(await errorCode { try await store.deleteBucket(named: "a") } == .bucketNotEmpty)
            #expect(await errorCode { _ = try await store.listObjects(bucket: "a-b") } == .noSuchBucket)
        }
    }
}

@Suite struct LargeListingTests {
    /// More keys than one scan page: listings page through the store's scans, and a common
    /// prefix bigger than a page is skipped in one step.
    @Test(arguments: Backend.allCases) func listingsPageThroughScans(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            try await makeBucket(store)
            let grouped = (0..<1500).map { String(format: "g/%05d", $0) }
            let loose = ["a", "h", "z"]
            for key in grouped + loose {
                try await store.commitObject(objectRecord(key: key, segments: []))
            }
            let rolled = try await store.listObjects(bucket: "bucket", delimiter: "/")
            #expect(rolled.objects.map(\.key) == ["a", "h", "z"])
            #expect(rolled.commonPrefixes == ["g/"])

            var seen: [String] = []
            var marker: String?
            var pages = 0
            repeat {
                let page = try await store.listObjects(bucket: "bucket", startAfter: marker, maxKeys: 1000)
                seen += page.objects.map(\.key)
                marker = page.isTruncated ? page.nextMarker : nil
                pages += 1
            } while marker != nil
            #expect(pages == 2)
            #expect(seen == ["a"] + grouped + ["h", "z"])
        }
    }
}
