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
        handle(body: body, readers: ["": reader], includeDataEvents: includeDataEvents)
    }

    /// ``handle(body:reader:includeDataEvents:)`` over several trails (the nodes sharing a
    /// store, by node name), merged newest event first; `NextToken` carries a position in each.
    public static func handle(body: [UInt8], readers: [String: AuditReader], includeDataEvents: Bool = false) -> (status: Int, body: [UInt8]) {
        let request: LookupEventsRequest
        do {
            request = try LookupEventsRequest(body: body, includeDataEvents: includeDataEvents)
        } catch let error as LookupEventsError {
            return (400, error.body)
        } catch {
            return (400, LookupEventsError("SerializationException", "The request body could not be read.").body)
        }
        do {
            return (200, try lookup(request, readers: readers).serialized())
        } catch {
            return unreadableTrail
        }
    }

    /// The answer when the trail cannot be read.
    public static var unreadableTrail: (status: Int, body: [UInt8]) {
        (500, LookupEventsError("InternalFailure", "The audit trail could not be read.").body)
    }

    static func lookup(_ request: LookupEventsRequest, readers: [String: AuditReader]) throws -> AuditJSON {
        guard request.eventCategory == nil else { return ["Events": []] }
        var cursors = try readers.keys.sorted().compactMap { node in
            try readers[node].map { try NewestFirstCursor(node: node, reader: $0, before: request.before[node]) }
        }
        // A k-way merge, newest event first (ties: the node named last first, for a fixed order).
        var page: [(node: String, record: AuditRecord)] = []
        while page.count <= request.maxResults {
            var newest: Int?
            for index in cursors.indices {
                guard let head = try cursors[index].head() else { continue }
                if let current = newest, let best = try cursors[current].head(), head.event.eventTime < best.event.eventTime { continue }
                newest = index
            }
            guard let index = newest, let record = try cursors[index].pop() else { break }
            if request.includes(record.event) { page.append((cursors[index].node, record)) }
        }
        var response: [String: AuditJSON] = [:]
        if page.count > request.maxResults {
            page.removeLast()
            var bounds = request.before
            for (node, record) in page { bounds[node] = min(bounds[node] ?? .max, record.chain.sequence) }
            response["NextToken"] = .string(request.nextToken(before: bounds))
        }
        response["Events"] = .array(page.map { eventJSON($0.record.event) })
        return .object(response)
    }

    /// One trail's records newest first, below a sequence bound, a log file at a time.
    struct NewestFirstCursor {
        let node: String
        let reader: AuditReader
        let before: Int64?
        private var files: [AuditReader.LogFile]
        private var buffered: [AuditRecord] = []

        init(node: String, reader: AuditReader, before: Int64?) throws {
            self.node = node
            self.reader = reader
            self.before = before
            files = try reader.logFiles()
        }

        /// The next record without taking it.
        mutating func head() throws -> AuditRecord? {
            while buffered.isEmpty, let file = files.popLast() {
                // Oldest last, so that popLast takes the newest.
                buffered = try reader.records(in: file.name).filter { record in before.map { record.chain.sequence < $0 } ?? true }
            }
            return buffered.last
        }

        mutating func pop() throws -> AuditRecord? {
            guard try head() != nil else { return nil }
            return buffered.removeLast()
        }
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
