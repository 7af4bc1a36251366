import CofferAudit
import CofferCrypto
import CofferStorage
import Foundation
import NIOCore
import HTTPTypes

extension S3Service {
    func ingest(_ sealer: any PackageSealing, announcement: CommitAnnouncement? = nil) -> BodyIngest {
        BodyIngest(store: store, sealer: sealer, announcement: announcement)
    }

    /// One opener per segment of `record`, after its data key opened (with the customer's key
    /// for an SSE-C object).
    func openers(for record: ObjectRecord, customerKey: CustomerKey?, call: AuthorizedCall) async throws -> [any PackageOpening] {
        let dataKey = try await keys.dataKey(encryption: record.encryption, bucket: record.bucket, key: record.key, customerKey: customerKey, caller: kmsCaller(call))
        return try keys.openers(dataKey: dataKey, record: record)
    }

    func putObject(_ call: AuthorizedCall) async throws -> S3Response {
        // Said first, so that commits made while this request is checked and its body read may
        // wait a moment for its commit and share one log sync (ends with a large body).
        let announcement = store.announceCommit()
        let bucket = try call.targetBucket()
        let key = call.request.key!
        try ObjectKey.validate(key)
        try checkCannedACL(call, forBucket: false)
        let encryption = try checkWriteEncryption(call, bucket: bucket)
        let headers = try ObjectHeaders.parse(call.request)
        let tags = try call.request.header(.xAmzTagging).map(TaggingHeader.parse)
        let lockHeaders = try ObjectLockHeaders.parse(call.request, now: call.now)
        let lock = try lockHeaders.lock(in: bucket, at: call.now)
        try lockHeaders.requireIntegrityCheck(call.request)
        let expectedMD5 = try ContentMD5.expected(call.request)
        let precondition = try ConditionalWrite.parse(call.request)
        if precondition != .none { try precondition.checkEarly(await store.object(bucket: bucket.name, key: key), key: key) }
        var body = try IncomingBody(call: call, requireLength: true)
        let checksum = try ChecksumRequest.parse(call.request, declaredTrailers: body.declaredTrailers)
        let (dataKey, storedEncryption) = try await keys.newObject(bucket: bucket.name, key: key, encryption: encryption, caller: kmsCaller(call))
        let versionNonce = VersionNonce.random()
        let sealer = keys.sealer(dataKey: dataKey, bucket: bucket.name, key: key, versionNonce: versionNonce, partNumber: 0)
        let result = try await ingest(sealer, announcement: announcement).ingest(&body, checksum: checksum, maxSize: Self.maxPutSize)
        do {
            try ContentMD5.verify(expectedMD5, computed: result.md5)
        } catch {
            try? await store.discardBlob(result.blob)
            throw error
        }
        var record = ObjectRecord(
            bucket: bucket.name, key: key, size: result.blob.size, etag: ObjectKeys.etag(md5: result.md5, dataKey: dataKey, keyed: !(encryption.isSSES3)),
            lastModified: call.now, owner: bucket.owner, contentHeaders: headers.content, userMetadata: headers.user,
            checksum: result.checksum.map { StoredChecksum(algorithm: $0.algorithm.rawValue, value: Base64.encode($0.value), type: "FULL_OBJECT") },
            parts: nil, segments: [result.blob], storageClass: headers.storageClass, encryption: storedEncryption, tags: tags, versionNonce: versionNonce)
        record.retention = lock.retention
        record.legalHold = lock.legalHold
        let committed = try await commit(record, precondition: precondition, call: call)
        var fields = ObjectEncryptionHeaders(encryption: storedEncryption, customerKey: encryption.customerKey, includeContext: call.request.header(SSEKMSChoice.contextHeader) != nil).fields
        fields[.eTag] = "\"\(record.etag)\""
        VersionHeaders.add(committed, bucket: bucket, to: &fields)

        if let checksum = record.checksum, let algorithm = ChecksumAlgorithm(rawValue: checksum.algorithm) {
            fields[HTTPField.Name(algorithm.headerName)!] = checksum.value
            fields[.xAmzChecksumType] = checksum.type
        }
        return emptyResponse(.ok, headers: fields)
    }

