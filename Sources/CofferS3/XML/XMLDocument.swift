import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A small read-only element tree parsed from a request body (CreateBucketConfiguration,
/// Delete, CompleteMultipartUpload, ...). Parsing never resolves external entities and
/// rejects DTDs, so a hostile body cannot make the server read files or expand entities.
public struct XMLElementNode: Sendable, Equatable {
    public var name: String
    public var text: String
    public var children: [XMLElementNode]

    public func child(_ name: String) -> XMLElementNode? { children.first { $0.name == name } }
    public func all(_ name: String) -> [XMLElementNode] { children.filter { $0.name == name } }
    public func childText(_ name: String) -> String? { child(name)?.text }

    static func containsDeclaration(_ data: [UInt8]) -> Bool {
        let marker = Array("<!".utf8)
        var i = 0
        while i + 2 < data.count {
            if data[i] == marker[0], data[i + 1] == marker[1], data[i + 2] != UInt8(ascii: "-"), data[i + 2] != UInt8(ascii: "[") {
                return true  // <!DOCTYPE, <!ENTITY, <!ELEMENT ... (comments and CDATA are allowed)
            }
            i += 1
        }
        return false
    }

    /// Whether `data` has a processing instruction (`<?target data?>`) other than a leading XML
    /// declaration. Foundation's XMLParser dereferences NULL for one without data (`<?x?>`),
    /// killing the process (docs/fuzzing.md, finding F3); S3's documents never carry one.
    static func containsProcessingInstruction(_ data: [UInt8]) -> Bool {
        let start = data.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        let declaration = Array("<?xml".utf8)
        var i = 0
        while i + 1 < data.count {
            if data[i] == UInt8(ascii: "<"), data[i + 1] == UInt8(ascii: "?") {
                let isDeclaration = i == start && data[i...].starts(with: declaration) && i + 5 < data.count
                    && [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n")].contains(data[i + 5])
                if !isDeclaration { return true }
            }
            i += 1
        }
        return false
    }

    /// Parses `data`; `nil` when it is not well-formed XML, not UTF-8, or contains a DTD or a
    /// processing instruction.
    public static func parse(_ data: [UInt8]) -> XMLElementNode? {
        if data.isEmpty { return nil }
        // S3's documents are UTF-8. Foundation's XMLParser traps (the process dies) when libxml2
        // hands it an element name that is not UTF-8 (docs/fuzzing.md, finding F2): refuse such
        // bodies before it sees them.
        if String(validating: data, as: UTF8.self) == nil { return nil }
        // A DTD is never part of an S3 request document: refuse any declaration anywhere in the
        // (size-bounded) body, so no entity can be declared, expanded or resolved.
        if Self.containsDeclaration(data) || Self.containsProcessingInstruction(data) { return nil }
        let parser = XMLParser(data: Data(data))
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = true
        let delegate = TreeBuilder()
        parser.delegate = delegate
        guard parser.parse(), delegate.failed == false, let root = delegate.root else { return nil }
        return root
    }
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
    var stack: [XMLElementNode] = []
    var root: XMLElementNode?
    var failed = false

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        if stack.count > 32 { failed = true; parser.abortParsing(); return }
        stack.append(XMLElementNode(name: elementName, text: "", children: []))
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard var node = stack.popLast() else { failed = true; return }
        if !node.children.isEmpty { node.text = node.text.trimmingCharacters(in: .whitespacesAndNewlines) }
        if stack.isEmpty {
            root = node
        } else {
            stack[stack.count - 1].children.append(node)
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) { failed = true }
}
