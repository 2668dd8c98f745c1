import Foundation
@testable import OOMAdjustCore
import SeededRandom
import Testing

/// The name index decides exactly as the plain scan over every rule did: the same first match, the same
/// verdict, the same "may some rule apply?", on random rule sets and comms.
///
/// Deterministic: OOM_ADJUST_INDEX_SEED=N replays a run or explores another, and
/// OOM_ADJUST_INDEX_CASES=N tries more rule sets (the default is 400, each asked about 40 comms).
@Suite struct RuleIndexTests {
    static let seed = UInt64(ProcessInfo.processInfo.environment["OOM_ADJUST_INDEX_SEED"] ?? "") ?? 0x696e_6465_78
    static let cases = Int(ProcessInfo.processInfo.environment["OOM_ADJUST_INDEX_CASES"] ?? "") ?? 400

    /// Few letters, so that names, prefixes and suffixes collide often.
    static let letters: [String] = ["a", "b", "s", "d", "-", "0", "9", ".", "_", "é"]
    /// Pieces of globs: wildcards, brackets of every kind fnmatch knows, escapes.
    static let wildcards: [String] = [
        "*", "*", "*", "?", "[ab]", "[a-d]", "[0-9]", "[!a]", "[^s]", "[]a]", "[a-]", "[-d]", "[[:digit:]]",
        "[[:alpha:]]", "[a-d-9]", "[d-a]", "[a-9]", "[\\]]", "[é]", "\\*", "\\?", "\\[", "\\a", "[aa]", "[sd][ab]",
        "[a-z]", "[A-Z]",
    ]

    static func word(_ random: inout SplitMix64, _ range: ClosedRange<Int>) -> String {
        (0..<Int.random(in: range, using: &random)).map { _ in letters.randomElement(using: &random)! }.joined()
    }

