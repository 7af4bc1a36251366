import CofferCrypto
import CofferS3
import CofferStorage

/// The sealed-package opener, as a GET uses it: `SealedPackageStage.opener` reads the blob's
/// seal header (`{"v":2,"salt":"...","part":N}`, or `"v":1`, docs/sealed-object-format.md)
/// and takes the version nonce from the record, then each stored package is opened by index,
/// the last as final.
///
/// Input: byte 0 bit 0 set: the header is the input up to the first line feed; clear: the
/// genuine header of the blob below. Bit 1 set: the blob is the genuine format 2 blob and its
/// record has the nonce below; clear: the genuine format 1 blob, a record without a nonce.
/// Then packages, each a 2-byte big-endian length and that many bytes (at most 8 packages).
/// Invariant: a package opens only if it is exactly what the genuine blob context seals for
/// that plaintext, index and finality (the format promises that tampering, reordering,
/// truncation, splicing and another version's nonce never open).
public enum SealedPackageHarness {
    static let dataKey = SecretBytes(Array(0..<32))
    static let salt = [UInt8](repeating: 0x5A, count: SealedFormat.saltByteCount)
    static let bucket = "examplebucket"
    static let key = "photos/2026/cat.jpg"
    static let partNumber: UInt32 = 1
    /// The header `BlobSealer` writes for this blob.
    public static let genuineHeader = #"{"v":1,"salt":"\#(Base64.encode(salt))","part":\#(partNumber)}"#
    static let genuine = BlobSealingContext(dataKey: dataKey, salt: salt, identity: SealedFormat.objectIdentity(bucket: bucket, key: key),
                                            partNumber: partNumber)
    static let versionNonce = VersionNonce(bytes: Array(200..<216))!
    /// The header `BlobSealer` writes for the format 2 blob.
    public static let genuineHeaderV2 = #"{"v":2,"salt":"\#(Base64.encode(salt))","part":\#(partNumber)}"#
    static let genuineV2 = BlobSealingContext(
        dataKey: dataKey, salt: salt, identity: SealedFormat.versionIdentity(bucket: bucket, key: key, versionNonce: versionNonce.bytes),
        partNumber: partNumber, version: .v2)
    static let blobID = BlobID(bytes: [UInt8](repeating: 1, count: 16))!

    /// Packages sealed by the genuine context (format 2 when `version2`), for seeds:
    /// `plaintexts[i]` at index `i`.
    public static func sealedBlob(_ plaintexts: [[UInt8]], version2: Bool = false) -> [[UInt8]] {
        plaintexts.enumerated().map { index, plaintext in
            try! (version2 ? genuineV2 : genuine).seal(plaintext, index: index, isFinal: index == plaintexts.count - 1)
        }
    }

    /// A fuzz input for a blob with the genuine header and these stored packages.
    public static func input(packages: [[UInt8]], header: String? = nil, version2: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = [(header == nil ? 0 : 1) | (version2 ? 2 : 0)]
        if let header { bytes += Array(header.utf8) + [10] }
        for package in packages {
            bytes += [UInt8(package.count >> 8 & 0xFF), UInt8(package.count & 0xFF)] + package
        }
        return bytes
    }

    public static func run(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let mode = input.byte()
        let version2 = mode & 2 == 2
        var header = version2 ? genuineHeaderV2 : genuineHeader
        if mode & 1 == 1 {
            let rest = input.rest
            let line = rest.prefix { $0 != 10 }
            header = String(decoding: line, as: UTF8.self)
            input.offset += min(line.count + 1, rest.count)
        }
        var packages: [[UInt8]] = []
        while input.offset < input.bytes.count, packages.count < 8 {
            let length = Int(input.byte()) << 8 | Int(input.byte())
            let end = min(input.bytes.count, input.offset + length)
            packages.append(Array(input.bytes[min(input.offset, end)..<end]))
            input.offset = end
        }
        let blob = BlobRef(id: blobID, chunkCount: packages.count, size: 0, header: header)
        let nonce = version2 ? versionNonce : nil
        guard let opener = try? SealedPackageStage().opener(dataKey: dataKey, bucket: bucket, key: key, versionNonce: nonce, blob: blob) else { return }
        let genuine = version2 ? genuineV2 : genuine
        for (index, stored) in packages.enumerated() {
            let isFinal = index == packages.count - 1
            guard let plaintext = try? opener.open(stored, index: index, isFinal: isFinal) else { continue }
            FuzzCheck.require(plaintext.count <= SealedFormat.packageSize, "package \(index) opened to \(plaintext.count) bytes")
            let resealed = try? genuine.seal(plaintext, index: index, isFinal: isFinal)
            FuzzCheck.require(resealed == stored, "package \(index) (final: \(isFinal)) opened but is not what the blob's context seals")
        }
    }
}
