import CofferCrypto
import CofferStorage
import CofferTime
import Foundation

extension S3Service {
    /// ListBuckets, paginated as S3 has done since 2024 when `max-buckets` is given (1 to
    /// 10,000; without it every bucket, as before), filtered by `prefix` and `bucket-region`.
    /// The continuation token names the last bucket returned.
    func listBuckets(_ call: AuthorizedCall) async throws -> S3Response {
        let user = try call.requireUser()
        var maxBuckets: Int?
        if let text = call.request.queryValue("max-buckets") {
            guard let value = Int(text), (1...10_000).contains(value) else {
                throw S3Error(.invalidArgument, "Argument max-buckets must be an integer between 1 and 10000",
                              extra: [("ArgumentName", "max-buckets"), ("ArgumentValue", text)])
            }
            maxBuckets = value
        }
        var after: String?
        if let token = call.request.queryValue("continuation-token"), !token.isEmpty {
            guard let bytes = Base64.decode(token), let decoded = String(validating: bytes, as: UTF8.self), decoded.hasPrefix("b:") else {
                throw S3Error(.invalidArgument, "The continuation token provided is incorrect", extra: [("ArgumentName", "continuation-token")])
            }
            after = String(decoded.dropFirst(2))
        }
        let prefix = call.request.queryValue("prefix") ?? ""
        let region = call.request.queryValue("bucket-region").flatMap { $0.isEmpty ? nil : $0 }
        // The account's root user lists every bucket of the account, as on S3; a user lists the
        // buckets they own (Coffer's ownership grant: the only buckets a user may use by default).
        var buckets = try await store.listBuckets().filter {
            (user.isRoot || $0.owner == user.name) && $0.name.hasPrefix(prefix) && (region == nil || $0.region == region)
                && (after == nil || $0.name > after!)
        }
        var next: String?
        if let maxBuckets, buckets.count > maxBuckets {
            buckets = Array(buckets.prefix(maxBuckets))
            next = Base64.encode(Array(("b:" + buckets[buckets.count - 1].name).utf8))
        }
        var xml = XMLWriter()
        xml.element("ListAllMyBucketsResult", attributes: [("xmlns", S3XML.namespace)]) { x in
            writeOwner(&x, name: user.name)
            x.element("Buckets") { b in
                for bucket in buckets {
                    b.element("Bucket") { e in
                        e.element("Name", bucket.name)
                        e.element("CreationDate", S3Date.iso8601(bucket.createdAt))
                        e.element("BucketRegion", bucket.region)
                    }
                }
            }
            if let next { x.element("ContinuationToken", next) }
            if call.request.queryValue("prefix") != nil { x.element("Prefix", prefix) }
        }
        return xmlResponse(xml)
    }

    func createBucket(_ call: AuthorizedCall) async throws -> S3Response {
        let user = try call.requireUser()
        let name = call.request.bucket!
        guard BucketName.isValid(name) else { throw S3Error(.invalidBucketName, extra: [("BucketName", name)]) }
        try checkCannedACL(call, forBucket: true)
        var body = try IncomingBody(call: call, requireLength: false)
        let xmlBytes = try await body.collect(limit: 64 * 1024)
        var constraint: String?
        if !xmlBytes.isEmpty {
            guard let root = XMLElementNode.parse(xmlBytes), root.name == "CreateBucketConfiguration" else {
                throw S3Error(.malformedXML)
            }
            constraint = root.childText("LocationConstraint")
        }
        let region = options.region
        if let constraint, !constraint.isEmpty {
            if region == "us-east-1" && constraint == "us-east-1" {
                throw S3Error(.invalidLocationConstraint, "The specified location-constraint is not valid", extra: [("LocationConstraint", constraint)])
            }
            if constraint != region && !(region == "us-east-1" && constraint == "US") {
                throw S3Error(.illegalLocationConstraintException, "The \(constraint) location constraint is incompatible for the region specific endpoint this request was sent to.")
            }
        } else if region != "us-east-1" {
            throw S3Error(.illegalLocationConstraintException, "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.")
        }
        var record = BucketRecord(name: name, owner: user.name, region: region, createdAt: call.now)
        // A bucket with Object Lock has versioning enabled for good (S3 turns it on).
        if call.request.header(.xAmzBucketObjectLockEnabled)?.lowercased() == "true" {
            record.objectLockEnabled = true
            record.versioning = .enabled
        }
        if options.blockSSECOnNewBuckets { record.encryption = .sseS3BlockingSSEC }
        try await insertBucket(record)
        return emptyResponse(.ok, headers: [.location: "/\(name)"])
    }