    /// A NAME: exact, longer than a comm, or a glob with a literal prefix, a literal suffix, both or neither.
    static func name(_ random: inout SplitMix64) -> String {
        switch Int.random(in: 0..<10, using: &random) {
        case 0...3: return word(&random, 1...6)
        case 4: return word(&random, 16...20)
        default:
            var pattern = ""
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                pattern += Bool.random(using: &random) ? word(&random, 0...4) : wildcards.randomElement(using: &random)!
            }
            return Glob.isPattern(pattern) ? pattern : pattern + "*"
        }
    }

    /// A comm: often one a rule's name was made to catch (its text, with the wildcards filled in, cut or
    /// extended), sometimes anything.
    static func comm(near names: [String], _ random: inout SplitMix64) -> String {
        guard var text = names.randomElement(using: &random), Int.random(in: 0..<5, using: &random) != 0 else {
            return word(&random, 0...16)
        }
        for (wildcard, filling) in [("*", word(&random, 0...3)), ("?", word(&random, 1...1))] {
            text = text.replacingOccurrences(of: wildcard, with: filling)
        }
        text = text.filter { !"[]!^\\:".contains($0) }
        switch Int.random(in: 0..<4, using: &random) {
        case 0: return word(&random, 0...2) + text
        case 1: return text + word(&random, 0...2)
        case 2: return String(text.prefix(Int.random(in: 0...15, using: &random)))
        default: return text
        }
    }

    static func ruleSet(_ random: inout SplitMix64) -> (RuleSet, [String]) {
        var names: [String] = []
        var text = ""
        for _ in 0..<Int.random(in: 0...40, using: &random) {
            let name = name(&random)
            names.append(name)
            // A qualifier on some, so that a matching NAME need not decide and order matters.
            let qualifier = Int.random(in: 0..<3, using: &random) == 0 ? " user=\(Int.random(in: 0...1, using: &random))" : ""
            text += "\(name) score=\(Int.random(in: -1000...1000, using: &random))\(qualifier)\n"
        }
        // Malformed globs (`[[:digit:]` and the like) are errors, left out of the rules as the agent would.
        return (RuleSet(ConfigParser.parse(Array(text.utf8), path: "index.conf").rules), names)
    }

    @Test func theIndexDecidesAsThePlainScanOnRandomRulesAndComms() {
        var random = SplitMix64(seed: Self.seed)
        var compared = 0
        var matched = 0
        for _ in 0..<Self.cases {
            let (rules, names) = Self.ruleSet(&random)
            for _ in 0..<40 {
                let comm = Comm(Self.comm(near: names, &random))
                // A long name is confirmed by the executable's name: sometimes the full one of some rule.
                let executable = "/usr/bin/" + (names.randomElement(using: &random) ?? "x")
                let process = KnownProcessFacts(
                    comm: comm, executable: Array(executable.utf8), file: SampleProcess.rootExecutable,
                    uid: UInt32.random(in: 0...1, using: &random))
                var scanned = process
                // explain still evaluates every rule in reading order: the plain scan.
                let (evaluations, expected) = rules.explain(&scanned)
                let context = "seed \(Self.seed), comm `\(comm)`, rules:\n\(rules.rules.map(\.spelling).joined(separator: "\n"))"
                #expect(rules.decide(process) == expected, "\(context)")
                var facts = process
                #expect(rules.firstMatch(for: &facts) == evaluations.firstIndex(of: .matches), "\(context)")
                #expect(rules.nameMayMatch(comm) == evaluations.contains { $0 != .nameDiffers }, "\(context)")
                let candidates = Array(rules.candidates(for: comm))
                #expect(candidates == candidates.sorted() && Set(candidates).count == candidates.count, "\(context)")
                let admitting = evaluations.indices.filter { evaluations[$0] != .nameDiffers }
                #expect(Set(admitting).isSubset(of: candidates), "\(context)")
                compared += 1
                if expected != .noMatch { matched += 1 }
            }
        }
        // The generator must really exercise matches, not only misses.
        #expect(compared >= Self.cases * 40 && matched > compared / 10, "\(matched) of \(compared) matched")
    }

    @Test func tenThousandRulesLeaveOnlyTheFewThatCouldMatch() {
        var text = ""
        for number in 0..<10_000 { text += "svc\(number)d score=\(number % 1000)\n" }
        for number in 0..<500 { text += (number % 50 == 0 ? "*-w\(number)" : "job\(number)-*") + " 5\n" }
        text += "*[0-9]x 7\n"
        let rules = RuleSet(ConfigParser.parse(Array(text.utf8), path: "big.conf").rules)
        #expect(Array(rules.candidates(for: Comm("svc4711d"))) == [4711])
        #expect(Array(rules.candidates(for: Comm("job42-runner"))) == [10_042])
        #expect(Array(rules.candidates(for: Comm("x-w100"))) == [10_100])
        #expect(Array(rules.candidates(for: Comm("bash"))).isEmpty)
        #expect(!rules.nameMayMatch(Comm("bash")) && !rules.nameMayMatch(Comm("job42")))
        #expect(Array(rules.candidates(for: Comm("a1x"))) == [10_500])
    }

    @Test func aLaterExactRuleStillLosesToAnEarlierGlob() {
        let rules = RuleText.rules("ssh* 1\n*d 2\nsshd 3\n[rs]shd 4\n")
        #expect(Array(rules.candidates(for: Comm("sshd"))) == [0, 1, 2, 3])
        #expect(rules.decide(SampleProcess.daemon("sshd")) == .apply(rule: 0))
    }

    @Test(arguments: [
        // (glob, prefixes, suffixes)
        ("php-fpm*", ["php-fpm"], []), ("*-worker", [], ["-worker"]), ("a*b", ["a"], ["b"]),
        ("[Jj]ava*", ["Java", "java"], []), ("*[0-9]", [], (0...9).map { "\($0)" }), ("*", [], []),
        ("?sh*", [], []), ("[!a]bc", [], ["bc"]), ("[[:digit:]]x", [], ["x"]), ("\\*x*", ["*x"], []),
        ("[a-z][a-z]*", (UInt8(ascii: "a")...UInt8(ascii: "z")).map { String(UnicodeScalar($0)) }, []),
        ("[a-9]x", [], ["x"]), ("[a-]x", ["-x", "ax"], ["-x", "ax"]), ("abcdefghijklmnopq*", ["abcdefghijklmno"], []),
    ])
    func anchorsAreWhatEveryMatchMustBeginOrEndWith(_ pattern: String, _ prefixes: [String], _ suffixes: [String]) throws {
        let anchors = GlobAnchors(try Glob(pattern))
        #expect(anchors.prefixes.map { String(decoding: $0, as: UTF8.self) }.sorted() == prefixes.sorted())
        #expect(anchors.suffixes.map { String(decoding: $0, as: UTF8.self) }.sorted() == suffixes.sorted())
    }

    @Test func anEmptyNameMadeThroughTheAPIStillMatchesOnlyTheEmptyComm() {
        let location = OOMAdjustCore.SourceLocation(path: "api", line: 1)
        let rules = RuleSet([Rule(name: NamePattern(name: []), score: OOMScore(5)!, valueSpelling: "score=5", location: location)])
        #expect(rules.nameMayMatch(Comm("")) && !rules.nameMayMatch(Comm("a")))
        #expect(Array(rules.candidates(for: Comm(""))) == [0])
    }

    @Test func anUnanchoredGlobRunsOnlyForCommsThatHoldItsLiteralBytes() {
        let rules = RuleText.rules("?sh* 1\n*[0-9]*x* 2\n")
        #expect(rules.nameMayMatch(Comm("ssh")) && rules.nameMayMatch(Comm("ashes")) && !rules.nameMayMatch(Comm("bash")) && !rules.nameMayMatch(Comm("sh")))
        #expect(!rules.nameMayMatch(Comm("hs")) && !rules.nameMayMatch(Comm("ab")))
        #expect(rules.nameMayMatch(Comm("a1x")) && !rules.nameMayMatch(Comm("ax")) && !rules.nameMayMatch(Comm("a1")))
    }

    @Test func commPrefixesAndReversal() {
        let comm = Comm("systemd-journal")
        #expect(comm.prefix(0) == Comm("") && comm.prefix(3) == Comm("sys") && comm.prefix(8) == Comm("systemd-"))
        #expect(comm.prefix(9) == Comm("systemd-j") && comm.prefix(15) == comm && comm.prefix(40) == comm)
        #expect(comm.reversed == Comm("lanruoj-dmetsys") && comm.reversed.reversed == comm)
        #expect(Comm("ab").reversed == Comm("ba") && Comm("").reversed == Comm(""))
        #expect((0...15).allSatisfy { Comm(String(repeating: "x", count: $0)).count == $0 })
    }
}
