import Foundation
import Testing

/// scripts/install.sh into a throwaway DESTDIR, and the .deb from scripts/package-deb.sh (its
/// installation on this machine: DebInstallTests.swift).
///
/// install.sh builds a release binary in .build-release, package-deb.sh one in .build-deb (each a few
/// minutes the first time; scripts/test.sh builds both before the tests start, so here they are
/// up-to-date checks). OOM_ADJUST_SKIP_PACKAGING_TESTS=1 skips them for a quick local run.
@Suite(
    .serialized,
    .enabled(
        if: ProcessInfo.processInfo.environment["OOM_ADJUST_SKIP_PACKAGING_TESTS"] != "1" || ServiceSupport.requireAll,
        "OOM_ADJUST_SKIP_PACKAGING_TESTS=1"))
struct PackagingTests {
    static let scripts = Harness.packageRoot.appendingPathComponent("scripts")

    /// Runs a script of scripts/ with a PATH that finds swift, and returns its status and output.
    static func script(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        var merged = Harness.cleanEnvironment
        merged.merge(environment) { $1 }
        return try Harness.run(scripts.appendingPathComponent(name).path, arguments, environment: merged)
    }

    static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    static let installedFiles = [
        "usr/local/sbin/oom-adjust",
        "usr/local/lib/systemd/system/oom-adjust.service",
        "usr/local/share/bash-completion/completions/oom-adjust",
        "usr/local/share/zsh/site-functions/_oom-adjust",
        "usr/local/share/fish/vendor_completions.d/oom-adjust.fish",
        "usr/local/share/man/man8/oom-adjust.8",
        "usr/local/share/man/man5/oom_adjust.conf.5",
        "usr/local/share/doc/oom-adjust/oom_adjust.conf.sample",
        "usr/local/share/oom-adjust/installed-files",
    ]

    @Test func installKeepsAnExistingConfigReportsTheOldCronJobAndUninstallKeepsTheConfig() throws {
        let scenario = try Scenario()
        defer { scenario.cleanUp() }
        let root = scenario.directory.appendingPathComponent("root").path
        let mine = "# the administrator's own rules\nmysqld score=-800\n"
        try FileManager.default.createDirectory(atPath: root + "/etc/cron.d", withIntermediateDirectories: true)
        try mine.write(toFile: root + "/etc/oom_adjust.conf", atomically: true, encoding: .utf8)
        try "*/5 * * * * root /usr/sbin/oom_adjust.sh >/dev/null\n".write(
            toFile: root + "/etc/cron.d/oom", atomically: true, encoding: .utf8)
        try "#!/bin/sh\n# /usr/sbin/oom_adjust.sh was here\nexit 0\n".write(
            toFile: root + "/etc/rc.local", atomically: true, encoding: .utf8)

        let install = try Self.script("install.sh", ["--destdir", root])
        #expect(install.status == 0, "\(install.stdout)\n\(install.stderr)")
        for file in Self.installedFiles {
            #expect(FileManager.default.fileExists(atPath: "\(root)/\(file)"), "\(file) missing")
        }
        #expect(Self.read(root + "/etc/oom_adjust.conf") == mine, "an existing config was changed")
        #expect(install.stdout.contains("kept the existing /etc/oom_adjust.conf"))
        #expect(install.stdout.contains("DESTDIR is set: systemd left alone"))
        // The live cron line is reported; the commented mention in rc.local is not.
        #expect(install.stdout.contains("/etc/cron.d/oom:1:*/5 * * * * root /usr/sbin/oom_adjust.sh"), "\(install.stdout)")
        #expect(!install.stdout.contains("/etc/rc.local"), "\(install.stdout)")

        // The installed unit runs the installed binary, and systemd accepts it.
        let unit = try #require(Self.read(root + "/usr/local/lib/systemd/system/oom-adjust.service"))
        #expect(unit.contains("ExecStart=/usr/local/sbin/oom-adjust run "))
        if let analyze = ServiceSupport.systemdAnalyze {
            let staged = scenario.directory.appendingPathComponent("oom-adjust.service").path
            try unit.replacingOccurrences(of: "/usr/local/sbin/oom-adjust", with: root + "/usr/local/sbin/oom-adjust")
                .write(toFile: staged, atomically: true, encoding: .utf8)
            let verify = try Harness.run(analyze, ["verify", "--man=no", staged])
            #expect(verify.status == 0 && verify.stderr.isEmpty, "\(verify.stderr)")
        }
        // The installed binary runs, is self-contained, and its completions and man page are real.
        let binary = root + "/usr/local/sbin/oom-adjust"
        let version = try Harness.run(binary, ["check", "--config", root + "/usr/local/share/doc/oom-adjust/oom_adjust.conf.sample"])
        #expect(version.status == 0, "\(version.stderr)")
        let ldd = try Harness.run("/usr/bin/ldd", [binary])
        #expect(!ldd.stdout.contains("libswift"), "\(ldd.stdout)")
        #expect(Self.read(root + "/usr/local/share/bash-completion/completions/oom-adjust")?.contains("--metrics-file") == true)
        let manual = try #require(Self.read(root + "/usr/local/share/man/man8/oom-adjust.8"))
        #expect(manual.contains(".Dt OOM-ADJUST 8") && manual.contains("metrics-file") && manual.contains(".Sh SIGNALS"))

        let uninstall = try Self.script("install.sh", ["--destdir", root, "--uninstall"])
        #expect(uninstall.status == 0, "\(uninstall.stdout)\n\(uninstall.stderr)")
        #expect(Self.read(root + "/etc/oom_adjust.conf") == mine)
        #expect(uninstall.stdout.contains("kept /etc/oom_adjust.conf"))
        // Everything install added is gone, directories it created included.
        #expect(!FileManager.default.fileExists(atPath: root + "/usr"), "left: \(Self.listing(root + "/usr"))")
    }