    /// Creates the bucket; an existing one answers as S3 does in this region.
    private func insertBucket(_ record: BucketRecord) async throws {
        let created: Bool
        do {
            try await store.createBucket(record)
            created = true
        } catch {
            guard error.code == .bucketExists else { throw error }
            created = false
        }
        if created { return }
        guard try await store.bucket(named: record.name)?.owner == record.owner else {
            throw S3Error(.bucketAlreadyExists, extra: [("BucketName", record.name)])
        }
        // us-east-1 keeps S3's legacy answer: re-creating your own bucket succeeds.
        if record.region != "us-east-1" { throw S3Error(.bucketAlreadyOwnedByYou, extra: [("BucketName", record.name)]) }
    }

    func headBucket(_ call: AuthorizedCall) throws -> S3Response {
        let bucket = try call.targetBucket()
        return emptyResponse(.ok, headers: [
            .xAmzBucketRegion: bucket.region,
            .xAmzAccessPointAlias: "false",
        ])
    }

    func deleteBucket(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let store = self.store
        do {
            // S3 deletes a bucket's incomplete multipart uploads with it; each is recorded
            // in the trail as an AbortMultipartUpload before it is aborted.
            try await store.deleteBucket(named: bucket.name) { upload throws(StorageError) in
                try recordUploadDeletedWithBucket(call, upload)
            }
        } catch {
            switch error.code {
            case .bucketNotEmpty: throw S3Error(.bucketNotEmpty, extra: [("BucketName", bucket.name)])
            case .noSuchBucket: throw S3Error(.noSuchBucket, extra: [("BucketName", bucket.name)])
            default: throw error
            }
        }
        return S3Response(status: .noContent)
    }

    /// Records an upload that DeleteBucket aborts, as the data event of an abort made on
    /// the caller's behalf; a failure to record stops the deletion before the abort.
    private func recordUploadDeletedWithBucket(_ call: AuthorizedCall, _ upload: UploadRecord) throws(StorageError) {
        guard let dataEvents, dataEvents.isEnabled else { return }
        do {
            try dataEvents.record(
                S3Operation.abortMultipartUpload.rawValue, call: call.call, key: upload.key, ownerAccount: users.root.accountId,
                failure: nil, parameters: ["uploadId": .string(upload.uploadId), "deletedWithBucket": .bool(true)])
        } catch {
            logger.error("audit trail: cannot record an upload deleted with its bucket; the deletion stops", metadata: ["request-id": .string(call.requestId), "error": .string(String(describing: error))])
            throw StorageError(.io, "the audit trail cannot record the deletion")
        }
    }

    func getBucketLocation(_ call: AuthorizedCall) throws -> S3Response {
        let bucket = try call.targetBucket()
        var xml = XMLWriter()
        // us-east-1 is reported as an empty LocationConstraint, as S3 does.
        let value = bucket.region == "us-east-1" ? "" : bucket.region
        xml.element("LocationConstraint", attributes: [("xmlns", S3XML.namespace)]) { x in
            x.text(value)
        }
        return xmlResponse(xml)
    }

    func getBucketOwnershipControls(_ call: AuthorizedCall) throws -> S3Response {
        _ = try call.targetBucket()
        var xml = XMLWriter()
        xml.element("OwnershipControls", attributes: [("xmlns", S3XML.namespace)]) { x in
            x.element("Rule") { $0.element("ObjectOwnership", "BucketOwnerEnforced") }
        }
        return xmlResponse(xml)
    }

    // MARK: ACLs (disabled: Object Ownership BucketOwnerEnforced)

