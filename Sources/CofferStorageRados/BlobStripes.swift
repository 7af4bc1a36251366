import CofferRados
import CofferStorage

/// How ``RadosBlobStore`` lays blobs out in RADOS objects.
///
/// - Package `i` of a blob lives in its **stripe object** `<prefix>blob.<32 hex of the id>.<s>`
///   with `s = i / packagesPerStripe` (decimal, no leading zeros). The object's data is the
///   stripe's packages back to back, in package order; its omap is their index.
/// - **Index.** One omap entry per stored package: key = the package number as a 4-byte
///   big-endian integer (absolute, not relative to the stripe), value = the package's length
///   as a 4-byte big-endian integer. Offsets are not stored: packages are appended in
///   ascending order, so a package's offset is the sum of the lengths of the stripe's packages
///   with lower numbers. Internal keys are longer than 4 bytes:
///   - ``nextKey``: one past the highest package appended (8-byte big-endian); every append
///     is guarded by `omap_cmp(next, LT, first + 1)`, i.e. `next ≤ first`, so a package is
///     never appended twice nor before a higher one, which would break the offsets.
///   - ``deletedKey`` (a deleted blob's stripes): the deletion time in milliseconds since
///     1970 (8-byte big-endian). Live reads and counts treat the stripe as gone.
///   - ``stripesKey`` (stripe 0 only): the number of stripes written so far, at least (4-byte
///     big-endian), raised by every batch that writes past stripe 0, so that deleting finds
///     every stripe even across a gap.
/// - **Reclaim queue.** The omap of `<prefix>blob-reclaim`: key = the deletion time in
///   milliseconds (16 lowercase hex digits) + `.` + the blob id (32 hex digits), so keys sort
///   by time and hold no zero byte (librados pages omaps with C-string start keys); value =
///   the blob's stripe count (4-byte big-endian).
struct BlobStripes: Sendable {
    let prefix: String
    let packagesPerStripe: Int

    /// Package numbers are `UInt32`s, as on LevelDB.
    static let maxPackageIndex = Int(UInt32.max)
    /// The OSD's cap on omap entries returned by one read (`osd_max_omap_entries_per_request`):
    /// a stripe's whole index must fit in one read, with the internal keys.
    static let omapReadCap = 1024
    static let maxPackagesPerStripe = omapReadCap - 8

    static let nextKey = Array("coffer.next".utf8)
    static let deletedKey = Array("coffer.deleted".utf8)
    static let stripesKey = Array("coffer.stripes".utf8)

    /// The start of every stripe object's name.
    var objectPrefix: String { prefix + "blob." }

    /// The reclaim queue's object.
    var reclaimQueue: String { prefix + "blob-reclaim" }

    func object(_ blob: BlobID, stripe: Int) -> String { "\(objectPrefix)\(blob.hex).\(stripe)" }

    func stripe(of package: Int) -> Int { package / packagesPerStripe }

    /// The package numbers stripe `stripe` holds.
    func packages(of stripe: Int) -> Range<Int> {
        stripe * packagesPerStripe..<min((stripe + 1) * packagesPerStripe, Self.maxPackageIndex + 1)
    }

    /// The blob and stripe an object name stands for; nil for any other name, including one
    /// that differs only in letter case or leading zeros (never written by this layout).
    func parse(_ name: String) -> (blob: BlobID, stripe: Int)? {
        let bytes = Array(name.utf8), head = Array(objectPrefix.utf8)
        guard bytes.count >= head.count + 34, bytes.starts(with: head) else { return nil }
        let hex = bytes[head.count..<head.count + 32], digits = bytes[(head.count + 33)...]
        guard bytes[head.count + 32] == UInt8(ascii: "."), !digits.isEmpty, digits.count <= 10,
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              digits.count == 1 || digits.first != UInt8(ascii: "0") else { return nil }
        let text = String(decoding: hex, as: UTF8.self)
        guard let blob = BlobID(hex: text), blob.hex == text else { return nil }
        let stripe = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard stripe <= self.stripe(of: Self.maxPackageIndex) else { return nil }
        return (blob, stripe)
    }

    /// The queue key of a deletion at `milliseconds`.
    static func queueKey(milliseconds: UInt64, _ blob: BlobID) -> [UInt8] {
        let digits = String(milliseconds, radix: 16)
        return Array((String(repeating: "0", count: max(0, 16 - digits.count)) + digits + "." + blob.hex).utf8)
    }

    /// The deletion time and blob of a queue key; nil if it is not one.
    static func parseQueueKey(_ key: [UInt8]) -> (milliseconds: UInt64, blob: BlobID)? {
        guard key.count == 49, key[16] == UInt8(ascii: ".") else { return nil }
        guard let milliseconds = UInt64(String(decoding: key[0..<16], as: UTF8.self), radix: 16),
              let blob = BlobID(hex: String(decoding: key[17...], as: UTF8.self)) else { return nil }
        return (milliseconds, blob)
    }

