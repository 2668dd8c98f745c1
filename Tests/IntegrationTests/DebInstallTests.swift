import Foundation
import Testing

/// The .deb as an administrator meets it: lintian finds no error or warning, `dpkg -i` installs it on
/// this machine, the files and the conffile are where they belong, a `remove` keeps the edited
/// conffile, and a `purge` takes everything away again.
///
/// It installs into the real system, so it refuses to start when anything it would install or remove
/// is there already: an /etc/oom_adjust.conf, an oom-adjust package (installed, or removed with its
/// conffiles left), a file the package ships, the unit's enablement. It never clobbers what it did not
/// create, and records why it did not run. Part of PackagingTests (serialized: one package build at a
/// time in .build-deb).
extension PackagingTests {
    static let config = "/etc/oom_adjust.conf"
    static let enablement = "/etc/systemd/system/multi-user.target.wants/oom-adjust.service"

    /// dpkg's state for the package: "install ok installed", "deinstall ok config-files", or nil when
    /// dpkg does not know it.
    static func packageStatus() throws -> String? {
        let query = try Harness.run("/usr/bin/dpkg-query", ["-W", "-f=${Status}", "oom-adjust"])
        let status = query.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return query.status == 0 && !status.isEmpty && !status.hasSuffix("not-installed") ? status : nil
    }

    /// Why the machine is not ours to install on, or nil.
    static func occupied(by contents: [String]) throws -> String? {
        if let status = try packageStatus() {
            return "an oom-adjust package is already known to dpkg (\(status)); purging it would remove someone's files"
        }
        for path in [config, enablement] + contents where FileManager.default.fileExists(atPath: path) {
            return "\(path) exists already; installing would overwrite it and purging would remove it"
        }
        return nil
    }

    /// dpkg, retried while another dpkg or apt on this shared machine holds its lock.
    static func dpkg(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        var environment = Harness.cleanEnvironment
        environment["DEBIAN_FRONTEND"] = "noninteractive"
        var result = try Harness.run("/usr/bin/dpkg", arguments, environment: environment)
        for _ in 0..<60 where result.status != 0 && result.stderr.contains("lock") {
            sleep(2)
            result = try Harness.run("/usr/bin/dpkg", arguments, environment: environment)
        }
        return result
    }

    @Test(.privileged) func theDebIsLintianCleanInstallsKeepsTheEditedConffileOnRemoveAndPurgesClean() throws {
        let lintian = try #require(ServiceSupport.tool("lintian"), "lintian is not installed (scripts/ensure-test-deps.sh installs it)")
        let dpkgDeb = try #require(ServiceSupport.tool("dpkg-deb"), "dpkg-deb is not installed")
        let version = "9.9.8~install"
        let build = try Self.script("package-deb.sh", [], environment: ["VERSION": version])
        #expect(build.status == 0, "\(build.stdout)\n\(build.stderr)")
        let relative = try #require(build.stdout.split(separator: "\n").last.map(String.init))
        let deb = Harness.packageRoot.appendingPathComponent(relative).path
        #expect(relative == "out/oom-adjust_\(version)_\(try Self.architecture()).deb")
        defer { try? FileManager.default.removeItem(atPath: deb) }

        // Every error and warning fails; the informational tags (the Swift runtime's own strings) do not.
        let lint = try Harness.run(lintian, ["--fail-on", "error,warning", deb])
        #expect(lint.status == 0, "lintian:\n\(lint.stdout)\(lint.stderr)")
        let complaints = lint.stdout.split(separator: "\n").filter { $0.hasPrefix("E:") || $0.hasPrefix("W:") }
        #expect(complaints.isEmpty, "\(complaints)")

        // What the package would put on this machine (files and links, not directories).
        let listing = try Harness.run(dpkgDeb, ["-c", deb]).stdout.split(separator: "\n")
        let contents = listing.filter { !$0.hasPrefix("d") }.compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(5).first.map { String($0.dropFirst()) }
        }
        #expect(contents.contains("/usr/sbin/oom-adjust") && contents.contains(Self.config), "\(contents)")
        if let reason = try Self.occupied(by: contents) {
            Issue.record("not installing the .deb on this machine: \(reason)")
            return
        }

        let installed = try Self.dpkg(["-i", deb])
        // Whatever happens below, the package goes again, with everything it put here.
        defer {
            if (try? Self.packageStatus()) != nil { _ = try? Self.dpkg(["--purge", "oom-adjust"]) }
        }
        try #require(installed.status == 0, "dpkg -i:\n\(installed.stdout)\(installed.stderr)")
        #expect(try Self.packageStatus() == "install ok installed")
        for file in contents {
            #expect(FileManager.default.fileExists(atPath: file), "\(file) was not installed")
        }
        let sample = Harness.packageRoot.appendingPathComponent("etc/oom_adjust.conf").path
        #expect(Self.read(Self.config) == Self.read(sample))
        let conffiles = try Harness.run("/usr/bin/dpkg-query", ["-W", "-f=${Conffiles}", "oom-adjust"]).stdout
        #expect(conffiles.contains(" \(Self.config) "), "conffiles: \(conffiles)")
        // The installed binary says the package's version and accepts the installed rules.
        let said = try Harness.run("/usr/sbin/oom-adjust", ["--version"])
        #expect(said.stdout == "\(version)\n", "\(said.stdout)\(said.stderr)")
        let check = try Harness.run("/usr/sbin/oom-adjust", ["check"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        // dh_installsystemd's postinst enabled the unit (deb-systemd-helper: a symlink, no systemd needed).
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: Self.enablement)) == "/lib/systemd/system/oom-adjust.service")

        // A remove keeps the administrator's edit of the conffile; the program goes.
        let edited = (Self.read(Self.config) ?? "") + "# edited by PackagingTests\n"
        try edited.write(toFile: Self.config, atomically: false, encoding: .utf8)
        let removed = try Self.dpkg(["--remove", "oom-adjust"])
        #expect(removed.status == 0, "dpkg --remove:\n\(removed.stdout)\(removed.stderr)")
        #expect(try Self.packageStatus() == "deinstall ok config-files")
        #expect(!FileManager.default.fileExists(atPath: "/usr/sbin/oom-adjust"))
        #expect(Self.read(Self.config) == edited)

        // A purge removes the conffile and the enablement too: nothing is left of the package.
        let purged = try Self.dpkg(["--purge", "oom-adjust"])
        #expect(purged.status == 0, "dpkg --purge:\n\(purged.stdout)\(purged.stderr)")
        #expect(try Self.packageStatus() == nil)
        for path in contents + [Self.enablement] {
            #expect(!FileManager.default.fileExists(atPath: path), "\(path) is left after the purge")
        }
    }
}
