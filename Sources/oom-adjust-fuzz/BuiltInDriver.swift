import Glibc
import SeededRandom

/// Random and mutated inputs without libFuzzer: enough to run under AddressSanitizer (or with guard
/// pages alone) in CI, and to replay a seed.
struct BuiltInDriver {
    struct Options {
        var runs = 100_000
        var seconds = 60.0
        var seed: UInt64 = 0x6f6f_6d2d_6675_7a7a
        var seedPaths: [String] = []
    }

    let target: FuzzTarget
    let options: Options

    typealias Generator = SplitMix64

    func run() {
        var random = Generator(seed: options.seed)
        let seeds = loadSeeds() + builtInSeeds()
        let start = monotonicSeconds()
        var done = 0
        while done < options.runs && monotonicSeconds() - start < options.seconds {
            let input: [UInt8]
            switch done % 4 {
            case 0: input = (0..<Int.random(in: 0...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            case 1: input = mutate(seeds[done / 4 % seeds.count], &random)
            case 2 where target == .decode: input = lyingDatagram(&random)
            default: input = mutate(mutate(seeds.randomElement(using: &random)!, &random), &random)
            }
            // Alternate the two exact-size allocations: the heap (what AddressSanitizer watches) and
            // a guard page right after the last byte (what catches an over-read without it).
            input.withUnsafeBytes { source in
                if done % 2 == 0 {
                    let heap = UnsafeMutableRawBufferPointer.allocate(byteCount: source.count, alignment: 8)
                    defer { heap.deallocate() }
                    if source.count > 0 { heap.copyMemory(from: source) }
                    target.run(UnsafeRawBufferPointer(heap))
                } else {
                    let guarded = GuardedBuffer(copying: source)
                    target.run(UnsafeRawBufferPointer(guarded.bytes))
                }
            }
            done += 1
        }
        print("\(target.rawValue): \(done) inputs in \(String(monotonicSeconds() - start).prefix(6)) s from seed \(options.seed), \(seeds.count) seed inputs; no crash")
    }

    func loadSeeds() -> [[UInt8]] {
        var seeds: [[UInt8]] = []
        for path in options.seedPaths {
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFDIR, let directory = opendir(path) {
                defer { closedir(directory) }
                while let entry = readdir(directory) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                    if !name.hasPrefix(".") { seeds += readFile(path + "/" + name).map { [$0] } ?? [] }
                }
            } else if let bytes = readFile(path) {
                seeds.append(bytes)
            }
        }
        return seeds
    }

    func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return bytes }
            bytes += chunk[..<count]
        }
    }

    /// A minimal valid input of each kind, so a run without seed files still starts somewhere sensible.
    func builtInSeeds() -> [[UInt8]] {
        switch target {
        case .decode: return [0x1, 0x2, 0x200, 0x0, 0x8000_0000].map { datagram(what: $0, cnLength: 40, totalLength: 76) }
        case .config: return [Array("sshd -17\nnamed score=-300 user=root exe=/usr/sbin/named\n# c\n*\tscore=5 cmdline=\"a b\"\r\n".utf8)]
        }
    }

    /// nlmsghdr + cn_msg + proc_event with the given lengths, which may lie.
    func datagram(what: UInt32, cnLength: UInt16, totalLength: UInt32, type: UInt16 = 3, index: UInt32 = 1) -> [UInt8] {
        var bytes: [UInt8] = []
        func append<T>(_ value: T) { withUnsafeBytes(of: value) { bytes += $0 } }
        append(totalLength)
        append(type)
        append(UInt16(0))
        append(UInt32(1))
        append(UInt32(0))
        append(index)
        append(UInt32(1))
        append(UInt32(1))
        append(UInt32(0))
        append(cnLength)
        append(UInt16(0))
        append(what)
        append(UInt32(0))
        append(UInt64(1))
        for value in 1...6 { append(UInt32(value)) }
        return bytes
    }

    /// Well-formed in its parts, with every length free to lie and every size from 0 to oversized.
    func lyingDatagram(_ random: inout Generator) -> [UInt8] {
        let kinds: [UInt32] = [0, 0x1, 0x2, 0x4, 0x40, 0x80, 0x100, 0x200, 0x2000_0000, 0x4000_0000, 0x8000_0000, .random(in: 0...UInt32.max, using: &random)]
        let lengths: [UInt16] = [0, 1, 15, 16, 23, 24, 39, 40, 41, 4096, .max, .random(in: 0...UInt16.max, using: &random)]
        let totals: [UInt32] = [0, 15, 16, 17, 35, 36, 52, 75, 76, 77, 1 << 16, 1 << 31, .max, .random(in: 0...200, using: &random)]
        var bytes = datagram(
            what: kinds.randomElement(using: &random)!, cnLength: lengths.randomElement(using: &random)!,
            totalLength: totals.randomElement(using: &random)!, type: Bool.random(using: &random) ? 3 : .random(in: 0...20, using: &random),
            index: Int.random(in: 0..<8, using: &random) == 0 ? .random(in: 0...12, using: &random) : 1)
        // Cut short, or padded past what the header says.
        let size = Int.random(in: 0...(bytes.count + 64), using: &random)
        if size < bytes.count { bytes.removeSubrange(size...) } else { bytes += (bytes.count..<size).map { _ in UInt8.random(in: 0...255, using: &random) } }
        return bytes
    }

    func mutate(_ input: [UInt8], _ random: inout Generator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...6, using: &random) {
            let position = Int.random(in: 0...bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0 where !bytes.isEmpty: bytes[min(position, bytes.count - 1)] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
            case 1 where !bytes.isEmpty: bytes[min(position, bytes.count - 1)] = [0, 0xFF, 0x7F, 0x80].randomElement(using: &random)!
            case 2: bytes.insert(UInt8.random(in: 0...255, using: &random), at: position)
            case 3 where !bytes.isEmpty: bytes.removeSubrange(min(position, bytes.count - 1)..<bytes.count)
            case 4:
                let end = min(bytes.count, position + Int.random(in: 0...32, using: &random))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            default: if !bytes.isEmpty { bytes.removeSubrange(min(position, bytes.count - 1)...min(position, bytes.count - 1)) }
            }
        }
        return bytes
    }

    func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
