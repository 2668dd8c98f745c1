import OOMAdjustLinux
import Testing

/// sd_notify messages, NOTIFY_SOCKET addresses and the watchdog variables, as systemd reads them.
@Suite struct ServiceNotificationTests {
    @Test func eachNotificationIsItsAssignments() {
        #expect(ServiceNotification.message([.ready]) == "READY=1")
        #expect(ServiceNotification.message([.stopping]) == "STOPPING=1")
        #expect(ServiceNotification.message([.watchdog]) == "WATCHDOG=1")
        #expect(ServiceNotification.message([.reloading(monotonicMicroseconds: 1_234_567)]) == "RELOADING=1\nMONOTONIC_USEC=1234567")
        #expect(ServiceNotification.message([.status("3 rules")]) == "STATUS=3 rules")
    }

    @Test func oneDatagramCarriesSeveralInOrder() {
        let message = ServiceNotification.message([.ready, .status("1 rule; 0 matching processes"), .watchdog])
        #expect(message == "READY=1\nSTATUS=1 rule; 0 matching processes\nWATCHDOG=1")
    }

    @Test func aNewlineInTheStatusCannotStartAnotherAssignment() {
        #expect(ServiceNotification.message([.status("line one\nREADY=1\r\nthree")]) == "STATUS=line one READY=1 three")
    }

    @Test func aPathAddressIsTakenAsItIs() throws {
        let address = try NotifySocketAddress(parsing: "/run/systemd/notify")
        #expect(!address.isAbstract)
        #expect(address.pathBytes == Array("/run/systemd/notify".utf8))
        #expect(address.description == "/run/systemd/notify")
    }

    @Test func anAtSignMeansTheAbstractNamespace() throws {
        let address = try NotifySocketAddress(parsing: "@/org/freedesktop/systemd1/notify/42")
        #expect(address.isAbstract)
        #expect(address.pathBytes == [0] + Array("/org/freedesktop/systemd1/notify/42".utf8))
        #expect(address.description == "@/org/freedesktop/systemd1/notify/42")
    }

    @Test(arguments: ["relative/socket", "vsock:2:1234", "@", "/" + String(repeating: "x", count: 107)])
    func unusableAddressesAreRefusedWithAReason(_ value: String) {
        #expect(throws: NotifySocketAddress.Unsupported.self) { try NotifySocketAddress(parsing: value) }
    }

    @Test func theLongestPathThatFitsWithItsNULIsAccepted() throws {
        let path = "/" + String(repeating: "x", count: 106)
        #expect(try NotifySocketAddress(parsing: path).pathBytes.count == 107)
    }

    @Test func theWatchdogIsForThisProcessOnlyWhenWatchdogPIDSaysSoOrIsUnset() {
        #expect(SystemdWatchdog.interval(usec: "30000000", pid: nil, ownPID: 7) == 30_000_000)
        #expect(SystemdWatchdog.interval(usec: "30000000", pid: "7", ownPID: 7) == 30_000_000)
        #expect(SystemdWatchdog.interval(usec: "30000000", pid: "", ownPID: 7) == 30_000_000)
        #expect(SystemdWatchdog.interval(usec: "30000000", pid: "8", ownPID: 7) == nil)
        #expect(SystemdWatchdog.interval(usec: "30000000", pid: "x", ownPID: 7) == nil)
    }

    @Test(arguments: [nil, "", "0", "-5", "30s", " 100"])
    func noUsableIntervalMeansNoWatchdog(_ usec: String?) {
        #expect(SystemdWatchdog.interval(usec: usec, pid: nil, ownPID: 7) == nil)
    }
}
