import OOMAdjustCore

/// Takes stock of what a machine has, for `check`'s question "does this rule name anything here?".
public enum SystemInventoryReader {
    /// The files in the system directories, in the host's view, and the comm of every process now.
    public static func read(_ procRoot: ProcRoot) -> SystemInventory {
        var comms: Set<Comm> = []
        try? procRoot.forEachProcess { pid in
            if let file = try? procRoot.openComm(of: pid), let comm = try? file.readComm() { comms.insert(comm) }
        }
        return SystemInventory(executables: executables(procRoot), processComms: comms)
    }

    /// The names of the files in the system directories, in the host's view.
    public static func executables(_ procRoot: ProcRoot) -> [[UInt8]] {
        var names: [[UInt8]] = []
        let privateDirectories = procRoot.hostSubdirectories(of: SystemDirectories.parentOfPrivateDirectories).map {
            SystemDirectories.parentOfPrivateDirectories + [UInt8(ascii: "/")] + $0
        }
        for directory in SystemDirectories.fixed + privateDirectories {
            names += procRoot.hostDirectoryEntries(of: directory).compactMap { $0.isDirectory ? nil : $0.name }
        }
        return names
    }
}
