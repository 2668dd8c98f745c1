/// The programs installed and the processes running on a machine, as far as `check` needs them to tell a
/// rule that names something from one that names nothing.
public struct SystemInventory: Sendable {
    /// Basenames of the files in the system directories, sorted bytewise.
    public let executables: [[UInt8]]
    private let executableComms: Set<Comm>
    /// The comms of the processes running now.
    public let processComms: Set<Comm>
    /// The same, sorted bytewise, for a glob's literal start: a binary search, as for the executables.
    private let sortedProcessComms: [[UInt8]]

    public init(executables: [[UInt8]], processComms: Set<Comm>) {
        self.executables = executables.sorted { $0.lexicographicallyPrecedes($1) }
        executableComms = Set(executables.map { Comm($0) })
        self.processComms = processComms
        sortedProcessComms = processComms.map(\.bytes).sorted { $0.lexicographicallyPrecedes($1) }
    }

    public func hasExecutable(named name: [UInt8]) -> Bool {
        firstIndex(notBefore: name, in: executables).map { executables[$0] == name } ?? false
    }

    /// Whether an installed program or a running process could match `pattern`.
    func reaches(_ pattern: NamePattern) -> Bool? {
        switch pattern {
        case .exact(let comm):
            return executableComms.contains(comm) || processComms.contains(comm)
        case .long(let prefix, let full):
            return hasExecutable(named: full) || processComms.contains(prefix)
        case .glob(let glob):
            // A glob is judged by its literal start, the part before any wildcard; one that starts with
            // a wildcard may match anything.
            let literal = glob.literalPrefix
            guard !literal.isEmpty else { return nil }
            if let index = firstIndex(notBefore: literal, in: executables), executables[index].starts(with: literal) { return true }
            let commLiteral = Array(literal.prefix(Comm.maximumLength))
            guard let index = firstIndex(notBefore: commLiteral, in: sortedProcessComms) else { return false }
            return sortedProcessComms[index].starts(with: commLiteral)
        }
    }

    /// Binary search: the first name in `sorted` not ordered before `name`.
    private func firstIndex(notBefore name: [UInt8], in sorted: [[UInt8]]) -> Int? {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle].lexicographicallyPrecedes(name) { low = middle + 1 } else { high = middle }
        }
        return low < sorted.count ? low : nil
    }
}

/// Rules that apply to nothing on this machine: a daemon renamed under the administrator's feet
/// (MariaDB's `mariadbd`, chrony's `chronyd`) leaves the old rule silently protecting nothing.
public enum RuleReach {
    public static func warnings(_ rules: [Rule], inventory: SystemInventory) -> [ConfigDiagnostic] {
        var findings: [ConfigDiagnostic] = []
        // Room for every rule up front: growing the set as ten thousand names arrive rehashed it a dozen times.
        var warnedNames = Set<String>(minimumCapacity: rules.count)
        var warnedSuccessors: Set<String> = []
        for rule in rules {
            let name = rule.name.description
            func warn(_ message: String) {
                findings.append(ConfigDiagnostic(.warning, path: rule.location.path, line: rule.location.line, message))
            }
            let successor = Successors.entry(for: name)
            if inventory.reaches(rule.name) == false {
                guard warnedNames.insert(name).inserted else { continue }
                var message = "`\(name)`" + Self.appliesToNothing
                if let successor {
                    let installed = successor.successors.filter { inventory.hasExecutable(named: Array($0.utf8)) }
                    message += "; \(successor.note)"
                    message += installed.isEmpty ? "" : " (installed here: \(installed.joined(separator: ", ")))"
                }
                warn(message)
                continue
            }
            // A program that split in two: the old one still runs, and so do its successors.
            guard let successor, successor.alongside, rule.score.isProtective else { continue }
            for next in successor.successors where inventory.hasExecutable(named: Array(next.utf8)) {
                let comm = Comm(next)
                guard !rules.contains(where: { RuleSet.nameMayMatch($0.name, comm) }), warnedSuccessors.insert(next).inserted else { continue }
                warn("`\(name)` has a rule but `\(next)` is installed and has none: \(successor.note)")
            }
        }
        return findings
    }

    /// The constant part of the warning, spelled once: a generated config may draw it ten thousand times.
    private static let appliesToNothing =
        " matches no program in \(SystemDirectories.spelled) and no running process: the rule applies to nothing here"
}
