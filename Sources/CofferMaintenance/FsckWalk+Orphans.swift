import CofferStorage

/// Blob markers and the blob inventory: blobs no record references.
///
/// A stopped server leaves `g` markers only after a crash (a write interrupted before its
/// commit, a reclamation interrupted), and collects every marked blob at its next start; a
/// running one has them on writes and reclamations in progress. They are notices, not
/// findings, unless a record references the marked blob (the next start would delete
/// committed data). A stored blob that is neither referenced nor marked is an orphan: nothing
/// would ever collect it.
extension FsckWalk {
    func checkMarkers() async {
        await scan(.blobMarker) { key, entry in
            guard case .blobMarker(let blob) = key else { return }
            let subject = FsckFinding.Subject(blob: blob.hex)
            guard let state = BlobMarkerState(value: entry.value) else {
                report.add(.markerInvalid, subject, "the marker of blob \(blob.hex) is neither pending nor garbage")
                return
            }
            marked[blob] = state
            switch state {
            case .pending: report.counts.pendingBlobs += 1
            case .garbage: report.counts.garbageBlobs += 1
            }
            if let use = referenced[blob] {
                report.add(.markedBlobInUse, subject, "blob \(blob.hex) of \(use.owner) is marked \(state == .pending ? "pending" : "garbage"): the next start would delete it")
            }
        }
        let pending = report.counts.pendingBlobs, garbage = report.counts.garbageBlobs
        let offline = report.mode == .offline
        if pending > 0 {
            report.notices.append(FsckNotice(.pendingBlobs, offline
                ? "\(pending) pending blob(s): writes interrupted before their commit; they will be collected at next start"
                : "\(pending) pending blob(s): writes in progress"))
        }
        if garbage > 0 {
            report.notices.append(FsckNotice(.garbageBlobs, offline
                ? "\(garbage) garbage blob(s) not yet reclaimed; they will be collected at next start"
                : "\(garbage) garbage blob(s) being reclaimed"))
        }
    }

    /// Walks the blob inventory in id order: every stored blob is referenced or marked, and
    /// every name in the package space is a package. A read error skips to the next
    /// referenced blob after the damage.
    func checkInventory() async {
        var cursor: BlobInventoryCursor?
        var visited: BlobID?
        let referencedIds = referenced.keys.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        repeat {
            let page: BlobInventoryPage
            do {
                page = try await blobs.blobs(from: cursor, limit: options.pageSize)
            } catch {
                let after = visited.map { " after blob \($0.hex)" } ?? ""
                report.add(.storeUnreadable, .init(blob: visited?.hex), "the stored blobs\(after) could not be listed: \(error.message)")
                let next = referencedIds.first { id in visited.map { $0.bytes.lexicographicallyPrecedes(id.bytes) } ?? true }
                guard let next, next != visited else { return }
                cursor = BlobInventoryCursor(at: next)
                visited = next
                continue
            }
            for name in page.strayNames {
                report.add(.malformedKey, .init(storeKey: StorageError.printable(name)), "a name in the chunk space that is no chunk of any blob")
            }
            for blob in page.blobs where referenced[blob] == nil && marked[blob] == nil {
                await reportOrphan(blob)
            }
            visited = page.blobs.last ?? visited
            cursor = page.next
        } while cursor != nil
    }

    private func reportOrphan(_ blob: BlobID) async {
        let subject = FsckFinding.Subject(blob: blob.hex)
        let count = (try? await blobs.packageIndexes(of: blob, from: 0, limit: 100_000).count).map(String.init) ?? "some"
        report.add(.orphanBlob, subject, "blob \(blob.hex) holds \(count) chunk(s) that no object or part references and no marker names: nothing will collect it")
    }
}
