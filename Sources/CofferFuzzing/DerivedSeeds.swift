import CofferSigV4
import CofferStorage
import Foundation

/// The seeds that are computed rather than written by hand: signed requests from AWS's
/// signature test suite and S3's examples, aws-chunked bodies, sealed blobs, and records in
/// today's version. `Tests/CofferFuzzingTests` checks that `Fuzz/corpus/` holds exactly these
/// bytes (`COFFER_WRITE_FUZZ_SEEDS=1 swift test --filter CofferFuzzingTests` rewrites them).
public enum DerivedSeeds {
    public struct Seed: Sendable {
        public var target: String
        public var name: String
        public var bytes: [UInt8]
    }

    /// Every derived seed; `repository` is the package root.
    public static func all(repository: URL) throws -> [Seed] {
        try signedRequests(repository) + presignedQueries(repository) + chunkedBodies(repository) + sealedBlobs() + currentRecords(repository)
    }

    static func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    /// Each `<name>.req` with its `<name>.authz` added as the last header.
    static func signedRequests(_ repository: URL) throws -> [Seed] {
        let vectors = repository.appendingPathComponent("Tests/CofferSigV4Tests/Vectors")
        let files = FileManager.default.enumerator(at: vectors, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "req" }.sorted { $0.path < $1.path }
        return try files.map { req in
            let request = try text(req)
            let authorization = try text(req.deletingPathExtension().appendingPathExtension("authz"))
            let head = request.range(of: "\n\n").map { request[..<$0.lowerBound] } ?? request[...]
            let body = request.range(of: "\n\n").map { request[$0.lowerBound...] } ?? ""
            let group = req.deletingLastPathComponent().deletingLastPathComponent().lastPathComponent
            let signed = head + "\nAuthorization:" + authorization + body
            return Seed(target: "sigv4_header", name: "\(group)-\(req.deletingPathExtension().lastPathComponent).req", bytes: Array(signed.utf8))
        }
    }

    /// S3's presigned GET example, the same URL presigned by Coffer's signer, and a SigV2 form.
    static func presignedQueries(_ repository: URL) throws -> [Seed] {
        let example = try text(repository.appendingPathComponent(
            "Tests/CofferSigV4Tests/Vectors/s3-examples/presigned-get-object/presigned-get-object.req"))
        let line = example.prefix { $0 != "\n" }
        let query = line.drop { $0 != "?" }.dropFirst().prefix { $0 != " " }
        let signer = SigV4Signer(credential: SigV4Harness.s3Credential, region: "us-east-1", service: "s3")
        let request = SigV4Request(method: "GET", rawPath: "/test.txt", rawQuery: "response-content-type=text%2Fplain&x-id=GetObject",
                                   headers: [("Host", "examplebucket.s3.amazonaws.com")])
        let presigned = signer.presign(request, date: SigV4Harness.fallbackTime, expires: 3600)
        let sigV2 = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1369353660&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D"
        return [
            Seed(target: "sigv4_presigned", name: "s3-example.query", bytes: Array(query.utf8)),
            Seed(target: "sigv4_presigned", name: "coffer-signer.query", bytes: Array(presigned.drop { $0 != "?" }.dropFirst().utf8)),
            Seed(target: "sigv4_presigned", name: "sigv2.query", bytes: Array(sigV2.utf8)),
        ]
    }

