import Foundation
import PackagePlugin

/// Generates the version constant of OOMAdjustVersion before every build, from scripts/version.sh, so
/// that a plain `swift build` says the same version as the .deb and the image. A prebuild command
/// runs at every build; the script rewrites its output only when the version changed, so an unchanged
/// one recompiles nothing.
@main
struct BuildVersionPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("generated")
        let script = context.package.directoryURL.appendingPathComponent("scripts/version.sh")
        // Only what the script needs: git on PATH, and the override debian/rules sets.
        let inherited = ProcessInfo.processInfo.environment
        var environment = ["PATH": inherited["PATH"] ?? "/usr/bin:/bin"]
        if let version = inherited["OOM_ADJUST_VERSION"] { environment["OOM_ADJUST_VERSION"] = version }
        return [
            .prebuildCommand(
                displayName: "Version from scripts/version.sh",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [script.path, "--swift", output.appendingPathComponent("GeneratedVersion.swift").path],
                environment: environment,
                outputFilesDirectory: output)
        ]
    }
}
