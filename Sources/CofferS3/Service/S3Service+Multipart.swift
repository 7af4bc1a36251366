import CofferSigV4
import CofferCrypto
import CofferStorage
import Foundation
import HTTPTypes

extension S3Service {
    static let minimumPartSize: Int64 = 5 * 1024 * 1024
    static let maxParts = 10000

    func createMultipartUpload(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let key = call.request.key!
        try ObjectKey.validate(key)
        try checkCannedACL(call, forBucket: false)
        let encryption = try checkWriteEncryption(call, bucket: bucket)
        let headers = try ObjectHeaders.parse(call.request)
        let tags = try call.request.header(.xAmzTagging).map(TaggingHeader.parse)
        // The completed object's lock is decided now, as on S3 (the default retention counts
        // from the upload's creation).
        let lock = try ObjectLockHeaders.parse(call.request, now: call.now).lock(in: bucket, at: call.now)
        var algorithm: ChecksumAlgorithm?
        if let name = call.request.header(.xAmzChecksumAlgorithm) {
            guard let parsed = ChecksumAlgorithm(name: name) else {
                throw S3Error(.invalidRequest, "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
            }
            algorithm = parsed
        }
        var checksumType: String?
        if let type = call.request.header(.xAmzChecksumType)?.uppercased() {
            guard type == "COMPOSITE" || type == "FULL_OBJECT" else { throw S3Error(.invalidRequest, "Value for x-amz-checksum-type header is invalid.") }
            guard let algorithm else { throw S3Error(.invalidRequest, "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.") }
            if type == "FULL_OBJECT", algorithm == .sha1 || algorithm == .sha256 {
                throw S3Error(.invalidRequest, "The FULL_OBJECT checksum type cannot be used with the \(algorithm.rawValue.lowercased()) checksum algorithm.")
            }
            if type == "COMPOSITE", algorithm == .crc64nvme {
                throw S3Error(.invalidRequest, "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.")
            }
            checksumType = type
        } else if let algorithm {
            checksumType = algorithm == .crc64nvme ? "FULL_OBJECT" : "COMPOSITE"
        }
        // Upload ids start with the initiation time so that uploads of one key list in the
        // order they were initiated, as S3 lists them; the random rest makes them unguessable.
        let millis = UInt64(max(0, call.now.timeIntervalSince1970 * 1000))
        let uploadId = String(format: "%012llx", millis)
            + Base64.encode(secureRandomBytes(30)).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        // The upload's data key is made now; every part is sealed under a key derived from it.
        let (_, storedEncryption) = try await keys.newObject(bucket: bucket.name, key: key, encryption: encryption, caller: kmsCaller(call))
        var record = UploadRecord(
            bucket: bucket.name, key: key, uploadId: uploadId, initiated: call.now, owner: call.user?.name ?? bucket.owner,
            contentHeaders: headers.content, userMetadata: headers.user, checksumAlgorithm: algorithm?.rawValue,
            checksumType: checksumType, storageClass: headers.storageClass, encryption: storedEncryption, tags: tags, versionNonce: .random())
        record.retention = lock.retention
        record.legalHold = lock.legalHold
        let store = self.store
        try await committing(call, key: key) { note in try await store.createUpload(record, note: note) }
        var xml = XMLWriter(invalidCharacters: .referenced)
        xml.element("InitiateMultipartUploadResult", attributes: [("xmlns", S3XML.namespace)]) { x in
            x.element("Bucket", bucket.name)
            x.element("Key", key)
            x.element("UploadId", uploadId)
        }
        var fields = ObjectEncryptionHeaders(encryption: storedEncryption, customerKey: encryption.customerKey, includeContext: call.request.header(SSEKMSChoice.contextHeader) != nil).fields
        if let algorithm, let checksumType {
            fields[.xAmzChecksumAlgorithm] = algorithm.rawValue
            fields[.xAmzChecksumType] = checksumType
        }
        return xmlResponse(xml, headers: fields)
    }

    /// The upload the call names, which must belong to the addressed bucket and key.
    func namedUpload(_ call: AuthorizedCall, bucket: BucketRecord) async throws -> UploadRecord {
        let uploadId = call.request.queryValue("uploadId") ?? ""
        let found: UploadRecord?
        do {
            found = try await store.upload(id: uploadId)
        } catch {
            // An id that cannot be a stored upload id names no upload; real I/O errors surface.
            guard error.code == .invalidArgument else { throw error }
            found = nil
        }
        guard let upload = found, upload.bucket == bucket.name, upload.key == call.request.key else {
            throw S3Error(.noSuchUpload, extra: [("UploadId", uploadId)])
        }
        return upload
    }

    func partNumber(_ call: AuthorizedCall) throws(S3Error) -> Int {
        let text = call.request.queryValue("partNumber") ?? ""
        guard let number = Int(text), number >= 1, number <= Self.maxParts else {
            throw S3Error(.invalidArgument, "Part number must be an integer between 1 and 10000, inclusive",
                extra: [("ArgumentName", "partNumber"), ("ArgumentValue", text)])
        }
        return number
    }

    func uploadPart(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let number = try partNumber(call)
        let upload = try await namedUpload(call, bucket: bucket)
        let expectedMD5 = try ContentMD5.expected(call.request)
        var body = try IncomingBody(call: call, requireLength: true)
        var checksum = try ChecksumRequest.parse(call.request, declaredTrailers: body.declaredTrailers)
        if let expected = upload.checksumAlgorithm.flatMap(ChecksumAlgorithm.init(rawValue:)) {
            if let checksum, checksum.algorithm != expected {
                throw S3Error(.invalidRequest, "Checksum Type mismatch occurred, expected checksum Type: \(expected.rawValue.lowercased()), actual checksum Type: \(checksum.algorithm.rawValue.lowercased())")
            }
            if checksum == nil { checksum = ChecksumRequest(algorithm: expected, headerValue: nil, trailerName: nil) }
        }
        let customerKey = try customerKey(call)
        let (dataKey, sealer) = try await partSealer(upload, number: number, customerKey: customerKey, call: call)
        let result = try await ingest(sealer).ingest(&body, checksum: checksum, maxSize: Self.maxPutSize)
        do {
            try ContentMD5.verify(expectedMD5, computed: result.md5)
        } catch {
            try? await store.discardBlob(result.blob)
            throw error
        }
        let part = PartRecord(
            uploadId: upload.uploadId, number: number, size: result.blob.size,
            etag: ObjectKeys.etag(md5: result.md5, dataKey: dataKey, keyed: !ObjectKeys.isSSES3(upload.encryption)), lastModified: call.now,
            checksum: result.checksum.map { StoredChecksum(algorithm: $0.algorithm.rawValue, value: Base64.encode($0.value), type: "PART") },
            blob: result.blob)
        try await commitPart(part, call: call)
        var fields = ObjectEncryptionHeaders(encryption: upload.encryption, customerKey: customerKey).fields
        fields[.eTag] = "\"\(part.etag)\""
        if let checksum = part.checksum, let algorithm = ChecksumAlgorithm(rawValue: checksum.algorithm) {
            fields[HTTPField.Name(algorithm.headerName)!] = checksum.value
        }
        return emptyResponse(.ok, headers: fields)
    }

    /// Seals part `number` under the upload's data key.
    private func partSealer(_ upload: UploadRecord, number: Int, customerKey: CustomerKey?, call: AuthorizedCall) async throws -> (SecretBytes, any PackageSealing) {
        let dataKey = try await keys.dataKey(encryption: upload.encryption, bucket: upload.bucket, key: upload.key, customerKey: customerKey, partOfUpload: true, caller: kmsCaller(call))
        return (dataKey, keys.sealer(dataKey: dataKey, bucket: upload.bucket, key: upload.key, versionNonce: upload.versionNonce, partNumber: number))
    }

    private func commitPart(_ part: PartRecord, call: AuthorizedCall) async throws {
        let store = self.store
        do {
            _ = try await committing(call, key: call.request.key ?? "") { note in try await store.commitPart(part, note: note) }
        } catch {
            try? await store.discardBlob(part.blob)
            if (error as? StorageError)?.code == .noSuchUpload { throw S3Error(.noSuchUpload, extra: [("UploadId", part.uploadId)]) }
            throw error
        }
    }

    func uploadPartCopy(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let number = try partNumber(call)
        let upload = try await namedUpload(call, bucket: bucket)
        let destinationKey = try customerKey(call)
        let sourceKey = try customerKey(call, copySource: true)
        let (_, reader) = try await openCopySource(call, sourceKey: sourceKey)
        let size = reader.record.size
        var range: ClosedRange<Int64>?
        if let header = call.request.header(.xAmzCopySourceRange) {
            let invalid = S3Error(.invalidArgument, "Range specified is not valid for source object of size: \(size)",
                extra: [("ArgumentName", "x-amz-copy-source-range"), ("ArgumentValue", header)])
            let spec = header.hasPrefix("bytes=") ? header.dropFirst(6) : ""
            let pieces = spec.split(separator: "-", omittingEmptySubsequences: false)
            guard pieces.count == 2, let first = Int64(pieces[0]), let last = Int64(pieces[1]), first <= last, last < size else {
                throw invalid
            }
            range = first...last
        }
        let length = range.map { $0.upperBound - $0.lowerBound + 1 } ?? size
        if length > Self.maxPutSize {
            throw S3Error(.invalidRequest, "The specified copy source is larger than the maximum allowable size for a copy source: \(Self.maxPutSize)")
        }
        let algorithm = upload.checksumAlgorithm.flatMap(ChecksumAlgorithm.init(rawValue:))
        let (dataKey, sealer) = try await partSealer(upload, number: number, customerKey: destinationKey, call: call)
        let copied = try await copyData(from: reader, sourceKey: sourceKey, range: range, into: sealer, checksum: algorithm, call: call)
        let part = PartRecord(
            uploadId: upload.uploadId, number: number, size: copied.blob.size,
            etag: ObjectKeys.etag(md5: copied.md5, dataKey: dataKey, keyed: !ObjectKeys.isSSES3(upload.encryption)), lastModified: call.now,
            checksum: zip2(algorithm, copied.checksum).map { StoredChecksum(algorithm: $0.rawValue, value: Base64.encode($1), type: "PART") },
            blob: copied.blob)
        try await commitPart(part, call: call)
        var xml = XMLWriter()
        xml.element("CopyPartResult", attributes: [("xmlns", S3XML.namespace)]) { x in
            x.element("ETag", "\"\(part.etag)\"")
            x.element("LastModified", S3Date.iso8601(part.lastModified))
            if let checksum = part.checksum { x.element("Checksum" + checksum.algorithm, checksum.value) }
        }
        var fields = ObjectEncryptionHeaders(encryption: upload.encryption, customerKey: destinationKey).fields
        copySourceVersionHeader(call, source: reader.record, to: &fields)
        return xmlResponse(xml, headers: fields)
    }

    func completeMultipartUpload(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let upload = try await namedUpload(call, bucket: bucket)
        // SSE-C headers are optional on completion; when given they must be the upload's.
        let customerKey = try customerKey(call)
        if let customerKey {
            _ = try keys.dataKey(encryption: upload.encryption, bucket: upload.bucket, key: upload.key, customerKey: customerKey, partOfUpload: true)
        }
        let precondition = try ConditionalWrite.parse(call.request)
        var body = try IncomingBody(call: call, requireLength: false)
        let bytes = try await body.collect(limit: 4 * 1024 * 1024)
        guard let root = XMLElementNode.parse(bytes), root.name == "CompleteMultipartUpload" else { throw S3Error(.malformedXML) }
        let requested = root.all("Part")
        guard !requested.isEmpty else {
            throw S3Error(.malformedXML, "The XML you provided was not well-formed or did not validate against our published schema")
        }
        let stored = Dictionary(uniqueKeysWithValues: try await store.parts(uploadId: upload.uploadId).map { ($0.number, $0) })
        // The whole list is checked for form and order before any part is looked at, as S3 does.
        var numbers: [Int] = []
        for element in requested {
            guard let numberText = element.childText("PartNumber"), let number = Int(numberText), element.child("ETag") != nil else {
                throw S3Error(.malformedXML)
            }
            guard number > (numbers.last ?? 0) else { throw S3Error(.invalidPartOrder, extra: [("UploadId", upload.uploadId)]) }
            numbers.append(number)
        }
        var chosen: [PartRecord] = []
        for (index, element) in requested.enumerated() {
            let number = numbers[index]
            let etagText = element.childText("ETag") ?? ""
            let etag = etagText.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            guard let part = stored[number], part.etag == etag else {
                throw S3Error(.invalidPart, extra: [("UploadId", upload.uploadId), ("PartNumber", String(number)), ("ETag", etagText)])
            }
            if let checksum = part.checksum, let given = element.childText("Checksum" + checksum.algorithm), given != checksum.value {
                throw S3Error(.invalidPart, extra: [("UploadId", upload.uploadId), ("PartNumber", String(number)), ("ETag", etagText)])
            }
            if index < requested.count - 1, part.size < Self.minimumPartSize {
                throw S3Error(.entityTooSmall, extra: [
                    ("ProposedSize", String(part.size)), ("MinSizeAllowed", String(Self.minimumPartSize)),
                    ("PartNumber", String(number)), ("ETag", etagText),
                ])
            }
            chosen.append(part)
        }
        let md5OfMD5s = Digest(.md5)
        for part in chosen { md5OfMD5s.update(Hex.decode(part.etag) ?? []) }
        let etag = Hex.encode(md5OfMD5s.finalize()) + "-\(chosen.count)"
        let checksum = try Self.multipartChecksum(upload: upload, parts: chosen)
        var object = ObjectRecord(
            bucket: bucket.name, key: upload.key, size: chosen.reduce(0) { $0 + $1.size }, etag: etag, lastModified: call.now,
            owner: bucket.owner, contentHeaders: upload.contentHeaders, userMetadata: upload.userMetadata, checksum: checksum,
            parts: chosen.map { PartSummary(number: $0.number, size: $0.size, etag: $0.etag, checksum: $0.checksum?.value) },
            segments: chosen.map(\.blob), storageClass: upload.storageClass, encryption: upload.encryption, tags: upload.tags, versionNonce: upload.versionNonce)
        object.retention = upload.retention
        object.legalHold = upload.legalHold
        let committed = try await finishUpload(upload, object: object, usedParts: Set(chosen.map(\.number)), precondition: precondition, call: call)
        var xml = XMLWriter(invalidCharacters: .referenced)
        xml.element("CompleteMultipartUploadResult", attributes: [("xmlns", S3XML.namespace)]) { x in
            let scheme = call.request.secure ? "https" : "http"
            let path = "/\(bucket.name)/\(PercentEncoding.encode(upload.key, keepSlash: true))"
            x.element("Location", call.request.addressing == .virtualHost
                ? "\(scheme)://\(call.request.host)/\(PercentEncoding.encode(upload.key, keepSlash: true))"
                : "\(scheme)://\(call.request.host)\(path)")
            x.element("Bucket", bucket.name)
            x.element("Key", upload.key)
            x.element("ETag", "\"\(etag)\"")
            if let checksum {
                x.element("Checksum" + checksum.algorithm, checksum.value)
                x.element("ChecksumType", checksum.type)
            }
        }
        var fields = ObjectEncryptionHeaders(encryption: upload.encryption, customerKey: customerKey).fields
        VersionHeaders.add(committed, bucket: bucket, to: &fields)
        return xmlResponse(xml, headers: fields)
    }

    /// Commits the completed object; returns it as committed (with its version id).
    private func finishUpload(_ upload: UploadRecord, object: ObjectRecord, usedParts: Set<Int>, precondition: WritePrecondition, call: AuthorizedCall) async throws -> ObjectRecord {
        let store = self.store
        return try await committing(call, key: upload.key) { note in
            do throws(StorageError) {
                return try await store.completeUpload(uploadId: upload.uploadId, object: object, usedParts: usedParts, precondition: precondition, note: note).record
            } catch {
                if error.code == .noSuchUpload { throw S3Error(.noSuchUpload, extra: [("UploadId", upload.uploadId)]) }
                throw S3Error(storage: error, key: upload.key, bucket: upload.bucket, precondition: precondition)
            }
        }
    }

    /// The object checksum of a completed upload: COMPOSITE is the checksum of the parts'
    /// checksums with `-N`; FULL_OBJECT combines the parts' CRCs into the whole body's CRC.
    static func multipartChecksum(upload: UploadRecord, parts: [PartRecord]) throws(S3Error) -> StoredChecksum? {
        guard let name = upload.checksumAlgorithm, let algorithm = ChecksumAlgorithm(rawValue: name) else { return nil }
        var values: [(bytes: [UInt8], size: Int64)] = []
        for part in parts {
            guard let value = part.checksum?.value, let bytes = Base64.decode(value) else {
                throw S3Error(.invalidRequest, "The upload was created using a \(name.lowercased()) checksum. The complete request must include the checksum for each part. It was missing for part \(part.number) in the request.")
            }
            values.append((bytes, part.size))
        }
        if upload.checksumType == "FULL_OBJECT" {
            var combined = ChecksumHasher(algorithm).finalize()
            for value in values {
                guard let next = CRCCombine.combine(algorithm, combined, value.bytes, secondLength: value.size) else { return nil }
                combined = next
            }
            return StoredChecksum(algorithm: name, value: Base64.encode(combined), type: "FULL_OBJECT")
        }
        var hasher = ChecksumHasher(algorithm)
        for value in values { hasher.update(value.bytes) }
        return StoredChecksum(algorithm: name, value: Base64.encode(hasher.finalize()) + "-\(parts.count)", type: "COMPOSITE")
    }

    func abortMultipartUpload(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let upload = try await namedUpload(call, bucket: bucket)
        let store = self.store
        do {
            try await committing(call, key: upload.key) { note in try await store.abortUpload(id: upload.uploadId, note: note) }
        } catch {
            guard (error as? StorageError)?.code == .noSuchUpload else { throw error }
            throw S3Error(.noSuchUpload, extra: [("UploadId", upload.uploadId)])
        }
        return S3Response(status: .noContent)
    }

    func listParts(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let upload = try await namedUpload(call, bucket: bucket)
        let params = try ListParameters(call.request, maxName: "max-parts")
        var marker: Int?
        if let text = call.request.queryValue("part-number-marker"), !text.isEmpty {
            guard let value = Int(text), value >= 0 else {
                throw S3Error(.invalidArgument, "Provided part-number-marker not an integer or within integer range", extra: [("ArgumentName", "part-number-marker"), ("ArgumentValue", text)])
            }
            marker = value
        }
        let listing = try await store.listParts(uploadId: upload.uploadId, partNumberMarker: marker, maxParts: params.maxKeys)
        var xml = XMLWriter(invalidCharacters: .referenced)
        xml.element("ListPartsResult", attributes: [("xmlns", S3XML.namespace)]) { x in
            x.element("Bucket", bucket.name)
            x.element("Key", params.encode(upload.key))
            x.element("UploadId", upload.uploadId)
            x.element("Initiator") { i in
                i.element("ID", User.canonicalId(forName: upload.owner, accountId: users.root.accountId))
                i.element("DisplayName", upload.owner)
            }
            writeOwner(&x, name: bucket.owner)
            x.element("StorageClass", upload.storageClass)
            x.element("PartNumberMarker", String(marker ?? 0))
            if let next = listing.nextPartNumberMarker { x.element("NextPartNumberMarker", String(next)) }
            x.element("MaxParts", String(params.maxKeys))
            x.element("IsTruncated", listing.isTruncated ? "true" : "false")
            if let algorithm = upload.checksumAlgorithm { x.element("ChecksumAlgorithm", algorithm) }
            if let type = upload.checksumType { x.element("ChecksumType", type) }
            for part in listing.parts {
                x.element("Part") { p in
                    p.element("PartNumber", String(part.number))
                    p.element("LastModified", S3Date.iso8601(part.lastModified))
                    p.element("ETag", "\"\(part.etag)\"")
                    p.element("Size", String(part.size))
                    if let checksum = part.checksum { p.element("Checksum" + checksum.algorithm, checksum.value) }
                }
            }
        }
        return xmlResponse(xml)
    }

    func listMultipartUploads(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let params = try ListParameters(call.request, maxName: "max-uploads")
        let keyMarker = call.request.queryValue("key-marker").flatMap { $0.isEmpty ? nil : $0 }
        let uploadIdMarker = call.request.queryValue("upload-id-marker").flatMap { $0.isEmpty ? nil : $0 }
        let listing = try await store.listUploads(
            bucket: bucket.name, prefix: params.prefix, delimiter: params.delimiter, keyMarker: keyMarker,
            uploadIdMarker: keyMarker == nil ? nil : uploadIdMarker, maxUploads: params.maxKeys)
        var xml = XMLWriter(invalidCharacters: .referenced)
        xml.element("ListMultipartUploadsResult", attributes: [("xmlns", S3XML.namespace)]) { x in
            x.element("Bucket", bucket.name)
            x.element("KeyMarker", params.encode(keyMarker ?? ""))
            x.element("UploadIdMarker", uploadIdMarker ?? "")
            if listing.isTruncated {
                x.element("NextKeyMarker", params.encode(listing.nextKeyMarker ?? ""))
                x.element("NextUploadIdMarker", listing.nextUploadIdMarker ?? "")
            }
            x.element("Prefix", params.encode(params.prefix))
            if let d = params.delimiter { x.element("Delimiter", params.encode(d)) }
            x.element("MaxUploads", String(params.maxKeys))
            x.element("IsTruncated", listing.isTruncated ? "true" : "false")
            if params.urlEncoding { x.element("EncodingType", "url") }
            for upload in listing.uploads {
                x.element("Upload") { u in
                    u.element("Key", params.encode(upload.key))
                    u.element("UploadId", upload.uploadId)
                    u.element("Initiator") { i in
                        i.element("ID", User.canonicalId(forName: upload.owner, accountId: users.root.accountId))
                        i.element("DisplayName", upload.owner)
                    }
                    writeOwner(&u, name: bucket.owner)
                    u.element("StorageClass", upload.storageClass)
                    u.element("Initiated", S3Date.iso8601(upload.initiated))
                    if let algorithm = upload.checksumAlgorithm { u.element("ChecksumAlgorithm", algorithm) }
                    if let type = upload.checksumType { u.element("ChecksumType", type) }
                }
            }
            for prefix in listing.commonPrefixes {
                x.element("CommonPrefixes") { $0.element("Prefix", params.encode(prefix)) }
            }
        }
        return xmlResponse(xml)
    }
}

func zip2<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}

extension ObjectStore {
    /// Discards an uncommitted blob (its chunks become garbage and are reclaimed).
    func discardBlob(_ blob: BlobRef) async throws { try await discard([blob.id]) }
}
