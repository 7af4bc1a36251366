/// The condition keys lint knows: AWS's global condition context keys (IAM User Guide, "AWS
/// global condition context keys") and the keys S3 documents (Service Authorization Reference,
/// Amazon S3). Spelled as AWS documents them; matched case-insensitively.
public enum ConditionKeyTable {
    /// Global keys, valid in any statement.
    public static let global: [String] = [
        "aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast", "aws:CurrentTime", "aws:EpochTime",
        "aws:FederatedProvider", "aws:MultiFactorAuthAge", "aws:MultiFactorAuthPresent", "aws:PrincipalAccount",
        "aws:PrincipalArn", "aws:PrincipalIsAWSService", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths",
        "aws:PrincipalServiceName", "aws:PrincipalServiceNamesList", "aws:PrincipalType", "aws:Referer",
        "aws:RequestedRegion", "aws:ResourceAccount", "aws:ResourceOrgID", "aws:ResourceOrgPaths",
        "aws:SecureTransport", "aws:SourceAccount", "aws:SourceArn", "aws:SourceIdentity", "aws:SourceIp",
        "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:SourceVpc", "aws:SourceVpcArn", "aws:SourceVpce",
        "aws:TagKeys", "aws:TokenIssueTime", "aws:UserAgent", "aws:userid", "aws:username", "aws:ViaAWSService",
        "aws:VpcSourceIp", "aws:VpceAccount", "aws:VpceOrgID", "aws:VpceOrgPaths", "aws:Ec2InstanceSourceVpc",
        "aws:Ec2InstanceSourcePrivateIPv4", "aws:AssumedRoot",
    ]

    /// Global keys that take a tag key after a slash.
    public static let globalPrefixes: [String] = ["aws:PrincipalTag/", "aws:RequestTag/", "aws:ResourceTag/"]

    /// S3 keys.
    public static let s3: [String] = [
        "s3:AccessPointNetworkOrigin", "s3:DataAccessPointAccount", "s3:DataAccessPointArn", "s3:ResourceAccount",
        "s3:TlsVersion", "s3:authType", "s3:delimiter", "s3:locationconstraint", "s3:max-keys",
        "s3:object-lock-legal-hold", "s3:object-lock-mode", "s3:object-lock-remaining-retention-days",
        "s3:object-lock-retain-until-date", "s3:prefix", "s3:signatureAge", "s3:signatureversion", "s3:versionid",
        "s3:x-amz-acl", "s3:x-amz-content-sha256", "s3:x-amz-copy-source", "s3:x-amz-grant-full-control",
        "s3:x-amz-grant-read", "s3:x-amz-grant-read-acp", "s3:x-amz-grant-write", "s3:x-amz-grant-write-acp",
        "s3:x-amz-metadata-directive", "s3:x-amz-server-side-encryption",
        "s3:x-amz-server-side-encryption-aws-kms-key-id", "s3:x-amz-server-side-encryption-customer-algorithm",
        "s3:x-amz-storage-class", "s3:x-amz-website-redirect-location", "s3:x-amz-object-ownership",
        "s3:RequestObjectTagKeys", "s3:if-match", "s3:if-none-match", "s3:ObjectCreationOperation",
    ]

    /// S3 keys that take a tag key after a slash.
    public static let s3Prefixes: [String] = ["s3:ExistingObjectTag/", "s3:RequestObjectTag/"]

    /// S3 keys every S3 request carries, whatever the action.
    static let s3EveryAction: Set<String> = [
        "s3:accesspointnetworkorigin", "s3:dataaccesspointaccount", "s3:dataaccesspointarn", "s3:resourceaccount",
        "s3:tlsversion", "s3:authtype", "s3:signatureage", "s3:signatureversion", "s3:x-amz-content-sha256",
    ]

    /// Keys present in every request Coffer evaluates (so an operator on them never meets a
    /// missing key): lint does not warn about absent-key traps on these.
    static let alwaysPresent: Set<String> = [
        "aws:currenttime", "aws:epochtime", "aws:securetransport", "aws:sourceip", "aws:principaltype",
        "aws:requestedregion", "s3:resourceaccount", "s3:authtype", "s3:signatureversion",
    ]

    /// Keys that can hold several values (for lint: set operators belong on these only).
    static let multivalued: Set<String> = [
        "aws:calledvia", "aws:principalorgpaths", "aws:principalservicenameslist", "aws:resourceorgpaths",
        "aws:sourceorgpaths", "aws:tagkeys", "aws:vpceorgpaths", "s3:requestobjecttagkeys",
    ]

    /// The key as AWS spells it when it is known, else nil. Tag keys keep their tag part.
    public static func canonicalSpelling(_ key: String) -> String? {
        known[PolicyRequest.lower(key)] ?? prefixed(key).map { $0.prefix + $0.rest }
    }

    /// A known prefix (`aws:RequestTag/`) and the rest of the key, when the key has one.
    static func prefixed(_ key: String) -> (prefix: String, rest: String)? {
        let l = PolicyRequest.lower(key)
        for p in globalPrefixes + s3Prefixes where l.hasPrefix(PolicyRequest.lower(p)) && l.count > p.count {
            return (p, String(key.dropFirst(p.count)))
        }
        return nil
    }

    private static let known: [String: String] = {
        var m: [String: String] = [:]
        for k in global + s3 { m[PolicyRequest.lower(k)] = k }
        return m
    }()

    /// The known key closest to `key` by edit distance (case-insensitive), for "did you mean".
    public static func closest(to key: String) -> String? {
        let l = PolicyRequest.lower(key)
        var best: (String, Int)?
        for k in global + s3 + globalPrefixes + s3Prefixes {
            let d = editDistance(l, PolicyRequest.lower(k))
            if best == nil || d < best!.1 { best = (k, d) }
        }
        guard let (k, d) = best, d <= max(3, l.count / 4) else { return nil }
        return k
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.utf8), y = Array(b.utf8)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev = Array(0...y.count)
        var cur = Array(repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            cur[0] = i
            for j in 1...y.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[y.count]
    }
}