    /// The two published chunked examples, a small signed body and botocore's unsigned trailer
    /// framing, each behind the harness's option bytes.
    static func chunkedBodies(_ repository: URL) throws -> [Seed] {
        func options(_ mode: UInt8, length: Int?, piece: UInt8) -> [UInt8] {
            guard let length else { return [mode | 4, 0, 0, 0, piece] }
            return [mode, UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), piece]
        }
        var seeds: [Seed] = []
        for (name, mode) in [("chunked-put-object", UInt8(0)), ("chunked-put-object-trailer", 1)] {
            let url = repository.appendingPathComponent("Tests/CofferSigV4Tests/Vectors/s3-examples/\(name)/\(name).chunks.json")
            let example = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            let sizes = example["chunkSizes"] as! [Int]
            let signatures = example["chunkSignatures"] as! [String]
            let trailerSignature = example["trailerSignature"] as? String
            var body: [UInt8] = []
            for (size, signature) in zip(sizes, signatures) {
                body += Array("\(String(size, radix: 16));chunk-signature=\(signature)\r\n".utf8)
                body += [UInt8](repeating: UInt8(ascii: "a"), count: size)
                if size > 0 || trailerSignature == nil { body += Array("\r\n".utf8) }
            }
            if let trailerSignature {
                for pair in example["trailers"] as! [[String]] { body += Array("\(pair[0]):\(pair[1])\r\n".utf8) }
                body += Array("x-amz-trailer-signature:\(trailerSignature)\r\n\r\n".utf8)
            }
            seeds.append(Seed(target: "aws_chunked", name: name, bytes: options(mode, length: 66560, piece: 200) + body))
        }
        var encoder = AWSChunkedEncoder(signing: AWSChunkedHarness.signing(seed: AWSChunkedHarness.signedSeed))
        let small = encoder.chunk([UInt8](repeating: 0x62, count: 8192)) + encoder.chunk(Array("tail".utf8)) + encoder.chunk([])
        seeds.append(Seed(target: "aws_chunked", name: "signed-small", bytes: options(0, length: nil, piece: 30) + small))
        let botocore = Array("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n".utf8)
        seeds.append(Seed(target: "aws_chunked", name: "unsigned-trailer", bytes: options(2, length: 5, piece: 0) + botocore))
        return seeds
    }

    /// A one-package blob, a two-package blob, and the header given explicitly in the
    /// layouts earlier releases wrote (keys in another order, `/` escaped).
    static func sealedBlobs() -> [Seed] {
        let H = SealedPackageHarness.self
        let one = H.sealedBlob([Array("hello, sealed world".utf8)])
        let two = H.sealedBlob([[UInt8](repeating: 7, count: 65536), [1, 2, 3]])
        let reordered = #"{"part":1,"salt":"\#(H.genuineHeader.split(separator: "\"")[5])","v":1}"#
        return [
            Seed(target: "sealed_package", name: "one-package", bytes: H.input(packages: one)),
            Seed(target: "sealed_package", name: "two-packages", bytes: H.input(packages: two)),
            Seed(target: "sealed_package", name: "header-given", bytes: H.input(packages: one, header: H.genuineHeader)),
            Seed(target: "sealed_package", name: "header-reordered", bytes: H.input(packages: one, header: reordered)),
            Seed(target: "sealed_package", name: "v2-one-package", bytes: H.input(packages: H.sealedBlob([Array("hello, sealed world".utf8)], version2: true), version2: true)),
            Seed(target: "sealed_package", name: "v2-header-given", bytes: H.input(packages: H.sealedBlob([[1, 2, 3]], version2: true), header: H.genuineHeaderV2, version2: true)),
        ]
    }

    /// The release captures (`Fuzz/corpus/records/*.v1`) decoded and written in today's version.
    static func currentRecords(_ repository: URL) throws -> [Seed] {
        let directory = repository.appendingPathComponent("Fuzz/corpus/records")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".v1") }.sorted()
        return try files.map { file in
            let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent(file)))
            let stored = bytes.dropFirst()
            let encoded: [UInt8]
            switch bytes[0] % 4 {
            case 0: encoded = try ObjectRecord(encoded: stored).encoded()
            case 1: encoded = try PartRecord(encoded: stored).encoded()
            case 2: encoded = try UploadRecord(encoded: stored).encoded()
            default: encoded = try BucketRecord(encoded: stored).encoded()
            }
            let name = String(file.dropLast(3)) + ".current"
            return Seed(target: "records", name: name, bytes: [bytes[0]] + encoded)
        }
    }
}
