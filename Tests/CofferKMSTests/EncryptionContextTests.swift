import CofferKMS
import XCTest

final class EncryptionContextTests: XCTestCase {
    func testLengthPrefixesMakeShiftedPairsDiffer() {
        XCTAssertNotEqual(EncryptionContextEncoding.canonical(["ab": "c"]), EncryptionContextEncoding.canonical(["a": "bc"]))
    }

    func testOrderOfInsertionDoesNotMatter() {
        let a: EncryptionContext = ["x": "1", "aws:s3:arn": "arn:aws:s3:::b/k", "B": "2"]
        var b: EncryptionContext = [:]
        for key in ["B", "x", "aws:s3:arn"] { b[key] = a[key] }
        XCTAssertEqual(EncryptionContextEncoding.canonical(a), EncryptionContextEncoding.canonical(b))
    }

    func testEncodingIsPinned() {
        XCTAssertEqual(EncryptionContextEncoding.canonical([:]), [0, 0])
        XCTAssertEqual(EncryptionContextEncoding.canonical(["b": "", "a": "xy"]),
                       [0, 2, 0, 1, 0x61, 0, 2, 0x78, 0x79, 0, 1, 0x62, 0, 0])
    }
}
