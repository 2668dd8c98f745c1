/// The kubelet/agent split. Kubelet (or another container runtime) sets `oom_score_adj` for every
/// container's processes, from the pod's QoS class: Guaranteed -997, BestEffort 1000, Burstable in
/// between. An agent that also wrote them would fight it. So a container's processes, those in another
/// PID namespace than the host's, belong to their runtime and the host's belong to the agent: a rule
/// applies to a container's process only when it names the cgroup, which is how an administrator says
/// "this container, on purpose" (e.g. `cgroup=/kubepods.slice/*`).
extension Rule {
    /// Whether the rule may apply to processes in other PID namespaces than the host's: it has `cgroup=`.
    public var reachesContainers: Bool {
        qualifiers.contains { qualifier in
            if case .cgroup = qualifier { return true }
            return false
        }
    }
}
