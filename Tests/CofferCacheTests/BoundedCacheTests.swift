import CofferCache
import Testing

@Suite struct BoundedCacheTests {
    @Test func neverHoldsMoreThanItsCapacity() {
        let cache = BoundedCache<Int, String>(capacity: 4)
        for i in 0..<100 {
            cache.set("\(i)", for: i)
            #expect(cache.count <= 4)
            #expect(cache.value(for: i) == "\(i)", "the newest entry is always kept")
        }
    }

    @Test func replacingAKeyDoesNotEvictTheOthers() {
        let cache = BoundedCache<String, Int>(capacity: 2)
        cache.set(1, for: "a")
        cache.set(2, for: "b")
        cache.set(3, for: "b")
        #expect(cache.value(for: "a") == 1 && cache.value(for: "b") == 3)
    }

    @Test func derivesOnceAndAgainWhenTheSourceChanges() {
        let cache = BoundedCache<String, (source: String, value: Int)>(capacity: 8)
        var derivations = 0
        func parsed(_ text: String) -> Int {
            cache.value(for: "bucket", validFor: text) { () -> Int in
                derivations += 1
                return text.count
            }
        }
        #expect(parsed("{}") == 2 && parsed("{}") == 2)
        #expect(derivations == 1)
        #expect(parsed("{\"a\":1}") == 7)
        #expect(derivations == 2, "a changed source is never answered from the cache")
        cache.removeValue(for: "bucket")
        #expect(cache.value(for: "bucket") == nil)
    }

    @Test func failedDerivationsAreNotCached() {
        struct Failure: Error {}
        let cache = BoundedCache<Int, Int>(capacity: 2)
        #expect(throws: Failure.self) { try cache.value(for: 1) { () throws(Failure) -> Int in throw Failure() } }
        #expect(cache.value(for: 1) == nil)
    }
}
