/// One page of a ListObjectVersions result.
public struct VersionListing: Sendable, Equatable {
    /// One version (an object, or a delete marker: ``ObjectRecord/isDeleteMarker``).
    public struct Entry: Sendable, Equatable {
        /// The version's record; its version id is ``ObjectRecord/versionIdText``.
        public var record: ObjectRecord
        /// Whether it is its key's current version.
        public var isLatest: Bool

        public init(record: ObjectRecord, isLatest: Bool) {
            self.record = record
            self.isLatest = isLatest
        }
    }

    /// Versions by key (UTF-8 byte order), each key's newest first.
    public var versions: [Entry]
    /// Common prefixes (each ending with the delimiter) in order.
    public var commonPrefixes: [String]
    /// Whether more versions or prefixes follow this page.
    public var isTruncated: Bool
    /// When truncated: the key (or common prefix) of the last entry returned, to pass as
    /// `keyMarker`.
    public var nextKeyMarker: String?
    /// When truncated after a version: its version id (`null` for the null version), to pass
    /// as `versionIdMarker`.
    public var nextVersionIdMarker: String?

    public init(versions: [Entry] = [], commonPrefixes: [String] = [], isTruncated: Bool = false,
                nextKeyMarker: String? = nil, nextVersionIdMarker: String? = nil) {
        self.versions = versions
        self.commonPrefixes = commonPrefixes
        self.isTruncated = isTruncated
        self.nextKeyMarker = nextKeyMarker
        self.nextVersionIdMarker = nextVersionIdMarker
    }
}
