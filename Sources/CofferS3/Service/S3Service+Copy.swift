import CofferSigV4
import CofferCrypto
import CofferStorage
import Foundation
import HTTPTypes

/// `x-amz-copy-source`: `[/]bucket/key[?versionId=...]`, URL-encoded.
struct CopySource {
    var bucket: String
    var key: String
    /// The source version (`?versionId=`); the current version when none is named.
    var version: VersionSelector

    static func parse(_ request: S3Request) throws(S3Error) -> CopySource {
        let invalid = S3Error(.invalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
            extra: [("ArgumentName", "x-amz-copy-source")])
        guard let raw = request.header(.xAmzCopySource) else { throw invalid }
        var text = Substring(raw)
        var versionId: String?
        if let mark = text.firstIndex(of: "?") {
            let query = text[text.index(after: mark)...]
            text = text[..<mark]
            if query.hasPrefix("versionId=") { versionId = String(query.dropFirst("versionId=".count)) }
        }
        guard let decoded = PercentEncoding.decode(text) else { throw invalid }
        let path = decoded.hasPrefix("/") ? decoded.dropFirst() : Substring(decoded)
        guard let slash = path.firstIndex(of: "/") else { throw invalid }
        let bucket = String(path[..<slash])
        let key = String(path[path.index(after: slash)...])
        guard !bucket.isEmpty, !key.isEmpty else { throw invalid }
        return CopySource(bucket: bucket, key: key, version: try VersionSelector.parse(versionId, argument: "x-amz-copy-source"))
    }
}

extension S3Service {
    /// Opens the copy source the pipeline authorised, after checking its conditions hold.
    /// `sourceKey`: the copy-source SSE-C key the request carries; S3 refuses one for a source
    /// that is not SSE-C (400 InvalidRequest) rather than ignoring it.
    func openCopySource(_ call: AuthorizedCall, sourceKey: CustomerKey?) async throws -> (CopySource, ObjectReader) {
        guard let authorized = call.copySource else {
            throw S3Error(.internalError, "The operation table gives this operation no copy source.")
        }
        let source = authorized.source
        let reader: ObjectReader
        switch try await store.openVersion(bucket: authorized.bucket.name, key: source.key, source.version) {
        case .object(let opened)?: reader = opened
        case .deleteMarker?:
            guard source.version.namesVersion else { throw S3Error(.noSuchKey, extra: [("Key", source.key)]) }
            throw S3Error(.invalidRequest, "The source of a copy request may not specifically refer to a delete marker by version id.")
        case nil:
            guard source.version.namesVersion else { throw S3Error(.noSuchKey, extra: [("Key", source.key)]) }
            throw VersionHeaders.noSuchVersion(key: source.key, source.version)
        }
        if sourceKey != nil, !ObjectKeys.isSSEC(reader.record.encryption) {
            throw S3Error(.invalidRequest, "The encryption parameters are not applicable to this object.")
        }
        try CopyConditions.evaluate(call.request, record: reader.record)
        return (source, reader)
    }

    /// `x-amz-copy-source-version-id`: the version copied, when its bucket is or was versioned.
    func copySourceVersionHeader(_ call: AuthorizedCall, source: ObjectRecord, to fields: inout HTTPFields) {
        guard let bucket = call.copySource?.bucket, bucket.versioning != nil || source.versionId != nil else { return }
        fields[.xAmzCopySourceVersionId] = source.versionIdText
    }

    /// Streams `range` of the source (opened with its own key) into a new blob sealed by
    /// `sealer`: copies always re-encrypt.
    func copyData(
        from reader: ObjectReader, sourceKey: CustomerKey?, range: ClosedRange<Int64>?, into sealer: any PackageSealing, checksum: ChecksumAlgorithm?, call: AuthorizedCall
    ) async throws -> (blob: BlobRef, md5: [UInt8], checksum: [UInt8]?) {
        let openers = try await openers(for: reader.record, customerKey: sourceKey, call: call)
        let sink = try await BlobSink(store: store, sealer: sealer, checksum: checksum)
        do {
            let stream = ObjectBodyStream(reader: reader, openers: openers, range: range)
            try await stream.forEachPiece { piece in try await sink.append(piece) }
            return try await sink.finish()
        } catch {
            await sink.discard()
            throw error
        }
    }

