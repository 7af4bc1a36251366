import CofferStorage

/// Where a null version kept under `v` is: what its `n` entry must name.
struct NullVersionPlace: Hashable {
    var bucket: String
    var key: String
    var stamp: VersionStamp
}

/// The versions of versioned buckets (docs/storage-layout.md, "Versions"): current delete
/// markers (`d`), noncurrent versions and markers (`v`), each version's blobs checked and
/// counted as referenced like a current object's, and the null-version index (`n`).
extension FsckWalk {
    func checkCurrentMarkers() async {
        await scan(.currentMarker) { key, entry in
            guard case .currentMarker(let bucket, let objectKey) = key else { return }
            let subject = FsckFinding.Subject(bucket: bucket, key: objectKey)
            guard let record = decode(ObjectRecord.self, entry, subject) else { return }
            report.counts.deleteMarkers += 1
            checkNames(record, bucket: bucket, key: objectKey, storedAs: "the current delete marker", subject)
            if !record.isDeleteMarker {
                report.add(.recordKeyMismatch, subject, "the record stored as the current delete marker of \(bucket)/\(objectKey) is no delete marker")
                await checkBody(of: record, owner: "object \(bucket)/\(objectKey)", subject)
            } else {
                checkMarkerHasNoBody(record, subject)
            }
        }
    }

    func checkNoncurrentVersions() async {
        await scan(.version) { key, entry in
            guard case .version(let bucket, let objectKey, let stamp) = key else { return }
            let subject = FsckFinding.Subject(bucket: bucket, key: objectKey)
            guard let record = decode(ObjectRecord.self, entry, subject) else { return }
            report.counts.noncurrentVersions += 1
            checkNames(record, bucket: bucket, key: objectKey, storedAs: "a noncurrent version", subject)
            if record.stamp != stamp {
                report.add(.recordKeyMismatch, subject, "the version stored at stamp \(stamp) of \(bucket)/\(objectKey) has stamp \(record.stamp)")
            }
            if record.isNullVersion { nullVersionsUnindexed.insert(NullVersionPlace(bucket: bucket, key: objectKey, stamp: stamp)) }
            if record.isDeleteMarker {
                report.counts.deleteMarkers += 1
                checkMarkerHasNoBody(record, subject)
            } else {
                await checkBody(of: record, owner: "version \(record.versionIdText) (stamp \(stamp)) of \(bucket)/\(objectKey)", subject)
            }
        }
    }

    /// Every `n` entry must name a null version under `v`, and every null version under `v`
    /// must have one.
    func checkNullVersionIndex() async {
        await scan(.nullVersion) { key, entry in
            guard case .nullVersion(let bucket, let objectKey) = key else { return }
            let subject = FsckFinding.Subject(bucket: bucket, key: objectKey)
            guard let raw = entry.value.count == 8 ? entry.value.reduce(UInt64(0), { $0 << 8 | UInt64($1) }) : nil,
                  let stamp = VersionStamp(rawValue: raw) else {
                report.add(.nullVersionIndex, subject, "the null-version index entry of \(bucket)/\(objectKey) is not a version stamp")
                return
            }
            let place = NullVersionPlace(bucket: bucket, key: objectKey, stamp: stamp)
            if nullVersionsUnindexed.remove(place) == nil {
                report.add(.nullVersionIndex, subject, "the null-version index entry of \(bucket)/\(objectKey) names stamp \(stamp), where no null version is kept")
            }
        }
        for place in nullVersionsUnindexed.sorted(by: { ($0.bucket, $0.key, $0.stamp) < ($1.bucket, $1.key, $1.stamp) }) {
            report.add(.nullVersionIndex, .init(bucket: place.bucket, key: place.key),
                       "the null version of \(place.bucket)/\(place.key) (stamp \(place.stamp)) has no index entry: reads of versionId=null miss it")
        }
        nullVersionsUnindexed = []
    }

    private func checkNames(_ record: ObjectRecord, bucket: String, key: String, storedAs: String, _ subject: FsckFinding.Subject) {
        if (record.bucket, record.key) != (bucket, key) {
            report.add(.recordKeyMismatch, subject, "\(storedAs) stored under \(bucket)/\(key) names \(record.bucket)/\(record.key)")
        }
        if !buckets.contains(bucket) {
            report.add(.bucketMissing, subject, "\(storedAs) of \(bucket)/\(key) belongs to bucket \(bucket), which has no record")
        }
    }

    private func checkMarkerHasNoBody(_ record: ObjectRecord, _ subject: FsckFinding.Subject) {
        if !record.segments.isEmpty || record.size != 0 {
            report.add(.sizeMismatch, subject, "a delete marker of \(record.bucket)/\(record.key) has \(record.segments.count) segments and size \(record.size)")
        }
    }
}
