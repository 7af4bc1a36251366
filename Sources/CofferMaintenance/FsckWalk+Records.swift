import CofferStorage

/// Buckets, uploads and their index: each record decodes with its type, its fields agree with
/// its key, and what it refers to exists.
extension FsckWalk {
    func checkBuckets() async {
        await scan(.bucket) { key, entry in
            guard case .bucket(let name) = key else { return }
            let subject = FsckFinding.Subject(bucket: name)
            guard let record = decode(BucketRecord.self, entry, subject) else { return }
            report.counts.buckets += 1
            buckets.insert(name)
            if record.name != name {
                report.add(.recordKeyMismatch, subject, "the bucket record stored under \(name) names bucket \(record.name)")
            }
        }
    }

    func readUploadIndex() async {
        await scan(.uploadIndex) { key, entry in
            guard case .uploadIndex(let uploadId) = key,
                  let index = decode(.init(uploadId: uploadId), { () throws(StorageError) in try UploadIndexEntry(encoded: entry.value) })
            else { return }
            uploadIndex[uploadId] = (index, false)
        }
    }

    /// Upload records, then the index entries no upload matched. Each upload's data key is
    /// opened once (and dropped), so that an upload without parts is checked too.
    func checkUploads() async {
        await scan(.upload) { key, entry in
            guard case .upload(let bucket, let objectKey, let uploadId) = key else { return }
            let subject = FsckFinding.Subject(bucket: bucket, key: objectKey, uploadId: uploadId)
            guard let record = decode(UploadRecord.self, entry, subject) else { return }
            report.counts.uploads += 1
            if (record.bucket, record.key, record.uploadId) != (bucket, objectKey, uploadId) {
                report.add(.recordKeyMismatch, subject, "the upload record names \(record.bucket)/\(record.key) upload \(record.uploadId)")
            }
            if !buckets.contains(bucket) {
                report.add(.bucketMissing, subject, "upload \(uploadId) of \(bucket)/\(objectKey) belongs to bucket \(bucket), which has no record")
            }
            if let index = uploadIndex[uploadId], index.entry.bucket == bucket, index.entry.key == objectKey {
                uploadIndex[uploadId]?.matched = true
            } else {
                report.add(.uploadIndexMissing, subject, uploadIndex[uploadId] == nil
                    ? "upload \(uploadId) has no index entry: its parts cannot be found, it cannot be completed or aborted"
                    : "the index entry of upload \(uploadId) names another object")
            }
            uploads[uploadId] = FsckUpload(bucket: record.bucket, key: record.key, encryption: record.encryption, versionNonce: record.versionNonce)
            _ = await dataKey(record.encryption, bucket: record.bucket, key: record.key, subject: subject)
        }
        for (uploadId, index) in uploadIndex where !index.matched && uploads[uploadId] == nil {
            report.add(.uploadRecordMissing, .init(bucket: index.entry.bucket, key: index.entry.key, uploadId: uploadId),
                       "the index entry of upload \(uploadId) names \(index.entry.bucket)/\(index.entry.key), which has no such upload")
        }
    }

    /// `entry`'s value as an `R`, or nil after a `malformedRecord` finding.
    func decode<R: StoredRecord>(_ type: R.Type, _ entry: MetadataEntry, _ subject: FsckFinding.Subject) -> R? {
        decode(subject) { () throws(StorageError) in try R(encoded: entry.value) }
    }

    /// What `decoder` makes of a stored value, or nil after a `malformedRecord` finding.
    func decode<T>(_ subject: FsckFinding.Subject, _ decoder: () throws(StorageError) -> T) -> T? {
        do throws(StorageError) {
            return try decoder()
        } catch {
            report.add(.malformedRecord, subject, error.message)
            return nil
        }
    }
}
