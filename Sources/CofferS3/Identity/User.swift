import CofferCrypto
import CofferPolicy

/// A principal Coffer knows: the root user or one from the users file.
public struct User: Sendable, Equatable, CustomStringConvertible {
    public static func == (lhs: User, rhs: User) -> Bool {
        lhs.name == rhs.name && lhs.accessKeyId == rhs.accessKeyId && lhs.isRoot == rhs.isRoot && lhs.accountId == rhs.accountId
            && lhs.policyText == rhs.policyText
    }

    public var name: String
    public var accessKeyId: String
    /// The secret access key. Never printed: `description` redacts it.
    public var secretAccessKey: String
    public var isRoot: Bool
    public var accountId: String
    /// The user's identity policy from the users file (same grammar and engine as bucket
    /// policies, without Principal), and its text.
    public var policy: Policy?
    public var policyText: String?

    public init(name: String, accessKeyId: String, secretAccessKey: String, isRoot: Bool, accountId: String) {
        self.name = name
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.isRoot = isRoot
        self.accountId = accountId
    }

    /// `arn:aws:iam::<account>:root` or `arn:aws:iam::<account>:user/<name>`.
    public var arn: String { isRoot ? "arn:aws:iam::\(accountId):root" : "arn:aws:iam::\(accountId):user/\(name)" }

    /// The 64-hex canonical user id S3 shows as `Owner/ID`.
    public var canonicalId: String { Self.canonicalId(forName: name, accountId: accountId) }

    public static func canonicalId(forName name: String, accountId: String) -> String {
        Hex.encode(SHA256.hash("coffer-canonical-user:\(accountId):\(name)"))
    }

    public var description: String { "User(\(name), accessKeyId: \(accessKeyId), secretAccessKey: <redacted>)" }
}
