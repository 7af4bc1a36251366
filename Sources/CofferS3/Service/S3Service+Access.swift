import CofferStorage

extension S3Service {
    /// The caller, or AccessDenied for anonymous requests (until bucket policies can grant them).
    func requireUser(_ call: S3Call) throws(S3Error) -> User {
        guard let user = call.user else { throw S3Error(.accessDenied) }
        return user
    }

    /// The bucket the call addresses, if the caller may use it. Ownership is the only grant
    /// today: the creating user and the account's root user have access, everyone else gets
    /// AccessDenied. A missing bucket answers NoSuchBucket.
    func authorizedBucket(_ call: S3Call, expectedOwnerHeader: String = "x-amz-expected-bucket-owner") throws -> BucketRecord {
        guard let name = call.request.bucket else { throw S3Error(.invalidRequest) }
        guard let bucket = try store.bucket(named: name) else {
            throw S3Error(.noSuchBucket, extra: [("BucketName", name)])
        }
        let user = try requireUser(call)
        guard user.isRoot || bucket.owner == user.name else { throw S3Error(.accessDenied) }
        if let expected = call.request.header(expectedOwnerHeader), expected != users.root.accountId {
            throw S3Error(.accessDenied)
        }
        return bucket
    }

    /// Whether the caller may list the bucket: decides NoSuchKey (404) versus AccessDenied
    /// (403) for a missing key, as S3 does.
    func mayList(_ call: S3Call, _ bucket: BucketRecord) -> Bool {
        guard let user = call.user else { return false }
        return user.isRoot || bucket.owner == user.name
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
