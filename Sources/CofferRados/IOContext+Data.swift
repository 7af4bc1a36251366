import CRados
import Foundation

extension IOContext {
    /// Up to `length` bytes of `object` from `offset` (fewer at the end of the object), as
    /// ``read(_:offset:length:)`` returns them, but copied out of librados's buffer in one
    /// block copy instead of byte by byte: for reads of megabytes (stripe data), where a
    /// per-byte copy costs more than the read itself in a debug build.
    public func readData(_ object: String, offset: UInt64, length: Int) async throws(RadosError) -> [UInt8] {
        guard length > 0 else { return [] }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 16)
        defer { buffer.deallocate() }
        let rc = await withCompletion { completion in
            rados_aio_read(handle, object, completion, buffer.assumingMemoryBound(to: CChar.self), length, offset)
        }
        try RadosError.check(rc, "rados_aio_read", object)
        let count = min(Int(rc), length)
        return [UInt8](unsafeUninitializedCapacity: count) { bytes, initialized in
            if let base = bytes.baseAddress { base.initialize(from: buffer.assumingMemoryBound(to: UInt8.self), count: count) }
            initialized = count
        }
    }
}
