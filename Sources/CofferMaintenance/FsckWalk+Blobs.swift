import CofferCrypto
import CofferS3
import CofferStorage

/// One referenced blob, checked package by package (docs/sealed-object-format.md): the seal
/// header, the chunk count its size needs, every chunk `0..<chunkCount` present and none past
/// it, each package's stored length, and, with the data key, each package opened (GCM tag,
/// package number, final flag, object or version identity) into a buffer zeroed when released.
extension FsckWalk {
    /// Checks `blob`, referenced by `owner` (for messages), of object `identity` (nil: unknown,
    /// for a part without its upload; `versionNonce`: the nonce its record binds, for blobs of
    /// format 2), whose seal header must bind `part` (nil: unknown).
    /// `dataKey` nil: the packages are checked for count and length only.
    func checkBlob(_ blob: BlobRef, owner: String, subject: FsckFinding.Subject, identity: (bucket: String, key: String, versionNonce: VersionNonce?)?,
                   part: UInt32?, dataKey: SecretBytes?) async {
        var subject = subject
        subject.blob = blob.id.hex
        report.counts.blobs += 1
        if let other = referenced[blob.id] {
            report.add(.blobReferencedTwice, subject, "blob \(blob.id.hex) is referenced by \(other.owner) and by \(owner)")
            return
        }
        referenced[blob.id] = (blob.chunkCount, owner)
        let seal = BlobSeal(blob: blob)
        let shape = BlobShape(blob, sealed: seal != nil)
        if !shape.isConsistent {
            report.add(.sizeMismatch, subject, "the blob has \(blob.chunkCount) chunks but its size \(blob.size) needs \(shape.expectedCount)")
        }
        var opener: (any PackageOpening)?
        if let seal {
            if let part, seal.partNumber != part {
                report.add(.sealHeaderInvalid, subject, "the blob's seal header binds part \(seal.partNumber), its record makes it part \(part)")
            }
            if let dataKey, let identity, let objectKeys {
                opener = objectKeys.opener(dataKey: dataKey, bucket: identity.bucket, key: identity.key, versionNonce: identity.versionNonce, seal: seal)
            }
        } else {
            report.add(.sealHeaderInvalid, subject, "the blob has no valid seal header: its packages cannot be opened nor their lengths checked")
        }
        await checkPackages(blob, shape: shape, opener: opener, subject: subject)
        await checkExtraChunks(blob, subject: subject)
    }

