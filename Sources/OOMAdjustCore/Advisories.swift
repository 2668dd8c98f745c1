/// Valid rules that probably do not do what their author means; `check` prints these as warnings.
public enum Advisories {
    public static func of(_ rules: [Rule]) -> [ConfigDiagnostic] {
        var findings: [ConfigDiagnostic] = []
        for rule in rules {
            func warn(_ message: String) {
                findings.append(ConfigDiagnostic(.warning, path: rule.location.path, line: rule.location.line, message))
            }
            if rule.score == OOMScore(-1000) {
                warn(
                    "`\(rule.name) \(rule.valueSpelling)` is oom_score_adj -1000: neither the global nor a cgroup OOM killer will ever pick such a process, even when it is the one leaking, and its children inherit the value; if you mean \"kill last\", write score=-999"
                )
            }
            if case .glob(let glob) = rule.name, glob.minimumLength > Comm.maximumLength {
                warn(
                    "`\(rule.name)` can never match: a glob NAME is compared with the comm, which the kernel cuts to \(Comm.maximumLength) bytes; match the first \(Comm.maximumLength) bytes, or use exe= or cmdline="
                )
            }
            for case .cgroup(let pattern) in rule.qualifiers where pattern.hasComponentWildcards {
                warn(
                    "`cgroup=\(pattern)`: `*`, `?` and `[...]` match within one component of the cgroup path and never cross `/` (earlier versions let them), so a user's delegated cgroup cannot pass for a system one; to match a whole subtree, end the pattern with /**, e.g. cgroup=/batch.slice/**"
                )
            }
            if rule.trustsName && rule.score.isProtective {
                warn(
                    "`\(rule.name)` has trust=name: any local user can name a process `\(rule.name)` and be granted \(rule.score); prefer exe= and user= qualifiers"
                )
            }
        }
        return findings
    }
}
