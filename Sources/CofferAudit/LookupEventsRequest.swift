import CofferCrypto
import Foundation

/// A validated LookupEvents request.
struct LookupEventsRequest {
    enum AttributeKey: String, CaseIterable {
        case eventId = "EventId", eventName = "EventName", readOnly = "ReadOnly", username = "Username"
        case resourceType = "ResourceType", resourceName = "ResourceName", eventSource = "EventSource", accessKeyId = "AccessKeyId"
    }

    var attribute: (key: AttributeKey, value: String)?
    var startTime: Double?
    var endTime: Double?
    var maxResults = 50
    var eventCategory: String?
    var includeDataEvents: Bool
    /// From `NextToken`: per trail (node name; "" for a lone trail), only events with a
    /// smaller sequence number. Trails it does not name are read from their newest event.
    var before: [String: Int64] = [:]

    init(body: [UInt8], includeDataEvents: Bool) throws {
        self.includeDataEvents = includeDataEvents
        let text = body.isEmpty ? Array("{}".utf8) : body
        guard let json = AuditJSON.parse(text), let members = json.objectValue else {
            throw LookupEventsError("SerializationException", "The request body is not a JSON object.")
        }
        if let attributes = members["LookupAttributes"], attributes != .null {
            guard let list = attributes.arrayValue else { throw LookupEventsError("SerializationException", "LookupAttributes must be a list.") }
            guard list.count <= 1 else {
                throw LookupEventsError("InvalidLookupAttributesException", "You can specify only one lookup attribute.")
            }
            if let element = list.first {
                guard let keyText = element["AttributeKey"]?.stringValue, let key = AttributeKey(rawValue: keyText) else {
                    throw LookupEventsError("InvalidLookupAttributesException",
                        "AttributeKey must be one of \(AttributeKey.allCases.map(\.rawValue).joined(separator: ", ")).")
                }
                guard let value = element["AttributeValue"]?.stringValue, (1...2000).contains(value.count) else {
                    throw LookupEventsError("InvalidLookupAttributesException", "AttributeValue must be 1 to 2000 characters long.")
                }
                attribute = (key, value)
            }
        }
        startTime = try Self.time(members["StartTime"], name: "StartTime")
        endTime = try Self.time(members["EndTime"], name: "EndTime")
        if let startTime, let endTime, startTime > endTime {
            throw LookupEventsError("InvalidTimeRangeException", "The start time must be before the end time.")
        }
        if let max = members["MaxResults"], max != .null {
            guard let value = max.integerValue, (1...50).contains(value) else {
                throw LookupEventsError("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
            }
            maxResults = Int(value)
        }
        if let category = members["EventCategory"], category != .null {
            guard category.stringValue == "insight" else {
                throw LookupEventsError("InvalidEventCategoryException", "EventCategory must be insight.")
            }
            eventCategory = "insight"
        }
        if let token = members["NextToken"], token != .null {
            guard let text = token.stringValue, let before = decodeToken(text) else {
                throw LookupEventsError("InvalidNextTokenException", "The NextToken is not valid, or was issued for other request parameters.")
            }
            self.before = before
        }
    }

    /// An epoch-seconds number (what SDKs send); an ISO 8601 string is accepted too.
    private static func time(_ value: AuditJSON?, name: String) throws -> Double? {
        guard let value, value != .null else { return nil }
        if let seconds = value.numberValue, seconds.isFinite { return seconds }
        if let text = value.stringValue, let date = AuditTimestamp.parse(text) { return date.timeIntervalSince1970 }
        throw LookupEventsError("SerializationException", "\(name) must be a timestamp in epoch seconds.")
    }

    func includes(_ event: AuditEvent) -> Bool {
        if !includeDataEvents && !event.managementEvent { return false }
        let time = event.eventTime.timeIntervalSince1970
        if let startTime, time < startTime { return false }
        if let endTime, time > endTime { return false }
        guard let (key, value) = attribute else { return true }
        switch key {
        case .eventId: return event.eventID == value
        case .eventName: return event.eventName == value
        case .readOnly: return (event.readOnly ? "true" : "false") == value
        case .username: return event.lookupUsername == value
        case .resourceType: return event.resources.contains { $0.type == value }
        case .resourceName: return event.resources.contains { $0.arn == value }
        case .eventSource: return event.eventSource == value
        case .accessKeyId: return event.userIdentity.accessKeyId == value
        }
    }

    /// Binds a token to everything but MaxResults, as AWS requires the same parameters.
    private var fingerprint: String {
        let parts = [attribute?.key.rawValue ?? "", attribute?.value ?? "", startTime.map { "\($0)" } ?? "", endTime.map { "\($0)" } ?? "",
                     eventCategory ?? "", includeDataEvents ? "data" : ""]
        return String(Hex.encode(CofferCrypto.SHA256.hash(parts.joined(separator: "\u{0}"))).prefix(16))
    }

    /// The token of the page after one that ended at `before` (per trail: the smallest
    /// sequence number it returned, or the bound it was given): `v2`, the node=sequence pairs,
    /// and the fingerprint of the parameters. Node names never contain `:`, `,` or `=`.
    func nextToken(before: [String: Int64]) -> String {
        let bounds = before.keys.sorted().compactMap { node in before[node].map { "\(node)=\($0)" } }.joined(separator: ",")
        return Base64.encode(Array("v2:\(bounds):\(fingerprint)".utf8))
    }

    private func decodeToken(_ token: String) -> [String: Int64]? {
        guard let bytes = Base64.decode(token) else { return nil }
        let parts = String(decoding: bytes, as: UTF8.self).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v2", parts[2] == fingerprint else { return nil }
        var before: [String: Int64] = [:]
        for pair in parts[1].split(separator: ",") {
            let fields = pair.split(separator: "=", omittingEmptySubsequences: false)
            guard fields.count == 2, let sequence = Int64(fields[1]), sequence > 0, before[String(fields[0])] == nil else { return nil }
            before[String(fields[0])] = sequence
        }
        return before.isEmpty ? nil : before
    }
}