    /// Reads the packages in batches, checking each; gathers the missing ones into ranges. A
    /// batch that cannot be read is read again package by package, so that only the unreadable
    /// packages are lost to the check.
    private func checkPackages(_ blob: BlobRef, shape: BlobShape, opener: (any PackageOpening)?, subject: FsckFinding.Subject) async {
        var missing: [Range<Int>] = []
        var index = 0
        var singlyUntil = 0
        var opened = Int64(0), openedAll = opener != nil
        while index < shape.checkedCount {
            let batch = index < singlyUntil ? 1 : max(1, options.packagesPerRead)
            let range = index..<min(index + batch, shape.checkedCount)
            let packages: [[UInt8]]
            do {
                packages = try await blobs.read(blob.id, packages: range)
            } catch {
                openedAll = false
                if range.count > 1 {
                    singlyUntil = range.upperBound
                } else {
                    var at = subject
                    at.chunk = index
                    report.add(.storeUnreadable, at, "chunk \(index) of the blob could not be read: \(error.message)")
                    index += 1
                }
                continue
            }
            for (offset, stored) in packages.enumerated() {
                let plaintext = check(stored, at: index + offset, of: blob, shape: shape, opener: opener, subject: subject)
                if let plaintext { opened += Int64(plaintext) } else { openedAll = false }
            }
            index += packages.count
            if packages.count < range.count {
                // A read stops at the first missing chunk: go on at the next chunk stored.
                let next = await nextStoredChunk(of: blob.id, from: index + 1, before: shape.checkedCount)
                missing.append(index..<next)
                index = next
                openedAll = false
            }
        }
        if !missing.isEmpty {
            var at = subject
            at.chunk = missing[0].lowerBound
            let count = missing.reduce(0) { $0 + $1.count }
            let ranges = missing.prefix(8).map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound - 1)" }.joined(separator: ", ")
            report.add(.chunkMissing, at, "\(count) of the blob's \(blob.chunkCount) chunks are missing: \(ranges)\(missing.count > 8 ? ", ..." : "")")
        }
        if openedAll, opened != blob.size {
            report.add(.sizeMismatch, subject, "the blob's packages hold \(opened) bytes but its size is \(blob.size)")
        }
    }

    /// The first chunk of `blob` stored at or after `index` (`end` when none is before it), so
    /// that a gap of missing chunks costs one seek, not one read per chunk.
    private func nextStoredChunk(of blob: BlobID, from index: Int, before end: Int) async -> Int {
        guard index < end else { return end }
        guard let stored = try? await blobs.packageIndexes(of: blob, from: index, limit: 1) else { return index } // step on
        return min(stored.first ?? end, end)
    }

    /// Checks one package; returns its plaintext length when it opened.
    private func check(_ stored: [UInt8], at index: Int, of blob: BlobRef, shape: BlobShape, opener: (any PackageOpening)?,
                       subject: FsckFinding.Subject) -> Int? {
        report.counts.packages += 1
        report.counts.bytesChecked += Int64(stored.count)
        var at = subject
        at.chunk = index
        if shape.sealed, shape.isConsistent, stored.count != shape.plaintextLength(of: index) + SealedFormat.packageOverhead {
            report.add(.packageLength, at, "chunk \(index) holds \(stored.count) bytes where \(shape.plaintextLength(of: index) + SealedFormat.packageOverhead) belong")
        }
        guard let opener else { return nil }
        do {
            // The plaintext lives only in this buffer, zeroed when it is released.
            let plaintext = SecretBytes(try opener.open(stored, index: index, isFinal: index == blob.chunkCount - 1))
            report.counts.packagesOpened += 1
            return plaintext.count
        } catch {
            report.add(.packageDoesNotOpen, at, "chunk \(index) does not open (its GCM tag does not verify: altered, misplaced or from another object)")
            return nil
        }
    }

    /// Chunks stored at or past the blob's chunk count.
    private func checkExtraChunks(_ blob: BlobRef, subject: FsckFinding.Subject) async {
        guard blob.chunkCount >= 0, blob.chunkCount <= Int(UInt32.max) else { return } // a size mismatch already
        do {
            let extra = try await blobs.packageIndexes(of: blob.id, from: max(0, blob.chunkCount), limit: 1000)
            guard let first = extra.first else { return }
            var at = subject
            at.chunk = first
            report.add(.chunkExtra, at, "\(extra.count)\(extra.count == 1000 ? "+" : "") chunk(s) past the blob's \(blob.chunkCount), from chunk \(first)")
        } catch {
            report.add(.storeUnreadable, subject, "the chunks past the blob's end could not be listed: \(error.message)")
        }
    }
}

/// The packages a blob of a given size holds: every one full but the last; an empty blob is
/// one empty package.
struct BlobShape {
    let size: Int64
    let chunkCount: Int
    /// The chunk count `size` needs.
    let expectedCount: Int
    /// Whether the blob has a seal header: only then are its packages' stored lengths known.
    let sealed: Bool

    init(_ blob: BlobRef, sealed: Bool) {
        size = blob.size
        chunkCount = blob.chunkCount
        self.sealed = sealed
        let packageSize = Int64(SealedFormat.packageSize)
        expectedCount = blob.size <= 0 ? 1 : Int(blob.size / packageSize + (blob.size % packageSize == 0 ? 0 : 1))
    }

    var isConsistent: Bool { size >= 0 && chunkCount == expectedCount }

    /// The chunks to read: all of them, or when count and size disagree (a finding already)
    /// the fewer of the two counts, so that a damaged count cannot make the check read on
    /// for ever.
    var checkedCount: Int { isConsistent ? chunkCount : max(0, min(chunkCount, expectedCount)) }

    /// The plaintext length of package `index` (requires ``isConsistent``).
    func plaintextLength(of index: Int) -> Int {
        index < expectedCount - 1 ? SealedFormat.packageSize : Int(size - Int64(SealedFormat.packageSize) * Int64(expectedCount - 1))
    }
}
