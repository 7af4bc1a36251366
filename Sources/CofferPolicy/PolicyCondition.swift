/// One condition of a statement: an operator, a context key and the policy's values for it
/// (one `"Operator": {"key": values}` pair), compiled once at parse time.
///
/// IAM's rules (IAM User Guide, "Condition operators" and "Conditions with multiple context keys
/// or values"), all implemented in `holds(in:)`:
/// - several values for one key are ORed; for a negated operator (`StringNotEquals`,
///   `NotIpAddress`, ...) they are NORed: the request value must match none of them;
/// - a key missing from the request makes a positive operator false and a negated one true;
/// - `...IfExists`: a missing key makes the condition true, a present one is tested as usual;
/// - `Null`: `true` holds when the key is missing, `false` when it is present;
/// - `ForAllValues:` holds when every request value passes (and when the key is missing or
///   empty); `ForAnyValue:` when at least one does (never when the key is missing). With a
///   negated operator, "passes" means "matches none of the policy values";
/// - a request key with several values and no set qualifier behaves as `ForAnyValue` for a
///   positive operator and as its negation (no request value matches) for a negated one;
/// - key names are case-insensitive; values are case-sensitive except for `...IgnoreCase`
///   (and `Bool`, whose values are `true`/`false` in any case).
public final class PolicyCondition: Sendable {
    public let `operator`: ConditionOperator
    /// The key as the policy writes it.
    public let key: String
    /// The policy's values as written (numbers and booleans in their JSON text).
    public let values: [String]
    let lookupKey: String
    let matcher: Matcher

    enum Comparison: Sendable {
        case equal, less, lessOrEqual, greater, greaterOrEqual

        @inline(__always) func holds(_ request: Double, _ policy: Double) -> Bool {
            switch self {
            case .equal: request == policy
            case .less: request < policy
            case .lessOrEqual: request <= policy
            case .greater: request > policy
            case .greaterOrEqual: request >= policy
            }
        }
    }

    enum StringValue: Sendable {
        case fixed(String)
        case template(Template)
    }

    enum LikeValue: Sendable {
        case glob(Glob)
        case template(Template)
    }

    enum ArnValue: Sendable {
        case pattern(ArnPattern)
        case template(Template)
    }

    enum Matcher: Sendable {
        case equals([StringValue])
        /// Fixed values are stored lowercased.
        case equalsIgnoreCase([StringValue])
        case like([LikeValue])
        case numeric(Comparison, [Double?])
        case date(Comparison, [Double?])
        case bool([Bool?])
        case binary([[UInt8]?], [String])
        case ip([IPBlock?])
        case arn([ArnValue])
        /// `true` means "the key must be missing".
        case null([Bool?])
    }

    init(operator op: ConditionOperator, key: String, values: [String], variables: Bool) {
        self.operator = op
        self.key = key
        self.values = values
        self.lookupKey = PolicyRequest.lower(key)
        let vars = variables && op.base.allowsVariables
        func template(_ v: String) -> Template? {
            guard vars else { return nil }
            let t = Template(v, variables: true)
            return t.hasVariables ? t : nil
        }
        func literal(_ v: String) -> String {
            vars ? (Template(v, variables: true).literalText ?? v) : v
        }
        switch op.base.positive {
        case .stringEquals:
            matcher = .equals(values.map { v in template(v).map { .template($0) } ?? .fixed(literal(v)) })
        case .stringEqualsIgnoreCase:
            matcher = .equalsIgnoreCase(values.map { v in template(v).map { .template($0) } ?? .fixed(literal(v).lowercased()) })
        case .stringLike:
            matcher = .like(values.map { v in
                if let t = template(v) { return .template(t) }
                let units = vars ? Template(v, variables: true).resolveUnits(in: [:], wildcards: true)! : GlobUnit.units(v, wildcards: true)
                return .glob(Glob(units: units))
            })
        case .numericEquals: matcher = .numeric(.equal, values.map(ConditionNumber.parse))
        case .numericLessThan: matcher = .numeric(.less, values.map(ConditionNumber.parse))
        case .numericLessThanEquals: matcher = .numeric(.lessOrEqual, values.map(ConditionNumber.parse))
        case .numericGreaterThan: matcher = .numeric(.greater, values.map(ConditionNumber.parse))
        case .numericGreaterThanEquals: matcher = .numeric(.greaterOrEqual, values.map(ConditionNumber.parse))
        case .dateEquals: matcher = .date(.equal, values.map(ConditionDate.parse))
        case .dateLessThan: matcher = .date(.less, values.map(ConditionDate.parse))
        case .dateLessThanEquals: matcher = .date(.lessOrEqual, values.map(ConditionDate.parse))
        case .dateGreaterThan: matcher = .date(.greater, values.map(ConditionDate.parse))
        case .dateGreaterThanEquals: matcher = .date(.greaterOrEqual, values.map(ConditionDate.parse))
        case .bool: matcher = .bool(values.map(Self.parseBool))
        case .binaryEquals: matcher = .binary(values.map(Base64.decode), values)
        case .ipAddress: matcher = .ip(values.map(IPBlock.parse))
        case .arnEquals, .arnLike:
            matcher = .arn(values.map { v in
                if let t = template(v) { return .template(t) }
                let units = vars ? Template(v, variables: true).resolveUnits(in: [:], wildcards: true)! : GlobUnit.units(v, wildcards: true)
                return .pattern(ArnPattern(units: units))
            })
        case .null: matcher = .null(values.map(Self.parseBool))
        default: fatalError("unreachable: positive operators only")
        }
    }

