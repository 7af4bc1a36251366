import CRados
import Foundation

extension IOContext {
    /// The names of the pool's objects (its default namespace) that start with `prefix`, in
    /// the order RADOS lists them: by placement group and hash, not by name.
    ///
    /// Listing is a full walk of the pool, one placement group after another, and librados
    /// offers it only as blocking calls (`rados_nobjects_list_*`), so the whole walk runs on a
    /// thread of its own, never on the caller's executor. Every name matching the prefix is
    /// held in memory: meant for checks and tests, not for request paths.
    public func objectNames(prefix: String = "") async throws(RadosError) -> [String] {
        let wanted = Array(prefix.utf8)
        // The closure holds `self`, so the I/O context outlives the walk.
        let result: Result<[String], RadosError> = await offThread { [self] in
            var context: rados_list_ctx_t?
            let opened = rados_nobjects_list_open(handle, &context)
            guard opened == 0, let context else {
                return .failure(RadosError(code: opened < 0 ? opened : -ENOMEM, operation: "rados_nobjects_list_open"))
            }
            defer { rados_nobjects_list_close(context) }
            var names: [String] = []
            while true {
                var entry: UnsafePointer<CChar>?
                var entrySize = 0
                let rc = rados_nobjects_list_next2(context, &entry, nil, nil, &entrySize, nil, nil)
                if rc == -ENOENT { break }
                if rc < 0 { return .failure(RadosError(code: rc, operation: "rados_nobjects_list_next2")) }
                guard let entry else { continue }
                let name = UnsafeRawBufferPointer(start: entry, count: entrySize)
                if name.starts(with: wanted) { names.append(String(decoding: name, as: UTF8.self)) }
            }
            return .success(names)
        }
        return try result.get()
    }
}
