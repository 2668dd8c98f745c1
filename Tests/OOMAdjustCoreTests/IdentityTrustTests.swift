import OOMAdjustCore
import Testing

/// Protection goes to the host's own executable only, and only when the dynamic loader adds no code
/// nobody vouched for.
@Suite struct IdentityTrustTests {
    static let sshd = RuleText.rules("sshd -17\n")
    static let sshdByPath = RuleText.rules("sshd -17 exe=/usr/sbin/sshd user=65534\n")
    static let root = ExecutableFile(ownerUID: 0, mode: 0o100755, device: 8, inode: 1234)
    static let daemon = SampleProcess.daemon("sshd", file: root)

    static func with(_ process: KnownProcessFacts, _ change: (inout KnownProcessFacts) -> Void) -> KnownProcessFacts {
        var copy = process
        change(&copy)
        return copy
    }

    // MARK: - The host's view of the path

    @Test func theHostsOwnFileAtThePathIsTrusted() {
        let process = Self.with(Self.daemon) { $0.hostFiles = [RuleText.bytes("/usr/sbin/sshd"): Self.root] }
        #expect(Self.sshd.decide(process) == .apply(rule: 0))
    }

    @Test func aBindMountOverTheHostsPathIsRefused() {
        // `unshare -Urm` and a bind mount: the process runs its own file at /usr/sbin/sshd.
        let mine = ExecutableFile(ownerUID: 65534, mode: 0o100755, device: 9, inode: 77)
        let hidden = Self.with(Self.daemon) {
            $0.file = mine
            $0.uid = 65534
            $0.hostFiles = [RuleText.bytes("/usr/sbin/sshd"): Self.root]
        }
        let refusal = TrustRefusal.notHostExecutable(path: "/usr/sbin/sshd", hostHasFile: true)
        #expect(Self.sshdByPath.decide(hidden) == .refused(rule: 0, refusal))
        // Even a root-owned file in its place: only the same inode counts.
        let rootOwnedCopy = Self.with(Self.daemon) {
            $0.file = ExecutableFile(ownerUID: 0, mode: 0o100755, device: 8, inode: 999)
            $0.hostFiles = [RuleText.bytes("/usr/sbin/sshd"): Self.root]
        }
        #expect(Self.sshd.decide(rootOwnedCopy) == .refused(rule: 0, refusal))
        #expect(refusal.description.contains("bind mount"))
    }

    @Test func aContainersOwnSshdIsNotTheHosts() {
        // Root in a container: a root-owned sshd in the container's root, where the host has none.
        let inContainer = Self.with(Self.daemon) { $0.hostFiles = [:] }
        #expect(Self.sshd.decide(inContainer) == .refused(rule: 0, .notHostExecutable(path: "/usr/sbin/sshd", hostHasFile: false)))
    }

    @Test func aPositiveExeRuleStillMatchesByPathAlone() {
        // Making the path lead elsewhere can only dodge a rule the process could dodge by any other path.
        let rules = RuleText.rules("sshd 5 exe=/usr/sbin/sshd\n")
        #expect(rules.decide(Self.with(Self.daemon) { $0.hostFiles = [:] }) == .apply(rule: 0))
    }

    // MARK: - The dynamic loader

    static func loader(_ environ: String) -> LoaderEnvironment { LoaderEnvironment(environ: Array(environ.utf8)) }

    @Test func theLoadersVariablesArePickedOutOfTheEnvironment() {
        let environment = Self.loader("HOME=/\0LD_PRELOAD=/tmp/hog.so\0LD_PRELOAD=/ignored.so\0LD_AUDIT=\0LD_LIBRARY_PATH=/opt/lib\0X=LD_AUDIT=a\0")
        #expect(environment.preload == RuleText.bytes("/tmp/hog.so"))
        // An empty LD_AUDIT asks for nothing, and a value that merely contains the name is another variable.
        #expect(environment.audit == nil)
        #expect(environment.libraryPath == RuleText.bytes("/opt/lib"))
        #expect(Self.loader("PATH=/usr/bin\0") == LoaderEnvironment())
        #expect(Self.loader("") == LoaderEnvironment())
        // A last entry without its NUL still counts.
        #expect(Self.loader("LD_AUDIT=/a.so").audit == RuleText.bytes("/a.so"))
    }

