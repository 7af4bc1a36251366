import Testing

/// Answers where Coffer once differed from S3, found by the in-process tests and fixed: each
/// test asserts what S3 answers.
@Suite struct S3DifferencesTests {
    @Test func rootListsEveryBucketOfTheAccount() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("roots")
            try await s3.createBucket("alices", as: .alice)
            let listed = try #require(try await s3.send(.get, "/").expect(.ok).xml)
            let names = listed.child("Buckets")?.all("Bucket").compactMap { $0.childText("Name") } ?? []
            #expect(names.contains("roots"))
            // Every bucket belongs to the one account, and S3's ListBuckets lists all of the
            // account's buckets for its root user; a user sees the buckets they own.
            #expect(names == ["alices", "roots"])
            let alices = try #require(try await s3.send(.get, "/", as: .alice).expect(.ok).xml)
            #expect(alices.child("Buckets")?.all("Bucket").compactMap { $0.childText("Name") } == ["alices"])
            // Root may use alice's bucket all the same.
            try await s3.send(.head, "/alices").expect(.ok)
        }
    }

    @Test func aBucketWithoutConfigurationReportsTheDefaultSSES3Encryption() async throws {
        try await Harness.run { s3 in
            try await s3.createBucket("bkt")
            let reply = try await s3.send(.get, "/bkt", query: "encryption")
            // Since January 2023 every S3 bucket has default encryption: GetBucketEncryption on a
            // bucket never configured (or after DeleteBucketEncryption) answers 200 with
            // SSEAlgorithm AES256, and such writes are sealed with SSE-S3 (checked below).
            #expect(reply.status == .ok)
            #expect(reply.xml?.child("Rule")?.child("ApplyServerSideEncryptionByDefault")?.childText("SSEAlgorithm") == "AES256")
            let put = try await s3.putObject("bkt", "k")
            #expect(put.header("x-amz-server-side-encryption") == "AES256")
        }
    }
}
