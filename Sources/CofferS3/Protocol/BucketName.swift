/// S3's general-purpose bucket naming rules.
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
public enum BucketName {
    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count >= 3, bytes.count <= 63 else { return false }
        func alnum(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) }
        guard alnum(bytes.first!), alnum(bytes.last!) else { return false }
        for (i, c) in bytes.enumerated() {
            guard alnum(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") else { return false }
            if c == UInt8(ascii: "."), i > 0, bytes[i - 1] == UInt8(ascii: ".") { return false }
        }
        for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] where name.hasPrefix(prefix) { return false }
        for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] where name.hasSuffix(suffix) { return false }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) }) { return false }
        return true
    }
}
