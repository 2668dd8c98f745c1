/// The version of this build: from scripts/version.sh (a git tag, else 0.0.0+gitDATE.HASH, or what
/// OOM_ADJUST_VERSION says), written into `generatedVersion` by the BuildVersionPlugin before every build.
public enum BuildVersion {
    public static let string: String = generatedVersion
}
