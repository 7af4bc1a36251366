import CofferCrypto
import CofferStorage
import Foundation

/// Checks a trail offline, in the manner of CloudTrail's log file integrity validation, and
/// names the first problem (docs/audit-trail.md, "Verification").
///
/// Files are walked in file-number order. For each finished file: its digest parses, its
/// signature verifies under the public key, it names the previous digest by name and SHA-256,
/// every record line links to the one before it, and the file's SHA-256, size and record
/// range equal the digest's. The newest file, when it has no digest yet, is the active file:
/// only its hash chain is checked, and an incomplete last line is tolerated.
public enum AuditVerifier {
    /// Verifies the trail in `sink` against the raw 32-byte Ed25519 `publicKey`.
    public static func verify(sink: any AuditSinkReader, publicKey: [UInt8]) -> AuditVerificationReport {
        var report = AuditVerificationReport()
        do {
            try walk(sink: sink, publicKey: publicKey, report: &report)
        } catch let problem as AuditVerificationReport.Problem {
            report.problem = problem
        } catch {
            report.problem = .init(kind: .unreadable, message: "\(error)")
        }
        return report
    }

    /// Verifies the trail in `directory` (a ``FileAuditSink``) against the raw 32-byte Ed25519
    /// `publicKey`.
    public static func verify(directory: String, publicKey: [UInt8]) -> AuditVerificationReport {
        verify(sink: FileAuditSink(directory: directory), publicKey: publicKey)
    }

    /// Verifies the trail in `directory` with the public key file of `keyDirectory`.
    public static func verify(directory: String, keyDirectory: String) throws -> AuditVerificationReport {
        verify(directory: directory, publicKey: try AuditSigningKey.loadPublicKey(keyDirectory: keyDirectory))
    }

    private static func walk(sink: any AuditSinkReader, publicKey: [UInt8], report: inout AuditVerificationReport) throws {
        let entries = try AuditFileListing(sink: sink).entries
        var chain = ChainCursor()
        var previousDigest: (name: String, sha256: String)?
        for (index, entry) in entries.enumerated() {
            let expectedNumber = index + 1
            guard entry.number == expectedNumber else {
                throw problem(.logFileMissing, file: nil, "log file number \(expectedNumber) is missing, with its digest (deleted): the trail goes from file \(expectedNumber - 1) to file \(entry.number)")
            }
            guard let logFile = entry.logFile else {
                let digest = entry.digestFile ?? "?"
                throw problem(.logFileMissing, file: AuditLayout.logFileName(forDigest: digest),
                              "log file \(AuditLayout.logFileName(forDigest: digest)) is missing (deleted); its digest \(digest) remains")
            }
            report.logFiles += 1
            let bytes = try read(sink, logFile)
            guard let digestFile = entry.digestFile else {
                guard index == entries.count - 1 else {
                    throw problem(.digestMissing, file: logFile, "log file \(logFile) has no digest file \(AuditLayout.digestFileName(forLogFile: logFile)) (deleted); only the newest file may be without one")
                }
                let records = try chain.walk(bytes, file: logFile, final: false)
                report.recordsVerified += records
                report.activeFile = logFile
                report.activeFileRecords = records
                if AuditRecordLine.split(bytes).partialTail {
                    report.notes.append("The last line of \(logFile) is incomplete (being written, or torn by a crash) and was not checked.")
                }
                return
            }
            let digestBytes = try read(sink, digestFile)
            let digest = try checkDigest(digestBytes, name: digestFile, logFile: logFile, previous: previousDigest, publicKey: publicKey)
            report.recordsVerified += try chain.walk(bytes, file: logFile, final: true)
            try checkLogFile(bytes, name: logFile, against: digest, digestName: digestFile, chain: chain)
            previousDigest = (digestFile, AuditRecordLine.hash(digestBytes))
            report.digestsVerified += 1
        }
    }

    private static func checkDigest(_ bytes: [UInt8], name: String, logFile: String, previous: (name: String, sha256: String)?,
                                    publicKey: [UInt8]) throws -> AuditDigest {
        guard let digest = AuditDigest(fileBytes: bytes) else {
            throw problem(.digestMalformed, file: name, "digest \(name) is not a valid digest file (altered)")
        }
        guard digest.hasValidSignature(publicKey: publicKey) else {
            let other = digest.publicKeyFingerprint != AuditSigningKey.fingerprint(publicKey: publicKey)
            throw problem(.signatureInvalid, file: name, "digest \(name): the signature does not verify" + (other
                ? " (it names another signing key, fingerprint \(digest.publicKeyFingerprint.prefix(16))…; altered or replaced)"
                : " (the digest was altered)"))
        }
        guard digest.logFile == logFile else {
            throw problem(.digestMalformed, file: name, "digest \(name) seals \(digest.logFile), not \(logFile) (digest files were swapped or renamed)")
        }
        guard digest.previousDigestFile == previous?.name, digest.previousDigestSHA256 == previous?.sha256 else {
            let recorded = digest.previousDigestFile ?? "none"
            let actual = previous?.name ?? "none"
            throw problem(.digestChainBroken, file: name, "digest chain broken at \(name): it names the previous digest \(recorded), but the previous digest in the trail is \(actual)"
                + (recorded == actual ? " and its SHA-256 differs (that digest was altered or replaced)" : " (a digest was deleted, added or renamed)"))
        }
        return digest
    }

    private static func checkLogFile(_ bytes: [UInt8], name: String, against digest: AuditDigest, digestName: String, chain: ChainCursor) throws {
        guard AuditRecordLine.hash(bytes) == digest.logFileSHA256, Int64(bytes.count) == digest.logFileBytes else {
            throw problem(.logFileAltered, file: name, "log file \(name) was altered: its SHA-256 differs from the one in its digest \(digestName) (its record chain is intact, so the last line or bytes after it changed)")
        }
        let lines = AuditRecordLine.split(bytes).lines
        guard Int64(lines.count) == digest.recordCount, chain.firstSequenceOfLastFile == digest.firstSequence,
              chain.lastSequence == digest.lastSequence ?? chain.lastSequence else {
            throw problem(.digestMalformed, file: digestName, "digest \(digestName) disagrees with \(name) on its records (count or sequence range)")
        }
    }

    private static func read(_ sink: any AuditSinkReader, _ name: String) throws -> [UInt8] {
        do {
            return try sink.read(name)
        } catch {
            throw problem(.unreadable, file: name, "cannot read \(name)")
        }
    }

    static func problem(_ kind: AuditVerificationReport.Problem.Kind, file: String?, line: Int? = nil, sequence: Int64? = nil,
                        _ message: String) -> AuditVerificationReport.Problem {
        .init(kind: kind, file: file, line: line, sequence: sequence, message: message)
    }
}

extension AuditVerificationReport.Problem: Error {}
