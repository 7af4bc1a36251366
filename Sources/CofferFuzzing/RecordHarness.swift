import CofferStorage

/// The stored-record decoders (one version byte, then JSON; version 1 through its migration,
/// `ObjectRecord`'s current version through its hand-written reader): what every read of a
/// possibly damaged store runs. Invariants: a record that decodes encodes again, and that
/// encoding decodes to the same record and encodes to the same bytes.
///
/// Input: byte 0 picks the type (object, part, upload, bucket); the rest is the stored value.
public enum RecordHarness {
    public static func run(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let stored = bytes.dropFirst()
        switch first % 4 {
        case 0: check(ObjectRecord.self, stored)
        case 1: check(PartRecord.self, stored)
        case 2: check(UploadRecord.self, stored)
        default: check(BucketRecord.self, stored)
        }
    }

    static func check<R: StoredRecord>(_ type: R.Type, _ stored: ArraySlice<UInt8>) {
        guard let record = try? R(encoded: stored) else { return }
        let encoded: [UInt8]
        do { encoded = try record.encoded() } catch {
            FuzzCheck.require(false, "a decoded \(R.self) does not encode: \(error)")
            return
        }
        let again: R
        do { again = try R(encoded: encoded) } catch {
            FuzzCheck.require(false, "\(R.self) does not decode what it encoded: \(error); \(String(decoding: encoded, as: UTF8.self))")
            return
        }
        FuzzCheck.require(again == record, "\(R.self) changes through encode and decode: \(String(decoding: encoded, as: UTF8.self))")
        FuzzCheck.require((try? again.encoded()) == encoded, "\(R.self) encodes differently the second time")
    }
}
