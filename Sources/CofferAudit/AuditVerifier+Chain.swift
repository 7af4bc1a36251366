import Foundation

/// The hash-chain check of the verifier: walks record lines across files and names the first
/// line that does not link to the one before it.
struct ChainCursor {
    private(set) var lastSequence: Int64 = 0
    private var lastHash = AuditLayout.genesisHash
    /// Where the last record was, for messages.
    private var lastLocation: (file: String, line: Int)?
    private(set) var firstSequenceOfLastFile: Int64?

    /// Checks every complete line of one file; returns how many records it holds. `final`
    /// files must not end in an incomplete line.
    mutating func walk(_ bytes: [UInt8], file: String, final: Bool) throws -> Int64 {
        let (lines, partialTail) = AuditRecordLine.split(bytes)
        let links = lines.map { AuditRecordLine.link(of: $0) }
        firstSequenceOfLastFile = nil
        for (index, line) in lines.enumerated() {
            let number = index + 1
            guard let (link, json) = links[index], (try? AuditEvent(json: json)) != nil else {
                throw AuditVerifier.problem(.malformedRecord, file: file, line: number, sequence: lastSequence + 1,
                                            "\(file) line \(number) is not a valid record (altered or corrupted)")
            }
            let expected = lastSequence + 1
            if link.sequence != expected {
                throw outOfSequence(link, expected: expected, file: file, line: number, lines: lines, links: links)
            }
            guard link.previousHash == lastHash else {
                if let lastLocation {
                    throw AuditVerifier.problem(.recordAltered, file: lastLocation.file, line: lastLocation.line, sequence: lastSequence,
                        "\(lastLocation.file) line \(lastLocation.line) (sequence \(lastSequence)) was altered: its SHA-256 does not match the previousHash held by the next record, \(file) line \(number) (or that previousHash was altered)")
                }
                throw AuditVerifier.problem(.recordAltered, file: file, line: number, sequence: link.sequence,
                                            "\(file) line \(number) (sequence 1) was altered: the first record's previousHash must be 64 zeros")
            }
            if firstSequenceOfLastFile == nil { firstSequenceOfLastFile = link.sequence }
            lastSequence = link.sequence
            lastHash = AuditRecordLine.hash(line)
            lastLocation = (file, number)
        }
        if final && partialTail {
            throw AuditVerifier.problem(.malformedRecord, file: file, line: lines.count + 1,
                                        "\(file) line \(lines.count + 1) is incomplete (no line feed) in a finished file (altered)")
        }
        return Int64(lines.count)
    }

    /// Names a record whose sequence is not the expected one: inserted (a sequence already
    /// seen, or a line the chain skips over), reordered (the expected record comes later), or
    /// removed (the sequence jumps ahead).
    private func outOfSequence(_ link: AuditChainLink, expected: Int64, file: String, line: Int, lines: [ArraySlice<UInt8>],
                               links: [(AuditChainLink, AuditJSON)?]) -> AuditVerificationReport.Problem {
        let sequence = link.sequence
        let previous = lastLocation.map { "\($0.file) line \($0.line)" } ?? "the start of the trail"
        if sequence < expected {
            return AuditVerifier.problem(.recordInserted, file: file, line: line, sequence: sequence,
                "\(file) line \(line) holds sequence \(sequence), which does not follow sequence \(expected - 1) at \(previous): a record was inserted (or replayed)")
        }
        if let index = links.indices.dropFirst(line).first(where: { links[$0]?.0.sequence == expected }) {
            let expectedLine = index + 1
            let skipsOver = expectedLine == line + 1 && links[index]?.0.previousHash == lastHash
                && link.previousHash != AuditRecordLine.hash(lines[index])
            if skipsOver {
                return AuditVerifier.problem(.recordInserted, file: file, line: line, sequence: sequence,
                    "\(file) line \(line) (sequence \(sequence)) was inserted: the chain goes from \(previous) straight to line \(expectedLine)")
            }
            return AuditVerifier.problem(.recordsReordered, file: file, line: line, sequence: sequence,
                "\(file) line \(line) holds sequence \(sequence) where sequence \(expected) was expected; sequence \(expected) is at line \(expectedLine): records were reordered")
        }
        let missing = sequence - expected == 1 ? "record \(expected) was" : "records \(expected) to \(sequence - 1) were"
        return AuditVerifier.problem(.recordsRemoved, file: file, line: line, sequence: sequence,
            "\(file) line \(line): the sequence jumps from \(expected - 1) to \(sequence) (after \(previous)): \(missing) removed")
    }
}
