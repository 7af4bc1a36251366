import CofferAudit
import CofferStorage

/// Data events of writes that travel with their commit (issue 12: after any crash, every
/// committed write has its record). The record is built before the commit and stored in the
/// commit's own batch as a `CommitNote`; once the commit returns it is appended to the trail
/// and the note removed. A note left by a crash between the two is appended at the next start
/// (`CofferServer`'s assembly), so the trail never lacks a committed write, and a write that
/// did not commit never has a success record.
extension S3Service {
    /// Runs `write` with the call's data event as the note of its commit, then appends the
    /// event. Without an audit trail, `write` gets no note. `parameters` are request
    /// parameters the event names beside those of the request's headers (what a body set).
    ///
    /// A write refused with an S3 error (not a 500) is recorded here with `parameters` too, so
    /// a refused lock change names the retention, legal hold or bypass it asked for.
    func committing<R>(_ call: AuthorizedCall, key: String, parameters: [String: AuditJSON] = [:], _ write: (CommitNote?) async throws -> R) async throws -> R {
        do {
            let result = try await committingOne(call, key: key, parameters: parameters, write)
            call.dataEvent.markRecorded()
            return result
        } catch let error as S3Error where !parameters.isEmpty && !error.isInternal && call.spec.audit == .dataEvent {
            try recordKeyFailure(call, key: key, code: error.code, message: error.message, parameters: parameters)
            call.dataEvent.markFailureRecorded()
            throw error
        }
    }

    /// The same for one of several writes of a call (a DeleteObjects key): each gets its own
    /// record, about `key`, and the call itself is not marked recorded.
    func committingOne<R>(_ call: AuthorizedCall, key: String, parameters: [String: AuditJSON] = [:], _ write: (CommitNote?) async throws -> R) async throws -> R {
        guard let dataEvents, dataEvents.isEnabled, call.spec.audit == .dataEvent else { return try await write(nil) }
        let prepared: PreparedDataEvent?
        do {
            prepared = try dataEvents.prepare(call.operation.rawValue, call: call.call, key: key, ownerAccount: users.root.accountId,
                                              parameters: Self.dataEventParameters(call.call).merging(parameters) { _, given in given })
        } catch {
            logger.error("audit trail: cannot prepare an S3 event; the request fails", metadata: ["request-id": .string(call.requestId), "error": .string(String(describing: error))])
            throw S3Error(.internalError, "The request could not be recorded in the audit trail.")
        }
        guard let prepared else { return try await write(nil) }
        let result = try await write(CommitNote(id: prepared.id, bytes: prepared.bytes))
        do {
            try dataEvents.append(prepared)
        } catch {
            // Committed: the note keeps the record, and the next start appends it.
            logger.error("audit trail: a committed write's record stays in its note until the next start", metadata: [
                "request-id": .string(call.requestId), "event-id": .string(prepared.id), "error": .string(String(describing: error)),
            ])
            throw S3Error(.internalError, "The request could not be recorded in the audit trail.")
        }
        let store = self.store
        do {
            try await store.removeNote(id: prepared.id)
        } catch {
            // Harmless: the next start finds the record already in the trail.
            logger.warning("cannot remove an audit note", metadata: ["event-id": .string(prepared.id), "error": .string(String(describing: error))])
        }
        return result
    }
}

extension S3Service {
    /// Records the refusal or failure of one key of a call that writes several (DeleteObjects).
    /// `parameters` are added to those of the request's headers, as for ``committing(_:key:parameters:_:)``.
    func recordKeyFailure(_ call: AuthorizedCall, key: String, code: S3ErrorCode, message: String? = nil, parameters: [String: AuditJSON] = [:]) throws {
        guard let dataEvents, dataEvents.isEnabled else { return }
        do {
            try dataEvents.record(call.operation.rawValue, call: call.call, key: key, ownerAccount: users.root.accountId,
                                  failure: AuditFailure(code: code.rawValue, message: message),
                                  parameters: Self.dataEventParameters(call.call).merging(parameters) { _, given in given })
        } catch {
            logger.error("audit trail: cannot record an S3 event; the request fails", metadata: ["request-id": .string(call.requestId), "error": .string(String(describing: error))])
            throw S3Error(.internalError, "The request could not be recorded in the audit trail.")
        }
    }
}
