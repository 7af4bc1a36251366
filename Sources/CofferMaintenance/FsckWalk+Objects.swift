import CofferCrypto
import CofferS3
import CofferStorage

/// Objects and parts: the record, its sizes, and every blob it references, package by package.
extension FsckWalk {
    func checkObjects() async {
        await scan(.object) { key, entry in
            guard case .object(let bucket, let objectKey) = key else { return }
            let subject = FsckFinding.Subject(bucket: bucket, key: objectKey)
            guard let record = decode(ObjectRecord.self, entry, subject) else { return }
            report.counts.objects += 1
            if (record.bucket, record.key) != (bucket, objectKey) {
                report.add(.recordKeyMismatch, subject, "the object record stored under \(bucket)/\(objectKey) names \(record.bucket)/\(record.key)")
            }
            if !buckets.contains(bucket) {
                report.add(.bucketMissing, subject, "object \(bucket)/\(objectKey) belongs to bucket \(bucket), which has no record")
            }
            if record.isDeleteMarker {
                report.add(.recordKeyMismatch, subject, "a delete marker is stored under the current object key of \(bucket)/\(objectKey)")
            }
            await checkBody(of: record, owner: "object \(bucket)/\(objectKey)", subject)
        }
    }

    /// The blobs of an object version (current or not), each checked package by package and
    /// counted as referenced, opened as a GET opens them: under the identity the record names
    /// and the nonce it binds (a nonce that is not its version id's is a finding, and its
    /// format 2 packages are then not opened).
    func checkBody(of record: ObjectRecord, owner: String, _ subject: FsckFinding.Subject) async {
        let parts = expectedParts(of: record, subject)
        var versionNonce: VersionNonce?
        do {
            versionNonce = try record.boundVersionNonce()
        } catch {
            report.add(.versionNonceMismatch, subject, "the record's version nonce is not the random part of its version id \(record.versionIdText)")
        }
        let dataKey = await dataKey(record.encryption, bucket: record.bucket, key: record.key, subject: subject)
        for (index, segment) in record.segments.enumerated() {
            let part: UInt32? = if let parts { index < parts.count ? UInt32(clamping: parts[index]) : nil } else { 0 }
            await checkBlob(segment, owner: owner, subject: subject, identity: (record.bucket, record.key, versionNonce), part: part, dataKey: dataKey)
        }
    }

    /// The part number each segment's seal header must bind (0 for an object not completed by
    /// multipart upload), after checking that the sizes add up.
    private func expectedParts(of record: ObjectRecord, _ subject: FsckFinding.Subject) -> [Int]? {
        let total = record.segments.reduce(Int64(0)) { $0 + $1.size }
        if record.segments.isEmpty {
            report.add(.sizeMismatch, subject, "the object has no segment (even an empty object has one blob)")
        } else if total != record.size {
            report.add(.sizeMismatch, subject, "the object's size is \(record.size) but its segments hold \(total) bytes")
        }
        guard let parts = record.parts else {
            if record.segments.count > 1 { report.add(.sizeMismatch, subject, "the object has \(record.segments.count) segments but no parts") }
            return nil
        }
        if parts.count != record.segments.count {
            report.add(.sizeMismatch, subject, "the object lists \(parts.count) parts but has \(record.segments.count) segments")
        }
        for (part, segment) in zip(parts, record.segments) where part.size != segment.size {
            report.add(.sizeMismatch, subject, "part \(part.number) is listed with \(part.size) bytes but its segment holds \(segment.size)")
        }
        if zip(parts, parts.dropFirst()).contains(where: { $0.number >= $1.number }) {
            report.add(.sizeMismatch, subject, "the object's parts are not in ascending part number order")
        }
        return parts.map(\.number)
    }

    func checkParts() async {
        var opened: (uploadId: String, dataKey: SecretBytes?)?
        await scan(.part) { key, entry in
            guard case .part(let uploadId, let number) = key else { return }
            let upload = uploads[uploadId]
            let subject = FsckFinding.Subject(bucket: upload?.bucket, key: upload?.key, uploadId: uploadId, part: number)
            guard let record = decode(PartRecord.self, entry, subject) else { return }
            report.counts.parts += 1
            if (record.uploadId, record.number) != (uploadId, number) {
                report.add(.recordKeyMismatch, subject, "the part record stored as part \(number) of upload \(uploadId) names part \(record.number) of upload \(record.uploadId)")
            }
            if record.size != record.blob.size {
                report.add(.sizeMismatch, subject, "part \(number) has size \(record.size) but its blob holds \(record.blob.size) bytes")
            }
            let owner = "part \(number) of upload \(uploadId)"
            guard let upload else {
                report.add(.partWithoutUpload, subject, "part \(number) belongs to upload \(uploadId), which does not exist")
                await checkBlob(record.blob, owner: owner, subject: subject, identity: nil, part: UInt32(clamping: number), dataKey: nil)
                return
            }
            // Parts are stored in upload order: one data key per upload.
            if opened?.uploadId != uploadId {
                opened = (uploadId, await dataKey(upload.encryption, bucket: upload.bucket, key: upload.key, subject: subject, count: false))
            }
            await checkBlob(record.blob, owner: owner, subject: subject, identity: (upload.bucket, upload.key, upload.versionNonce),
                            part: UInt32(clamping: number), dataKey: opened?.dataKey)
        }
    }
}
