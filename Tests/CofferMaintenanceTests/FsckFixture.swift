import CofferAudit
import CofferCrypto
import CofferKMS
import CofferMaintenance
@testable import CofferS3
import CofferStorage
import Foundation

/// A data directory written the way `coffer serve` writes it, for the fsck tests: the LevelDB
/// object store, the root key file, the built-in KMS, the audit trail. Objects are sealed by
/// the S3 layer's own key and package code (`ObjectKeys`, `SealedPackageStage`), in every
/// encryption mode, and committed through `ObjectStore`; damage is done to the stored bytes
/// directly, as a disk or an operator would.
final class FsckFixture: @unchecked Sendable {
    static let region = "us-east-1"
    static let account = "111122223333"

    let directory: String
    private(set) var store: ObjectStore?
    let keyring: RootKeyring
    private(set) var kms: BuiltInKeyService?
    private(set) var trail: AuditTrail?
    /// The S3 layer's keys (holding the key service, so the database: dropped by ``stop()``).
    private var keys: ObjectKeys!

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-fsck-\(UUID().uuidString)").path
        let store = try await ObjectStore(directory: directory)
        keyring = try RootKeyStore.load(dataDir: directory, operatorKey: nil)
        let kms = BuiltInKeyService(db: store.db!, keyring: keyring, options: .init(region: Self.region, accountId: Self.account))
        trail = try AuditTrail(directory: AuditLayout.auditDirectory(dataDir: directory), keyDirectory: AuditLayout.keyDirectory(dataDir: directory))
        keys = ObjectKeys(keyring: keyring, kms: KMSKeys(service: kms))
        self.store = store
        self.kms = kms
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    var db: LevelDB { store!.db! }

    // MARK: Writing

    /// How a test object is encrypted.
    enum Mode {
        case sseS3
        case sseC
        case sseKMS(keyId: String?, bucketKey: Bool)
    }

    static let customerKey = CustomerKey(key: SecretBytes([UInt8](repeating: 0x5A, count: 32)), md5: "unused")

    func createBucket(_ name: String) async throws {
        try await store!.createBucket(BucketRecord(name: name, owner: "root", region: Self.region, createdAt: Date()))
    }

    /// Puts one object, sealed as PutObject seals it.
    @discardableResult
    func put(_ bucket: String, _ key: String, _ body: [UInt8], _ mode: Mode = .sseS3) async throws -> ObjectRecord {
        let (dataKey, encryption) = try await keys.newObject(bucket: bucket, key: key, encryption: Self.encryption(mode), caller: Self.caller)
        let versionNonce = VersionNonce.random()
        let blob = try await writeBlob(body, dataKey: dataKey, bucket: bucket, key: key, versionNonce: versionNonce, part: 0)
        let record = ObjectRecord(bucket: bucket, key: key, size: blob.size, etag: "etag", lastModified: Date(), owner: "root",
                                  segments: [blob], encryption: encryption, versionNonce: versionNonce)
        return try await store!.commitObject(record).record
    }

    /// Starts an upload and commits its parts; completes it into the object when `complete`.
    @discardableResult
    func multipart(_ bucket: String, _ key: String, parts: [[UInt8]], _ mode: Mode = .sseS3, complete: Bool = true) async throws -> String {
        let uploadId = "upload-\(UUID().uuidString.lowercased())"
        let (dataKey, encryption) = try await keys.newObject(bucket: bucket, key: key, encryption: Self.encryption(mode), caller: Self.caller)
        let versionNonce = VersionNonce.random()
        try await store!.createUpload(UploadRecord(bucket: bucket, key: key, uploadId: uploadId, initiated: Date(), owner: "root", encryption: encryption,
                                                   versionNonce: versionNonce))
        var records: [PartRecord] = []
        for (index, body) in parts.enumerated() {
            let blob = try await writeBlob(body, dataKey: dataKey, bucket: bucket, key: key, versionNonce: versionNonce, part: index + 1)
            let part = PartRecord(uploadId: uploadId, number: index + 1, size: blob.size, etag: "part", lastModified: Date(), blob: blob)
            try await store!.commitPart(part)
            records.append(part)
        }
        guard complete else { return uploadId }
        let object = ObjectRecord(
            bucket: bucket, key: key, size: records.reduce(0) { $0 + $1.size }, etag: "etag-\(parts.count)", lastModified: Date(), owner: "root",
            parts: records.map { PartSummary(number: $0.number, size: $0.size, etag: $0.etag) }, segments: records.map(\.blob), encryption: encryption,
            versionNonce: versionNonce)
        try await store!.completeUpload(uploadId: uploadId, object: object, usedParts: Set(records.map(\.number)))
        return uploadId
    }

