import CofferStorage

/// The UTF-8 bytes of `text` (keys and values of the storage tests).
public func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The `StorageError` code `body` throws, or nil if it throws nothing or another error.
public func errorCode(_ body: () async throws -> Void) async -> StorageError.Code? {
    do {
        try await body()
        return nil
    } catch let error as StorageError {
        return error.code
    } catch {
        return nil
    }
}
