import CofferStorage

/// PutBucketVersioning and GetBucketVersioning. The state lives in the bucket record
/// (`BucketRecord.versioning`) and changes through the conditional bucket update, with which
/// every object write is ordered (docs/storage-layout.md, "Versions"): a write follows either
/// the old state or the new one, never a mixture.
extension S3Service {
    /// 200; the bucket's versioning becomes the document's `Status`. A document without
    /// `Status` changes nothing, as on S3. Refused: versioning suspended on a bucket with
    /// Object Lock (409 InvalidBucketState), MFA delete (Coffer has no MFA devices).
    func putBucketVersioning(_ call: AuthorizedCall) async throws -> S3Response {
        let bucket = try call.targetBucket()
        let document = try await RequestDocument.read(call, limit: 64 * 1024)
        guard let root = XMLElementNode.parse(document.bytes), root.name == "VersioningConfiguration" else {
            throw S3Error(.malformedXML)
        }
        if let mfa = root.childText("MfaDelete") {
            guard mfa == "Enabled" || mfa == "Disabled" else { throw S3Error(.malformedXML) }
            if mfa == "Enabled" {
                throw S3Error(.invalidRequest, "MFA delete cannot be enabled: Coffer has no MFA devices.")
            }
        }
        guard let statusText = root.childText("Status") else { return emptyResponse(.ok) }
        guard let status = BucketVersioning(rawValue: statusText) else {
            throw S3Error(.malformedXML)
        }
        // The store refuses (409 InvalidBucketState) to suspend a bucket with Object Lock.
        try await changeBucket(bucket.name) { $0.versioning = status }
        return emptyResponse(.ok)
    }

    /// 200 with the bucket's `VersioningConfiguration`: empty for a bucket never versioned,
    /// `Status` Enabled or Suspended otherwise.
    func getBucketVersioning(_ call: AuthorizedCall) throws -> S3Response {
        let bucket = try call.targetBucket()
        var xml = XMLWriter()
        xml.element("VersioningConfiguration", attributes: [("xmlns", S3XML.namespace)]) { x in
            if let versioning = bucket.versioning { x.element("Status", versioning.rawValue) }
        }
        return xmlResponse(xml)
    }
}
