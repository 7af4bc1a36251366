/// The report as `coffer fsck` prints it for people (docs/fsck.md, "The report"): what was
/// checked, the notices, the findings by kind, then each finding on its own line, and a last
/// line that says clean or how many findings.
extension FsckReport {
    public var summary: String {
        var lines = ["coffer fsck \(dataDirectory ?? "(server store)") (\(mode.rawValue))"]
        let c = counts
        lines.append("  buckets \(c.buckets), objects \(c.objects), uploads \(c.uploads), parts \(c.parts)")
        if c.noncurrentVersions > 0 || c.deleteMarkers > 0 {
            lines.append("  versions: noncurrent \(c.noncurrentVersions), delete markers \(c.deleteMarkers)")
        }
        lines.append("  blobs \(c.blobs), packages \(c.packages) (\(c.packagesOpened) opened), bytes checked \(c.bytesChecked)")
        lines.append("  not opened: SSE-C \(notOpened.sseC), remote KMS \(notOpened.remoteKMS), without root keys \(notOpened.noRootKeys)")
        lines.append("  KMS keys \(c.kmsKeys) (material versions opened \(c.kmsKeyVersions)), aliases \(c.kmsAliases)")
        lines.append("  audit: log files \(c.auditLogFiles), digests verified \(c.auditDigestsVerified), records \(c.auditRecords)")
        lines.append("  markers: pending \(c.pendingBlobs), garbage \(c.garbageBlobs); audit notes \(c.auditNotes)")
        for notice in notices { lines.append("info: " + Self.oneLine(notice.message)) }
        if !findingCounts.isEmpty {
            let byKind = findingCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            lines.append("findings by kind: \(byKind)")
        }
        for finding in findings { lines.append(Self.line(finding)) }
        if unlistedFindingCount > 0 {
            lines.append("(\(unlistedFindingCount) more findings counted, not listed: at most \(maxListedPerKind) per kind)")
        }
        lines.append(isClean ? "clean: no findings" : "\(findingCount) finding\(findingCount == 1 ? "" : "s")")
        return lines.joined(separator: "\n")
    }

    /// `FINDING kind [subject] message`, on one line whatever the names hold.
    static func line(_ finding: FsckFinding) -> String {
        let subject = describe(finding.subject)
        return Self.oneLine("FINDING \(finding.kind.rawValue)\(subject.isEmpty ? "" : " [\(subject)]") \(finding.message)")
    }

    /// The subject's members that are set, `name=value`, space separated.
    static func describe(_ subject: FsckFinding.Subject) -> String {
        var parts: [String] = []
        if let bucket = subject.bucket { parts.append("bucket=\(bucket)") }
        if let key = subject.key { parts.append("key=\(key)") }
        if let uploadId = subject.uploadId { parts.append("upload=\(uploadId)") }
        if let part = subject.part { parts.append("part=\(part)") }
        if let blob = subject.blob { parts.append("blob=\(blob)") }
        if let chunk = subject.chunk { parts.append("chunk=\(chunk)") }
        if let kmsKeyId = subject.kmsKeyId { parts.append("kms-key=\(kmsKeyId)") }
        if let alias = subject.alias { parts.append("alias=\(alias)") }
        if let file = subject.file { parts.append("file=\(file)") }
        if let storeKey = subject.storeKey { parts.append("store-key=\(storeKey)") }
        return parts.joined(separator: " ")
    }

    /// `text` with control characters (a newline in an object key) escaped, so that every
    /// finding stays on its own line.
    static func oneLine(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
