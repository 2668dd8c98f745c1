/// The rules in force, in file order: the first one that matches a process decides its value.
public struct RuleSet: Sendable {
    public let rules: [Rule]

    public init(_ rules: [Rule]) { self.rules = rules }

    public var isEmpty: Bool { rules.isEmpty }

    /// The index of the first rule matching the process, or nil.
    public func firstMatch<Facts: ProcessFacts>(for process: inout Facts) -> Int? {
        for index in rules.indices where Self.matches(rules[index].name, &process) {
            return index
        }
        return nil
    }

    static func matches<Facts: ProcessFacts>(_ pattern: NamePattern, _ process: inout Facts) -> Bool {
        switch pattern {
        case .exact(let comm):
            return process.comm == comm
        case .long(let prefix, let full):
            guard process.comm == prefix else { return false }
            if let exe = process.executableName(), exe == full { return true }
            if let argv0 = process.argv0Name(), argv0 == full { return true }
            return false
        }
    }
}
