import CofferKMS
import Foundation

extension AWSKMSKeyService {
    /// Where the key service is and how to talk to it. The secret access key never appears in
    /// `description`, `debugDescription` or `dump` output.
    public struct Configuration: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        /// `https://kms.<region>.amazonaws.com` for AWS, or any AWS-KMS-protocol endpoint
        /// (`http://127.0.0.1:4566`). A path, if any, is kept; a query is not allowed.
        public var endpoint: URL
        public var region: String
        public var accessKeyId: String
        public var secretAccessKey: String
        /// The whole of one attempt: connect, send, receive the full response.
        public var requestTimeout: Duration
        public var connectTimeout: Duration
        /// Attempts per call, the first included (1 = never retry).
        public var maxAttempts: Int
        /// The cap of the first retry's delay; each further retry doubles it, up to `maxBackoff`.
        /// The delay actually slept is uniformly random below the cap ("full jitter").
        public var baseBackoff: Duration
        public var maxBackoff: Duration

        public init(
            endpoint: URL, region: String, accessKeyId: String, secretAccessKey: String,
            requestTimeout: Duration = .seconds(5), connectTimeout: Duration = .seconds(2),
            maxAttempts: Int = 4, baseBackoff: Duration = .milliseconds(50), maxBackoff: Duration = .seconds(2)
        ) {
            self.endpoint = endpoint
            self.region = region
            self.accessKeyId = accessKeyId
            self.secretAccessKey = secretAccessKey
            self.requestTimeout = requestTimeout
            self.connectTimeout = connectTimeout
            self.maxAttempts = maxAttempts
            self.baseBackoff = baseBackoff
            self.maxBackoff = maxBackoff
        }

        /// The same, with the endpoint given as a string (`http://127.0.0.1:4566`).
        public init(
            endpoint: String, region: String, accessKeyId: String, secretAccessKey: String,
            requestTimeout: Duration = .seconds(5), connectTimeout: Duration = .seconds(2),
            maxAttempts: Int = 4, baseBackoff: Duration = .milliseconds(50), maxBackoff: Duration = .seconds(2)
        ) throws(KMSError) {
            guard let url = URL(string: endpoint) else {
                throw KMSError(.validation, "invalid key service endpoint '\(endpoint)'")
            }
            self.init(endpoint: url, region: region, accessKeyId: accessKeyId, secretAccessKey: secretAccessKey,
                      requestTimeout: requestTimeout, connectTimeout: connectTimeout, maxAttempts: maxAttempts,
                      baseBackoff: baseBackoff, maxBackoff: maxBackoff)
        }

        /// AWS KMS's public endpoint for `region`.
        public static func awsEndpoint(region: String) -> URL {
            URL(string: "https://kms.\(region).amazonaws.com")!
        }

        public var description: String {
            "AWSKMSKeyService.Configuration(endpoint: \(endpoint.absoluteString), region: \(region), "
                + "accessKeyId: \(accessKeyId), secretAccessKey: <redacted>, requestTimeout: \(requestTimeout), "
                + "connectTimeout: \(connectTimeout), maxAttempts: \(maxAttempts), baseBackoff: \(baseBackoff), "
                + "maxBackoff: \(maxBackoff))"
        }

        public var debugDescription: String { description }

        public var customMirror: Mirror {
            Mirror(self, children: [
                "endpoint": endpoint.absoluteString, "region": region, "accessKeyId": accessKeyId,
                "secretAccessKey": "<redacted>", "requestTimeout": requestTimeout, "connectTimeout": connectTimeout,
                "maxAttempts": maxAttempts, "baseBackoff": baseBackoff, "maxBackoff": maxBackoff,
            ], displayStyle: .struct)
        }
    }
}
