/// Parses the `KEY=VALUE` qualifiers after a rule's value.
enum QualifierParser {
    static let known = "exe=, user=, cmdline=, cgroup=, parent=, trust=name"

    static let examples: [Substring: String] = [
        "exe": "exe=/usr/sbin/sshd", "user": "user=postgres or user=113", "cmdline": "cmdline=\"*-jar /opt/app.jar*\"",
        "cgroup": "cgroup=/system.slice/ssh.service", "parent": "parent=systemd",
    ]

    static func parse(key: Substring, value: String, users: ConfigParser.UserResolver)
        -> Result<Qualifier, ConfigParser.ValueProblem>
    {
        func problem(_ message: String) -> Result<Qualifier, ConfigParser.ValueProblem> {
            .failure(ConfigParser.ValueProblem(message: message))
        }
        guard let example = examples[key] else {
            return problem("unknown qualifier `\(key)=`; known: \(known)")
        }
        guard !value.isEmpty else { return problem("`\(key)=` needs a value, e.g. \(example)") }
        do throws(Glob.Problem) {
            switch key {
            case "exe":
                guard value.hasPrefix("/") else {
                    return problem("`exe=\(value)`: give the absolute path as /proc/PID/exe shows it, e.g. \(example)")
                }
                return .success(.exe(Glob.isPattern(value) ? .glob(try Glob(value, pathname: true)) : .exact(Array(value.utf8))))
            case "user":
                if let uid = UInt32(value) { return .success(.user(uid: uid, spelling: value)) }
                guard let uid = users(value) else {
                    // At boot, an account from LDAP or sssd may not resolve until their service is up.
                    return .failure(
                        ConfigParser.ValueProblem(
                            message: "unknown user `\(value)`: no such account; give a name from /etc/passwd or a numeric uid (an account from a directory service resolves only once that service is up)",
                            transient: true))
                }
                return .success(.user(uid: uid, spelling: value))
            case "cmdline":
                return .success(.cmdline(try Glob(value)))
            case "cgroup":
                guard value.hasPrefix("/") || value.hasPrefix("*") else {
                    return problem("`cgroup=\(value)`: cgroup paths start with `/`, e.g. \(example)")
                }
                do {
                    return .success(.cgroup(try CgroupPattern(value)))
                } catch {
                    return problem("`cgroup=`: \(error)")
                }
            default:  // parent
                if Glob.isPattern(value) { return .success(.parent(.glob(try Glob(value)))) }
                return .success(.parent(NamePattern(name: Array(value.utf8))))
            }
        } catch {
            return problem("`\(key)=`: \(error)")
        }
    }
}
