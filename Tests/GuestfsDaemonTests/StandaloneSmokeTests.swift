import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

@Suite("standalone daemon", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct StandaloneSmokeTests {
    @Test func drivesAppearAsCanonicalDevicesAndSyncWorks() throws {
        try withStandaloneDaemon(diskSizesMB: [16, 16]) { d in
            try d.client.pingDaemon()
            #expect(try d.client.echoDaemon(words: ["a", "b"]) == "a b")
            try d.client.sync()
            try d.client.internalAutosync()
        }
    }
}
