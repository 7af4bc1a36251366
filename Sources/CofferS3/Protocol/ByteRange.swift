import Foundation
import HTTPTypes

/// The `Range: bytes=...` header of a GET, resolved against an object's size as S3 does:
/// one range only (anything else is ignored and the whole object served); a range that
/// starts past the end is unsatisfiable.
enum ByteRange: Equatable {
    case none
    case satisfiable(ClosedRange<Int64>)
    case unsatisfiable

    static func parse(_ header: String, size: Int64) -> ByteRange {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.hasPrefix("bytes=") else { return .none }
        let spec = text.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .none }
        let startText = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let endText = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        func number(_ s: String) -> Int64? {
            guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            return Int64(s) ?? Int64.max
        }
        if startText.isEmpty {
            guard let suffix = number(endText) else { return .none }
            if suffix == 0 || size == 0 { return .unsatisfiable }
            return .satisfiable(max(size - suffix, 0)...(size - 1))
        }
        guard let start = number(startText) else { return .none }
        if endText.isEmpty {
            return start < size ? .satisfiable(start...(size - 1)) : .unsatisfiable
        }
        guard let end = number(endText) else { return .none }
        if end < start { return .none }
        guard start < size else { return .unsatisfiable }
        return .satisfiable(start...min(end, size - 1))
    }
}