    static func parseBool(_ s: String) -> Bool? {
        switch PolicyRequest.lower(s) {
        case "true": true
        case "false": false
        default: nil
        }
    }

    /// Whether the condition holds for a request context (lowercased keys).
    func holds(in context: [String: [String]]) -> Bool {
        let present = context[lookupKey]
        if case let .null(wanted) = matcher {
            let missing = present == nil || present!.isEmpty
            return wanted.contains { $0 == missing }
        }
        guard let requestValues = present, !requestValues.isEmpty else {
            if `operator`.ifExists { return true }
            switch `operator`.qualifier {
            case .forAllValues: return true
            case .forAnyValue: return false
            case nil: return `operator`.base.isNegated
            }
        }
        let negated = `operator`.base.isNegated
        switch `operator`.qualifier {
        case .forAllValues:
            for v in requestValues where matchesAny(v, context) == negated { return false }
            return true
        case .forAnyValue:
            for v in requestValues where matchesAny(v, context) != negated { return true }
            return false
        case nil:
            for v in requestValues where matchesAny(v, context) { return !negated }
            return negated
        }
    }

    /// Whether one request value matches at least one policy value under the positive operator.
    func matchesAny(_ v: String, _ context: [String: [String]]) -> Bool {
        switch matcher {
        case let .equals(values):
            for p in values {
                switch p {
                case let .fixed(s): if s == v { return true }
                case let .template(t): if let s = t.resolve(in: context), s == v { return true }
                }
            }
            return false
        case let .equalsIgnoreCase(values):
            let l = v.lowercased()
            for p in values {
                switch p {
                case let .fixed(s): if s == l { return true }
                case let .template(t): if let s = t.resolve(in: context), s.lowercased() == l { return true }
                }
            }
            return false
        case let .like(values):
            var v = v
            return v.withUTF8 { buf in
                for p in values {
                    switch p {
                    case let .glob(g): if g.matches(buf) { return true }
                    case let .template(t):
                        if let u = t.resolveUnits(in: context, wildcards: true), Glob(units: u).matches(buf) { return true }
                    }
                }
                return false
            }
        case let .numeric(cmp, values):
            guard let d = ConditionNumber.parse(v) else { return false }
            return values.contains { $0.map { cmp.holds(d, $0) } ?? false }
        case let .date(cmp, values):
            guard let d = ConditionDate.parse(v) else { return false }
            return values.contains { $0.map { cmp.holds(d, $0) } ?? false }
        case let .bool(values):
            guard let b = Self.parseBool(v) else { return false }
            return values.contains { $0 == b }
        case let .binary(decoded, raw):
            if let r = Base64.decode(v) {
                return decoded.contains { $0 == r }
            }
            return raw.contains(v)
        case let .ip(blocks):
            guard let a = IPBlock.parse(v) else { return false }
            return blocks.contains { $0?.contains(a) ?? false }
        case let .arn(values):
            for p in values {
                switch p {
                case let .pattern(a): if a.matches(v) { return true }
                case let .template(t):
                    if let u = t.resolveUnits(in: context, wildcards: true), ArnPattern(units: u).matches(v) { return true }
                }
            }
            return false
        case .null:
            return false
        }
    }
}

/// An ARN pattern for the ARN operators: "Each of the six colon-delimited components of the ARN
/// is checked separately and each can include multi-character match wildcards (*) or
/// single-character match wildcards (?)". A value with fewer than six components (`*`) is
/// matched against the whole ARN.
struct ArnPattern: Sendable {
    let segments: [Glob]?
    let whole: Glob

    init(units: [GlobUnit]) {
        whole = Glob(units: units)
        var segs: [[GlobUnit]] = [[]]
        for u in units {
            if u == .byte(UInt8(ascii: ":")), segs.count < 6 { segs.append([]) } else { segs[segs.count - 1].append(u) }
        }
        segments = segs.count == 6 ? segs.map { Glob(units: $0) } : nil
    }

    func matches(_ value: String) -> Bool {
        guard let segments else { return whole.matches(value) }
        var value = value
        return value.withUTF8 { buf in
            var start = 0
            var k = 0
            var i = 0
            while i < buf.count, k < 5 {
                if buf[i] == UInt8(ascii: ":") {
                    if !segments[k].matches(UnsafeBufferPointer(rebasing: buf[start..<i])) { return false }
                    k += 1
                    start = i + 1
                }
                i += 1
            }
            guard k == 5 else { return false }
            return segments[5].matches(UnsafeBufferPointer(rebasing: buf[start..<buf.count]))
        }
    }
}
