import CofferCrypto
import Foundation

/// CloudTrail's `LookupEvents` over the trail, as a pure function of the request body, so the
/// server can route `X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`
/// (AWS JSON 1.1) to it: `aws cloudtrail lookup-events --endpoint-url ...` works against Coffer.
///
/// As in AWS: at most one `LookupAttributes` element (`EventId`, `EventName`, `ReadOnly`,
/// `Username`, `ResourceType`, `ResourceName`, `EventSource`, `AccessKeyId`), `StartTime` and
/// `EndTime` in epoch seconds (inclusive), `MaxResults` 1 to 50 (default 50), `NextToken`
/// paging (valid only with the same attributes and times), newest event first. Like AWS,
/// only management events are returned (Coffer's KMS calls) unless the server opts in to
/// data events; `EventCategory: insight` returns no events (Coffer has no Insights).
public enum LookupEventsAPI {
    /// The `X-Amz-Target` value of the operation.
    public static let target = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
    /// The response's `Content-Type`.
    public static let contentType = "application/x-amz-json-1.1"

    /// Answers one request: `(200, {"Events": [...], "NextToken": ...})`, or `(400, {"__type":
    /// "<Exception>", "message": ...})` for a request AWS would refuse, or `(500, ...)` when
    /// the trail cannot be read.
    ///
    /// - Parameter includeDataEvents: also return S3 data events (AWS never does; off by default).
    public static func handle(body: [UInt8], reader: AuditReader, includeDataEvents: Bool = false) -> (status: Int, body: [UInt8]) {
        let request: LookupEventsRequest
        do {
            request = try LookupEventsRequest(body: body, includeDataEvents: includeDataEvents)
        } catch let error as LookupEventsError {
            return (400, error.body)
        } catch {
            return (400, LookupEventsError("SerializationException", "The request body could not be read.").body)
        }
        do {
            return (200, try lookup(request, reader: reader).serialized())
        } catch {
            return (500, LookupEventsError("InternalFailure", "The audit trail could not be read.").body)
        }
    }

    static func lookup(_ request: LookupEventsRequest, reader: AuditReader) throws -> AuditJSON {
        guard request.eventCategory == nil else { return ["Events": []] }
        var page: [AuditRecord] = []
        try reader.forEach(newestFirst: true) { record in
            if let before = request.beforeSequence, record.chain.sequence >= before { return true }
            guard request.includes(record.event) else { return true }
            page.append(record)
            return page.count <= request.maxResults
        }
        var response: [String: AuditJSON] = [:]
        if page.count > request.maxResults {
            page.removeLast()
            if let last = page.last { response["NextToken"] = .string(request.nextToken(before: last.chain.sequence)) }
        }
        response["Events"] = .array(page.map { eventJSON($0.event) })
        return .object(response)
    }

    /// One element of `Events`.
    static func eventJSON(_ event: AuditEvent) -> AuditJSON {
        var members: [String: AuditJSON] = [
            "EventId": .string(event.eventID),
            "EventName": .string(event.eventName),
            "ReadOnly": .string(event.readOnly ? "true" : "false"),
            "EventTime": .number(event.eventTime.timeIntervalSince1970.rounded(.down)),
            "EventSource": .string(event.eventSource),
            "Resources": .array(event.resources.map { ["ResourceType": .string($0.type), "ResourceName": .string($0.arn)] }),
            "CloudTrailEvent": .string(event.json.serializedString),
        ]
        if let accessKeyId = event.userIdentity.accessKeyId { members["AccessKeyId"] = .string(accessKeyId) }
        if let username = event.lookupUsername { members["Username"] = .string(username) }
        return .object(members)
    }
}

/// An error as CloudTrail answers it.
struct LookupEventsError: Error {
    var type: String
    var message: String

    init(_ type: String, _ message: String) {
        self.type = type
        self.message = message
    }

    var body: [UInt8] { AuditJSON.object(["__type": .string(type), "message": .string(message)]).serialized() }
}

extension AuditEvent {
    /// LookupEvents' `Username`: the IAM user name, `root` for the root user, else the
    /// invoking service or the principal id.
    var lookupUsername: String? {
        if let userName = userIdentity.userName { return userName }
        if userIdentity.type == "Root" { return "root" }
        return userIdentity.invokedBy ?? userIdentity.principalId.flatMap { $0.isEmpty ? nil : $0 }
    }
}
