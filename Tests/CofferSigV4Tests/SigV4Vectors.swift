import Foundation
import Testing
@testable import CofferSigV4

/// One vector directory in AWS's layout: `<name>.req`, `.creq`, `.sts`, `.authz`.
struct SigV4Vector: Sendable, CustomTestStringConvertible {
    var name: String
    var request: SigV4Request
    var body: [UInt8]
    var canonicalRequest: String
    var stringToSign: String
    var authorization: String

    var testDescription: String { name }

    static var root: URL {
        Bundle.module.url(forResource: "Vectors", withExtension: nil)!
    }

    /// Every case under `Vectors/<group>` (recursively).
    static func load(_ group: String) -> [SigV4Vector] {
        let base = root.appendingPathComponent(group)
        let files = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "req" }
        return files.map { load(req: $0, base: base) }.sorted { $0.name < $1.name }
    }

    static func load(group: String, name: String) -> SigV4Vector {
        let base = root.appendingPathComponent(group)
        return load(req: base.appendingPathComponent(name).appendingPathComponent(name + ".req"), base: base)
    }

    private static func load(req: URL, base: URL) -> SigV4Vector {
        let stem = req.deletingPathExtension()
        func text(_ ext: String) -> String { (try? String(contentsOf: stem.appendingPathExtension(ext), encoding: .utf8)) ?? "" }
        let (request, body) = parseRequest(text("req"))
        let name = String(stem.path.dropFirst(base.path.count + 1).split(separator: "/").dropLast().joined(separator: "/"))
        return SigV4Vector(name: name, request: request, body: body, canonicalRequest: text("creq"),
                           stringToSign: text("sts"), authorization: text("authz"))
    }

    /// Parses `METHOD target HTTP/1.1\nName:value\n...\n\nbody`; the target may hold spaces.
    static func parseRequest(_ text: String) -> (SigV4Request, [UInt8]) {
        let parts = text.components(separatedBy: "\n\n")
        var lines = parts[0].components(separatedBy: "\n")
        let requestLine = lines.removeFirst()
        let method = String(requestLine.prefix { $0 != " " })
        var target = requestLine.dropFirst(method.count + 1)
        if let range = target.range(of: " HTTP/", options: .backwards) { target = target[..<range.lowerBound] }
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            let colon = line.firstIndex(of: ":")!
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        let body = parts.count > 1 ? Array(parts.dropFirst().joined(separator: "\n\n").utf8) : []
        let request = SigV4Request(method: method, rawPath: String(path[0]), rawQuery: path.count > 1 ? String(path[1]) : "", headers: headers)
        return (request, body)
    }

    /// The request with the vector's `Authorization` header added.
    var signedRequest: SigV4Request {
        var signed = request
        signed.headers.append(("Authorization", authorization))
        return signed
    }
}

struct ChunkedExample: Decodable {
    var seed: String
    var chunkSizes: [Int]
    var chunkSignatures: [String]
    var trailers: [[String]]
    var trailerSignature: String?

    static func load(_ name: String) -> ChunkedExample {
        let url = SigV4Vector.root.appendingPathComponent("s3-examples/\(name)/\(name).chunks.json")
        return try! JSONDecoder().decode(ChunkedExample.self, from: Data(contentsOf: url))
    }

    /// The example's aws-chunked body, exactly as on the wire.
    var body: [UInt8] {
        var out: [UInt8] = []
        for (size, signature) in zip(chunkSizes, chunkSignatures) {
            out += Array("\(String(size, radix: 16));chunk-signature=\(signature)\r\n".utf8)
            out += [UInt8](repeating: UInt8(ascii: "a"), count: size)
            if size > 0 || trailerSignature == nil { out += Array("\r\n".utf8) }
        }
        if let trailerSignature {
            for pair in trailers { out += Array("\(pair[0]):\(pair[1])\r\n".utf8) }
            out += Array("x-amz-trailer-signature:\(trailerSignature)\r\n\r\n".utf8)
        }
        return out
    }
}

enum TestKeys {
    static let suite = Credential(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", userName: "suite")
    static let s3 = Credential(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", userName: "example")
    static let suiteTime = AmzDate(iso8601Basic: "20150830T123600Z")!.date
    static let s3Time = AmzDate(iso8601Basic: "20130524T000000Z")!.date

    static let s3Verifier = SigV4Verifier(region: "us-east-1", service: "s3", credentials: StaticCredentialProvider([s3]))
    static let suiteVerifier = SigV4Verifier(region: "us-east-1", service: "service", credentials: StaticCredentialProvider([suite]))
}

/// Runs `body` and checks it throws a `SigV4Error` with `code`; returns the error.
@discardableResult
func expectSigV4Error<T>(_ code: SigV4Error.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(SigV4Error) -> T) -> SigV4Error? {
    do {
        _ = try body()
        Issue.record("expected \(code.rawValue), got success", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    }
}
