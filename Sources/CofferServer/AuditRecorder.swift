import CofferAudit
import CofferKMS
import CofferS3
import CofferSigV4
import Foundation

/// Writes Coffer's events to the audit trail (docs/audit-trail.md): every key-service call
/// (through `KMSAuditSink`) and the S3 data events. `nil` trail: recording is off (benchmark
/// only, to measure its cost).
public final class AuditRecorder: KMSAuditSink, DataEventSink, Sendable {
    let trail: AuditTrail?
    let region: String

    public init(trail: AuditTrail?, region: String) {
        self.trail = trail
        self.region = region
    }

    public var isEnabled: Bool { trail != nil }

    static func identity(principalArn: String, accountId: String, userName: String?, accessKeyId: String?, invokedBy: String?) -> AuditEvent.UserIdentity {
        if principalArn == "anonymous" { return .anonymous }
        if let userName, principalArn.hasSuffix(":user/\(userName)") {
            return .iamUser(accountId: accountId, userName: userName, accessKeyId: accessKeyId, principalId: accessKeyId, invokedBy: invokedBy)
        }
        return .root(accountId: accountId, accessKeyId: accessKeyId, invokedBy: invokedBy)
    }

    static func json(_ parameters: [String: KMSParam]) -> AuditJSON {
        .object(parameters.mapValues { value in
            switch value {
            case .string(let s): .string(s)
            case .int(let i): .number(Double(i))
            case .bool(let b): .bool(b)
            case .map(let m): .object(m.mapValues { .string($0) })
            case .strings(let a): .array(a.map { .string($0) })
            }
        })
    }

    /// One key-service call. Throws when the record cannot be written: the call's result
    /// must then not be used.
    public func record(_ call: KMSCallRecord) throws {
        guard let trail else { return }
        let caller = call.caller
        let context = AuditContext(
            time: call.eventTime, region: region,
            identity: Self.identity(principalArn: caller.principalArn, accountId: caller.accountId, userName: caller.userName,
                                    accessKeyId: caller.accessKeyId, invokedBy: caller.invokedBy),
            sourceIPAddress: caller.sourceIPAddress, userAgent: caller.userAgent, requestID: caller.requestID, recipientAccountId: caller.accountId)
        var event = AuditEvent.kmsCall(
            call.eventName, context: context, keyArn: call.keyArns.first, requestParameters: Self.json(call.requestParameters),
            responseElements: call.responseElements.map(Self.json),
            failure: call.error.map { AuditFailure(code: $0.code.rawValue, message: $0.message.isEmpty ? nil : $0.message) },
            readOnly: call.readOnly)
        for arn in call.keyArns.dropFirst() where !event.resources.contains(where: { $0.arn == arn }) {
            event.resources.append(AuditEvent.Resource(arn: arn, accountId: caller.accountId, type: arn.contains(":alias/") ? "AWS::KMS::Alias" : "AWS::KMS::Key"))
        }
        try trail.record(event)
    }

    /// One S3 data event (an object operation, or any request refused as AccessDenied).
    /// `ownerAccount`: the account owning the bucket (recorded even when the caller is unknown).
    public func record(_ eventName: String, call: S3Call, key: String?, ownerAccount: String, failure: AuditFailure?, parameters: [String: AuditJSON]) throws {
        guard let trail else { return }
        try trail.record(event(eventName, call: call, key: key, ownerAccount: ownerAccount, failure: failure, parameters: parameters))
    }

    public func prepare(_ eventName: String, call: S3Call, key: String?, ownerAccount: String, parameters: [String: AuditJSON]) throws -> PreparedDataEvent? {
        guard trail != nil else { return nil }
        let event = event(eventName, call: call, key: key, ownerAccount: ownerAccount, failure: nil, parameters: parameters)
        return PreparedDataEvent(id: event.eventID, bytes: event.json.serialized(), event: event)
    }

    public func append(_ prepared: PreparedDataEvent) throws {
        guard let trail else { return }
        if let event = prepared.event { return try trail.record(event) }
        guard let json = AuditJSON.parse(prepared.bytes) else { throw AuditError(.invalidEvent, "a prepared event does not parse") }
        try trail.record(try AuditEvent(json: json))
    }

    /// Appends the records of writes that committed while the trail did not get their record
    /// (the process stopped between the two): each note is a prepared event; one whose event
    /// id is among the trail's newest records is already there. Returns how many it appended.
    public func recover(_ notes: [PreparedDataEvent]) throws -> Int {
        guard let trail, !notes.isEmpty else { return 0 }
        // The notes are of the last writes before the stop: if their records reached the
        // trail, they are among its newest.
        var present = Set<String>()
        try AuditReader(sink: trail.sink).forEach(newestFirst: true) { record in
            present.insert(record.event.eventID)
            return present.count < 4096
        }
        var appended = 0
        for note in notes where !present.contains(note.id) {
            try append(note)
            appended += 1
        }
        return appended
    }

    private func event(_ eventName: String, call: S3Call, key: String?, ownerAccount: String, failure: AuditFailure?, parameters: [String: AuditJSON]) -> AuditEvent {
        let user = call.user
        let identity: AuditEvent.UserIdentity = user.map {
            Self.identity(principalArn: $0.arn, accountId: $0.accountId, userName: $0.isRoot ? nil : $0.name, accessKeyId: call.auth?.accessKeyId, invokedBy: nil)
        } ?? .anonymous
        let context = AuditContext(time: call.now, region: region, identity: identity, sourceIPAddress: call.request.sourceIP,
                                   userAgent: call.request.header(.userAgent), requestID: call.requestId,
                                   recipientAccountId: ownerAccount)
        return .s3DataEvent(eventName, context: context, bucket: call.request.bucket ?? "", key: key,
                            extraParameters: parameters, failure: failure,
                            additionalEventData: call.mechanism.map(Self.additionalEventData))
    }

    /// CloudTrail's `additionalEventData` of a signed S3 request: `SignatureVersion` (`SigV2`,
    /// `SigV4`) and `AuthenticationMethod` (`AuthHeader`, `QueryString`), the members AWS
    /// documents for finding the requests still signed with Signature Version 2.
    static func additionalEventData(_ mechanism: SignatureMechanism) -> AuditJSON {
        .object([
            "SignatureVersion": .string(mechanism.version == .v2 ? "SigV2" : "SigV4"),
            "AuthenticationMethod": .string(mechanism.carrier == .header ? "AuthHeader" : "QueryString"),
        ])
    }
}
