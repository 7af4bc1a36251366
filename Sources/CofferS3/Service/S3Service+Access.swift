import CofferPolicy
import CofferStorage

extension S3Service {
    /// The caller, or AccessDenied for anonymous requests (until bucket policies can grant them).
    func requireUser(_ call: S3Call) throws(S3Error) -> User {
        guard let user = call.user else { throw S3Error(.accessDenied) }
        return user
    }

    /// The bucket the call addresses, if the caller may do the operation (or `action`) to it:
    /// identity permissions and the bucket policy (S3Service+Authorization.swift). A missing
    /// bucket answers NoSuchBucket.
    func authorizedBucket(_ call: S3Call, expectedOwnerHeader: String = "x-amz-expected-bucket-owner", action: String? = nil) throws -> BucketRecord {
        guard let name = call.request.bucket else { throw S3Error(.invalidRequest) }
        guard let bucket = try store.bucket(named: name) else {
            throw S3Error(.noSuchBucket, extra: [("BucketName", name)])
        }
        try authorize(call, bucket: bucket, action: action)
        if let expected = call.request.header(expectedOwnerHeader), expected != users.root.accountId {
            throw S3Error(.accessDenied)
        }
        return bucket
    }

    /// Whether the caller may list the bucket: decides NoSuchKey (404) versus AccessDenied
    /// (403) for a missing key, as S3 does.
    func mayList(_ call: S3Call, _ bucket: BucketRecord) -> Bool {
        isAuthorized(call, bucket: bucket, action: "s3:ListBucket")
    }

    func ownerOf(_ bucket: BucketRecord) -> (id: String, displayName: String) {
        (User.canonicalId(forName: bucket.owner, accountId: users.root.accountId), bucket.owner)
    }

    func writeOwner(_ x: inout XMLWriter, name: String) {
        x.element("Owner") { o in
            o.element("ID", User.canonicalId(forName: name, accountId: users.root.accountId))
            o.element("DisplayName", name)
        }
    }
}
