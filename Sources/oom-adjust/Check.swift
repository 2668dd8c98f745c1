import ArgumentParser
import OOMAdjustAgent
import Glibc
import OOMAdjustCore
import OOMAdjustLinux

extension OOMAdjust {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration: print every error and warning with PATH:LINE.",
            discussion: """
                Reads the rules file and the drop-in directory, as `run` would. Warns about duplicate \
                rules, -1000 (-17) values and trust=name opt-outs. Exits 0 when the configuration is \
                valid (warnings allowed) and 2 when it is not.
                """
        )

        @OptionGroup var ruleFiles: ConfigOptions

        func run() throws {
            let inventory = (try? ProcRoot()).map(SystemInventoryReader.read)
            switch ruleFiles.loader.load(inventory: inventory) {
            case .failure(let failure):
                printError(failure.diagnostics)
                printError("\(ruleFiles.path): \(failure.diagnostics.count) error(s); the configuration is invalid")
                throw ExitStatus.configInvalid
            case .success(let loaded):
                printError(loaded.warnings)
                let dropIns = loaded.files.count - 1
                let read = dropIns > 0 ? " (with \(dropIns) drop-in file(s))" : ""
                print("\(ruleFiles.path)\(read): \(loaded.rules.rules.count) rule(s), valid")
            }
        }
    }
}

/// Prints a line to stderr with one write(2).
func printError(_ line: String) {
    var text = line + "\n"
    _ = text.withUTF8 { writeAll(STDERR_FILENO, UnsafeRawBufferPointer($0)) }
}

/// Prints diagnostics to stderr, a line each, in as few writes as the pipe takes: a generated rule set
/// may earn ten thousand warnings, and one write (or one String) each cost more than finding them.
func printError(_ diagnostics: [ConfigDiagnostic]) {
    // Through one buffer of a pipe's size, written whenever it fills: the same memory, warm, every time.
    let chunk = 1 << 16
    var text: [UInt8] = []
    text.reserveCapacity(2 * chunk)
    for (index, diagnostic) in diagnostics.enumerated() {
        diagnostic.appendDescription(to: &text)
        text.append(UInt8(ascii: "\n"))
        guard text.count >= chunk || index == diagnostics.count - 1 else { continue }
        _ = text.withUnsafeBytes { writeAll(STDERR_FILENO, $0) }
        text.removeAll(keepingCapacity: true)
    }
}