    @Test func aFreshInstallPutsTheSampleConfigInPlace() throws {
        let scenario = try Scenario()
        defer { scenario.cleanUp() }
        let root = scenario.directory.appendingPathComponent("root").path
        let install = try Self.script("install.sh", ["--destdir", root, "--prefix", "/usr"])
        #expect(install.status == 0, "\(install.stdout)\n\(install.stderr)")
        let sample = Harness.packageRoot.appendingPathComponent("etc/oom_adjust.conf").path
        #expect(Self.read(root + "/etc/oom_adjust.conf") == Self.read(sample))
        #expect(Self.read(root + "/usr/lib/systemd/system/oom-adjust.service")?.contains("ExecStart=/usr/sbin/oom-adjust run ") == true)
        #expect(!install.stdout.contains("oom_adjust.sh set-up"))
        let uninstall = try Self.script("install.sh", ["--destdir", root, "--prefix", "/usr", "--uninstall"])
        #expect(uninstall.status == 0)
        #expect(FileManager.default.fileExists(atPath: root + "/etc/oom_adjust.conf"))
        #expect(!FileManager.default.fileExists(atPath: root + "/usr/sbin/oom-adjust"))
    }

    @Test func theDebHasTheConfigAsAConffileTheUnitAndOnlyCLibraryDependencies() throws {
        let dpkgDeb = try #require(ServiceSupport.tool("dpkg-deb"), "dpkg-deb is not installed")
        let build = try Self.script("package-deb.sh", [], environment: ["VERSION": "9.9.9~test"])
        #expect(build.status == 0, "\(build.stdout)\n\(build.stderr)")
        let deb = Harness.packageRoot.appendingPathComponent("out/oom-adjust_9.9.9~test_\(try Self.architecture()).deb").path
        #expect(build.stdout.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(deb.replacingOccurrences(of: Harness.packageRoot.path + "/", with: "")))
        defer { try? FileManager.default.removeItem(atPath: deb) }

        let info = try Harness.run(dpkgDeb, ["-I", deb])
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.contains("Package: oom-adjust"))
        #expect(info.stdout.contains("Version: 9.9.9~test"))
        let depends = try #require(info.stdout.split(separator: "\n").first { $0.contains("Depends:") })
        #expect(depends.contains("libmnl0") && depends.contains("libc6"), "\(depends)")
        #expect(!depends.contains("swift"), "\(depends)")
        for script in ["postinst", "prerm", "postrm", "conffiles"] { #expect(info.stdout.contains(" \(script)"), "\(script)") }

        let contents = try Harness.run(dpkgDeb, ["-c", deb]).stdout
        for file in [
            "./usr/sbin/oom-adjust", "./lib/systemd/system/oom-adjust.service", "./etc/oom_adjust.conf",
            "./usr/share/man/man8/oom-adjust.8.gz", "./usr/share/man/man5/oom_adjust.conf.5.gz",
            "./usr/share/bash-completion/completions/oom-adjust", "./usr/share/zsh/vendor-completions/_oom-adjust",
            "./usr/share/fish/vendor_completions.d/oom-adjust.fish",
            "./usr/share/doc/oom-adjust/copyright", "./usr/share/doc/oom-adjust/changelog.gz",
        ] {
            #expect(contents.contains(" \(file)\n"), "\(file) missing from the package")
        }
        #expect(contents.contains("root/root"))

        let scenario = try Scenario()
        defer { scenario.cleanUp() }
        let control = scenario.directory.appendingPathComponent("control").path
        let extracted = scenario.directory.appendingPathComponent("data").path
        #expect(try Harness.run(dpkgDeb, ["-e", deb, control]).status == 0)
        #expect(try Harness.run(dpkgDeb, ["-x", deb, extracted]).status == 0)
        #expect(Self.read(control + "/conffiles") == "/etc/oom_adjust.conf\n")
        // The licence, machine-readably; the changelog's newest entry is this version.
        let copyright = try #require(Self.read(extracted + "/usr/share/doc/oom-adjust/copyright"))
        #expect(copyright.hasPrefix("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"))
        #expect(copyright.contains("\nFiles: *\n") && copyright.contains("\nLicense: Apache-2.0\n"))
        let changelog = try Harness.run("/bin/sh", ["-c", "gzip -dc \"$0\" | head -n 1", extracted + "/usr/share/doc/oom-adjust/changelog.gz"])
        #expect(changelog.stdout.hasPrefix("oom-adjust (9.9.9~test) "), "\(changelog.stdout)")
        let said = try Harness.run(extracted + "/usr/sbin/oom-adjust", ["--version"])
        #expect(said.stdout == "9.9.9~test\n", "the binary must say the package's version: \(said.stdout)")
        let unit = try #require(Self.read(extracted + "/lib/systemd/system/oom-adjust.service"))
        #expect(unit.contains("ExecStart=/usr/sbin/oom-adjust run "))
        let ldd = try Harness.run("/usr/bin/ldd", [extracted + "/usr/sbin/oom-adjust"])
        #expect(ldd.stdout.contains("libmnl.so.0") && !ldd.stdout.contains("libswift"), "\(ldd.stdout)")

        // The maintainer scripts, with deb-systemd-helper and systemctl replaced by recorders: a first
        // install enables the unit; a removal stops nothing here (no running systemd) but cleans up.
        try Self.checkMaintainerScripts(control: control, in: scenario)
    }