    @Test(arguments: [
        ("LD_PRELOAD=/tmp/hog.so\0", "LD_PRELOAD"),
        ("LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2\0", "LD_PRELOAD"),
        ("LD_AUDIT=/tmp/audit.so\0", "LD_AUDIT"),
        ("LD_LIBRARY_PATH=/home/u/lib\0", "LD_LIBRARY_PATH"),
        ("LD_LIBRARY_PATH=/usr/lib:\0", "LD_LIBRARY_PATH"),
        ("LD_LIBRARY_PATH=\0", "LD_LIBRARY_PATH"),
        ("LD_LIBRARY_PATH=lib\0", "LD_LIBRARY_PATH"),
        ("LD_LIBRARY_PATH=$ORIGIN/../lib\0", "LD_LIBRARY_PATH"),
        ("LD_LIBRARY_PATH=/usr/lib;/tmp/open\0", "LD_LIBRARY_PATH"),
        ("LD_LIBRARY_PATH=/missing\0", "LD_LIBRARY_PATH"),
        ("LD_LIBRARY_PATH=/usr/lib/sshd.conf\0", "LD_LIBRARY_PATH"),
    ])
    func codeTheLoaderWouldAddRefusesProtection(_ environ: String, _ variable: String) {
        let process = Self.with(Self.daemon) {
            $0.loader = Self.loader(environ)
            $0.processFiles = [
                RuleText.bytes("/usr/lib"): ExecutableFile(ownerUID: 0, mode: 0o040755),
                RuleText.bytes("/home/u/lib"): ExecutableFile(ownerUID: 1000, mode: 0o040755),
                RuleText.bytes("/tmp/open"): ExecutableFile(ownerUID: 0, mode: 0o041777),
                RuleText.bytes("/usr/lib/sshd.conf"): ExecutableFile(ownerUID: 0, mode: 0o100644),
            ]
        }
        guard case .refused(0, .loaderRequest(let request)) = Self.sshd.decide(process) else {
            Issue.record("not refused for the loader: \(Self.sshd.decide(process))")
            return
        }
        #expect(request.variable == variable)
        #expect(request.description.contains(variable))
        // exe= and user= vouch for the file and the account, not for code the loader adds.
        #expect(Self.sshdByPath.decide(Self.with(process) { $0.uid = 65534 }).refusal?.reason.code == "loader-injection")
        // trust=name still overrides.
        #expect(RuleText.rules("sshd -17 trust=name\n").decide(process) == .apply(rule: 0))
    }

    @Test func rootOwnedClosedLibraryDirectoriesAreFine() {
        let process = Self.with(Self.daemon) {
            $0.loader = Self.loader("LD_LIBRARY_PATH=/usr/lib:/opt/vendor/lib;/usr/lib\0")
            $0.processFiles = [
                RuleText.bytes("/usr/lib"): ExecutableFile(ownerUID: 0, mode: 0o040755),
                RuleText.bytes("/opt/vendor/lib"): ExecutableFile(ownerUID: 0, mode: 0o040750),
            ]
        }
        #expect(Self.sshd.decide(process) == .apply(rule: 0))
    }

    @Test func anUnreadableEnvironmentRefusesProtection() {
        #expect(Self.sshd.decide(Self.with(Self.daemon) { $0.loader = nil }) == .refused(rule: 0, .environmentUnreadable))
    }

    @Test func aPositiveValueNeverReadsTheEnvironment() {
        var process = RecordingFacts(Self.with(Self.daemon) { $0.loader = Self.loader("LD_PRELOAD=/tmp/x.so\0") })
        #expect(RuleText.rules("sshd 5\n").verdict(for: &process) == .apply(rule: 0))
        #expect(process.asked.isEmpty)
    }
}
