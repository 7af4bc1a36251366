import CofferCrypto
import CofferKMS
import XCTest

final class DataKeyCacheTests: XCTestCase {
    func entry(_ arn: String = "arn:k") -> DataKeyCache.Entry {
        DataKeyCache.Entry(keyArn: arn, plaintext: SecretBytes.random(count: 32), ciphertextBlob: [1, 2, 3])
    }

    func testEntriesNeverCrossContexts() {
        let cache = DataKeyCache()
        let now = ContinuousClock.now
        cache.put(keyId: "k", context: ["a": "1"], entry: entry(), bytes: 0, now: now)
        XCTAssertNotNil(cache.use(keyId: "k", context: ["a": "1"], bytes: 0, now: now))
        XCTAssertNil(cache.use(keyId: "k", context: ["a": "2"], bytes: 0, now: now))
        XCTAssertNil(cache.use(keyId: "k", context: ["ab": ""], bytes: 0, now: now))
        XCTAssertNil(cache.use(keyId: "k", context: [:], bytes: 0, now: now))
        XCTAssertNil(cache.use(keyId: "other", context: ["a": "1"], bytes: 0, now: now))
    }

    func testAgeMessageAndByteLimits() {
        let cache = DataKeyCache(limits: .init(maxAge: .seconds(10), maxMessages: 3, maxBytes: 100))
        let now = ContinuousClock.now
        cache.put(keyId: "k", context: [:], entry: entry(), bytes: 10, now: now)  // message 1
        XCTAssertNotNil(cache.use(keyId: "k", context: [:], bytes: 10, now: now))  // 2
        XCTAssertNotNil(cache.use(keyId: "k", context: [:], bytes: 10, now: now))  // 3
        XCTAssertNil(cache.use(keyId: "k", context: [:], bytes: 10, now: now), "a fourth message exceeds maxMessages")
        XCTAssertEqual(cache.count, 0, "a used-up entry is evicted")

        cache.put(keyId: "k", context: [:], entry: entry(), bytes: 90, now: now)
        XCTAssertNil(cache.use(keyId: "k", context: [:], bytes: 11, now: now), "101 bytes exceed maxBytes")

        cache.put(keyId: "k", context: [:], entry: entry(), bytes: 0, now: now)
        XCTAssertNotNil(cache.use(keyId: "k", context: [:], bytes: 0, now: now + .seconds(9)))
        XCTAssertNil(cache.use(keyId: "k", context: [:], bytes: 0, now: now + .seconds(10)), "an entry as old as maxAge is not used")
    }

    func testCapacityEvictsTheOldestAndEvictByKey() {
        let cache = DataKeyCache(limits: .init(capacity: 2))
        let now = ContinuousClock.now
        cache.put(keyId: "a", context: [:], entry: entry("arn:a"), bytes: 0, now: now)
        cache.put(keyId: "b", context: [:], entry: entry("arn:b"), bytes: 0, now: now + .seconds(1))
        cache.put(keyId: "c", context: [:], entry: entry("arn:c"), bytes: 0, now: now + .seconds(2))
        XCTAssertEqual(cache.count, 2)
        XCTAssertNil(cache.use(keyId: "a", context: [:], bytes: 0, now: now + .seconds(2)))
        cache.evict(keyArn: "arn:b")
        XCTAssertNil(cache.use(keyId: "b", context: [:], bytes: 0, now: now + .seconds(2)))
        XCTAssertNotNil(cache.use(keyId: "c", context: [:], bytes: 0, now: now + .seconds(2)))
    }

    func testDecryptedKeyCacheIsBoundByAgeAndContext() {
        let cache = DecryptedKeyCache(maxAge: .seconds(5), capacity: 4)
        let now = ContinuousClock.now
        cache.put(blob: [9, 9], context: ["a": "bc"], result: DecryptResult(keyArn: "arn:k", plaintext: SecretBytes.random(count: 32)), now: now)
        XCTAssertNotNil(cache.get(blob: [9, 9], context: ["a": "bc"], now: now))
        XCTAssertNil(cache.get(blob: [9, 9], context: ["ab": "c"], now: now))
        XCTAssertNil(cache.get(blob: [9, 8], context: ["a": "bc"], now: now))
        XCTAssertNil(cache.get(blob: [9, 9], context: ["a": "bc"], now: now + .seconds(5)))
    }
}
