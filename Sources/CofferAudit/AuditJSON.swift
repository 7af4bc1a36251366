import Foundation

/// A JSON value: what `requestParameters`, `responseElements` and `additionalEventData` hold,
/// and what every record line is built from.
///
/// Encoding is deterministic: object keys are written in the byte order of their UTF-8 form,
/// with no insignificant white space, so one value always yields the same bytes (the hash
/// chain of the trail depends on it). See ``serialized()``.
public enum AuditJSON: Sendable, Hashable {
    case null
    case bool(Bool)
    /// Integers within ±2^53 are written without a fraction; NaN and infinities as `null`.
    case number(Double)
    case string(String)
    case array([AuditJSON])
    case object([String: AuditJSON])

    /// The member `key` of an object, `nil` for other values or a missing member.
    public subscript(key: String) -> AuditJSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string of a `.string`, `nil` otherwise.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The number of a `.number`, `nil` otherwise.
    public var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The number of a `.number` when it is an integer that fits `Int64` exactly.
    public var integerValue: Int64? {
        guard case .number(let value) = self, value.rounded() == value, abs(value) <= 9_007_199_254_740_992 else { return nil }
        return Int64(value)
    }

    /// The bool of a `.bool`, `nil` otherwise.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The members of an `.object`, `nil` otherwise.
    public var objectValue: [String: AuditJSON]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements of an `.array`, `nil` otherwise.
    public var arrayValue: [AuditJSON]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// Every object key at any depth, for the refusal of secret-looking fields.
    func containsKey(where predicate: (String) -> Bool) -> String? {
        switch self {
        case .object(let members):
            for (key, value) in members {
                if predicate(key) { return key }
                if let found = value.containsKey(where: predicate) { return found }
            }
            return nil
        case .array(let elements):
            for element in elements {
                if let found = element.containsKey(where: predicate) { return found }
            }
            return nil
        default:
            return nil
        }
    }
}

extension AuditJSON: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(arrayLiteral elements: AuditJSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, AuditJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension AuditJSON: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([AuditJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: AuditJSON].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