    /// Commits `record` (data already written) if `precondition` holds, with the call's data
    /// event in the same commit; on any failure before the commit, the record's new blobs are
    /// discarded. Returns the record as committed (with its version id).
    @discardableResult
    func commit(_ record: ObjectRecord, precondition: WritePrecondition = .none, call: AuthorizedCall) async throws -> ObjectRecord {
        let store = self.store
        var committed: ObjectRecord?
        do {
            try await committing(call, key: record.key) { note in
                do throws(StorageError) {
                    committed = try await store.commitObject(record, precondition: precondition, note: note).record
                } catch {
                    throw S3Error(storage: error, key: record.key, bucket: record.bucket, precondition: precondition)
                }
            }
        } catch {
            if committed == nil {
                for segment in record.segments { try? await store.discardBlob(segment) }
            }
            throw error
        }
        guard let committed else { throw S3Error(.internalError, "The commit returned no record.") }
        return committed
    }

    func getObject(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let key = call.request.key!
        let reader = try await openVersion(call, bucket: bucket, key: key)
        let record = reader.record
        // S3 refuses write-side encryption headers on reads (the object says how it is encrypted).
        for name in ["x-amz-server-side-encryption", SSEKMSChoice.keyIdHeader, SSEKMSChoice.contextHeader] where call.request.header(name) != nil {
            throw S3Error(.invalidArgument, "\(name) header is not supported for this operation.",
                          extra: [("ArgumentName", name), ("ArgumentValue", call.request.header(name) ?? "")])
        }
        let customerKey = try customerKey(call)
        // The customer's key is checked before anything is answered (403 when wrong). Other
        // modes open their data key only to stream a body: HEAD and 304/412 answers come from
        // the record alone, without the key service, as on S3.
        if customerKey != nil || ObjectKeys.isSSEC(record.encryption) {
            _ = try keys.dataKey(encryption: record.encryption, bucket: record.bucket, key: record.key, customerKey: customerKey)
        }
        var fields = ObjectHeaders.responseFields(for: record)
        VersionHeaders.add(record, bucket: bucket, to: &fields)
        if record.retention != nil || record.legalHold != nil {
            ObjectLockHeaders.responseFields(record, showRetention: record.retention != nil ? await call.mayAlso("s3:GetObjectRetention") : false,
                                             showLegalHold: record.legalHold != nil ? await call.mayAlso("s3:GetObjectLegalHold") : false, into: &fields)
        }
        if let tags = record.tags, !tags.isEmpty, await call.mayReadTagCount(of: tags) {
            fields[.xAmzTaggingCount] = String(tags.count)
        }
        fields.append(contentsOf: ObjectEncryptionHeaders(encryption: record.encryption, customerKey: customerKey).fields)
        try Conditional.evaluate(call.request, etag: record.etag, lastModified: record.lastModified, responseFields: fields)

        var range: ClosedRange<Int64>?
        if let partText = call.request.queryValue("partNumber") {
            guard let partNumber = Int(partText), partNumber >= 1, partNumber <= 10000 else {
                throw S3Error(.invalidArgument, "Part number must be an integer between 1 and 10000, inclusive", extra: [("ArgumentName", "partNumber"), ("ArgumentValue", partText)])
            }
            if call.request.header(.range) != nil {
                throw S3Error(.invalidRequest, "Cannot specify both Range header and partNumber query parameter")
            }
            // A part the object does not have is 400 InvalidPart on S3 (not 416). Parts keep
            // the numbers they were uploaded with, so an object completed from parts 1 and 3
            // has a part 3 and no part 2.
            if let parts = record.parts {
                guard let index = parts.firstIndex(where: { $0.number == partNumber }) else { throw S3Error(.invalidPart) }
                let start = parts[..<index].reduce(Int64(0)) { $0 + $1.size }
                let size = parts[index].size
                fields[.xAmzMpPartsCount] = String(parts.count)
                guard size > 0 else {
                    // An empty part: nothing to send, and never the whole object instead.
                    fields[.contentLength] = "0"
                    return S3Response(status: .partialContent, headers: fields)
                }
                range = start...(start + size - 1)
            } else if partNumber != 1 {
                throw S3Error(.invalidPart)
            } else if record.size > 0 {
                range = 0...(record.size - 1)  // part 1 of a single-part object is the whole object, answered 206
            }
        } else if let header = call.request.header(.range) {
            switch ByteRange.parse(header, size: record.size) {
            case .none: break
            case .satisfiable(let r): range = r
            case .unsatisfiable:
                throw S3Error(.invalidRange, extra: [("RangeRequested", header), ("ActualObjectSize", String(record.size))],
                    headers: [.contentRange: "bytes */\(record.size)"])
            }
        }
        let wholeObject = range == nil && call.request.queryValue("partNumber") == nil
        if wholeObject, call.request.header(.xAmzChecksumMode)?.uppercased() == "ENABLED",
            let checksum = record.checksum, let algorithm = ChecksumAlgorithm(rawValue: checksum.algorithm) {
            fields[HTTPField.Name(algorithm.headerName)!] = checksum.value
            fields[.xAmzChecksumType] = checksum.type
        }
        applyResponseOverrides(call, &fields)
        let status: HTTPResponse.Status
        if let range {
            status = .partialContent
            fields[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(record.size)"
            fields[.contentLength] = String(range.upperBound - range.lowerBound + 1)
        } else {
            status = .ok
            fields[.contentLength] = String(record.size)
        }
        if call.operation == .headObject {
            return S3Response(status: status, headers: fields)
        }
        let openers = try await openers(for: record, customerKey: customerKey, call: call)
        let stream = ObjectBodyStream(reader: reader, openers: openers, range: range)
        let length = range.map { $0.upperBound - $0.lowerBound + 1 } ?? record.size
        if length <= Int64(ObjectBodyStream.readAheadAbovePackages * SealedFormat.packageSize) {
            // Small bodies are read before answering: a damaged package is a 500, not a 200
            // cut short.
            do {
                return S3Response(status: status, headers: fields, body: .buffer(try await stream.collect()))
            } catch let damage as DamagedObjectError {
                throw reportDamage(damage, call: call, answered: false)
            }
        }
        // A longer body streams, but its first package is read before answering, so that an
        // object damaged at its start (most often the whole object) is still a 500.
        let first = range?.lowerBound ?? 0, last = first + length - 1
        let packageSize = Int64(SealedFormat.packageSize)
        let primedEnd = min(last, (first / packageSize + 1) * packageSize - 1)
        let primed: ByteBuffer
        do {
            primed = try await ObjectBodyStream(reader: reader, openers: openers, range: first...primedEnd).collect()
        } catch let damage as DamagedObjectError {
            throw reportDamage(damage, call: call, answered: false)
        }
        let rest = ObjectBodyStream(reader: reader, openers: openers, range: (primedEnd + 1)...last)
        guard case .stream(_, let write) = rest.responseBody() else { preconditionFailure("object bodies stream") }
        let service = self
        return S3Response(status: status, headers: fields, body: .stream(length: Int(length)) { sink in
            do {
                try await sink.write(primed)
                try await write(&sink)
            } catch let damage as DamagedObjectError {
                // The 200 and part of the body are gone: the client sees a short body, the
                // operator this line.
                throw service.reportDamage(damage, call: call, answered: true)
            }
        })
    }

    /// Opens the version of `key` the request names (`versionId`; the current one without):
    /// 404 NoSuchKey (or 403, the table's rule) when there is no current version, 404
    /// NoSuchVersion for an id that names none, and for a delete marker the answers
    /// ``VersionHeaders/deleteMarkerRead(_:key:selector:method:)`` gives.
    func openVersion(_ call: AuthorizedCall, bucket: BucketRecord, key: String) async throws -> ObjectReader {
        let selector = try VersionSelector.of(call.request)
        switch try await store.openVersion(bucket: bucket.name, key: key, selector) {
        case .object(let reader)?: return reader
        case .deleteMarker(let marker)?:
            throw VersionHeaders.deleteMarkerRead(marker, key: key, selector: selector, method: call.request.method.rawValue)
        case nil: throw await missingVersion(call, key: key, selector)
        }
    }

    /// The answer for the version a request names when there is none: NoSuchKey (or 403, the
    /// table's rule) for the current version, NoSuchVersion for an id or `null`. `missingName`
    /// is the key as a NoSuchKey names it.
    func missingVersion(_ call: AuthorizedCall, key: String, _ selector: VersionSelector, missingName: String? = nil) async -> S3Error {
        selector.namesVersion ? VersionHeaders.noSuchVersion(key: key, selector) : await call.missingKey(missingName ?? key)
    }

    /// The record of the version of `key` the request names, with ``openVersion(_:bucket:key:)``'s
    /// answers for what is missing; `missingName` is the key as the 404 names it.
    func namedVersion(_ call: AuthorizedCall, bucket: BucketRecord, key: String, missingName: String? = nil) async throws -> ObjectRecord {
        let selector = try VersionSelector.of(call.request)
        guard let record = try await store.version(bucket: bucket.name, key: key, selector) else {
            throw await missingVersion(call, key: key, selector, missingName: missingName)
        }
        if record.isDeleteMarker {
            throw VersionHeaders.deleteMarkerRead(record, key: missingName ?? key, selector: selector, method: call.request.method.rawValue)
        }
        return record
    }

    /// The S3 answer to a store refusal of a rewrite of one version's record (its tags, its
    /// lock): NoSuchKey (or 403, the table's rule) without a current version, NoSuchVersion for
    /// an id that names none, 405 for a delete marker.
    func versionRewriteRefusal(_ error: StorageError, call: AuthorizedCall, key: String, version: VersionSelector) async -> S3Error {
        switch error.code {
        case .notFound: return await missingVersion(call, key: key, version)
        case .deleteMarker: return VersionHeaders.deleteMarkerNamed(method: call.request.method.rawValue)
        default: return S3Error(storage: error, key: key, bucket: call.bucket?.name)
        }
    }

    /// Logs a damaged object (bucket, key, segment, blob, package and cause; never its bytes),
    /// leaves an error record naming the package in the audit trail (after the call's success
    /// record when the 200 was `answered` already, instead of the pipeline's generic failure
    /// record otherwise), and returns the error to answer with.
    func reportDamage(_ damage: DamagedObjectError, call: AuthorizedCall, answered: Bool) -> S3Error {
        logger.error("damaged object: a stored package cannot be read", metadata: [
            "request-id": .string(call.requestId), "bucket": .string(damage.bucket), "key": .string(damage.key),
            "segment": .stringConvertible(damage.segment), "blob": .string(damage.blob.description),
            "package": .stringConvertible(damage.package), "cause": .string(String(describing: damage.cause)),
        ])
        let message = "Damaged object: package \(damage.package) of segment \(damage.segment) (blob \(damage.blob)) cannot be read"
            + (answered ? "; the response was cut short." : ".")
        do {
            try recordKeyFailure(call, key: damage.key, code: .internalError, message: message)
            if !answered { call.dataEvent.markFailureRecorded() }
        } catch {
            // Logged by recordKeyFailure; the pipeline's own failure record follows if not answered.
        }
        return S3Error(.internalError)
    }

    /// `response-content-type` and friends override response headers on signed GETs.
    func applyResponseOverrides(_ call: AuthorizedCall, _ fields: inout HTTPFields) {
        let overrides: [(String, HTTPField.Name)] = [
            ("response-content-type", .contentType), ("response-content-language", .contentLanguage),
            ("response-expires", .expires), ("response-cache-control", .cacheControl),
            ("response-content-disposition", .contentDisposition), ("response-content-encoding", .contentEncoding),
        ]
        for (parameter, field) in overrides {
            if let value = call.request.queryValue(parameter) { fields[field] = value }
        }
    }

    /// 204. Without `versionId`: the object is removed (a bucket never versioned) or a delete
    /// marker added (`x-amz-delete-marker: true` and its version id). With one: that version
    /// is removed for good (its id echoed; `x-amz-delete-marker: true` when it was a marker),
    /// and an id that names no version changes nothing, as on S3.
    func deleteObject(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let key = call.request.key!
        let version = try VersionSelector.of(call.request)
        let bypass = await mayBypassGovernance(call)
        let deletion = try await deleteVersion(call, bucket: bucket, key: key, version: version, bypass: bypass, oneOfMany: false)
        return emptyResponse(.noContent, headers: Self.deletionHeaders(deletion, version: version))
    }

    /// The store's deletion of `version` of `key`, its record committed with it (the call's
    /// own, or, `oneOfMany`, one key's of DeleteObjects). A version Object Lock protects is
    /// refused (403) unless `bypass` lifts its GOVERNANCE retention.
    private func deleteVersion(
        _ call: AuthorizedCall, bucket: BucketRecord, key: String, version: VersionSelector, bypass: Bool, oneOfMany: Bool
    ) async throws -> ObjectDeletion {
        let store = self.store
        let write = { (note: CommitNote?) async throws -> ObjectDeletion in
            do throws(StorageError) {
                var request = ObjectDeletionRequest(bucket: bucket.name, key: key, version: version, owner: bucket.owner, date: call.now, note: note)
                request.bypassGovernanceRetention = bypass
                return try await store.deleteObject(request)
            } catch {
                throw S3Error(storage: error, key: key, bucket: bucket.name)
            }
        }
        // A deletion that asked for the bypass says whether it was in effect (asked and allowed),
        // in its record whether it succeeds or is refused.
        if ObjectLockHeaders.asksBypass(call.request) { call.dataEvent.addParameters(["bypassGovernanceRetention": .bool(bypass)]) }
        return oneOfMany ? try await committingOne(call, key: key, write) : try await committing(call, key: key, write)
    }

    /// The version headers of a deletion's answer.
    static func deletionHeaders(_ deletion: ObjectDeletion, version: VersionSelector) -> HTTPFields {
        if let marker = deletion.marker { return VersionHeaders.deleteMarker(marker) }
        var fields = HTTPFields()
        if let text = version.text { fields[.xAmzVersionId] = text }
        if deletion.removed?.isDeleteMarker == true { fields[.xAmzDeleteMarker] = "true" }
        return fields
    }

    func deleteObjects(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let document = try await RequestDocument.read(call, limit: 2 * 1024 * 1024)
        if !document.hadIntegrityCheck {
            throw S3Error(.invalidRequest, "Missing required header for this request: Content-MD5 or x-amz-checksum-*")
        }
        guard let root = XMLElementNode.parse(document.bytes), root.name == "Delete" else { throw S3Error(.malformedXML) }
        let objects = root.all("Object")
        guard !objects.isEmpty, objects.count <= 1000, objects.allSatisfy({ $0.child("Key") != nil }) else {
            throw S3Error(.malformedXML)
        }
        let quiet = root.childText("Quiet")?.lowercased() == "true"
        let requests = objects.map { (key: $0.childText("Key") ?? "", versionId: $0.childText("VersionId")) }
        // S3 authorises s3:DeleteObject (s3:DeleteObjectVersion for an entry with a VersionId)
        // for each key and reports refused keys one by one.
        var allowed: [Bool] = []
        for request in requests { allowed.append(await call.isAllowed(key: request.key, versionId: request.versionId)) }
        let decisions = allowed
        // Each key is its own write with its own audit record (committed with its deletion, or
        // the refusal); the call then needs no record of its own.
        var outcomes: [(key: String, versionId: String?, result: Result<ObjectDeletion, S3Error>)] = []
        let bypass = await mayBypassGovernance(call)
        for (request, allowed) in zip(requests, decisions) {
            let result = allowed ? await deleteOne(call, bucket: bucket, key: request.key, versionId: request.versionId, bypass: bypass)
                : .failure(S3Error(.accessDenied))
            if case .failure(let error) = result { try recordKeyFailure(call, key: request.key, code: error.code, message: error.message) }
            outcomes.append((key: request.key, versionId: request.versionId, result: result))
        }
        call.dataEvent.markRecorded()
        var xml = XMLWriter(invalidCharacters: .referenced)
        xml.element("DeleteResult", attributes: [("xmlns", S3XML.namespace)]) { x in
            for outcome in outcomes {
                switch outcome.result {
                case .failure(let error):
                    x.element("Error") { e in
                        e.element("Key", outcome.key)
                        e.optionalElement("VersionId", outcome.versionId)
                        e.element("Code", error.code.rawValue)
                        e.element("Message", error.message)
                    }
                case .success(let deletion) where !quiet:
                    x.element("Deleted") { d in
                        d.element("Key", outcome.key)
                        d.optionalElement("VersionId", outcome.versionId)
                        if let marker = deletion.marker {
                            d.element("DeleteMarker", "true")
                            d.element("DeleteMarkerVersionId", marker.versionIdText)
                        } else if let removed = deletion.removed, removed.isDeleteMarker {
                            d.element("DeleteMarker", "true")
                            d.element("DeleteMarkerVersionId", removed.versionIdText)
                        }
                    }
                case .success: break
                }
            }
        }
        return xmlResponse(xml)
    }

    /// Deletes one key (or one version) of a DeleteObjects batch, its record committed with it;
    /// the deletion, or the error to report for the key.
    private func deleteOne(_ call: AuthorizedCall, bucket: BucketRecord, key: String, versionId: String?, bypass: Bool) async -> Result<ObjectDeletion, S3Error> {
        if key.utf8.count > 1024 { return .failure(S3Error(.keyTooLongError)) }
        do {
            let version = try VersionSelector.parse(versionId)
            return .success(try await deleteVersion(call, bucket: bucket, key: key, version: version, bypass: bypass, oneOfMany: true))
        } catch let error as S3Error {
            return .failure(error)
        } catch {
            logger.error("delete failed", metadata: ["bucket": .string(bucket.name), "error": .string(String(describing: error))])
            return .failure(S3Error(.internalError))
        }
    }
}
