import CofferAudit

/// The audit trail, verified as `coffer audit verify` verifies it (``AuditVerifier``, docs/audit-trail.md
/// "Verification"): digests, signatures, the hash chain. The verifier stops at the first
/// problem, so at most one `auditTrail` finding comes from it.
enum FsckAuditCheck {
    static func check(_ audit: FsckSources.Audit, into report: inout FsckReport) {
        switch audit {
        case .unavailable(let reason):
            report.add(.auditTrail, .init(file: "audit"), reason)
        case .trail(let sink, let publicKey):
            record(AuditVerifier.verify(sink: sink, publicKey: publicKey), into: &report)
        }
    }

    static func record(_ verification: AuditVerificationReport, into report: inout FsckReport) {
        report.counts.auditLogFiles = verification.logFiles
        report.counts.auditDigestsVerified = verification.digestsVerified
        report.counts.auditRecords = verification.recordsVerified
        if let problem = verification.problem {
            report.add(.auditTrail, .init(file: problem.file.map { "audit/\($0)" }), "\(problem.kind.rawValue): \(problem.message)")
        }
        if let active = verification.activeFile {
            var text = "the newest audit file \(active) (\(verification.activeFileRecords) records) is checked by its hash chain only: no digest covers it yet"
            for note in verification.notes { text += ". " + note }
            report.notices.append(FsckNotice(.auditActiveFile, text))
        }
    }
}
