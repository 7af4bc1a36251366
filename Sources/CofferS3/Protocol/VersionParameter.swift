import CofferStorage
import HTTPTypes

/// S3's `versionId` (a query parameter, a `VersionId` element of DeleteObjects, the
/// `?versionId=` of `x-amz-copy-source`) read as the store's ``VersionSelector``, and the
/// version headers of answers.
extension VersionSelector {
    /// The selector `value` names: absent is the current version, `null` the null version,
    /// anything else must be an id this store made. S3 refuses an empty or malformed id with
    /// 400 InvalidArgument naming the argument; an id of the right form that names no version
    /// is the handler's 404 NoSuchVersion.
    static func parse(_ value: String?, argument: String = "versionId") throws(S3Error) -> VersionSelector {
        if value?.isEmpty == true {
            throw S3Error(.invalidArgument, "Version id cannot be the empty string", extra: [("ArgumentName", argument), ("ArgumentValue", "")])
        }
        guard let selector = VersionSelector(versionId: value) else {
            throw S3Error(.invalidArgument, "Invalid version id specified", extra: [("ArgumentName", argument), ("ArgumentValue", value ?? "")])
        }
        return selector
    }

    /// The request's `versionId` query parameter.
    static func of(_ request: S3Request) throws(S3Error) -> VersionSelector {
        try parse(request.queryValue("versionId"))
    }

    /// Whether the selector names a version rather than the current one: S3 then authorises
    /// the `...Version...` action (`s3:GetObjectVersion`, `s3:DeleteObjectVersion`).
    var namesVersion: Bool { self != .current }

    /// The text of the `versionId` that names this version (nil for the current one).
    var text: String? {
        switch self {
        case .current: nil
        case .null: "null"
        case .id(let id): id.description
        }
    }
}

/// The version headers S3 puts on object answers.
enum VersionHeaders {
    /// `x-amz-version-id` of `record`, in a bucket that is or was versioned (S3 says `null` for
    /// the null version there) or for a version that has an id; never in a bucket never versioned.
    static func add(_ record: ObjectRecord, bucket: BucketRecord, to fields: inout HTTPFields) {
        guard bucket.versioning != nil || record.versionId != nil else { return }
        fields[.xAmzVersionId] = record.versionIdText
    }

    /// A delete marker's headers: `x-amz-delete-marker: true` and its version id.
    static func deleteMarker(_ record: ObjectRecord) -> HTTPFields {
        var fields = HTTPFields()
        fields[.xAmzDeleteMarker] = "true"
        fields[.xAmzVersionId] = record.versionIdText
        return fields
    }

    /// The 404 for a missing version (`NoSuchVersion`, naming the key and the id asked for).
    static func noSuchVersion(key: String, _ selector: VersionSelector) -> S3Error {
        S3Error(.noSuchVersion, extra: [("Key", key), ("VersionId", selector.text ?? "")])
    }

    /// The answer to a read of a delete marker: 404 NoSuchKey when it is the current version
    /// (no id asked), 405 MethodNotAllowed when asked for by id, both with the marker's headers
    /// (S3 adds `Last-Modified` and `Allow: DELETE` to the 405).
    static func deleteMarkerRead(_ marker: ObjectRecord, key: String, selector: VersionSelector, method: String) -> S3Error {
        var headers = deleteMarker(marker)
        guard selector.namesVersion else {
            return S3Error(.noSuchKey, extra: [("Key", key)], headers: headers)
        }
        headers[.lastModified] = S3Date.http(marker.lastModified)
        return deleteMarkerNamed(method: method, headers: headers)
    }

    /// 405 MethodNotAllowed for a request that names a delete marker by id (S3: only DELETE
    /// applies to one), with `headers` and `Allow: DELETE`.
    static func deleteMarkerNamed(method: String, headers: HTTPFields = [.xAmzDeleteMarker: "true"]) -> S3Error {
        var headers = headers
        headers[.allow] = "DELETE"
        return S3Error(.methodNotAllowed, extra: [("Method", method), ("ResourceType", "DeleteMarker")], headers: headers)
    }
}