    func copyObject(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let key = call.request.key!
        try ObjectKey.validate(key)
        try checkCannedACL(call, forBucket: false)
        let encryption = try checkWriteEncryption(call, bucket: bucket)
        let destinationKey = encryption.customerKey
        let sourceKey = try customerKey(call, copySource: true)
        let (source, reader) = try await openCopySource(call, sourceKey: sourceKey)
        let sourceRecord = reader.record
        let directive = call.request.header(.xAmzMetadataDirective) ?? "COPY"
        guard directive == "COPY" || directive == "REPLACE" else {
            throw S3Error(.invalidArgument, "Unknown metadata directive.", extra: [("ArgumentName", "x-amz-metadata-directive"), ("ArgumentValue", directive)])
        }
        let replacing = directive == "REPLACE"
        let headers = try ObjectHeaders.parse(call.request)
        // The copy is a new version: it is locked by the request's headers or the destination
        // bucket's default, never by the source's lock.
        let lock = try ObjectLockHeaders.parse(call.request, now: call.now).lock(in: bucket, at: call.now)
        // COPY (the default) gives the copy the source's tags and ignores x-amz-tagging, as S3 does.
        let tags: [StoredTag]?
        switch try TaggingDirective.of(call.request) {
        case .copy: tags = sourceRecord.tags
        case .replace: tags = try call.request.header(.xAmzTagging).map(TaggingHeader.parse)
        }
        let storageClass = call.request.header(.xAmzStorageClass) != nil ? headers.storageClass : sourceRecord.storageClass
        let changesEncryption = destinationKey != nil || sourceKey != nil || call.request.header(.xAmzServerSideEncryption) != nil
            || sourceRecord.encryption?.mode == .sseKMS
        if source.bucket == bucket.name, source.key == key, !replacing, call.request.header(.xAmzStorageClass) == nil, !changesEncryption {
            throw S3Error(.invalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
        }
        if sourceRecord.size > Self.maxPutSize {
            throw S3Error(.invalidRequest, "The specified copy source is larger than the maximum allowable size for a copy source: \(Self.maxPutSize)")
        }
        var algorithm: ChecksumAlgorithm?
        if let name = call.request.header(.xAmzChecksumAlgorithm) {
            guard let parsed = ChecksumAlgorithm(name: name) else { throw S3Error(.invalidRequest, "Checksum algorithm provided is unsupported.") }
            algorithm = parsed
        } else if let stored = sourceRecord.checksum {
            algorithm = ChecksumAlgorithm(rawValue: stored.algorithm)
        }
        let (dataKey, storedEncryption) = try await keys.newObject(bucket: bucket.name, key: key, encryption: encryption, caller: kmsCaller(call))
        let versionNonce = VersionNonce.random()
        let sealer = keys.sealer(dataKey: dataKey, bucket: bucket.name, key: key, versionNonce: versionNonce, partNumber: 0)
        let copied = try await copyData(from: reader, sourceKey: sourceKey, range: nil, into: sealer, checksum: algorithm, call: call)
        var record = ObjectRecord(
            bucket: bucket.name, key: key, size: copied.blob.size, etag: ObjectKeys.etag(md5: copied.md5, dataKey: dataKey, keyed: !encryption.isSSES3), lastModified: call.now,
            owner: bucket.owner,
            contentHeaders: replacing ? headers.content : sourceRecord.contentHeaders,
            userMetadata: replacing ? headers.user : sourceRecord.userMetadata,
            checksum: zip2(algorithm, copied.checksum).map { StoredChecksum(algorithm: $0.rawValue, value: Base64.encode($1), type: "FULL_OBJECT") },
            parts: nil, segments: [copied.blob], storageClass: storageClass, encryption: storedEncryption, tags: tags, versionNonce: versionNonce)
        record.retention = lock.retention
        record.legalHold = lock.legalHold
        let committed = try await commit(record, call: call)
        var xml = XMLWriter()
        xml.element("CopyObjectResult", attributes: [("xmlns", S3XML.namespace)]) { x in
            x.element("ETag", "\"\(record.etag)\"")
            x.element("LastModified", S3Date.iso8601(record.lastModified))
            if let checksum = record.checksum {
                x.element("ChecksumType", checksum.type)
                x.element("Checksum" + checksum.algorithm, checksum.value)
            }
        }
        var fields = ObjectEncryptionHeaders(encryption: storedEncryption, customerKey: destinationKey, includeContext: call.request.header(SSEKMSChoice.contextHeader) != nil).fields
        copySourceVersionHeader(call, source: sourceRecord, to: &fields)
        VersionHeaders.add(committed, bucket: bucket, to: &fields)
        return xmlResponse(xml, headers: fields)
    }
}
