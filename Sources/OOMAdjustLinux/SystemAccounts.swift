import Glibc
import OOMAdjustCore

/// The account database, as far as rules need it.
public enum SystemAccounts {
    /// getpwnam_r: the uid of account `name`, or nil when there is no such account (or the account
    /// database cannot answer). An entry larger than the buffer (ERANGE, possible with LDAP's long group
    /// lists) is asked again with a larger one, up to 1 MiB.
    public static func uid(named name: String) -> UInt32? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var size = 16384
        while true {
            var buffer = [CChar](repeating: 0, count: size)
            switch nothingOrReturnedErrno({ getpwnam_r(name, &entry, &buffer, buffer.count, &result) }) {
            case .failure(.outOfRange) where size < Self.largestEntryBuffer:
                size *= 4
            case .failure:
                return nil
            case .success:
                // No such account is a success with no entry.
                return result != nil ? entry.pw_uid : nil
            }
        }
    }

    /// The largest buffer an account entry is read with (ERANGE, asked again, ends there).
    static let largestEntryBuffer = 1 << 20

    /// UID_MIN from login.defs(5): the first uid given to people, so uids below it are system accounts.
    /// 1000, the Debian default, when the file or the setting is missing or unreadable.
    public static func firstUserUID(loginDefsPath: String = "/etc/login.defs") -> UInt32 {
        guard let bytes = (try? readFilePrefix(AT_FDCWD, loginDefsPath, limit: 1 << 20).get()) else { return 1000 }
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
            if fields.count >= 2, fields[0].elementsEqual("UID_MIN".utf8),
                let value = DecimalText.unsigned(fields[1]).flatMap(UInt32.init(exactly:))
            {
                return value
            }
        }
        return 1000
    }
}
