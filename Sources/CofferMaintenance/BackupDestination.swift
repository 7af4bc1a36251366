import Foundation

/// Where a backup (or a restored data dir) is written: a temporary sibling of the final
/// directory, mode 0700, renamed to the final name once everything in it is written and
/// synced. Until then the final name does not exist (or stays the empty directory it was),
/// so a half-made backup never looks like a finished one; a process killed on the way leaves
/// a `.<name>.partial-<random>` directory to delete.
struct BackupDestination {
    /// The directory the caller asked for (absolute).
    let final: String
    /// The temporary sibling everything is written into.
    let temporary: String

    /// Checks `path` (it must not exist, or be an empty directory, its parent must exist and
    /// it must not be inside `protected`, named `protectedName` in the error) and creates the
    /// temporary sibling. `what` names `path` in errors.
    static func prepare(_ path: String, what: String, outside protected: String, protectedName: String) throws(BackupError) -> BackupDestination {
        let final = BackupFiles.absolute(path)
        let inside = BackupFiles.absolute(protected)
        if final == inside || final.hasPrefix(inside.hasSuffix("/") ? inside : inside + "/") {
            throw BackupError(.invalidDestination, "\(what) \(final) is inside \(protectedName) \(inside): put it elsewhere")
        }
        if BackupFiles.kind(final) != nil && !BackupFiles.isEmptyDirectory(final) {
            throw BackupError(.invalidDestination, "\(what) \(final) exists and is not an empty directory")
        }
        let parent = (final as NSString).deletingLastPathComponent
        guard BackupFiles.kind(parent) == .typeDirectory else {
            throw BackupError(.invalidDestination, "the parent directory of \(what) \(final) does not exist")
        }
        let name = (final as NSString).lastPathComponent
        let random = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let temporary = BackupFiles.join(parent, ".\(name).partial-\(random)")
        try BackupFiles.makeDirectory(temporary, mode: 0o700)
        return BackupDestination(final: final, temporary: temporary)
    }

    /// Syncs the temporary directory and every directory under it, renames it to the final
    /// name (replacing the empty directory that may be there) and syncs the parent.
    func commit() throws(BackupError) {
        for entry in try BackupFiles.walk(temporary) where entry.kind == .typeDirectory {
            try BackupFiles.syncDirectory(BackupFiles.join(temporary, entry.path))
        }
        try BackupFiles.syncDirectory(temporary)
        guard rename(temporary, final) == 0 else {
            throw BackupFiles.ioError("cannot rename \(temporary) to", final)
        }
        try BackupFiles.syncDirectory((final as NSString).deletingLastPathComponent)
    }

    /// Removes the temporary directory (after a failure).
    func discard() {
        BackupFiles.removeTree(temporary)
    }
}
