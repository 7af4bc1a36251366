import CofferSigV4
import HTTPTypes
import Testing

@testable import CofferS3

/// SigV4 failures are mapped to S3's errors in one place, by code: every code has its S3 code
/// and status, and the wrong-service case keeps the header or query flavour it came with.
@Suite struct SigV4ErrorMappingTests {
    static let expected: [SigV4Error.Code: (S3ErrorCode, HTTPResponse.Status)] = [
        .authorizationHeaderMalformed: (.authorizationHeaderMalformed, .badRequest),
        .authorizationQueryParametersError: (.authorizationQueryParametersError, .badRequest),
        .wrongService: (.authorizationHeaderMalformed, .badRequest),
        .invalidAccessKeyId: (.invalidAccessKeyId, .forbidden),
        .signatureDoesNotMatch: (.signatureDoesNotMatch, .forbidden),
        .requestTimeTooSkewed: (.requestTimeTooSkewed, .forbidden),
        .expired: (.accessDenied, .forbidden),
        .accessDenied: (.accessDenied, .forbidden),
        .invalidArgument: (.invalidArgument, .badRequest),
        .invalidRequest: (.invalidRequest, .badRequest),
        .notImplemented: (.notImplemented, .notImplemented),
        .xAmzContentSHA256Mismatch: (.xAmzContentSHA256Mismatch, .badRequest),
        .invalidChunkSizeError: (.invalidChunkSizeError, .badRequest),
        .malformedTrailerError: (.malformedTrailerError, .badRequest),
        .incompleteBody: (.incompleteBody, .badRequest),
    ]

    @Test(arguments: SigV4Error.Code.allCases)
    func everyCodeHasItsS3Answer(_ code: SigV4Error.Code) throws {
        let (s3Code, status) = try #require(Self.expected[code], "no expectation for \(code)")
        let mapped = S3Error(SigV4Error(code, "detail", extra: [("AWSAccessKeyId", "AKID")]))
        #expect(mapped.code == s3Code)
        #expect(mapped.status == status)
        #expect(mapped.message == "detail")
        #expect(mapped.extra.map(\.name) == ["AWSAccessKeyId"])
    }

    @Test func wrongServiceKeepsTheQueryFlavour() {
        #expect(S3Error(SigV4Error(.wrongService, "x", source: .query)).code == .authorizationQueryParametersError)
        #expect(S3Error(SigV4Error(.wrongService, "x", source: .header)).code == .authorizationHeaderMalformed)
    }

    @Test func aMissingMessageIsS3sDefault() {
        #expect(S3Error(SigV4Error(.signatureDoesNotMatch)).message == S3ErrorCode.signatureDoesNotMatch.defaultMessage)
    }

    @Test func jsonProtocolErrorsAreChosenByCode() {
        #expect(SigV4Error(.wrongService, "anything").jsonProtocolError(service: "kms").type == "InvalidSignatureException")
        #expect(SigV4Error(.authorizationHeaderMalformed, "mentions the service").jsonProtocolError(service: "kms").type == "IncompleteSignatureException")
        #expect(SigV4Error(.invalidAccessKeyId).jsonProtocolError(service: "kms").type == "UnrecognizedClientException")
    }
}
