import Glibc
import SystemPackage

/// An open directory stream (opendir(3)), closed when it goes, and its listing.
struct DirectoryStream: ~Copyable {
    private let stream: OpaquePointer

    /// One entry: its name (bytes, as a name need not be UTF-8) and whether d_type says directory.
    struct Entry {
        let name: [UInt8]
        let isDirectory: Bool
    }

    /// opendir(path).
    init(path: String) throws(Errno) {
        stream = try pointerOrErrno { opendir(path) }.get()
    }

    /// fdopendir(descriptor): the stream owns the descriptor from here on, and closes it also when
    /// this fails.
    init(adopting descriptor: CInt) throws(Errno) {
        switch pointerOrErrno({ fdopendir(descriptor) }) {
        case .success(let opened): stream = opened
        case .failure(let error):
            closeDescriptor(descriptor)
            throw error
        }
    }

    deinit { _ = nothingOrErrno(retryOnInterrupt: false) { closedir(stream) } }

    /// Calls `body` with dirfd(3), the stream's descriptor, for fstat and openat relative to the
    /// directory. The descriptor is the stream's: the borrow keeps the stream open while `body` runs.
    func withDescriptor<R>(_ body: (CInt) -> R) -> R { body(dirfd(stream)) }

    /// Every entry but `.` and `..`, in readdir's order. An error part-way fails the listing, so that
    /// a partial list never passes for the whole directory.
    func entries() -> Result<[Entry], Errno> {
        var entries: [Entry] = []
        while true {
            switch nextDirectoryEntry(stream) {
            case .failure(let error): return .failure(error)
            case .success(nil): return .success(entries)
            case .success(let entry?):
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
                guard name != [UInt8(ascii: ".")], name != [UInt8(ascii: "."), UInt8(ascii: ".")] else { continue }
                entries.append(Entry(name: name, isDirectory: Int32(entry.pointee.d_type) == DT_DIR))
            }
        }
    }
}
