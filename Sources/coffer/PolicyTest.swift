import ArgumentParser
import Foundation

extension PolicyCommand {
    /// `coffer policy test PATH`: runs case tables (`*.cases.json`), for CI.
    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run policy case tables: a table file, or every *.cases.json under a directory.",
            discussion: """
                Each case is evaluated against the table's bucket policy alone (not combined with \
                identity permissions; see docs/bucket-policies.md). Prints PASS or FAIL (with the \
                reason) per case and "N passed, N failed"; exit 1 on any failure.
                """)

        @Argument(help: "A case table, or a directory searched (recursively) for *.cases.json.")
        var path: String
        @Flag(help: "Also print the request and the explained decision of passing cases.")
        var verbose = false

        func run() throws {
            do { try test() } catch { throw PolicyCommandError.reported(error) }
        }

        private func test() throws {
            let tables = try Self.tables(at: path)
            let now = Date()
            var passed = 0, failed = 0
            for file in tables {
                let table: PolicyCaseTable
                do { table = try PolicyCaseTable.load(file) } catch {
                    PolicyCommand.write("\(file)\n  FAIL (table): \(error)\n")
                    failed += 1
                    continue
                }
                PolicyCommand.write(file + (table.description.map { ": " + $0 } ?? ""))
                var out = ""
                for r in table.run(defaultNow: now) {
                    if let failure = r.failure {
                        failed += 1
                        out += "  FAIL \(r.name): \(failure)\n"
                        if let d = r.detail { out += Self.indent(d, by: 8) }
                    } else {
                        passed += 1
                        out += "  PASS \(r.name)\n"
                        if verbose, let d = r.detail { out += Self.indent(d, by: 8) }
                    }
                }
                PolicyCommand.write(out + "\n")
            }
            PolicyCommand.write("\(passed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode(1) }
        }

        static func indent(_ text: String, by n: Int) -> String {
            let pad = String(repeating: " ", count: n)
            return text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : pad + $0 }.joined(separator: "\n")
        }

        /// The file itself, or the directory's `*.cases.json` files, sorted by path.
        static func tables(at path: String) throws -> [String] {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw PolicyCommandError("no such file or directory: \(path)")
            }
            guard isDirectory.boolValue else { return [path] }
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            let found = (FileManager.default.enumerator(atPath: base)?.compactMap { $0 as? String } ?? [])
                .filter { $0.hasSuffix(".cases.json") }.sorted().map { base + "/" + $0 }
            guard !found.isEmpty else { throw PolicyCommandError("no *.cases.json case tables under \(path)") }
            return found
        }
    }
}
