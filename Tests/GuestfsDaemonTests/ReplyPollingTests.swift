#if canImport(Glibc)
import Glibc
#endif
@testable import GuestfsDaemon
import SystemPackage
import Testing

/// The adaptive poll after replies (ReplyPolling): it returns as soon as a
/// call is readable, halves its window on every miss down to nothing, and
/// opens fully again when a call follows a reply closely.
@Suite struct ReplyPollingTests {
    func pipeChannel() throws -> (Channel, FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        return (Channel(descriptor: FileDescriptor(rawValue: fds[0])), FileDescriptor(rawValue: fds[1]))
    }

    @Test func returnsAtOnceWhenACallIsWaiting() throws {
        let (channel, writer) = try pipeChannel()
        defer { try? writer.close() }
        _ = try writer.writeAll([1, 2, 3, 4])
        var p = ReplyPolling(maxMicros: 1_000_000)
        let start = ReplyPolling.nowMicros()
        #expect(try p.poll(channel, since: start))
        #expect(ReplyPolling.nowMicros() - start < 500_000)
        #expect(p.windowMicros == 1_000_000)
    }

    @Test func missesHalveTheWindowToZeroAndACloseCallReopensIt() throws {
        let (channel, writer) = try pipeChannel()
        defer { try? writer.close() }
        var p = ReplyPolling(maxMicros: 200)
        var windows: [Int64] = []
        for _ in 0..<6 {
            let waitedAtLeast = p.windowMicros
            let start = ReplyPolling.nowMicros()
            #expect(try !p.poll(channel, since: start))
            #expect(ReplyPolling.nowMicros() - start >= waitedAtLeast)
            windows.append(p.windowMicros)
        }
        #expect(windows == [100, 50, 25, 0, 0, 0])
        // Closed: poll does not wait at all.
        let start = ReplyPolling.nowMicros()
        #expect(try !p.poll(channel, since: start))
        p.arrived(afterMicros: 5_000)  // a slow caller: stays closed
        #expect(p.windowMicros == 0)
        p.arrived(afterMicros: 150)    // back-to-back calls again
        #expect(p.windowMicros == 200)
    }
}
