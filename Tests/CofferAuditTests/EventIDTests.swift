@testable import CofferAudit
import Foundation
import XCTest

final class EventIDTests: XCTestCase {
    func testFormatsVersionFourVariantOneInLowerCase() {
        XCTAssertEqual(EventID.format([UInt8](repeating: 0, count: 16)), "00000000-0000-4000-8000-000000000000")
        XCTAssertEqual(EventID.format([UInt8](repeating: 0xFF, count: 16)), "ffffffff-ffff-4fff-bfff-ffffffffffff")
        XCTAssertEqual(EventID.format([0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10]),
                       "01234567-89ab-4def-bedc-ba9876543210")
    }

    func testRandomIdsAreUUIDsThatFoundationReadsBack() {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let id = EventID.random()
            let parsed = UUID(uuidString: id)
            XCTAssertNotNil(parsed, id)
            XCTAssertEqual(parsed?.uuidString.lowercased(), id)
            let bytes = Array(id.utf8)
            XCTAssertEqual(bytes[14], UInt8(ascii: "4"))
            XCTAssertTrue("89ab".utf8.contains(bytes[19]), id)
            seen.insert(id)
        }
        XCTAssertEqual(seen.count, 1000)
    }
}
