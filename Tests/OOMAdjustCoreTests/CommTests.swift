import OOMAdjustCore
import Testing

/// `Comm` holds a name as the kernel keeps it: at most 15 bytes, compared and handed to C without
/// allocating.
@Suite struct CommTests {
    @Test func truncatesToFifteenBytesLikeTheKernel() {
        let comm = Comm("systemd-resolved")
        #expect(comm.count == 15)
        #expect(comm.description == "systemd-resolve")
        #expect(comm == Comm("systemd-resolve"))
        #expect(comm == Comm("systemd-resolvedXYZ"))
        #expect(Comm.maximumLength == 15)
    }

    @Test func fifteenBytesFitUntouched() {
        let name = "fail2ban-server"
        #expect(name.utf8.count == 15)
        #expect(Comm(name).description == name)
        #expect(Comm(name).bytes == Array(name.utf8))
    }

    @Test func stopsAtNULAndKeepsNewlinesWhichANameMayHold() {
        // /proc/PID/comm's own final newline is the reader's to drop (ProcessFile.readComm).
        #expect(Comm(Array("sshd\n".utf8)) != Comm("sshd"))
        #expect(Comm(Array("oabn\nFAKE line".utf8)).count == 14)
        #expect(Comm(Array("sshd".utf8) + [0, 0x41, 0x42]) == Comm("sshd"))
        #expect(Comm(Array("sshd".utf8) + [0, 0x41]).count == 4)
        #expect(Comm("").count == 0)
        #expect(Comm([0, 0x41]) == Comm(""))
    }

    @Test func equalityAndHashingSeeEveryByte() {
        #expect(Comm("sshd") != Comm("sshd2"))
        #expect(Comm("sshd") != Comm("sshe"))
        #expect(Comm("abcdefghijklmnX") != Comm("abcdefghijklmnY"))  // last byte, in the second word
        #expect(Comm("abcdefgX") != Comm("abcdefgY"))  // last byte of the first word
        #expect(Comm("a") != Comm(""))
        let set: Set<Comm> = [Comm("sshd"), Comm("sshd"), Comm("named"), Comm("systemd-resolved"), Comm("systemd-resolve")]
        #expect(set.count == 3)
    }

    @Test func bytesAndSubscriptAreTheNameInOrder() {
        let comm = Comm("kworker/0:1H")
        #expect(comm.bytes == Array("kworker/0:1H".utf8))
        #expect(comm[0] == UInt8(ascii: "k"))
        #expect(comm[8] == UInt8(ascii: "0"))  // first byte of the second word
        #expect(comm[11] == UInt8(ascii: "H"))
        #expect(comm[12] == 0)
    }

    @Test func multibyteNamesAreCutByBytesNotCharacters() {
        // 8 two-byte characters: the kernel keeps 15 bytes, half of the last "é".
        let name = String(repeating: "é", count: 8)
        let comm = Comm(name)
        #expect(comm.count == 15)
        #expect(comm.bytes == Array(Array(name.utf8).prefix(15)))
    }

    @Test(arguments: ["", "a", "sshd", "abcdefgh", "fail2ban-server", "systemd-resolved"])
    func withCStringIsNULTerminated(_ name: String) {
        let comm = Comm(name)
        comm.withCString { pointer in
            var length = 0
            while length <= Comm.maximumLength && pointer[length] != 0 { length += 1 }
            #expect(length == comm.count)
            #expect(length <= 15)
            #expect(String(cString: pointer) == String(decoding: Array(name.utf8).prefix(15), as: UTF8.self))
        }
    }

    @Test func withCStringReturnsTheBodysResult() throws {
        struct Stop: Error {}
        #expect(Comm("sshd").withCString { String(cString: $0) } == "sshd")
        #expect(throws: Stop.self) { try Comm("sshd").withCString { _ in throw Stop() } }
    }
}
