/// The stage between the chunker and storage: what turns a 64 KiB piece of an object's
/// body into the value stored for it, and back. The encryption issue replaces the plain
/// codec with the sealed-object format (AES-256-GCM packages); nothing else in the
/// pipeline changes.
protocol ChunkCodec: Sendable {
    /// The stored form of chunk `index` of a blob.
    func seal(_ plaintext: UnsafeRawBufferPointer, index: Int, isFinal: Bool) throws -> [UInt8]
    /// The plaintext of a stored chunk; throws when it does not open.
    func open(_ stored: [UInt8], index: Int, isFinal: Bool) throws -> [UInt8]
}

/// Stores chunks as they are. The only codec until the sealed-object format lands.
struct PlainChunkCodec: ChunkCodec {
    func seal(_ plaintext: UnsafeRawBufferPointer, index: Int, isFinal: Bool) throws -> [UInt8] { Array(plaintext) }
    func open(_ stored: [UInt8], index: Int, isFinal: Bool) throws -> [UInt8] { stored }
}
