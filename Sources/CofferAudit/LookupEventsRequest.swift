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
    /// From `NextToken`: only events with a smaller sequence number.
    var beforeSequence: Int64?

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
            beforeSequence = before
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

    func nextToken(before sequence: Int64) -> String { Base64.encode(Array("v1:\(sequence):\(fingerprint)".utf8)) }

    private func decodeToken(_ token: String) -> Int64? {
        guard let bytes = Base64.decode(token) else { return nil }
        let parts = String(decoding: bytes, as: UTF8.self).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", let sequence = Int64(parts[1]), sequence > 0, parts[2] == fingerprint else { return nil }
        return sequence
    }
}
