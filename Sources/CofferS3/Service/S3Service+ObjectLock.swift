import CofferAudit
import CofferStorage
import Foundation
import HTTPTypes

/// Object Lock (docs/object-lock.md): Put/GetObjectLockConfiguration, Put/GetObjectRetention,
/// Put/GetObjectLegalHold. The rules (COMPLIANCE never shortened, GOVERNANCE only with the
/// bypass) and their enforcement on deletion live in the store (`ObjectLockRules`), which
/// applies each change in one conditional commit of the version's record, with its audit
/// record; this layer parses, authorises the bypass and answers as S3 does.
extension S3Service {
    /// S3 requires Content-MD5 or an additional checksum on the Object Lock configuration
    /// writes; `document` says whether the request had one.
    private func requireIntegrityCheck(_ document: RequestDocument) throws(S3Error) {
        guard document.hadIntegrityCheck else {
            throw S3Error(.invalidRequest, "Missing required header for this request: Content-MD5 OR x-amz-checksum-*")
        }
    }

    /// 200; the bucket's default retention becomes the document's rule (none without a `Rule`).
    /// Only a bucket created with Object Lock has a configuration (409 InvalidBucketState).
    func putObjectLockConfiguration(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let document = try await RequestDocument.read(call, limit: 64 * 1024)
        try requireIntegrityCheck(document)
        let rule = try ObjectLockXML.parseConfiguration(document.bytes)
        guard bucket.hasObjectLock else {
            throw S3Error(.invalidBucketState, "Object Lock configuration cannot be enabled on existing buckets")
        }
        // Recorded in the audit trail by the pipeline, as every data event of the table's rows.
        try await changeBucket(bucket.name) { $0.defaultRetention = rule }
        return emptyResponse(.ok)
    }

    /// 200 with the bucket's `ObjectLockConfiguration`; 404 for a bucket without Object Lock.
    func getObjectLockConfiguration(_ call: AuthorizedCall) throws -> S3Response {
        let bucket = try call.targetBucket()
        guard bucket.hasObjectLock else {
            throw S3Error(.objectLockConfigurationNotFound, extra: [("BucketName", bucket.name)])
        }
        return xmlResponse(ObjectLockXML.writeConfiguration(bucket.defaultRetention))
    }

    /// 200; the version's retention becomes the document's (removed by an empty `Retention`),
    /// if the rules allow it: COMPLIANCE is never shortened or removed while in force, GOVERNANCE
    /// only with `x-amz-bypass-governance-retention: true` and `s3:BypassGovernanceRetention`.
    func putObjectRetention(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let key = call.request.key!
        let version = try VersionSelector.of(call.request)
        let document = try RequestDocument.checked(try call.prefetchedBody(), of: call.request)
        try requireIntegrityCheck(document)
        let retention = try ObjectLockXML.parseRetention(document.bytes, now: call.now)
        let bypass = await mayBypassGovernance(call)
        call.dataEvent.addParameters(["retention": retention.map {
            .object(["mode": .string($0.mode.rawValue), "retainUntilDate": .string(S3Date.iso8601($0.retainUntil))])
        } ?? .null, "bypassGovernanceRetention": .bool(bypass)])
        let store = self.store
        try await changeLock(call, key: key, version: version) { note throws(StorageError) in
            try await store.putRetention(bucket: bucket.name, key: key, version: version, retention: retention,
                                         bypassGovernance: bypass, now: call.now, note: note)
        }
        return emptyResponse(.ok)
    }

    /// 200 with the version's `Retention`; 404 NoSuchObjectLockConfiguration when it has none.
    func getObjectRetention(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let record = try await lockedVersion(call, bucket: bucket)
        guard let retention = record.retention else { throw S3Error(.noSuchObjectLockConfiguration) }
        return xmlResponse(ObjectLockXML.writeRetention(retention))
    }

    /// 200; the version's legal hold is turned ON or OFF.
    func putObjectLegalHold(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let key = call.request.key!
        let version = try VersionSelector.of(call.request)
        let document = try RequestDocument.checked(try call.prefetchedBody(), of: call.request)
        try requireIntegrityCheck(document)
        let hold = try ObjectLockXML.parseLegalHold(document.bytes)
        call.dataEvent.addParameters(["legalHold": .object(["status": .string(hold.rawValue)])])
        let store = self.store
        try await changeLock(call, key: key, version: version) { note throws(StorageError) in
            try await store.putLegalHold(bucket: bucket.name, key: key, version: version, on: hold == .on, note: note)
        }
        return emptyResponse(.ok)
    }

    /// 200 with the version's `LegalHold`; 404 NoSuchObjectLockConfiguration when it never had one.
    func getObjectLegalHold(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let record = try await lockedVersion(call, bucket: bucket)
        guard let hold = record.legalHold else { throw S3Error(.noSuchObjectLockConfiguration) }
        return xmlResponse(ObjectLockXML.writeLegalHold(hold))
    }

    /// Whether the call bypasses GOVERNANCE retention: it asks to
    /// (`x-amz-bypass-governance-retention: true`) and may (`s3:BypassGovernanceRetention`).
    /// Asking without the permission bypasses nothing: a protected version stays protected.
    func mayBypassGovernance(_ call: AuthorizedCall) async -> Bool {
        guard ObjectLockHeaders.asksBypass(call.request) else { return false }
        return await call.mayAlso("s3:BypassGovernanceRetention")
    }

    /// The version the request names, in a bucket with Object Lock (400 InvalidRequest
    /// otherwise), with ``namedVersion(_:bucket:key:missingName:)``'s answers.
    private func lockedVersion(_ call: AuthorizedCall, bucket: BucketRecord) async throws -> ObjectRecord {
        guard bucket.hasObjectLock else { throw S3Error(.invalidRequest, "Bucket is missing Object Lock Configuration") }
        return try await namedVersion(call, bucket: bucket, key: call.request.key!)
    }

    /// Commits a store change of a version's lock state with the call's audit record, answering
    /// its refusals as S3 does.
    private func changeLock(
        _ call: AuthorizedCall, key: String, version: VersionSelector, _ change: (CommitNote?) async throws(StorageError) -> VersionChange
    ) async throws {
        try await committing(call, key: key) { note in
            do throws(StorageError) {
                _ = try await change(note)
            } catch {
                throw await lockRefusal(error, call: call, key: key, version: version)
            }
        }
    }

    /// The S3 answer to a refused change of a version's lock state.
    private func lockRefusal(_ error: StorageError, call: AuthorizedCall, key: String, version: VersionSelector) async -> S3Error {
        if error.code == .invalidArgument { return S3Error(.invalidArgument, "The retain until date must be in the future!") }
        return await versionRewriteRefusal(error, call: call, key: key, version: version)
    }
}