    /// Canned ACLs that S3 still accepts on buckets with ACLs disabled.
    static let acceptedCannedACLs: Set<String> = ["private", "bucket-owner-full-control"]
    static let grantHeaders = ["x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control"]

    func checkCannedACL(_ call: AuthorizedCall, forBucket: Bool) throws(S3Error) {
        let acl = call.request.header(.xAmzAcl)
        let hasGrants = Self.grantHeaders.contains { call.request.header($0) != nil }
        if hasGrants || (acl.map { !Self.acceptedCannedACLs.contains($0) } ?? false) {
            if forBucket {
                throw S3Error(.invalidBucketAclWithObjectOwnership, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
            }
            throw S3Error(.accessControlListNotSupported)
        }
    }

    func getAcl(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        if let key = call.request.key {
            _ = try await namedVersion(call, bucket: bucket, key: key)
        }
        var xml = XMLWriter()
        xml.element("AccessControlPolicy", attributes: [("xmlns", S3XML.namespace)]) { x in
            writeOwner(&x, name: bucket.owner)
            x.element("AccessControlList") { l in
                l.element("Grant") { g in
                    g.element("Grantee", attributes: [("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"), ("xsi:type", "CanonicalUser")]) { e in
                        e.element("ID", User.canonicalId(forName: bucket.owner, accountId: users.root.accountId))
                        e.element("DisplayName", bucket.owner)
                    }
                    g.element("Permission", "FULL_CONTROL")
                }
            }
        }
        return xmlResponse(xml)
    }

    /// PutBucketAcl/PutObjectAcl: only an ACL that grants the owner FULL_CONTROL (a canned
    /// `private` or the equivalent document) is accepted, as on S3 with ACLs disabled.
    func putAcl(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        if let key = call.request.key {
            _ = try await namedVersion(call, bucket: bucket, key: key)
        }
        try checkCannedACL(call, forBucket: false)
        var body = try IncomingBody(call: call, requireLength: false)
        let bytes = try await body.collect(limit: 64 * 1024)
        if !bytes.isEmpty {
            guard let root = XMLElementNode.parse(bytes), root.name == "AccessControlPolicy" else { throw S3Error(.malformedXML) }
            let grants = root.child("AccessControlList")?.all("Grant") ?? []
            let ownerId = User.canonicalId(forName: bucket.owner, accountId: users.root.accountId)
            let onlyOwnerFullControl = grants.count == 1
                && grants[0].childText("Permission") == "FULL_CONTROL"
                && grants[0].child("Grantee")?.childText("ID") == ownerId
            guard onlyOwnerFullControl else { throw S3Error(.accessControlListNotSupported) }
        }
        return emptyResponse()
    }

    /// Changes one setting of bucket `name`'s record, conditionally on the record it changes
    /// (`ObjectStore.updateBucket(named:_:)`): concurrent changes of other settings (tags, the
    /// policy, the default encryption) are never undone.
    func changeBucket(_ name: String, _ change: @escaping @Sendable (inout BucketRecord) -> Void) async throws {
        let store = self.store
        do {
            try await store.updateBucket(named: name) { record in change(&record) }
        } catch {
            throw S3Error(storage: error, bucket: name)
        }
    }
}

enum S3XML {
    static let namespace = "http://s3.amazonaws.com/doc/2006-03-01/"
}

/// Date formats on the S3 wire (CofferTime's `UTCTime`, Coffer's one date codec).
public enum S3Date {
    /// `2006-02-03T16:45:09.000Z`, as in XML bodies.
    public static func iso8601(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        return UTCTime(epochSeconds: seconds).iso8601Extended(milliseconds: Int(millis - seconds * 1000))
    }

    /// `Wed, 12 Oct 2009 17:50:00 GMT`, as in Last-Modified.
    public static func http(_ date: Date) -> String { UTCTime(date).rfc1123 }

    /// Parses an HTTP date (RFC 1123, RFC 850 or asctime) or an ISO 8601 time, as conditional
    /// headers carry.
    public static func parseHTTP(_ text: String) -> Date? { UTCTime(httpDate: text)?.date }
}
