// Fuzzes the decoder of proc-connector datagrams and the config parser. See README.md, "Fuzzing".
//
//   oom-adjust-fuzz TARGET [--runs N] [--seconds S] [--seed N] [SEED_FILE_OR_DIRECTORY...]
//       Built-in driver: random and mutated inputs (seeded by the files given), each in an allocation
//       of its exact size. Stops after N inputs or S seconds, whichever comes first.
//   oom-adjust-fuzz TARGET [libFuzzer flags] [CORPUS...]
//       When built with -sanitize=fuzzer (scripts/fuzz.sh): libFuzzer drives, coverage-guided.
//
// TARGET is decode or config. A find ends the process with a trap or a sanitizer report.
import Glibc

var arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
    print("usage: oom-adjust-fuzz \(names) [--runs N] [--seconds S] [--seed N] [SEED...]  (or libFuzzer flags)")
    exit(64)
}
arguments.removeFirst()

// libFuzzer's entry point, present only in a -sanitize=fuzzer build (which exports it; see fuzz.sh).
typealias FuzzerDriver = @convention(c) (
    UnsafeMutablePointer<CInt>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
nonisolated(unsafe) var selectedTarget = target

/// libFuzzer's per-input callback. The -sanitize=fuzzer runtime references it by name, so it must exist
/// even though this program hands libFuzzer the callback itself through LLVMFuzzerRunDriver.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // libFuzzer hands each input in a heap allocation of exactly `size` bytes.
    selectedTarget.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "LLVMFuzzerRunDriver") {
    let driver = unsafeBitCast(symbol, to: FuzzerDriver.self)
    // libFuzzer reads its own flags; it sees the program name and what follows the target.
    let kept = [CommandLine.arguments[0]] + arguments
    var argv: [UnsafeMutablePointer<CChar>?] = kept.map { strdup($0) } + [nil]
    var argc = CInt(kept.count)
    let status = argv.withUnsafeMutableBufferPointer { buffer in
        var base = buffer.baseAddress!
        return driver(&argc, &base, fuzzOneInput)
    }
    exit(status)
}

var options = BuiltInDriver.Options()
var index = 0
while index < arguments.count {
    let argument = arguments[index]
    func value() -> String {
        index += 1
        guard index < arguments.count else {
            print("\(argument) needs a value")
            exit(64)
        }
        return arguments[index]
    }
    switch argument {
    case "--runs": options.runs = Int(value()) ?? options.runs
    case "--seconds": options.seconds = Double(value()) ?? options.seconds
    case "--seed": options.seed = UInt64(value()) ?? options.seed
    default: options.seedPaths.append(argument)
    }
    index += 1
}
BuiltInDriver(target: target, options: options).run()
