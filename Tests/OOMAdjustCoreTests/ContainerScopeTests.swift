import OOMAdjustCore
import Testing

/// The kubelet/agent split: a process in another PID namespace than the host's (a container's) is left
/// to its container runtime, unless the rule names its cgroup.
@Suite struct ContainerScopeTests {
    static func inContainer(_ process: KnownProcessFacts) -> KnownProcessFacts {
        var copy = process
        copy.hostPIDNamespace = false
        return copy
    }

    static let pod = "/kubepods.slice/kubepods-besteffort.slice/cri-containerd-0123.scope"

    @Test func aRuleWithoutCgroupLeavesAContainersProcessAlone() {
        let rules = RuleText.rules("sshd score=300\n")
        let host = SampleProcess.daemon("sshd", cgroup: "/system.slice/ssh.service")
        #expect(rules.evaluations(host) == [.matches])
        #expect(rules.decide(host) == .apply(rule: 0))
        let container = Self.inContainer(SampleProcess.daemon("sshd", cgroup: Self.pod))
        #expect(rules.evaluations(container) == [.otherPIDNamespace])
        #expect(rules.decide(container) == .noMatch)
    }

    @Test func anUnreadableNamespaceCountsAsAContainersToo() {
        var unknown = SampleProcess.daemon("sshd")
        unknown.hostPIDNamespace = nil
        #expect(RuleText.rules("sshd score=300\n").evaluations(unknown) == [.otherPIDNamespace])
    }

    @Test func aRuleThatNamesTheCgroupReachesIntoTheContainer() {
        let rules = RuleText.rules("sshd score=300 cgroup=/kubepods.slice/**\n")
        let container = Self.inContainer(SampleProcess.daemon("sshd", cgroup: Self.pod))
        #expect(rules.evaluations(container) == [.matches])
        #expect(rules.decide(container) == .apply(rule: 0))
        // The cgroup must still match: naming some cgroup is no wildcard.
        let elsewhere = Self.inContainer(SampleProcess.daemon("sshd", cgroup: "/machine.slice/libpod-42.scope"))
        #expect(rules.evaluations(elsewhere) == [.qualifierFails(0)])
    }

    @Test func aSkippedRuleLetsALaterCgroupRuleDecide() {
        let rules = RuleText.rules("""
            *      score=800
            java   score=500 cgroup=/kubepods.slice/**
            java   score=100

            """)
        let container = Self.inContainer(SampleProcess.daemon("java", cgroup: Self.pod))
        #expect(rules.evaluations(container) == [.otherPIDNamespace, .matches, .otherPIDNamespace])
        #expect(rules.decide(container) == .apply(rule: 1))
        let host = SampleProcess.daemon("java", cgroup: "/system.slice/billing.service")
        #expect(rules.decide(host) == .apply(rule: 0))
        var facts = container
        #expect(rules.firstMatch(for: &facts) == 1)
    }

    /// A protective rule that reaches into a container is still subject to the trust policy.
    @Test func theTrustPolicyStillJudgesAContainersProcess() {
        let rules = RuleText.rules("sshd -17 cgroup=/kubepods.slice/**\n")
        var impostor = Self.inContainer(SampleProcess.daemon("sshd", uid: 1001, cgroup: Self.pod))
        impostor.file = ExecutableFile(ownerUID: 1001, mode: 0o100755)
        #expect(rules.decide(impostor) == .refused(rule: 0, .executableNotOwnedByRoot(uid: 1001)))
    }

    /// The namespace costs a stat or two, so it is read last: only for a process whose name and
    /// qualifiers all matched a rule without cgroup=.
    @Test func theNamespaceIsReadOnlyOnceEverythingElseMatched() {
        let rules = RuleText.rules("""
            bash   score=1
            sshd   score=2 user=0
            sshd   score=3 cgroup=/kubepods.slice/**
            sshd   score=4
            sshd   score=5 cmdline=*

            """)
        var other = NamespaceCountingFacts(SampleProcess.daemon("named"))
        #expect(rules.verdict(for: &other) == .noMatch)
        #expect(other.reads == 0)
        var wrongUser = NamespaceCountingFacts(Self.inContainer(SampleProcess.daemon("sshd", uid: 113, cgroup: "/x")))
        #expect(rules.verdict(for: &wrongUser) == .noMatch)
        // Rule 1's user fails first; rule 2 names a cgroup (and fails on it); 3 and 4 ask.
        #expect(wrongUser.reads == 2)
        var host = NamespaceCountingFacts(SampleProcess.daemon("sshd", uid: 0))
        #expect(rules.verdict(for: &host) == .apply(rule: 1))
        #expect(host.reads == 1)
    }

    @Test func onlyCgroupMakesARuleReachContainers() {
        let rules = RuleText.rules("""
            a 1
            b 1 exe=/usr/bin/b user=0 cmdline=* parent=init
            c 1 cgroup=/kubepods.slice/**
            d 1 user=0 cgroup=/**

            """)
        #expect(rules.rules.map(\.reachesContainers) == [false, false, true, true])
    }
}

/// Known facts that count how often the matcher asked for the PID namespace.
struct NamespaceCountingFacts: ProcessFacts {
    var known: KnownProcessFacts
    var reads = 0

    init(_ known: KnownProcessFacts) { self.known = known }

    var comm: Comm { known.comm }
    func executablePath() -> [UInt8]? { known.executablePath() }
    func executableFile() -> ExecutableFile? { known.executableFile() }
    func hostFile(at path: [UInt8]) -> FileLookup { known.hostFile(at: path) }
    func hostSymlink(at path: [UInt8]) -> HostSymlink? { known.hostSymlink(at: path) }
    func hostSubdirectories(of path: [UInt8]) -> [[UInt8]] { known.hostSubdirectories(of: path) }
    func fileInProcessView(at path: [UInt8]) -> FileLookup { known.fileInProcessView(at: path) }
    func loaderEnvironment() -> LoaderEnvironment? { known.loaderEnvironment() }
    func rawCommandLine() -> [UInt8]? { known.rawCommandLine() }
    func realUID() -> UInt32? { known.realUID() }
    func cgroupPath() -> [UInt8]? { known.cgroupPath() }
    func parentComm() -> Comm? { known.parentComm() }

    mutating func inHostPIDNamespace() -> Bool? {
        reads += 1
        return known.inHostPIDNamespace()
    }
}
