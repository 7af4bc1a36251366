import CofferPolicy
import CofferStorage
import Foundation
import HTTPTypes
import NIOCore

/// PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy and GetBucketPolicyStatus. The policy
/// is kept in the bucket record (`BucketRecord.policy`), exactly as the client sent it (S3 returns it
/// byte for byte), after the policy engine validated it.
extension S3Service {
    static func storedPolicy(_ bucket: BucketRecord) -> String? { bucket.policy }

    func putBucketPolicy(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        var body = try IncomingBody(call: call, requireLength: false)
        let bytes: [UInt8]
        do { bytes = try await body.collect(limit: Policy.maximumSize) } catch let error as S3Error where error.code == .malformedXML {
            throw S3Error(.malformedPolicy, "Policy document exceeds the maximum allowed size of 20480 bytes")
        }
        guard !bytes.isEmpty else { throw S3Error(.malformedPolicy, "Policies must be valid JSON and the first byte must be '{'") }
        do {
            _ = try Policy.parse(bytes, bucket: bucket.name, requirePrincipal: true)
        } catch {
            throw S3Error(.malformedPolicy, error.reason)
        }
        let policy = String(decoding: bytes, as: UTF8.self)
        try await changeBucket(bucket.name) { $0.policy = policy }
        return S3Response(status: .noContent)
    }

    func getBucketPolicy(_ call: AuthorizedCall) throws -> S3Response {
        let bucket = try call.targetBucket()
        guard let policy = Self.storedPolicy(bucket) else {
            throw S3Error(.noSuchBucketPolicy, extra: [("BucketName", bucket.name)])
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let buffer = ByteBuffer(string: policy)
        headers[.contentLength] = String(buffer.readableBytes)
        return S3Response(status: .ok, headers: headers, body: .buffer(buffer))
    }

    func deleteBucketPolicy(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        try await changeBucket(bucket.name) { $0.policy = nil }
        return S3Response(status: .noContent)
    }

    /// `IsPublic` as S3 defines it: the policy grants something to `*` (or anonymous) without
    /// a condition that pins it to fixed values (source IPs, accounts, ...).
    func getBucketPolicyStatus(_ call: AuthorizedCall) throws -> S3Response {
        let bucket = try call.targetBucket()
        guard let text = Self.storedPolicy(bucket), let policy = try? Policy.parse(text, bucket: bucket.name) else {
            throw S3Error(.noSuchBucketPolicy, extra: [("BucketName", bucket.name)])
        }
        var xml = XMLWriter()
        xml.element("PolicyStatus", attributes: [("xmlns", S3XML.namespace)]) { x in
            x.element("IsPublic", policy.grantsPublicAccess ? "true" : "false")
        }
        return xmlResponse(xml)
    }
}
