import CofferStorage

/// S3's rules for tags, checked before any tag reaches a record: at most 10 tags on an object
/// and 50 on a bucket, unique keys, a key of 1 to 128 and a value of 0 to 256 Unicode
/// characters (counted as Unicode scalars), only letters, numbers, separators (spaces) and
/// `_ . : / = + - @` (the pattern `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$` of S3's Tag type), and no
/// key starting with the reserved `aws:` prefix, in any case.
///
/// Errors are S3's, checked in S3's order: the count first (400 BadRequest), then tag by tag
/// a repeated key, the `aws:` prefix, the key, the value (400 InvalidTag, naming the
/// `TagKey`, and the `TagValue` when the value is at fault).
enum TagRules {
    /// What the tags are for: the limits and messages differ.
    enum Subject: Sendable {
        case object, bucket

        /// The most tags S3 keeps on one.
        var maxCount: Int { self == .object ? 10 : 50 }

        var tooMany: S3Error {
            switch self {
            case .object: S3Error(.badRequest, "Object tags cannot be greater than 10")
            case .bucket: S3Error(.badRequest, "Bucket tag count cannot be greater than 50")
            }
        }

        /// S3 words the reserved-prefix refusal differently for buckets and objects.
        func reservedPrefix(_ key: String) -> S3Error {
            switch self {
            case .object: S3Error(.invalidTag, "Your TagKey cannot be prefixed with aws:", extra: [("TagKey", key)])
            case .bucket: S3Error(.invalidTag, "System tags cannot be added/updated by requester", extra: [("TagKey", key)])
            }
        }
    }

    static let maxKeyLength = 128
    static let maxValueLength = 256
    static let reservedPrefix = "aws:"

    /// Checks `tags` for `subject`; the first rule broken is thrown.
    static func validate(_ tags: [StoredTag], for subject: Subject) throws(S3Error) {
        if tags.count > subject.maxCount { throw subject.tooMany }
        var seen = Set<String>()
        for tag in tags {
            guard seen.insert(tag.key).inserted else {
                throw S3Error(.invalidTag, "Cannot provide multiple Tags with the same key", extra: [("TagKey", tag.key)])
            }
            if tag.key.lowercased().hasPrefix(reservedPrefix) { throw subject.reservedPrefix(tag.key) }
            try checkKey(tag.key)
            try checkValue(tag.value, key: tag.key)
        }
    }

    static func checkKey(_ key: String) throws(S3Error) {
        let length = key.unicodeScalars.count
        guard length >= 1, length <= maxKeyLength, isAllowed(key) else {
            throw S3Error(.invalidTag, "The TagKey you have provided is invalid", extra: [("TagKey", key)])
        }
    }

    static func checkValue(_ value: String, key: String) throws(S3Error) {
        guard value.unicodeScalars.count <= maxValueLength, isAllowed(value) else {
            throw S3Error(.invalidTag, "The TagValue you have provided is invalid", extra: [("TagKey", key), ("TagValue", value)])
        }
    }

    /// Whether every character of `text` is a letter, a number, a separator or one of
    /// `_ . : / = + - @`.
    static func isAllowed(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "_", ".", ":", "/", "=", "+", "-", "@": return true
            default: break
            }
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                .spaceSeparator, .lineSeparator, .paragraphSeparator,
                .decimalNumber, .letterNumber, .otherNumber:
                return true
            default:
                return false
            }
        }
    }
}
