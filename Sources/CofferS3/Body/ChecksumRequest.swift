import CofferCrypto

/// What a request asks of S3's additional checksums: the algorithm, and the value to verify
/// when the client sent one in a header (or will send one in a trailer).
struct ChecksumRequest: Sendable {
    var algorithm: ChecksumAlgorithm
    /// The value from the `x-amz-checksum-*` header, already validated as base64 of the right size.
    var headerValue: [UInt8]?
    /// The checksum arrives as an aws-chunked trailer with this (lower-cased) name.
    var trailerName: String?

    static let nonValueHeaders: Set<String> = ["x-amz-checksum-mode", "x-amz-checksum-type", "x-amz-checksum-algorithm"]

    /// Reads the checksum headers of `request`; nil when the client asked for no checksum.
    static func parse(_ request: S3Request, declaredTrailers: [String]) throws(S3Error) -> ChecksumRequest? {
        var found: [(ChecksumAlgorithm, String)] = []
        for field in request.headers {
            let name = field.name.canonicalName.lowercased()
            guard name.hasPrefix("x-amz-checksum-"), !nonValueHeaders.contains(name) else { continue }
            guard let algorithm = ChecksumAlgorithm(headerName: name) else {
                throw S3Error(.invalidRequest, "The algorithm type you specified in \(name) header is invalid.")
            }
            found.append((algorithm, field.value))
        }
        let trailerChecksums = declaredTrailers.filter { $0.hasPrefix("x-amz-checksum-") }
        if found.count + trailerChecksums.count > 1 {
            throw S3Error(.invalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
        }
        let sdkAlgorithm = request.header(.xAmzSdkChecksumAlgorithm)
        var parsedSDK: ChecksumAlgorithm?
        if let sdkAlgorithm {
            guard let algorithm = ChecksumAlgorithm(name: sdkAlgorithm) else {
                throw S3Error(.invalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid.")
            }
            parsedSDK = algorithm
        }
        if let (algorithm, value) = found.first {
            guard let bytes = Base64.decode(value), bytes.count == algorithm.digestByteCount else {
                throw S3Error(.invalidRequest, "Value for \(algorithm.headerName) header is invalid.")
            }
            if let parsedSDK, parsedSDK != algorithm {
                throw S3Error(.invalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid.")
            }
            return ChecksumRequest(algorithm: algorithm, headerValue: bytes, trailerName: nil)
        }
        if let trailer = trailerChecksums.first {
            guard let algorithm = ChecksumAlgorithm(headerName: trailer) else {
                throw S3Error(.invalidRequest, "The value specified in the x-amz-trailer header is not supported")
            }
            return ChecksumRequest(algorithm: algorithm, headerValue: nil, trailerName: trailer)
        }
        if parsedSDK != nil {
            throw S3Error(.invalidRequest, "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
        }
        return nil
    }

    /// Verifies `computed` against the header or trailer value.
    func verify(computed: [UInt8], trailers: [(name: String, value: String)]) throws(S3Error) {
        var expected = headerValue
        if let trailerName {
            guard let value = trailers.first(where: { $0.name.lowercased() == trailerName })?.value else {
                throw S3Error(.malformedTrailerError, "The request contained trailing data that was not well-formed or did not conform to our published schema.")
            }
            guard let bytes = Base64.decode(value.trimmingCharacters(in: .whitespaces)), bytes.count == algorithm.digestByteCount else {
                throw S3Error(.invalidRequest, "Value for \(algorithm.headerName) trailing header is invalid.")
            }
            expected = bytes
        }
        if let expected, !constantTimeEquals(expected, computed) {
            throw S3Error(.badDigest, "The \(algorithm.rawValue) you specified did not match the calculated checksum.")
        }
    }
}
