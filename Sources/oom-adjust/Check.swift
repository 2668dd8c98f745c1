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
                for diagnostic in failure.diagnostics { printError(diagnostic.description) }
                printError("\(ruleFiles.path): \(failure.diagnostics.count) error(s); the configuration is invalid")
                throw ExitStatus.configInvalid
            case .success(let loaded):
                printError(lines: loaded.warnings.map(\.description))
                let dropIns = loaded.files.count - 1
                let read = dropIns > 0 ? " (with \(dropIns) drop-in file(s))" : ""
                print("\(ruleFiles.path)\(read): \(loaded.rules.rules.count) rule(s), valid")
            }
        }
    }
}

/// Prints a line to stderr with one write(2).
func printError(_ line: String) {
    printError(lines: [line])
}

/// Prints lines to stderr in as few writes as the pipe takes (a generated rule set may earn ten
/// thousand warnings: one write each cost more than finding them).
func printError(lines: [String]) {
    guard !lines.isEmpty else { return }
    var text = lines.joined(separator: "\n")
    text += "\n"
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
