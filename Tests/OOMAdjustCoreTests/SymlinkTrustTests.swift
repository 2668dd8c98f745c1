import OOMAdjustCore
import Testing

/// A name reached through a distribution's compatibility link (`/usr/sbin/mysqld -> mariadbd`) agrees
/// with the program it leads to, and no other link does.
@Suite struct SymlinkTrustTests {
    static let mariadbd = ExecutableFile(ownerUID: 0, mode: 0o100755, device: 8, inode: 501)
    static let rules = RuleText.rules("mysqld -1\n")
    /// MariaDB started as `mysqld`: the comm is the link's name, the executable mariadbd.
    static let process = KnownProcessFacts(
        comm: Comm("mysqld"), executable: RuleText.bytes("/usr/sbin/mariadbd"), file: mariadbd, arguments: ["mysqld"], uid: 105)

    static func with(links: [String: HostSymlink], directories: [String: [String]] = [:]) -> KnownProcessFacts {
        var facts = process
        facts.hostSymlinks = Dictionary(uniqueKeysWithValues: links.map { (RuleText.bytes($0), $1) })
        facts.hostDirectories = Dictionary(uniqueKeysWithValues: directories.map { (RuleText.bytes($0), $1.map(RuleText.bytes)) })
        return facts
    }

    static let disagrees = TrustRefusal.nameDisagrees(comm: Comm("mysqld"), executable: "mariadbd")

    @Test func aRootOwnedSystemLinkToTheRunningFileVouchesForItsName() {
        let facts = Self.with(links: ["/usr/sbin/mysqld": HostSymlink(ownerUID: 0, target: Self.mariadbd)])
        #expect(Self.rules.decide(facts) == .apply(rule: 0))
        var copy = facts
        #expect(Self.rules.policy.vouchingSymlink(&copy) == RuleText.bytes("/usr/sbin/mysqld"))
    }

    @Test func aLinkInADirectoryBelowUsrLibCountsToo() {
        let facts = Self.with(
            links: ["/usr/lib/mysql/mysqld": HostSymlink(ownerUID: 0, target: Self.mariadbd)],
            directories: ["/usr/lib": ["mysql", "openssh"]])
        #expect(Self.rules.decide(facts) == .apply(rule: 0))
    }

    @Test func withoutALinkTheNameStillDisagrees() {
        #expect(Self.rules.decide(Self.process) == .refused(rule: 0, Self.disagrees))
    }

    @Test func aUserOwnedLinkDoesNotVouch() {
        let facts = Self.with(links: ["/usr/local/bin/mysqld": HostSymlink(ownerUID: 1000, target: Self.mariadbd)])
        #expect(Self.rules.decide(facts) == .refused(rule: 0, Self.disagrees))
    }

    @Test func aLinkOutsideTheSystemDirectoriesDoesNotVouch() {
        let facts = Self.with(
            links: ["/tmp/mysqld": HostSymlink(ownerUID: 0, target: Self.mariadbd),
                    "/usr/lib/mysql/deeper/mysqld": HostSymlink(ownerUID: 0, target: Self.mariadbd)],
            directories: ["/usr/lib": ["mysql"]])
        #expect(Self.rules.decide(facts) == .refused(rule: 0, Self.disagrees))
    }

    @Test func aLinkToAnotherFileDoesNotVouch() {
        let other = ExecutableFile(ownerUID: 0, mode: 0o100755, device: 8, inode: 502)
        let facts = Self.with(links: ["/usr/sbin/mysqld": HostSymlink(ownerUID: 0, target: other)])
        #expect(Self.rules.decide(facts) == .refused(rule: 0, Self.disagrees))
        // Same inode number on another device is another file.
        let elsewhere = ExecutableFile(ownerUID: 0, mode: 0o100755, device: 9, inode: 501)
        #expect(Self.rules.decide(Self.with(links: ["/usr/sbin/mysqld": HostSymlink(ownerUID: 0, target: elsewhere)])) == .refused(rule: 0, Self.disagrees))
    }

    @Test func theOtherChecksStillHold() {
        var facts = Self.with(links: ["/usr/sbin/mysqld": HostSymlink(ownerUID: 0, target: Self.mariadbd)])
        facts.uid = 1000
        #expect(Self.rules.decide(facts) == .refused(rule: 0, .notSystemAccount(uid: 1000, limit: 1000)))
    }
}