    static func checkMaintainerScripts(control: String, in scenario: Scenario) throws {
        let bin = scenario.directory.appendingPathComponent("bin").path
        let record = scenario.directory.appendingPathComponent("calls").path
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        for tool in ["deb-systemd-helper", "deb-systemd-invoke", "systemctl"] {
            let stub = "\(bin)/\(tool)"
            try "#!/bin/sh\necho \"\(tool) $*\" >>\(record)\nexit 0\n".write(toFile: stub, atomically: true, encoding: .utf8)
            chmod(stub, 0o755)
        }
        var environment = Harness.cleanEnvironment
        environment["PATH"] = "\(bin):/usr/bin:/bin"
        for script in ["postinst", "prerm", "postrm"] {
            #expect(try Harness.run("/bin/sh", ["-n", "\(control)/\(script)"]).status == 0, "\(script) syntax")
        }
        #expect(try Harness.run("\(control)/postinst", ["configure", ""], environment: environment).status == 0)
        let calls = read(record) ?? ""
        #expect(calls.contains("deb-systemd-helper unmask oom-adjust.service"), "\(calls)")
        #expect(calls.contains("deb-systemd-helper --quiet was-enabled oom-adjust.service"), "\(calls)")
        #expect(calls.contains("deb-systemd-helper enable oom-adjust.service"), "\(calls)")
        let systemdRunning = FileManager.default.fileExists(atPath: "/run/systemd/system")
        #expect(calls.contains("systemctl") == systemdRunning, "systemctl is for a running systemd only: \(calls)")
        #expect(try Harness.run("\(control)/prerm", ["remove"], environment: environment).status == 0)
        #expect(try Harness.run("\(control)/postrm", ["purge"], environment: environment).status == 0)
        #expect((read(record) ?? "").contains("deb-systemd-helper purge oom-adjust.service"))
    }

    static func architecture() throws -> String {
        try Harness.run("/usr/bin/dpkg", ["--print-architecture"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func listing(_ path: String) -> [String] {
        (FileManager.default.enumerator(atPath: path)?.allObjects as? [String]) ?? []
    }
}
