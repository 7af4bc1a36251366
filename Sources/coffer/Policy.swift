import ArgumentParser
import CofferPolicy
import Foundation

/// `coffer policy`: prove a bucket policy before it is deployed. The commands run the server's
/// own policy engine and, for `--http` requests, the server's own request-to-context mapping
/// (`S3PolicyRequest`), so their answer is the server's answer. docs/bucket-policies.md.
///
/// Exit codes: 0 success (or as expected), 1 a finding (not as expected, lint errors, failed
/// cases), 2 the question could not be answered (malformed policy, unreadable input), 64 usage.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Simulate, lint and test S3 bucket policies with the server's own policy engine.",
        subcommands: [Simulate.self, Lint.self, Test.self])

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    /// JSON as every `policy` command prints it: sorted keys, unescaped slashes (ARNs), indented.
    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func warn(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}

/// A failure that ends a `policy` command with a message on stderr and an exit code, without
/// the usage text.
struct PolicyCommandError: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32

    init(_ message: String, exitCode: Int32 = 2) {
        self.message = message
        self.exitCode = exitCode
    }

    var description: String { message }
}

extension PolicyCommandError {
    /// Prints the message and turns the error into the exit code ArgumentParser ends with.
    static func reported(_ error: any Error) -> any Error {
        guard let e = error as? PolicyCommandError else { return error }
        PolicyCommand.warn("error: " + e.message)
        return ExitCode(e.exitCode)
    }
}

/// What a request is expected to get: `allow`, `deny` (either kind), `explicit-deny` or
/// `implicit-deny`. `--expect` and the case tables share it.
enum PolicyExpectation: String, ExpressibleByArgument, CaseIterable, Sendable {
    case allow
    case deny
    case explicitDeny = "explicit-deny"
    case implicitDeny = "implicit-deny"

    func accepts(_ d: PolicyDecision.Decision) -> Bool {
        switch self {
        case .allow: d == .allow
        case .deny: d != .allow
        case .explicitDeny: d == .explicitDeny
        case .implicitDeny: d == .implicitDeny
        }
    }
}

/// A policy document read from a file or stdin, and parsed (validated) for a bucket.
struct PolicyDocument {
    /// The path as given (`-` for stdin).
    var source: String
    var bytes: [UInt8]

    static func read(_ path: String) throws -> PolicyDocument {
        if path == "-" {
            return PolicyDocument(source: "-", bytes: Array(FileHandle.standardInput.readDataToEndOfFile()))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PolicyCommandError("cannot read policy file \(path)")
        }
        return PolicyDocument(source: path, bytes: Array(data))
    }

    /// The validation PutBucketPolicy applies: `Policy.parse(_:bucket:requirePrincipal: true)`.
    func parse(bucket: String?) throws(PolicyError) -> Policy {
        try Policy.parse(bytes, bucket: bucket, requirePrincipal: true)
    }

    /// `MalformedPolicy: <S3's reason> (statement N)`.
    static func describe(_ error: PolicyError) -> String {
        describe(reason: error.reason, statementIndex: error.statementIndex)
    }

    static func describe(reason: String, statementIndex: Int?) -> String {
        "MalformedPolicy: \(reason)" + (statementIndex.map { " (statement \($0))" } ?? "")
    }
}
