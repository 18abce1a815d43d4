import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

@Suite("9p", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct NinePTests {
    @Test func list9pIsEmptyWithoutVirtio9pDevices() throws {
        // The host has no virtio-9p devices (nor, usually, the driver).
        let bus = "/sys/bus/virtio/drivers/9pnet_virtio"
        let expected = ((try? FileManager.default.contentsOfDirectory(atPath: bus)) ?? [])
            .filter { $0.hasPrefix("virtio") }
        try #require(expected.isEmpty, "this host has virtio-9p devices")
        try withStandaloneDaemon { d throws in
            #expect(try d.client.list9p() == [])
        }
    }

    @Test func mount9pChecksTheMountpointAndReportsMountErrors() throws {
        try withMountedFilesystem(sizeMB: 32) { d throws in
            try d.client.touch(path: "/file")
            try d.client.mkdir(path: "/mnt")
            #expect(daemonError { try d.client.mount9p(mounttag: "tag", mountpoint: "/missing", options: nil) }!
                    == ("ENOENT", "/missing: No such file or directory"))
            #expect(daemonError { try d.client.mount9p(mounttag: "tag", mountpoint: "/file", options: nil) }!
                    == ("ENOTDIR", "/file: mount point is not a directory: Not a directory"))
            // No such tag: mount(8) fails and its message follows "TAG on MP: ".
            let message = fsErrorMessage { try d.client.mount9p(mounttag: "no-such-tag", mountpoint: "/mnt", options: "ro") }
            #expect(message.hasPrefix("no-such-tag on /mnt: mount: "), "\(message)")
            #expect(try d.client.mounts() == ["/dev/sda"])
        }
    }
}
