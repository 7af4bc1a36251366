extension Policy {
    /// Whether any statement reads a context key starting with `prefix` (any case), in a
    /// condition or as a policy variable: `s3:ExistingObjectTag/` tells the S3 layer whether the
    /// object's tags must be looked up before this policy can decide.
    public func readsKey(withPrefix prefix: String) -> Bool {
        let prefix = PolicyRequest.lower(prefix)
        return statements.contains { statement in statement.readKeys.contains { $0.lookup.hasPrefix(prefix) } }
    }
}