    /// Seals `body` package by package, as the S3 layer's body ingest does.
    private func writeBlob(_ body: [UInt8], dataKey: SecretBytes, bucket: String, key: String, versionNonce: VersionNonce, part: Int) async throws -> BlobRef {
        let sealer = keys.sealer(dataKey: dataKey, bucket: bucket, key: key, versionNonce: versionNonce, partNumber: part)
        let writer = try await store!.makeBlobWriter()
        var offset = 0
        repeat {
            let end = min(offset + SealedFormat.packageSize, body.count)
            try await writer.writeChunk(try body[offset..<end].withUnsafeBytes { try sealer.seal($0, index: offset / SealedFormat.packageSize, isFinal: end == body.count) })
            offset = end
        } while offset < body.count
        return try await writer.finish(logicalSize: Int64(body.count), header: sealer.header)
    }

    static func encryption(_ mode: Mode) -> WriteEncryption {
        switch mode {
        case .sseS3: .sseS3
        case .sseC: .sseC(customerKey)
        case .sseKMS(let keyId, let bucketKey): .sseKMS(SSEKMSChoice(keyId: keyId, context: [:], bucketKeyEnabled: bucketKey))
        }
    }

    static let caller = KMSCaller(principalArn: "arn:aws:iam::\(account):root", accountId: account, requestID: "fsck-test")

    /// A KMS key of the built-in service; its id.
    func createKMSKey() throws -> String { try kms!.createKey(description: "fsck test").KeyId }

    func createAlias(_ name: String, to keyId: String) throws { try kms!.createAlias(name, targetKeyId: keyId, caller: Self.caller) }

    /// Appends `count` audit records.
    func audit(_ count: Int) throws {
        let context = AuditContext(time: Date(), region: Self.region, identity: .root(accountId: Self.account, accessKeyId: nil),
                                   requestID: "fsck-test", recipientAccountId: Self.account)
        for index in 0..<count {
            try trail!.record(.s3DataEvent("PutObject", context: context, bucket: "audited", key: "k\(index)"))
        }
    }

    // MARK: Damage

    func put(_ key: StoreKey, _ value: [UInt8]) throws { try db.put(key.bytes, value, sync: false) }
    func delete(_ key: StoreKey) throws { try db.delete(key.bytes, sync: false) }
    func value(_ key: StoreKey) throws -> [UInt8]? { try db.get(key.bytes) }

    /// Flips one bit of chunk `index` of `blob`.
    func flipByte(of blob: BlobRef, chunk index: Int, at offset: Int = 5) throws {
        var bytes = try value(.chunk(blob.id, index: index))!
        bytes[offset] ^= 0x01
        try put(.chunk(blob.id, index: index), bytes)
    }

    // MARK: Checking

    /// The check a running server makes: a snapshot of the open store.
    func check(options: FsckOptions = .init()) async -> FsckReport {
        let sources = FsckSources.levelDB(snapshot: db.snapshot(), rootKeys: .loaded(keyring),
                                          audit: .trail(trail!.sink, publicKey: trail!.publicKey))
        return await Fsck.run(sources, options: options, dataDirectory: directory)
    }

    /// Closes the store, the key service and the trail, as a stopped server leaves them.
    func stop() throws {
        try trail?.close()
        trail = nil
        keys = nil
        kms = nil
        store = nil
    }

    /// The check `coffer fsck --data-dir` makes (after ``stop()``).
    func checkOffline(operatorRootKey: String? = nil, options: FsckOptions = .init()) async throws -> FsckReport {
        try await Fsck.run(dataDirectory: directory, operatorRootKey: operatorRootKey, options: options)
    }
}

/// Bytes of a body: a repeated marker, so that a test can look for it in output.
func body(_ count: Int, marker: String = "fsck-plaintext-marker ") -> [UInt8] {
    let unit = Array(marker.utf8)
    return (0..<count).map { unit[$0 % unit.count] }
}
