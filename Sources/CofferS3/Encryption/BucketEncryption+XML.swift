import CofferStorage
import Foundation

/// A bucket's default encryption (PutBucketEncryption) as S3's XML carries it; the record
/// keeps it typed (`BucketRecord.encryption`, CofferStorage's `BucketEncryption`).
extension BucketEncryption {
    /// The configuration S3 gives new buckets when SSE-C is blocked by default.
    /// What a bucket without a configuration answers: every S3 bucket has had SSE-S3 default
    /// encryption since January 2023, and Coffer seals such writes with SSE-S3 too.
    static let sseS3Default = BucketEncryption(algorithm: .aes256, kmsMasterKeyId: nil, bucketKeyEnabled: false)
    static let sseS3BlockingSSEC = BucketEncryption(algorithm: .aes256, kmsMasterKeyId: nil, bucketKeyEnabled: false, blockedEncryptionTypes: [.sseC])

    /// Parses and validates a ServerSideEncryptionConfiguration document as S3 does.
    static func parse(_ bytes: [UInt8]) throws(S3Error) -> BucketEncryption {
        guard let root = XMLElementNode.parse(bytes), root.name == "ServerSideEncryptionConfiguration" else { throw S3Error(.malformedXML) }
        let rules = root.all("Rule")
        guard rules.count == 1, let rule = rules.first else { throw S3Error(.malformedXML) }
        guard let byDefault = rule.child("ApplyServerSideEncryptionByDefault"), let algorithm = byDefault.childText("SSEAlgorithm") else {
            throw S3Error(.malformedXML)
        }
        guard let algorithm = Algorithm(rawValue: algorithm) else { throw S3Error(.malformedXML) }
        let keyId = byDefault.childText("KMSMasterKeyID").flatMap { $0.isEmpty ? nil : $0 }
        if keyId != nil && algorithm == .aes256 {
            throw S3Error(.invalidArgument, "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
                extra: [("ArgumentName", "ApplyServerSideEncryptionByDefault")])
        }
        var bucketKey: Bool?
        if let text = rule.childText("BucketKeyEnabled") {
            guard text == "true" || text == "false" else { throw S3Error(.malformedXML) }
            bucketKey = text == "true"
        }
        var blocked: [BlockedType] = []
        if let types = rule.child("BlockedEncryptionTypes") {
            let values = types.all("EncryptionType").map(\.text)
            guard values.allSatisfy({ $0 == "NONE" || $0 == "SSE-C" }) else { throw S3Error(.malformedXML) }
            if values.contains("NONE") && values.contains("SSE-C") {
                throw S3Error(.invalidArgument, "NONE cannot be combined with another encryption type", extra: [("ArgumentName", "BlockedEncryptionTypes")])
            }
            blocked = values.contains("SSE-C") ? [.sseC] : []
        }
        return BucketEncryption(algorithm: algorithm, kmsMasterKeyId: keyId, bucketKeyEnabled: bucketKey, blockedEncryptionTypes: blocked)
    }

    func write(_ xml: inout XMLWriter) {
        xml.element("ServerSideEncryptionConfiguration", attributes: [("xmlns", S3XML.namespace)]) { x in
            x.element("Rule") { r in
                r.element("ApplyServerSideEncryptionByDefault") { d in
                    d.element("SSEAlgorithm", algorithm.rawValue)
                    d.optionalElement("KMSMasterKeyID", kmsMasterKeyId)
                }
                r.element("BucketKeyEnabled", (bucketKeyEnabled ?? false) ? "true" : "false")
                r.element("BlockedEncryptionTypes") { b in
                    b.element("EncryptionType", blocksSSEC ? "SSE-C" : "NONE")
                }
            }
        }
    }
}
