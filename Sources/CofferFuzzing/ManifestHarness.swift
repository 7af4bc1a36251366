import CofferMaintenance

/// LevelDB's MANIFEST as `StoreGuard` reads it before every start (`LevelDBManifest`): bytes
/// from a disk that may be damaged. Invariants: a MANIFEST cut anywhere reads as a torn tail
/// of the whole, never as an error, with no more edits than the whole; what was read is
/// consistent (every live table has a level below 16).
///
/// Input: the MANIFEST's bytes.
public enum ManifestHarness {
    public static func run(_ bytes: [UInt8]) {
        guard let whole = try? LevelDBManifest(bytes: bytes) else { return }
        FuzzCheck.require(whole.tables.values.allSatisfy { $0.level < 16 }, "a live table at level 16 or above")
        for cut in Set([bytes.count / 2, bytes.count - 1, bytes.count * 3 / 4]) where cut >= 0 && cut < bytes.count {
            let prefix: LevelDBManifest
            do { prefix = try LevelDBManifest(bytes: Array(bytes[..<cut])) } catch {
                FuzzCheck.require(false, "a MANIFEST that reads whole fails when cut at \(cut): \(error)")
                return
            }
            FuzzCheck.require(prefix.edits <= whole.edits, "a cut MANIFEST has more edits than the whole")
        }
    }
}
