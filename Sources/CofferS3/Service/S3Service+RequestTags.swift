import CofferStorage

/// The tags a request sets, found before it is authorised: they are its
/// `s3:RequestObjectTag/<key>` and `s3:RequestObjectTagKeys` condition keys, and setting them
/// through `x-amz-tagging` takes `s3:PutObjectTagging` too (`S3Service+Pipeline.swift`).
extension S3Service {
    /// Reads what the request context needs before the call is authorised: the body, when the
    /// operation table says the context comes from it (`readsBodyFirst`: PutObjectTagging,
    /// PutObjectRetention, PutObjectLegalHold), returned for the handler and kept as
    /// `call.prefetchedBytes`; and `call.requestTags`, from the `x-amz-tagging` header or that
    /// body. A body that cannot be read is the handler's to answer, after the authorisation
    /// (which then sees nothing of it), so that a caller the policy refuses learns nothing
    /// from the body's fate.
    func readRequestContext(_ call: inout S3Call) async -> Result<PrefetchedBody, any Error>? {
        var prefetched: Result<PrefetchedBody, any Error>?
        if call.spec.readsBodyFirst {
            let body = await Self.prefetchBody(call)
            call.prefetchedBytes = try? body.get().bytes
            prefetched = body
        }
        if call.spec.requestTags != nil {
            call.requestTags = S3PolicyRequest.requestTags(call.request, operation: call.operation, body: call.prefetchedBytes)
        }
        return prefetched
    }

    /// Reads the whole body of `call`, up to `PrefetchedBody.limit`, with every check
    /// `IncomingBody` makes (payload hash, chunk signatures, declared length).
    private static func prefetchBody(_ call: S3Call) async -> Result<PrefetchedBody, any Error> {
        do {
            var body = try IncomingBody(call: call, requireLength: false)
            let bytes = try await body.collect(limit: PrefetchedBody.limit)
            return .success(PrefetchedBody(bytes: bytes, trailers: body.trailers, declaredTrailers: body.declaredTrailers))
        } catch {
            return .failure(error)
        }
    }
}

/// A small body the pipeline read before authorising because the request context needs it
/// (PutObjectTagging's tag set, PutObjectRetention's retention): the decoded bytes, with the payload signature and length
/// checked, and the trailers that came with them.
struct PrefetchedBody: Sendable {
    var bytes: [UInt8]
    var trailers: [(name: String, value: String)]
    var declaredTrailers: [String]

    /// Ten tags of the longest keys and values, four bytes a character, with room for
    /// character references and white space.
    static let limit = 64 * 1024
}
