import CofferCrypto
import CofferStorage
import Foundation
import Hummingbird

extension S3Service {
    func putBucketEncryption(_ call: S3Call) async throws -> Response {
        let bucket = try authorizedBucket(call)
        let expectedMD5 = try ContentMD5.expected(call.request)
        var body = try IncomingBody(call: call, requireLength: false)
        let checksum = try ChecksumRequest.parse(call.request, declaredTrailers: body.declaredTrailers)
        let bytes = try await body.collect(limit: 64 * 1024)
        try ContentMD5.verify(expectedMD5, computed: MD5.hash(bytes))
        if let checksum { try checksum.verify(computed: ChecksumHasher.checksum(checksum.algorithm, bytes), trailers: body.trailers) }
        let configuration = try BucketEncryption.parse(bytes)
        var record = bucket
        configuration.storing(in: &record.settings)
        let store = self.store
        let updated = record
        try await blocking { try store.updateBucket(updated) }
        return emptyResponse()
    }

    func getBucketEncryption(_ call: S3Call) throws -> Response {
        let bucket = try authorizedBucket(call)
        guard let configuration = BucketEncryption.stored(in: bucket.settings) else {
            throw S3Error(.serverSideEncryptionConfigurationNotFoundError, extra: [("BucketName", bucket.name)])
        }
        var xml = XMLWriter()
        configuration.write(&xml)
        return xmlResponse(xml)
    }

    func deleteBucketEncryption(_ call: S3Call) async throws -> Response {
        let bucket = try authorizedBucket(call)
        var record = bucket
        record.settings[BucketEncryption.settingsKey] = nil
        let store = self.store
        let updated = record
        try await blocking { try store.updateBucket(updated) }
        return Response(status: .noContent)
    }

    /// The SSE-C key a request carries (under the copy-source headers when `copySource`).
    func customerKey(_ call: S3Call, copySource: Bool = false) throws(S3Error) -> CustomerKey? {
        try CustomerKey.parse(call.request, prefix: copySource ? CustomerKey.copySourcePrefix : CustomerKey.prefix, allowPlainHTTP: options.allowSSECOverHTTP)
    }

    /// Checks a write's encryption against the request headers and the bucket's default
    /// encryption, and returns the SSE-C key when the write uses one: a blocked SSE-C write is
    /// refused (403 as on S3), and a default that needs a mode Coffer does not have yet fails
    /// honestly instead of silently using SSE-S3.
    func checkWriteEncryption(_ call: S3Call, bucket: BucketRecord) throws(S3Error) -> CustomerKey? {
        let configuration = BucketEncryption.stored(in: bucket.settings)
        let usesSSEC = call.request.headers.contains { $0.name.canonicalName.lowercased().hasPrefix(CustomerKey.prefix) }
        if usesSSEC, configuration?.blocksSSEC == true {
            throw S3Error(.accessDenied, "Requests specifying Server Side Encryption with Customer provided keys must not be made to a bucket that blocks SSE-C.")
        }
        let key = try customerKey(call)
        try SSERequest.validateWrite(call.request, customerKey: key)
        if key == nil, call.request.header("x-amz-server-side-encryption") == nil, let algorithm = configuration?.algorithm, algorithm != "AES256" {
            throw S3Error(.notImplemented, "The bucket's default encryption is \(algorithm), which this version of Coffer cannot apply yet; name AES256 explicitly or change the bucket's default.")
        }
        return key
    }
}
