@testable import CofferAudit
import Foundation
import XCTest

final class EventIDTests: XCTestCase {
    func testFormatsVersionFourVariantOneInLowerCase() {
        XCTAssertEqual(EventID.format(high: 0, low: 0), "00000000-0000-4000-8000-000000000000")
        XCTAssertEqual(EventID.format(high: .max, low: .max), "ffffffff-ffff-4fff-bfff-ffffffffffff")
        XCTAssertEqual(EventID.format(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210), "01234567-89ab-4def-bedc-ba9876543210")
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
