/// Daemons whose programs changed name, for configurations written for the old ones. Data, one entry a
/// rename: add to it as distributions move on.
public struct Successor: Sendable, Hashable {
    /// The name an older rule uses.
    public let name: String
    /// The programs that do its work now.
    public let successors: [String]
    /// What changed, in a sentence.
    public let note: String
    /// The old program still runs, and the successors run beside it (split off, not renamed): a rule
    /// for the old name should have one for each successor that is installed.
    public let alongside: Bool

    public init(name: String, successors: [String], note: String, alongside: Bool = false) {
        self.name = name
        self.successors = successors
        self.note = note
        self.alongside = alongside
    }
}

public enum Successors {
    public static let table: [Successor] = [
        Successor(
            name: "mysqld", successors: ["mariadbd"],
            note: "MariaDB's server is mariadbd (MariaDB 10.5 and later; Debian 11 and later); /usr/sbin/mysqld is only a compatibility link to it"),
        Successor(
            name: "ntpd", successors: ["chronyd", "ntpd"],
            note: "Debian's default time daemon is chrony's chronyd; ntpsec's daemon is still called ntpd"),
        Successor(
            name: "sshd", successors: ["sshd-session", "sshd-auth"],
            note: "OpenSSH 9.8 and later (Debian 13) run each connection as sshd-session (and sshd-auth), exec'd by the listener: a session keeps the listener's protection only if a rule protects sshd-session too, else the agent takes it back at that exec",
            alongside: true),
    ]

    public static func entry(for name: String) -> Successor? { table.first { $0.name == name } }
}
