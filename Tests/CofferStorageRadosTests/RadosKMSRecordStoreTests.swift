import CofferCrypto
import CofferKMS
import CofferRados
import CofferStorage
@testable import CofferStorageRados
import Foundation
import Testing

/// The built-in KMS over the cluster, as two nodes run it: two services (two connections),
/// one index object.
@Suite(
    "RadosKMSRecordStore against a live cluster",
    .enabled(if: Live.conf != nil, "COFFER_TEST_RADOS_CONF is not set: start a cluster with scripts/ceph-dev.sh up DIR")
)
struct RadosKMSRecordStoreTests {
    static let caller = KMSCaller(principalArn: "arn:aws:iam::123456789012:root", accountId: "123456789012", requestID: "test")

    /// Two services over one fresh index object, each on its own connection, as two nodes.
    static func withNodes<R>(_ body: (BuiltInKeyService, BuiltInKeyService, RadosKMSRecordStore) async throws -> R) async throws -> R {
        let object = "test-kms-\(UUID().uuidString)"
        let keyring = try RootKeyring(keys: [1: SecretBytes.random(count: 32)], currentVersion: 1)
        var services: [BuiltInKeyService] = []
        var stores: [RadosKMSRecordStore] = []
        for _ in 0..<2 {
            let io = try await Cluster.connect(conf: try #require(Live.conf), user: Live.user).ioContext(pool: Live.pool)
            let store = RadosKMSRecordStore(io: io, object: object)
            stores.append(store)
            services.append(BuiltInKeyService(records: store, keyring: keyring, options: .init(region: "us-east-1", accountId: "123456789012")))
        }
        defer { Task { [io = stores[0].io] in try? await io.remove(object) } }
        return try await body(services[0], services[1], stores[0])
    }

    @Test func changesOnOneNodeAreSeenOnTheOther() async throws {
        try await Self.withNodes { a, b, _ in
            let key = try a.createKey(description: "shared").KeyId
            try b.createAlias("alias/app", targetKeyId: key, caller: Self.caller)
            let generated = try await b.generateDataKey(GenerateDataKeyRequest(keyId: "alias/app", caller: Self.caller))
            let decrypted = try await a.decrypt(DecryptRequest(ciphertextBlob: generated.ciphertextBlob, caller: Self.caller))
            #expect(decrypted.plaintext.copyBytes() == generated.plaintext.copyBytes())
            try a.disableKey(key, caller: Self.caller)
            await #expect(throws: KMSError.self) { try await b.generateDataKey(GenerateDataKeyRequest(keyId: "alias/app", caller: Self.caller)) }
            try b.enableKey(key, caller: Self.caller)
            _ = try await a.generateDataKey(GenerateDataKeyRequest(keyId: key, caller: Self.caller))
            #expect(try b.listAliases(keyId: nil, limit: nil, marker: nil).Aliases.map(\.AliasName).contains("alias/app"))
        }
    }

    /// The `aws/s3` key is created on first use: nodes racing for it create one.
    @Test func racingNodesCreateOneS3ManagedKey() async throws {
        try await Self.withNodes { a, b, _ in
            async let first = Task.detached { try a.s3ManagedKey().KeyId }.value
            async let second = Task.detached { try b.s3ManagedKey().KeyId }.value
            let (x, y) = try await (first, second)
            #expect(x == y)
            #expect(try a.listKeys(limit: nil, marker: nil).Keys.count == 1)
        }
    }

    /// Exclusive access is the cluster's: while one store holds it, another waits; a writer
    /// that died holding it (its lock never released) frees it after the lock's duration.
    @Test func exclusiveAccessSpansConnections() async throws {
        let object = "test-kms-lock-\(UUID().uuidString)"
        let ioA = try await Cluster.connect(conf: try #require(Live.conf), user: Live.user).ioContext(pool: Live.pool)
        let ioB = try await Cluster.connect(conf: try #require(Live.conf), user: Live.user).ioContext(pool: Live.pool)
        defer { Task { try? await ioA.remove(object) } }
        let a = RadosKMSRecordStore(io: ioA, object: object), b = RadosKMSRecordStore(io: ioB, object: object, lockWait: .milliseconds(300))
        try a.exclusively { () throws(KMSError) in
            // b cannot get in within its wait.
            #expect(throws: KMSError.self) { try b.exclusively { () throws(KMSError) in } }
        }
        try b.exclusively { () throws(KMSError) in } // released: b gets in
        // Values are stored as the metadata store stores them (one key space), each write a new generation.
        try a.apply(puts: [MetadataEntry(key: Array("k1".utf8), value: [1, 2])], deletes: [])
        #expect(try b.get(Array("k1".utf8)) == [1, 2])
        #expect(try b.entries(withPrefix: Array("k".utf8), from: nil).map(\.value) == [[1, 2]])
        let metadata = try await RadosMetadataStore.open(io: ioA, object: object)
        let snapshot = try await metadata.snapshot()
        try b.apply(puts: [], deletes: [Array("k1".utf8)])
        await #expect(throws: StorageError.self) { try await snapshot.get(Array("k1".utf8)) }
        #expect(try await metadata.get(Array("k1".utf8)) == nil)
    }
}
