import CofferStorage

/// The tags a request sets, found before it is authorised: they are its
/// `s3:RequestObjectTag/<key>` and `s3:RequestObjectTagKeys` condition keys, and setting them
/// through `x-amz-tagging` takes `s3:PutObjectTagging` too (`S3Service+Pipeline.swift`).
extension S3Service {
    /// Sets `call.requestTags` from where the operation table says the operation's tags come
    /// from: the `x-amz-tagging` header, or the body, which is then read now (PutObjectTagging)
    /// and returned for the handler. A body that cannot be read is the handler's to answer,
    /// after the authorisation (which then sees no request tags), so that a caller the policy
    /// refuses learns nothing from the body's fate.
    func findRequestTags(_ call: inout S3Call) async -> Result<PrefetchedBody, any Error>? {
        switch call.spec.requestTags {
        case nil:
            return nil
        case .header?:
            call.requestTags = S3PolicyRequest.requestTags(call.request, operation: call.operation, body: nil)
            return nil
        case .body?:
            let body = await Self.prefetchBody(call)
            call.requestTags = S3PolicyRequest.requestTags(call.request, operation: call.operation, body: try? body.get().bytes)
            return body
        }
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
/// (PutObjectTagging's tag set): the decoded bytes, with the payload signature and length
/// checked, and the trailers that came with them.
struct PrefetchedBody: Sendable {
    var bytes: [UInt8]
    var trailers: [(name: String, value: String)]
    var declaredTrailers: [String]

    /// Ten tags of the longest keys and values, four bytes a character, with room for
    /// character references and white space.
    static let limit = 64 * 1024
}
