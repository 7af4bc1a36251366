import CofferS3
import Foundation

/// The S3 request documents: `XMLElementNode.parse` (Coffer's own `XMLReader`: no DTD, no
/// entities, at most 32 levels), then the same element walks the handlers make for
/// CompleteMultipartUpload, Delete (DeleteObjects), ServerSideEncryptionConfiguration
/// (PutBucketEncryption), CreateBucketConfiguration and AccessControlPolicy. The walks live
/// inside async handlers (and `BucketEncryption.parse` is internal), so they are repeated
/// here with the public accessors.
///
/// Input: one document (the root element names the body). Invariant: a parsed tree written
/// back with `XMLWriter` parses again, to the same tree.
public enum S3XMLHarness {
    public static func run(_ bytes: [UInt8]) {
        guard let root = XMLElementNode.parse(bytes) else { return }
        walk(root)
        let written = write(root)
        let again = XMLElementNode.parse(Array(written.utf8))
        FuzzCheck.require(again != nil, "a parsed tree does not parse after XMLWriter wrote it: \(written.debugDescription)")
        FuzzCheck.require(again == root, "a parsed tree changes after XMLWriter wrote it: \(written.debugDescription)")
    }

    /// The tree as `XMLWriter` writes it: each element's text first, then its children.
    static func write(_ root: XMLElementNode) -> String {
        func element(_ node: XMLElementNode, _ writer: inout XMLWriter) {
            writer.element(node.name) { inner in
                inner.text(node.text)
                for child in node.children { element(child, &inner) }
            }
        }
        var writer = XMLWriter()
        element(root, &writer)
        return writer.document
    }

    static func walk(_ root: XMLElementNode) {
        switch root.name {
        case "CompleteMultipartUpload":
            var last = 0
            for part in root.all("Part") {
                guard let text = part.childText("PartNumber"), let number = Int(text), part.child("ETag") != nil else { return }
                guard number > last else { return }
                last = number
                let etag = (part.childText("ETag") ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
                for algorithm in ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"] { _ = part.childText("Checksum" + algorithm) }
                _ = etag
            }
        case "Delete":
            let objects = root.all("Object")
            guard !objects.isEmpty, objects.count <= 1000, objects.allSatisfy({ $0.child("Key") != nil }) else { return }
            _ = root.childText("Quiet")?.lowercased() == "true"
            _ = objects.map { (key: $0.childText("Key") ?? "", versionId: $0.childText("VersionId")) }
        case "ServerSideEncryptionConfiguration":
            let rules = root.all("Rule")
            guard rules.count == 1, let rule = rules.first, let byDefault = rule.child("ApplyServerSideEncryptionByDefault") else { return }
            _ = byDefault.childText("SSEAlgorithm")
            _ = byDefault.childText("KMSMasterKeyID").flatMap { $0.isEmpty ? nil : $0 }
            _ = rule.childText("BucketKeyEnabled")
            _ = rule.child("BlockedEncryptionTypes")?.all("EncryptionType").map(\.text)
        case "CreateBucketConfiguration":
            _ = root.childText("LocationConstraint")
        case "AccessControlPolicy":
            let grants = root.child("AccessControlList")?.all("Grant") ?? []
            _ = grants.first?.childText("Permission")
            _ = grants.first?.child("Grantee")?.childText("ID")
        default:
            return
        }
    }
}
