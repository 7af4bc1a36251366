import CofferPolicy
import CofferStorage

/// The tag condition keys S3 puts in a request's context ("Tagging and access control
/// policies", S3 User Guide): the tags the request sets, `s3:RequestObjectTag/<key>` (each
/// tag's value) and `s3:RequestObjectTagKeys` (every key, multi-valued); the tags the object
/// already has, `s3:ExistingObjectTag/<key>`. The server and `coffer policy simulate` both
/// derive them here.
extension S3PolicyRequest {
    /// The tags `request` sets, when `operation` sets tags and they are valid: the
    /// `x-amz-tagging` header of PutObject and CreateMultipartUpload, and of CopyObject with
    /// `x-amz-tagging-directive: REPLACE` (a copy without it takes the source's tags, which the
    /// request does not name); the `Tagging` body of PutObjectTagging. Tags the operation would
    /// refuse (400) are none here: the request is authorised without them, then refused.
    public static func requestTags(_ request: S3Request, operation: S3Operation, body: [UInt8]?) -> [StoredTag]? {
        switch operation.spec.requestTags {
        case nil:
            return nil
        case .header?:
            if operation == .copyObject, TaggingDirective.parse(request.header(TaggingDirective.name)) != .replace { return nil }
            guard let header = request.header(TaggingHeader.name) else { return operation == .copyObject ? [] : nil }
            return try? TaggingHeader.parse(header)
        case .body?:
            guard let body else { return nil }
            return try? TaggingXML.parse(body, for: .object)
        }
    }

    /// Adds the tag keys `action` carries (S3ActionTable): request tags for PutObject and
    /// PutObjectTagging, existing tags for the reads and tag changes S3 documents the key for.
    /// An empty tag set adds no key (the request names none); tag keys that differ only in case
    /// share one context key (IAM compares key names without case), holding both values.
    static func addTags(to context: inout [String: [String]], action: String, requestTags: [StoredTag]?, existingTags: [StoredTag]?) {
        guard requestTags != nil || existingTags != nil, let known = S3ActionTable.action(action) else { return }
        if let requestTags, !requestTags.isEmpty, known.carries(requestTagKeys) {
            context[requestTagKeys] = requestTags.map(\.key)
            add(requestTags, prefix: requestTagPrefix, to: &context)
        }
        if let existingTags, known.carries(existingTagPrefix) {
            add(existingTags, prefix: existingTagPrefix, to: &context)
        }
    }

    /// `prefix + key` for each tag, spelled as the first tag of that key (in any case) spells it.
    private static func add(_ tags: [StoredTag], prefix: String, to context: inout [String: [String]]) {
        var spelling: [String: String] = [:]
        for tag in tags {
            let name = prefix + tag.key
            let key = spelling[name.lowercased(), default: name]
            spelling[name.lowercased()] = key
            context[key, default: []].append(tag.value)
        }
    }

    static let requestTagKeys = "s3:RequestObjectTagKeys"
    static let requestTagPrefix = "s3:RequestObjectTag/"
    static let existingTagPrefix = "s3:ExistingObjectTag/"
}
