import OOMAdjustCore
import Testing

/// `check`'s warning about rules that apply to nothing here, and the successor table behind its advice.
@Suite struct RuleReachTests {
    static func inventory(_ executables: [String], processes: [String] = []) -> SystemInventory {
        SystemInventory(executables: executables.map { Array($0.utf8) }, processComms: Set(processes.map { Comm($0) }))
    }

    static func warnings(_ text: String, _ inventory: SystemInventory) -> [String] {
        RuleReach.warnings(RuleText.parse(text, path: "r.conf").rules, inventory: inventory).map(\.description)
    }

    static let debian12 = inventory(
        ["sshd", "named", "mariadbd", "mysqld", "apache2", "memcached", "snmpd", "chronyd", "fail2ban-server", "saslauthd",
         "pure-ftpd", "qmgr", "pickup", "smtpd", "systemd-resolved"],
        processes: ["systemd", "sshd"])

    @Test func aRuleForAnInstalledProgramOrARunningProcessIsSilent() {
        #expect(Self.warnings("sshd -17\nnamed -8\nsystemd 0\nsystemd-resolved 5\nfail2ban-server 10\n", Self.debian12).isEmpty)
        // A process counts even with no program in the system directories (a script, /opt).
        #expect(Self.warnings("java 5\n", Self.inventory([], processes: ["java"])).isEmpty)
    }

    @Test func aRenamedDaemonsOldNameIsWarnedAboutWithItsSuccessor() {
        let warnings = Self.warnings("ntpd 10\nsearchd 3\n", Self.debian12)
        #expect(warnings.count == 2)
        #expect(
            warnings.first
                == "r.conf:1: warning: `ntpd` matches no program in /usr/sbin, /usr/bin, /sbin, /bin, /usr/local/sbin, /usr/local/bin, /usr/libexec and /usr/lib/*/ and no running process: the rule applies to nothing here; Debian's default time daemon is chrony's chronyd; ntpsec's daemon is still called ntpd (installed here: chronyd)")
        #expect(warnings.last?.hasPrefix("r.conf:2: warning: `searchd` matches no program") == true)
        #expect(warnings.last?.hasSuffix("the rule applies to nothing here") == true)
    }

    @Test func mysqldIsFoundThroughItsCompatibilityLinkButNotWithoutIt() {
        #expect(Self.warnings("mysqld -1\n", Self.debian12).isEmpty)
        let bare = Self.warnings("mysqld -1\n", Self.inventory(["mariadbd"]))
        #expect(bare.count == 1)
        #expect(bare.first?.contains("MariaDB's server is mariadbd") == true)
        #expect(bare.first?.hasSuffix("(installed here: mariadbd)") == true)
    }

    @Test func aSessionProgramBesideAProtectedListenerNeedsARuleOfItsOwn() {
        let debian13 = Self.inventory(["sshd", "sshd-session", "sshd-auth"])
        let warnings = Self.warnings("sshd -17\n", debian13)
        #expect(warnings.count == 2)
        #expect(warnings.first?.hasPrefix("r.conf:1: warning: `sshd` has a rule but `sshd-session` is installed and has none: OpenSSH 9.8") == true)
        #expect(warnings.last?.contains("`sshd-auth` is installed and has none") == true)
        #expect(Self.warnings("sshd -17\nsshd-session -17\nsshd-auth -17\n", debian13).isEmpty)
        #expect(Self.warnings("sshd -17\nsshd-* -17\n", debian13).isEmpty)
        // Not installed (OpenSSH before 9.8), or a rule that protects nothing anyway: no advice.
        #expect(Self.warnings("sshd -17\n", Self.inventory(["sshd"])).isEmpty)
        #expect(Self.warnings("sshd 5\n", debian13).isEmpty)
    }

    @Test func globsAreJudgedByTheirLiteralStart() {
        #expect(Self.warnings("pure-ftpd* 10\n", Self.debian12).isEmpty)
        #expect(Self.warnings("php-fpm* 5\n", Self.debian12).count == 1)
        #expect(Self.warnings("php-fpm* 5\n", Self.inventory(["php-fpm8.2"])).isEmpty)
        #expect(Self.warnings("sys* 5\n", Self.inventory([], processes: ["systemd"])).isEmpty)
        // Among other comms, on either side of it in byte order; and a literal start longer than a comm
        // is judged by the 15 bytes the kernel keeps.
        #expect(Self.warnings("sys* 5\n", Self.inventory([], processes: ["apt", "sy", "systemd", "zsh"])).isEmpty)
        #expect(Self.warnings("sysz* 5\n", Self.inventory([], processes: ["apt", "sy", "systemd", "zsh"])).count == 1)
        #expect(Self.warnings("abcdefghijklmnopq* 5\n", Self.inventory([], processes: ["abcdefghijklmno"])).isEmpty)
        // One that starts with a wildcard may match anything.
        #expect(Self.warnings("* 5\n*-worker 3\n[a-z]x 1\n", Self.inventory([])).isEmpty)
    }

    @Test func longNamesAreFoundByTheirWholeName() {
        #expect(Self.warnings("systemd-resolved 5\n", Self.inventory(["systemd-resolved"])).isEmpty)
        #expect(Self.warnings("systemd-resolved 5\n", Self.inventory(["systemd-resolvex"])).count == 1)
        #expect(Self.warnings("systemd-resolved 5\n", Self.inventory([], processes: ["systemd-resolved"])).isEmpty)
    }

    @Test func aNameIsWarnedAboutOnceHoweverManyRulesItHas() {
        #expect(Self.warnings("searchd 3 user=root\nsearchd 5\n", Self.inventory([])).count == 1)
    }

    @Test func theSuccessorTableIsData() {
        #expect(Successors.table.map(\.name) == ["mysqld", "ntpd", "sshd"])
        #expect(Set(Successors.table.map(\.name)).count == Successors.table.count)
        for entry in Successors.table {
            #expect(!entry.successors.isEmpty && !entry.note.isEmpty, "\(entry.name)")
            for successor in entry.successors { #expect(successor.utf8.count <= Comm.maximumLength, "\(successor)") }
        }
        #expect(Successors.entry(for: "sshd")?.alongside == true)
        #expect(Successors.entry(for: "searchd") == nil)
    }
}
