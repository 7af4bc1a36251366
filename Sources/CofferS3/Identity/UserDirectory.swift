import CofferCrypto
import CofferPolicy
import Foundation
import Synchronization

/// The set of users the server authenticates: the root user plus those of the users file
/// (`{"users": [{"name", "accessKeyId", "secretAccessKey", "policy"?}]}`, where `policy` is an
/// optional IAM identity policy document), which `reload()` re-reads (on SIGHUP). Lookups are
/// by access key id.
public final class UserDirectory: Sendable {
    public struct FileFormat: Codable {
        public struct Entry: Codable {
            public var name: String
            public var accessKeyId: String
            public var secretAccessKey: String
        }
        public var users: [Entry]
    }

    public let root: User
    public let usersFile: String?
    private let byAccessKey: Mutex<[String: User]>

    public init(root: User, usersFile: String?) throws {
        self.root = root
        self.usersFile = usersFile
        self.byAccessKey = Mutex([root.accessKeyId: root])
        try reload()
    }

    /// Re-reads the users file. On any error the previous set stays in force.
    public func reload() throws {
        var users = [root.accessKeyId: root]
        if let usersFile {
            let data = try Data(contentsOf: URL(fileURLWithPath: usersFile))
            let file: FileFormat
            do {
                file = try JSONDecoder().decode(FileFormat.self, from: data)
            } catch {
                throw ConfigurationError("users file \(usersFile) is not valid: expected {\"users\": [{\"name\", \"accessKeyId\", \"secretAccessKey\"}]}")
            }
            // Identity policies are free-form JSON: read them with JSONSerialization.
            let rawUsers = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["users"] as? [[String: Any]] ?? []
            var names: Set<String> = [root.name]
            for (index, entry) in file.users.enumerated() {
                guard Self.isValidName(entry.name) else {
                    throw ConfigurationError("users file: invalid user name '\(entry.name)' (1-64 of A-Z a-z 0-9 +=,.@_-)")
                }
                guard entry.accessKeyId.count >= 3, entry.accessKeyId.count <= 128, entry.secretAccessKey.count >= 8 else {
                    throw ConfigurationError("users file: user '\(entry.name)' needs an access key id (3-128 chars) and a secret of at least 8 chars")
                }
                guard names.insert(entry.name).inserted, users[entry.accessKeyId] == nil else {
                    throw ConfigurationError("users file: duplicate user name or access key id for '\(entry.name)'")
                }
                var user = User(
                    name: entry.name, accessKeyId: entry.accessKeyId, secretAccessKey: entry.secretAccessKey,
                    isRoot: false, accountId: root.accountId)
                if index < rawUsers.count, let policy = rawUsers[index]["policy"] {
                    let text: String
                    if let string = policy as? String {
                        text = string
                    } else if JSONSerialization.isValidJSONObject(policy), let bytes = try? JSONSerialization.data(withJSONObject: policy, options: [.sortedKeys]) {
                        text = String(decoding: bytes, as: UTF8.self)
                    } else {
                        throw ConfigurationError("users file: the policy of '\(entry.name)' is not a JSON object")
                    }
                    do {
                        user.policy = try Policy.parse(text, requirePrincipal: false)
                        user.policyText = text
                    } catch {
                        throw ConfigurationError("users file: the policy of '\(entry.name)' is not valid: \(error.reason)")
                    }
                }
                users[entry.accessKeyId] = user
            }
        }
        byAccessKey.withLock { $0 = users }
    }

    public func user(accessKeyId: String) -> User? { byAccessKey.withLock { $0[accessKeyId] } }

    public func user(named name: String) -> User? { byAccessKey.withLock { $0.values.first { $0.name == name } } }

    public var count: Int { byAccessKey.withLock { $0.count } }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "+=,.@_-".unicodeScalars.contains($0) }
    }
}

/// A configuration problem the operator must fix; its message is safe to print.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
