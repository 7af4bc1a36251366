import CofferPolicy
import CofferStorage
import Foundation

extension JSONValue {
    /// Reads a request file or case table with the policy engine's strict reader: a duplicate
    /// key (two `"expect"`s, say) is an error, not a silent last-one-wins.
    static func parse(_ data: Data, source: String) throws -> JSONValue {
        do { return try JSONValue(parsing: Array(data)) } catch {
            throw PolicyCommandError("\(source): \(error)")
        }
    }
}

/// Reads the fields of one JSON object; fields outside the known set are refused.
struct PolicyJSONObject {
    let fields: [String: JSONValue]
    /// Where the object is, for messages: `table.json: cases[3].request`.
    let path: String

    /// Refuses fields outside `known` at once, so a typo is reported as such.
    init(_ value: JSONValue, path: String, known: Set<String>) throws {
        guard case let .object(members) = value else { throw PolicyCommandError("\(path) must be a JSON object") }
        let o = Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })  // the parser refuses duplicates
        let unknown = o.keys.filter { !known.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw PolicyCommandError("\(path) has unknown field\(unknown.count > 1 ? "s" : "") \(unknown.map { "\"\($0)\"" }.joined(separator: ", "))"
                + " (known: \(known.sorted().joined(separator: ", ")))")
        }
        fields = o
        self.path = path
    }

    func value(_ name: String) -> JSONValue? {
        if case .null = fields[name] { return nil }
        return fields[name]
    }

    func has(_ name: String) -> Bool { fields[name] != nil }

    func string(_ name: String) throws -> String? {
        guard let v = value(name) else { return nil }
        guard case let .string(s) = v else { throw PolicyCommandError("\(path): \"\(name)\" must be a string") }
        return s
    }

    func requiredString(_ name: String) throws -> String {
        guard let s = try string(name) else { throw PolicyCommandError("\(path) has no \"\(name)\"") }
        return s
    }

    func bool(_ name: String) throws -> Bool? {
        guard let v = value(name) else { return nil }
        guard case let .bool(b) = v else { throw PolicyCommandError("\(path): \"\(name)\" must be true or false") }
        return b
    }

    func strings(_ name: String) throws -> [String]? {
        guard let v = value(name) else { return nil }
        guard case let .array(a) = v else { throw PolicyCommandError("\(path): \"\(name)\" must be an array of strings") }
        return try a.map {
            guard case let .string(s) = $0 else { throw PolicyCommandError("\(path): \"\(name)\" must be an array of strings") }
            return s
        }
    }

}

extension PolicyRequestSpec {
    /// `{"principal", "action", "resource", "context"}` or
    /// `{"http", "headers", "secure", "sourceIp", "principal", "context", "account", "region",
    /// "body", "existingTags"}`; `"now"` in either.
    static let jsonFields: Set<String> = ["principal", "action", "resource", "context", "now", "http", "headers", "secure", "sourceIp", "account", "region",
                                          "body", "existingTags"]

    init(json: JSONValue, path: String) throws {
        let o = try PolicyJSONObject(json, path: path, known: Self.jsonFields)
        let principal = try o.string("principal")
        var context = ContextEntries()
        if let c = o.value("context") {
            guard case let .object(entries) = c else { throw PolicyCommandError("\(path): \"context\" must be an object of key: value or [values]") }
            for (key, value) in entries {
                let items: [JSONValue] = if case let .array(a) = value { a } else { [value] }
                let values = items.compactMap(\.scalarText)
                guard values.count == items.count else {
                    throw PolicyCommandError("\(path): context key \"\(key)\" must be a string, number, boolean or an array of them")
                }
                context.add(key, values)
            }
        }
        let now = try Self.time(o.string("now"), path: path)
        let form: Form
        var account: String?, region: String?, body: [UInt8]?, existingTags: [StoredTag]?
        if o.has("http") {
            if let plain = ["action", "resource"].first(where: o.has) {
                throw PolicyCommandError("\(path) has both \"http\" and \"\(plain)\": an http request derives its action and resource")
            }
            let line = try o.requiredString("http")
            var headers: [(name: String, value: String)] = []
            if let h = o.value("headers") {
                guard case let .object(entries) = h else { throw PolicyCommandError("\(path): \"headers\" must be an object of name: value") }
                for (name, value) in entries {
                    guard let text = value.scalarText else { throw PolicyCommandError("\(path): header \"\(name)\" must be a string") }
                    headers.append((name, text))
                }
            }
            form = .http(line: line, headers: headers, secure: try o.bool("secure") ?? false, sourceIP: try o.string("sourceIp"))
            account = try o.string("account")
            region = try o.string("region")
            body = try o.string("body").map { Array($0.utf8) }
            if let t = o.value("existingTags") {
                guard case let .object(entries) = t, entries.allSatisfy({ $0.value.scalarText != nil }) else {
                    throw PolicyCommandError("\(path): \"existingTags\" must be an object of tag key: value")
                }
                existingTags = entries.map { StoredTag(key: $0.key, value: $0.value.scalarText ?? "") }
            }
        } else {
            guard o.has("action") || o.has("resource") else {
                throw PolicyCommandError("\(path) needs \"action\" and \"resource\", or \"http\"")
            }
            if let httpOnly = ["headers", "secure", "sourceIp", "account", "region", "body", "existingTags"].first(where: o.has) {
                throw PolicyCommandError("\(path) has \"\(httpOnly)\", which only an \"http\" request takes")
            }
            form = .plain(action: try o.requiredString("action"), resource: try o.requiredString("resource"))
        }
        self.init(principal: principal, form: form, context: context, account: account, region: region, now: now,
                  body: body, existingTags: existingTags)
    }

    /// An optional `"now"` field.
    static func time(_ text: String?, path: String) throws -> Date? {
        guard let text else { return nil }
        guard let d = parseTime(text) else {
            throw PolicyCommandError("\(path): \"now\" '\(text)' is not an ISO 8601 time such as 2026-01-01T00:00:00Z")
        }
        return d
    }
}
