import Foundation

extension AuditEvent {
    /// The record as a JSON object, in CloudTrail's member names.
    public var json: AuditJSON {
        var members: [String: AuditJSON] = [
            "eventVersion": .string(eventVersion),
            "userIdentity": userIdentity.json,
            "eventTime": .string(AuditTimestamp.iso8601(eventTime)),
            "eventSource": .string(eventSource),
            "eventName": .string(eventName),
            "awsRegion": .string(awsRegion),
            "requestParameters": requestParameters ?? .null,
            "responseElements": responseElements ?? .null,
            "requestID": .string(requestID),
            "eventID": .string(eventID),
            "readOnly": .bool(readOnly),
            "eventType": .string(eventType),
            "managementEvent": .bool(managementEvent),
            "recipientAccountId": .string(recipientAccountId),
            "eventCategory": .string(eventCategory.rawValue),
        ]
        if let sourceIPAddress { members["sourceIPAddress"] = .string(sourceIPAddress) }
        if let userAgent { members["userAgent"] = .string(userAgent) }
        if let errorCode { members["errorCode"] = .string(errorCode) }
        if let errorMessage { members["errorMessage"] = .string(errorMessage) }
        if !resources.isEmpty { members["resources"] = .array(resources.map(\.json)) }
        if let additionalEventData { members["additionalEventData"] = additionalEventData }
        return .object(members)
    }

    /// Reads a record back from its JSON object (extra members, such as the chain field, are
    /// ignored).
    public init(json: AuditJSON) throws {
        guard let members = json.objectValue else { throw AuditError(.invalidEvent, "a record must be a JSON object") }
        func string(_ name: String) throws -> String {
            guard let value = members[name]?.stringValue else { throw AuditError(.invalidEvent, "record member '\(name)' is missing or not a string") }
            return value
        }
        func optionalString(_ name: String) -> String? { members[name]?.stringValue }
        func bool(_ name: String) throws -> Bool {
            guard let value = members[name]?.boolValue else { throw AuditError(.invalidEvent, "record member '\(name)' is missing or not a boolean") }
            return value
        }
        func object(_ name: String) -> AuditJSON? {
            guard let value = members[name], value != .null else { return nil }
            return value
        }
        guard let time = AuditTimestamp.parse(try string("eventTime")) else {
            throw AuditError(.invalidEvent, "record member 'eventTime' is not an ISO 8601 time")
        }
        guard let category = Category(rawValue: try string("eventCategory")) else {
            throw AuditError(.invalidEvent, "record member 'eventCategory' is neither Management nor Data")
        }
        guard let identity = members["userIdentity"].flatMap(UserIdentity.init(json:)) else {
            throw AuditError(.invalidEvent, "record member 'userIdentity' is missing or has no type")
        }
        var resources: [Resource] = []
        if let list = members["resources"]?.arrayValue {
            for element in list {
                guard let resource = Resource(json: element) else { throw AuditError(.invalidEvent, "a member of 'resources' has no ARN or type") }
                resources.append(resource)
            }
        }
        self.init(
            eventTime: time, eventSource: try string("eventSource"), eventName: try string("eventName"),
            awsRegion: try string("awsRegion"), userIdentity: identity, requestID: try string("requestID"),
            eventID: try string("eventID"), sourceIPAddress: optionalString("sourceIPAddress"), userAgent: optionalString("userAgent"),
            requestParameters: object("requestParameters"), responseElements: object("responseElements"),
            errorCode: optionalString("errorCode"), errorMessage: optionalString("errorMessage"), readOnly: try bool("readOnly"),
            resources: resources, eventType: try string("eventType"), managementEvent: try bool("managementEvent"),
            recipientAccountId: try string("recipientAccountId"), eventCategory: category,
            additionalEventData: object("additionalEventData"), eventVersion: try string("eventVersion"))
    }

    /// Throws when a member that must never be audited is present (see the type's doc), or
    /// when a required member is empty.
    func validate() throws {
        for (name, value) in [("requestParameters", requestParameters), ("responseElements", responseElements),
                              ("additionalEventData", additionalEventData)] {
            guard let value else { continue }
            if let key = value.containsKey(where: { $0.lowercased() == "plaintext" }) {
                throw AuditError(.secretRefused, "record refused: \(name) has a member named '\(key)'; key material is never audited")
            }
        }
        for (name, value) in [("eventSource", eventSource), ("eventName", eventName), ("requestID", requestID), ("eventID", eventID)] where value.isEmpty {
            throw AuditError(.invalidEvent, "record refused: '\(name)' is empty")
        }
    }
}

extension AuditEvent.UserIdentity {
    var json: AuditJSON {
        var members: [String: AuditJSON] = ["type": .string(type)]
        if let principalId { members["principalId"] = .string(principalId) }
        if let arn { members["arn"] = .string(arn) }
        if let accountId { members["accountId"] = .string(accountId) }
        if let accessKeyId { members["accessKeyId"] = .string(accessKeyId) }
        if let userName { members["userName"] = .string(userName) }
        if let invokedBy { members["invokedBy"] = .string(invokedBy) }
        return .object(members)
    }

    init?(json: AuditJSON) {
        guard let type = json["type"]?.stringValue else { return nil }
        self.init(type: type, principalId: json["principalId"]?.stringValue, arn: json["arn"]?.stringValue,
                  accountId: json["accountId"]?.stringValue, accessKeyId: json["accessKeyId"]?.stringValue,
                  userName: json["userName"]?.stringValue, invokedBy: json["invokedBy"]?.stringValue)
    }
}

extension AuditEvent.Resource {
    var json: AuditJSON {
        var members: [String: AuditJSON] = ["ARN": .string(arn), "type": .string(type)]
        if let accountId { members["accountId"] = .string(accountId) }
        return .object(members)
    }

    init?(json: AuditJSON) {
        guard let arn = json["ARN"]?.stringValue, let type = json["type"]?.stringValue else { return nil }
        self.init(arn: arn, accountId: json["accountId"]?.stringValue, type: type)
    }
}
