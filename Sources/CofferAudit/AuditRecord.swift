import CofferCrypto
import Foundation

/// The hash-chain member of a record line (`"cofferChain": {"sequence": n, "previousHash": h}`):
/// not a CloudTrail field. `sequence` counts records from 1 over the trail's life, across
/// files; `previousHash` is the lowercase hex SHA-256 of the previous record line's bytes
/// (without its line feed), 64 zeros for the first record.
public struct AuditChainLink: Sendable, Hashable {
    public var sequence: Int64
    public var previousHash: String

    public init(sequence: Int64, previousHash: String) {
        self.sequence = sequence
        self.previousHash = previousHash
    }

    var json: AuditJSON { ["sequence": .number(Double(sequence)), "previousHash": .string(previousHash)] }

    init?(json: AuditJSON?) {
        guard let json, let sequence = json["sequence"]?.integerValue, let previousHash = json["previousHash"]?.stringValue else { return nil }
        self.init(sequence: sequence, previousHash: previousHash)
    }
}

/// One record as read from the trail: the event, its chain link, the exact line and where it is.
public struct AuditRecord: Sendable, Hashable {
    public var event: AuditEvent
    public var chain: AuditChainLink
    /// The record line exactly as stored (without its line feed).
    public var line: String
    /// The log file's name (not its path).
    public var file: String
    /// 1-based line number in that file.
    public var lineNumber: Int
}

/// How a record line is made and read back.
enum AuditRecordLine {
    /// The line's bytes (no line feed): the event's members plus the chain member.
    static func encode(_ event: AuditEvent, link: AuditChainLink) -> [UInt8] {
        guard case .object(var members) = event.json else { return [] }
        members[AuditLayout.chainField] = link.json
        return AuditJSON.object(members).serialized()
    }

    /// The hash that the next record's `previousHash` must hold.
    static func hash<Bytes: ContiguousBytes>(_ line: Bytes) -> String { Hex.encode(CofferCrypto.SHA256.hash(line)) }

    /// The chain link of a line, without decoding the whole event; `nil` when the line is not
    /// a JSON object with a valid chain member.
    static func link(of line: ArraySlice<UInt8>) -> (AuditChainLink, AuditJSON)? {
        guard let json = AuditJSON.parse(line), let link = AuditChainLink(json: json[AuditLayout.chainField]) else { return nil }
        return (link, json)
    }

    /// The full record of a line; `nil` when it is not a valid record.
    static func record(_ line: ArraySlice<UInt8>, file: String, lineNumber: Int) -> AuditRecord? {
        guard let (link, json) = link(of: line), let event = try? AuditEvent(json: json) else { return nil }
        return AuditRecord(event: event, chain: link, line: String(decoding: line, as: UTF8.self), file: file, lineNumber: lineNumber)
    }

    /// The complete lines of a file's bytes (each without its line feed) and whether bytes
    /// follow the last line feed (a line still being written, or torn by a crash).
    static func split(_ bytes: [UInt8]) -> (lines: [ArraySlice<UInt8>], partialTail: Bool) {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        for index in bytes.indices where bytes[index] == 0x0a {
            lines.append(bytes[start..<index])
            start = index + 1
        }
        return (lines, start < bytes.count)
    }
}
