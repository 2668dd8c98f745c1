/// Where a Debian system keeps the programs its services run: what `check` looks through for a rule's
/// NAME, and where a symlink may vouch for a process's name.
public enum SystemDirectories {
    /// Searched as they are.
    public static let fixed: [[UInt8]] = [
        "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin", "/usr/libexec",
    ].map { Array($0.utf8) }
    /// Each directory just below it is searched too (`/usr/lib/*/`: `/usr/lib/openssh`, ...).
    public static let parentOfPrivateDirectories: [UInt8] = Array("/usr/lib".utf8)

    /// "/usr/sbin, /usr/bin, ... and /usr/lib/*/", for messages. Spelled once: `check` of a generated
    /// rule set may say it ten thousand times.
    public static let spelled: String =
        fixed.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ", ")
        + " and \(String(decoding: parentOfPrivateDirectories, as: UTF8.self))/*/"
}
