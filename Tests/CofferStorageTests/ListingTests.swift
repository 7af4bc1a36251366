import CofferStorage
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

    @Test(arguments: cases) func listing(_ c: Case) throws {
        try withStore { store, _ in
            try makeBucket(store)
            for key in Self.keys { try putObject(store, key: key) }
            let listing = try store.listObjects(bucket: "bucket", prefix: c.prefix, delimiter: c.delimiter,
                                                startAfter: c.startAfter, maxKeys: c.maxKeys)
            #expect(listing.objects.map(\.key) == c.objects)
            #expect(listing.commonPrefixes == c.prefixes)
            #expect(listing.isTruncated == c.truncated)
            #expect(listing.nextMarker == c.next)
        }
    }

    @Test func multiByteKeysSortAsBytes() throws {
        try withStore { store, _ in
            try makeBucket(store)
            let keys = ["😀", "ﬀ", "z", "é", "e\u{301}", "Z", "ä"]
            for key in keys { try putObject(store, key: key) }
            let listed = try store.listObjects(bucket: "bucket").objects.map(\.key)
            let expected = keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            #expect(listed.map { Array($0.utf8) } == expected.map { Array($0.utf8) })
            #expect(listed.first == "Z")
            #expect(listed.last == "😀")
        }
    }

    @Test func paginationVisitsEverythingOnce() throws {
        try withStore { store, _ in
            try makeBucket(store)
            var keys: [String] = []
            for i in 0..<40 { keys.append("d\(i % 4)/f\(i)") }
            for i in 0..<10 { keys.append("top\(i)") }
            for key in keys { try putObject(store, key: key) }
            var seen: [String] = []
            var marker: String?
            repeat {
                let page = try store.listObjects(bucket: "bucket", delimiter: "/", startAfter: marker, maxKeys: 3)
                seen += page.commonPrefixes + page.objects.map(\.key)
                marker = page.isTruncated ? page.nextMarker : nil
            } while marker != nil
            #expect(Set(seen) == Set(["d0/", "d1/", "d2/", "d3/"] + (0..<10).map { "top\($0)" }))
            #expect(seen.count == 14)
        }
    }

    @Test func hostileKeys() throws {
        try withStore { store, _ in
            try makeBucket(store)
            let long = String(repeating: "k", count: 1024)
            let keys = ["a//b/", "trailing/", long, "&+ é\"", "x\u{0}y"]
            for key in keys { try putObject(store, key: key, chunks: [Array(key.utf8.prefix(8))]) }
            for key in keys {
                let record = try #require(try store.object(bucket: "bucket", key: key))
                #expect(record.key == key)
            }
            let listed = try store.listObjects(bucket: "bucket").objects.map(\.key)
            #expect(Set(listed) == Set(keys))
            #expect(try store.listObjects(bucket: "bucket", prefix: "trailing/", delimiter: "/").objects.map(\.key) == ["trailing/"])
            #expect(try store.listObjects(bucket: "bucket", prefix: "a/", delimiter: "/").commonPrefixes == ["a//"])
        }
    }

    @Test func bucketBoundariesHoldWithZeroBytes() throws {
        try withStore { store, _ in
            try makeBucket(store, "a")
            try makeBucket(store, "a-b")
            try putObject(store, bucket: "a", key: "-b\u{0}x")
            try putObject(store, bucket: "a", key: "\u{0}")
            try putObject(store, bucket: "a-b", key: "x")
            #expect(try store.listObjects(bucket: "a").objects.map(\.key) == ["\u{0}", "-b\u{0}x"])
            #expect(try store.listObjects(bucket: "a-b").objects.map(\.key) == ["x"])
            #expect(try store.object(bucket: "a", key: "b\u{0}x") == nil)
            try store.deleteObject(bucket: "a-b", key: "x")
            try store.deleteBucket(named: "a-b")
            #expect(throwsCode(.bucketNotEmpty) { try store.deleteBucket(named: "a") })
            #expect(throwsCode(.noSuchBucket) { _ = try store.listObjects(bucket: "a-b") })
        }
    }
}
