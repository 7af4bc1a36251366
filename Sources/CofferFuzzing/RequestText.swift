import CofferSigV4

/// An HTTP request head in the layout of AWS's signature test suite (`<name>.req`):
/// `METHOD target HTTP/1.1`, then `Name:value` lines, a blank line and the body. Parsing is
/// total: any bytes give some request, so the fuzzer reaches the verifier with all of them.
struct RequestText {
    var request: SigV4Request
    var body: [UInt8]

    init(_ bytes: [UInt8]) {
        var headEnd = bytes.count
        var bodyStart = bytes.count
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 10, bytes[i + 1] == 10 { headEnd = i; bodyStart = i + 2; break }
            if i + 3 < bytes.count, bytes[i] == 13, bytes[i + 1] == 10, bytes[i + 2] == 13, bytes[i + 3] == 10 {
                headEnd = i; bodyStart = i + 4; break
            }
            i += 1
        }
        body = Array(bytes[bodyStart...])
        let head = String(decoding: bytes[..<headEnd], as: UTF8.self)
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("\r") ? line.dropLast() : line
        }
        let requestLine = lines.isEmpty ? "" : lines.removeFirst()
        let method = requestLine.prefix { $0 != " " }
        var target = requestLine.dropFirst(method.count).drop { $0 == " " }
        if let range = target.range(of: " HTTP/", options: .backwards) { target = target[..<range.lowerBound] }
        let path = target.prefix { $0 != "?" }
        let query = target.dropFirst(path.count + 1)
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        request = SigV4Request(method: String(method), rawPath: String(path), rawQuery: String(query), headers: headers)
    }
}
