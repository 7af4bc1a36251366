import CLibFuzzer
import CofferFuzzing
import Foundation

/// The harness this process fuzzes, set once by `FuzzDriver.run` before libFuzzer starts.
nonisolated(unsafe) private var harness: FuzzTarget?

/// libFuzzer's callback: one input to the harness.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    harness!.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// Starts libFuzzer's driver on one harness of `FuzzTarget.all`. SwiftPM gives each executable
/// its own `main`, so libFuzzer's `main` cannot be used: the executable calls this instead.
public enum FuzzDriver {
    public static func run(_ name: String) -> Never {
        guard let target = FuzzTarget.named(name) else { fatalError("no fuzz target \(name)") }
        harness = target
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in testOneInput(data, size) })
    }
}
