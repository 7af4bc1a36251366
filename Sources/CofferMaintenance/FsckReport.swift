/// What `coffer fsck` checked and found (docs/fsck.md, "The report"): counts, findings,
/// notices. `Codable` (`coffer fsck --json` prints it); ``summary`` renders it for people.
public struct FsckReport: Sendable, Hashable, Codable {
    /// What was walked and checked.
    public struct Counts: Sendable, Hashable, Codable {
        public var buckets = 0
        public var objects = 0
        /// Noncurrent versions (`v`), delete markers among them.
        public var noncurrentVersions = 0
        /// Delete markers, current (`d`) and noncurrent.
        public var deleteMarkers = 0
        public var uploads = 0
        public var parts = 0
        /// Blobs referenced by an object or a part.
        public var blobs = 0
        /// Packages read (opened or, when their key is not available, checked for length).
        public var packages = 0
        /// Packages whose GCM tag verified.
        public var packagesOpened = 0
        /// Stored (sealed) bytes of every package read.
        public var bytesChecked: Int64 = 0
        public var kmsKeys = 0
        /// KMS key material versions opened with the root keys.
        public var kmsKeyVersions = 0
        public var kmsAliases = 0
        /// Blobs with a `pending` or `garbage` marker.
        public var pendingBlobs = 0
        public var garbageBlobs = 0
        /// Audit notes (`r` keys).
        public var auditNotes = 0
        public var auditLogFiles = 0
        public var auditDigestsVerified = 0
        public var auditRecords: Int64 = 0

        public init() {}
    }

    /// Objects and uploads whose data key could not be opened offline, by reason. Their
    /// packages were checked for count and length, not for their tags. Not findings.
    public struct NotOpened: Sendable, Hashable, Codable {
        /// SSE-C: the customer's key is never stored.
        public var sseC = 0
        /// SSE-KMS through a remote key service.
        public var remoteKMS = 0
        /// SSE-S3 or SSE-KMS without root keys (a finding says why they are missing).
        public var noRootKeys = 0

        public init() {}

        public var total: Int { sseC + remoteKMS + noRootKeys }
    }

    /// The data directory checked (nil for a store checked in place by a running server).
    public var dataDirectory: String?
    /// How the store was read.
    public enum Mode: String, Sendable, Hashable, Codable {
        /// From the files of a stopped server's data directory.
        case offline
        /// From a snapshot of a running server's store.
        case online
    }

    /// How the store was read.
    public var mode: Mode
    public var counts = Counts()
    public var notOpened = NotOpened()
    /// The findings listed, in the order found, at most ``maxListedPerKind`` of each kind.
    public var findings: [FsckFinding] = []
    /// Every finding by kind, listed or not.
    public var findingCounts: [String: Int] = [:]
    public var notices: [FsckNotice] = []
    /// How many findings of one kind are listed; the rest are only counted.
    public var maxListedPerKind: Int

    public init(dataDirectory: String?, mode: Mode, maxListedPerKind: Int = 100) {
        self.dataDirectory = dataDirectory
        self.mode = mode
        self.maxListedPerKind = max(1, maxListedPerKind)
    }

    /// Every finding, listed or not.
    public var findingCount: Int { findingCounts.values.reduce(0, +) }
    /// No finding: every record, blob, key and audit file checked out.
    public var isClean: Bool { findingCount == 0 }
    /// Findings counted but not listed.
    public var unlistedFindingCount: Int { findingCount - findings.count }

    /// Adds a finding (listed while its kind has fewer than ``maxListedPerKind``).
    public mutating func add(_ finding: FsckFinding) {
        let count = findingCounts[finding.kind.rawValue, default: 0]
        findingCounts[finding.kind.rawValue] = count + 1
        if count < maxListedPerKind { findings.append(finding) }
    }

    /// Adds a finding.
    public mutating func add(_ kind: FsckFinding.Kind, _ subject: FsckFinding.Subject, _ message: String) {
        add(FsckFinding(kind, subject, message))
    }

    /// The listed findings of `kind`.
    public func findings(_ kind: FsckFinding.Kind) -> [FsckFinding] { findings.filter { $0.kind == kind } }

    /// How many findings of `kind` there are.
    public func count(_ kind: FsckFinding.Kind) -> Int { findingCounts[kind.rawValue, default: 0] }
}
