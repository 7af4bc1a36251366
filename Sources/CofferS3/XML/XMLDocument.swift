/// A small read-only element tree parsed from a request body (CreateBucketConfiguration,
/// Delete, CompleteMultipartUpload, ...) by Coffer's own reader (`XMLReader`): no DTD, no
/// entity but XML's predefined ones, no processing instruction, so a hostile body cannot make
/// the server read files or expand entities.
public struct XMLElementNode: Sendable, Equatable {
    /// The element's local name (without a namespace prefix).
    public var name: String
    /// Its character data (CDATA included, references expanded, line ends normalised); trimmed
    /// of surrounding whitespace when the element has children.
    public var text: String
    public var children: [XMLElementNode]

    public func child(_ name: String) -> XMLElementNode? { children.first { $0.name == name } }
    public func all(_ name: String) -> [XMLElementNode] { children.filter { $0.name == name } }
    public func childText(_ name: String) -> String? { child(name)?.text }

    /// Parses `data`; `nil` when it is not well-formed XML, not UTF-8, nests deeper than 32
    /// elements, or contains a DTD or a processing instruction.
    public static func parse(_ data: [UInt8]) -> XMLElementNode? {
        if data.isEmpty { return nil }
        // S3's documents are UTF-8.
        if String(validating: data, as: UTF8.self) == nil { return nil }
        return XMLReader.parse(data)
    }
}