    static func packageKey(_ index: Int) -> [UInt8] { bigEndian(UInt64(index), bytes: 4) }

    static func bigEndian(_ value: UInt64, bytes: Int) -> [UInt8] {
        (0..<bytes).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    static func readBigEndian(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// The index of one stripe object as read from its omap: which packages it holds, where.
struct StripeIndex: Sendable {
    /// The stored package numbers, ascending.
    let packages: [Int]
    /// `offsets[k]` is where package `packages[k]` starts in the object's data;
    /// `offsets[k + 1]` where it ends (one more entry than `packages`).
    let offsets: [Int]
    /// Where each stored package number sits in `packages`.
    private let slots: [Int: Int]
    /// Whether the blob was deleted (a live read sees no packages).
    let deleted: Bool

    /// Parses the omap of `object`, stripe `stripe` of `layout`. Throws `.corruption` for an
    /// entry that is neither a package of the stripe nor an internal key.
    init(_ entries: [OmapPage.Entry], stripe: Int, of layout: BlobStripes, object: String) throws(StorageError) {
        let range = layout.packages(of: stripe)
        var lengths: [(Int, Int)] = []
        var deleted = false
        for entry in entries {
            if entry.key.count == 4 {
                let index = Int(BlobStripes.readBigEndian(entry.key))
                guard range.contains(index), entry.value.count == 4 else {
                    throw StorageError(.corruption, "stripe object \(object) indexes package \(index), outside its packages \(range) or with a malformed length")
                }
                lengths.append((index, Int(BlobStripes.readBigEndian(entry.value))))
            } else if entry.key == BlobStripes.deletedKey {
                deleted = true
            } else if entry.key != BlobStripes.nextKey, entry.key != BlobStripes.stripesKey {
                throw StorageError(.corruption, "stripe object \(object) has an omap key \(StorageError.printable(entry.key)) that is no package index")
            }
        }
        // omap order is bytewise, which for 4-byte big-endian keys is numeric; sort anyway.
        lengths.sort { $0.0 < $1.0 }
        var offsets = [0]
        offsets.reserveCapacity(lengths.count + 1)
        for (_, length) in lengths { offsets.append((offsets.last ?? 0) + length) }
        packages = lengths.map(\.0)
        self.offsets = offsets
        slots = Dictionary(uniqueKeysWithValues: packages.enumerated().map { ($1, $0) })
        self.deleted = deleted
    }

    /// Whether every package of `range` is indexed.
    func holds(_ range: Range<Int>) -> Bool { range.allSatisfy { slots[$0] != nil } }

    /// The packages of `range` stored without a gap from its start: where their bytes begin
    /// and each one's length (none if the first is missing).
    func run(_ range: Range<Int>) -> (offset: Int, lengths: [Int]) {
        guard let first = slots[range.lowerBound] else { return (0, []) }
        var lengths: [Int] = []
        var slot = first
        while slot < packages.count, packages[slot] == range.lowerBound + lengths.count, range.contains(packages[slot]) {
            lengths.append(offsets[slot + 1] - offsets[slot])
            slot += 1
        }
        return (offsets[first], lengths)
    }
}

/// Runs `body` on each of `elements`, at most `limit` at a time, and returns the results in
/// the elements' order; the first error is thrown once the running calls have finished (the
/// ones not yet started are not started).
@discardableResult
func concurrently<Element: Sendable, Result: Sendable>(
    _ elements: [Element],
    limit: Int,
    _ body: @escaping @Sendable (Element) async throws(StorageError) -> Result
) async throws(StorageError) -> [Result] {
    if elements.count == 1, let only = elements.first { return [try await body(only)] }
    let outcome: Swift.Result<[Result], StorageError> = await withTaskGroup(of: (Int, Swift.Result<Result, StorageError>).self) { group in
        var results: [Result?] = Array(repeating: nil, count: elements.count)
        var failure: StorageError?
        var next = 0, running = 0
        while true {
            while failure == nil, next < elements.count, running < max(limit, 1) {
                let index = next, element = elements[index]
                group.addTask {
                    do throws(StorageError) { return (index, .success(try await body(element))) } catch { return (index, .failure(error)) }
                }
                next += 1
                running += 1
            }
            guard running > 0, let (index, result) = await group.next() else { break }
            running -= 1
            switch result {
            case .success(let value): results[index] = value
            case .failure(let error): if failure == nil { failure = error }
            }
        }
        if let failure { return .failure(failure) }
        let done = results.compactMap { $0 }
        guard done.count == elements.count else { return .failure(StorageError(.io, "a concurrent RADOS call did not finish")) }
        return .success(done)
    }
    return try outcome.get()
}
