import Foundation
import Testing

@testable import CofferS3

/// The seal header in a blob reference (docs/sealed-object-format.md), written and read by hand.
@Suite struct BlobHeaderTests {
    typealias H = ObjectKeys.BlobHeader

    @Test func writesTheDocumentedFormAndReadsItBack() throws {
        let header = H(v: 1, salt: "TA9e4l5Oc9zx+Dof8idewFzjqe7/G7cmIRUEKEWBL2o=", part: 7)
        #expect(header.json == #"{"v":1,"salt":"TA9e4l5Oc9zx+Dof8idewFzjqe7/G7cmIRUEKEWBL2o=","part":7}"#)
        #expect(H(json: header.json) == header)
        // What earlier releases (and JSONSerialization) read from it.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(header.json.utf8)) as? [String: Any])
        #expect(object["salt"] as? String == header.salt && object["v"] as? Int == 1 && object["part"] as? Int == 7)
    }

    /// Headers written by earlier releases through `JSONEncoder`: keys in any order, `/` escaped.
    @Test func readsTheFormsEarlierReleasesWrote() {
        let salt = "TA9e4l5Oc9zx+Dof8idewFzjqe7/G7cmIRUEKEWBL2o="
        for json in [#"{"salt":"TA9e4l5Oc9zx+Dof8idewFzjqe7\/G7cmIRUEKEWBL2o=","v":1,"part":0}"#,
                     #"{"part":0,"v":1,"salt":"TA9e4l5Oc9zx+Dof8idewFzjqe7\/G7cmIRUEKEWBL2o="}"#,
                     #" { "v" : 1 , "part" : 0 , "salt" : "TA9e4l5Oc9zx+Dof8idewFzjqe7/G7cmIRUEKEWBL2o=" , "extra" : [1] } "#] {
            #expect(H(json: json) == H(v: 1, salt: salt, part: 0), "\(json)")
        }
    }

    @Test func refusesAnythingElse() {
        for json in ["", "{}", "[]", #"{"v":1,"salt":"s"}"#, #"{"v":"1","salt":"s","part":0}"#, #"{"v":1,"salt":"s","part":-1}"#,
                     #"{"v":1,"salt":"s","part":4294967296}"#, #"{"v":1,"salt":"s","part":0} x"#, #"{"v":1,"salt":"s","part":0"#,
                     #"{"v":1.5,"salt":"s","part":0}"#] {
            #expect(H(json: json) == nil, "\(json)")
        }
    }
}
