import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// The error message of a daemon error ("" if none, "no error" if `body` succeeded).
func fsErrorMessage(_ body: () throws -> Void) -> String {
    do {
        try body()
        return "no error"
    } catch GuestfsClientError.daemon(_, let message) {
        return message
    } catch {
        return "not a daemon error: \(error)"
    }
}

/// Bytes of a file inside the guest, through download.
func fsDownload(_ d: StandaloneDaemon, _ path: String) throws -> [UInt8] {
    let sink = DownloadSink()
    try d.client.download(remotefilename: path, filename: sink)
    return sink.bytes
}

/// The loop device node the daemon attached `image` to.
func fsLoopNode(of image: String) throws -> String {
    let out = try host(["losetup", "-j", image, "-O", "NAME", "-n"])
    return out.split(separator: "\n").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
}

@Suite("mount", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct MountTests {
    @Test func mountListsMountsInOrderAndUmountAllUnmountsDeepestFirst() throws {
        try withStandaloneDaemon(diskSizesMB: [32, 32, 32]) { d throws in
            for dev in ["/dev/sda", "/dev/sdb", "/dev/sdc"] { try d.client.mkfs(fstype: "ext4", device: dev) }
            #expect(try d.client.mounts() == [])
            try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
            try d.client.mkmountpoint(exemptpath: "/a")
            try d.client.mount(mountable: "/dev/sdb", mountpoint: "/a")
            try d.client.mkmountpoint(exemptpath: "/a/b")
            try d.client.mount(mountable: "/dev/vdc", mountpoint: "/a/b")
            #expect(try d.client.mounts() == ["/dev/sda", "/dev/sdb", "/dev/sdc"])
            #expect(try d.client.mountpoints() == ["/dev/sda", "/", "/dev/sdb", "/a", "/dev/sdc", "/a/b"])
            // A file written under /a/b lands on sdc.
            try d.client.upload(filename: .bytes(Array("on sdc".utf8)), remotefilename: "/a/b/f")
            try d.client.umountAll()
            #expect(try d.client.mounts() == [])
            try d.client.mount(mountable: "/dev/sdc", mountpoint: "/")
            #expect(try fsDownload(d, "/f") == Array("on sdc".utf8))
            try d.client.umount(pathordevice: "/")
            #expect(try d.client.mounts() == [])
        }
    }

    @Test func mountNeedsAnExistingDirectory() throws {
        try withStandaloneDaemon(diskSizesMB: [32]) { d throws in
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda")
            #expect(fsErrorMessage { try d.client.mount(mountable: "/dev/sda", mountpoint: "/nope") }
                    == "mount: /nope: mount point is not a directory")
            #expect(daemonErrno { try d.client.mount(mountable: "/dev/sda", mountpoint: "/nope") } == "")
            // A device that does not exist.
            #expect(daemonErrno { try d.client.mount(mountable: "/dev/sdz", mountpoint: "/") } == "ENOENT")
            // A device with no filesystem: mount's own error.
            let message = fsErrorMessage { try d.client.mountVfs(options: "", vfstype: "xfs", mountable: "/dev/sda", mountpoint: "/") }
            #expect(message.hasPrefix("mount exited with status 32: mount:"))
            #expect(try d.client.mounts() == [])
        }
    }

    @Test func mountRoRemountAndOptions() throws {
        try withStandaloneDaemon(diskSizesMB: [32]) { d throws in
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda")
            try d.client.mountRo(mountable: "/dev/sda", mountpoint: "/")
            #expect(daemonErrno { try d.client.touch(path: "/x") } == "EROFS")
            #expect(fsErrorMessage { try d.client.remount(mountpoint: "/") } == "parameter 'rw' must be specified")
            try d.client.remount(mountpoint: "/", rw: true)
            try d.client.touch(path: "/x")
            try d.client.remount(mountpoint: "/", rw: false)
            #expect(daemonErrno { try d.client.touch(path: "/y") } == "EROFS")
            try d.client.umount(pathordevice: "/dev/sda")
            #expect(try d.client.mounts() == [])

            try d.client.mountOptions(options: "ro,noatime", mountable: "/dev/sda", mountpoint: "/")
            #expect(daemonErrno { try d.client.touch(path: "/z") } == "EROFS")
            try d.client.umount(pathordevice: "/", force: true, lazyunmount: false)
            try d.client.mountVfs(options: "", vfstype: "ext4", mountable: "/dev/sda", mountpoint: "/")
            #expect(try fsDownload(d, "/x") == [])
            try d.client.umount(pathordevice: "/", lazyunmount: true)
            #expect(try d.client.mounts() == [])
            #expect(fsErrorMessage { try d.client.umount(pathordevice: "/") }.hasPrefix("/: umount: "))
        }
    }

    @Test func mkmountpointAndRmmountpointWorkWithNothingMounted() throws {
        try withStandaloneDaemon(diskSizesMB: []) { d throws in
            try d.client.mkmountpoint(exemptpath: "/m1")
            try d.client.mkmountpoint(exemptpath: "/m1/m2")
            var isDir: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: d.sysroot + "/m1/m2", isDirectory: &isDir) && isDir.boolValue)
            #expect(daemonErrno { try d.client.mkmountpoint(exemptpath: "/m1") } == "EEXIST")
            #expect(daemonErrno { try d.client.rmmountpoint(exemptpath: "/m1") } == "ENOTEMPTY")
            try d.client.rmmountpoint(exemptpath: "/m1/m2")
            try d.client.rmmountpoint(exemptpath: "/m1")
            #expect(!FileManager.default.fileExists(atPath: d.sysroot + "/m1"))
            #expect(daemonErrno { try d.client.rmmountpoint(exemptpath: "/m1") } == "ENOENT")
            #expect(fsErrorMessage { try d.client.mkmountpoint(exemptpath: "rel") } == "do_mkmountpoint: path must start with a / character")
        }
    }

    @Test func mountLoopMountsAFilesystemImageFromTheGuest() throws {
        try withStandaloneDaemon(diskSizesMB: [32]) { d throws in
            // An ext4 image built on the host, uploaded into the guest's root.
            let content = d.directory + "/content"
            try FileManager.default.createDirectory(atPath: content, withIntermediateDirectories: true)
            try "hello from the loop\n".write(toFile: content + "/hello", atomically: true, encoding: .utf8)
            try host(["truncate", "-s", "8M", d.directory + "/inner.img"])
            try host(["mkfs.ext4", "-q", "-F", "-d", content, d.directory + "/inner.img"])
            try d.client.mkfs(fstype: "ext4", device: "/dev/sda")
            try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
            try d.client.upload(filename: .file(d.directory + "/inner.img"), remotefilename: "/inner.img")
            try d.client.mkmountpoint(exemptpath: "/mnt")
            try d.client.mountLoop(file: "/inner.img", mountpoint: "/mnt")
            #expect(try fsDownload(d, "/mnt/hello") == Array("hello from the loop\n".utf8))
            let mps = try d.client.mountpoints()
            #expect(mps.count == 4 && mps[0] == "/dev/sda" && mps[2].hasPrefix("/dev/loop") && mps[3] == "/mnt")
            try d.client.umountAll()
            #expect(try d.client.mounts() == [])
            try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
            let message = fsErrorMessage { try d.client.mountLoop(file: "/missing.img", mountpoint: "/mnt") }
            #expect(message.hasPrefix("/missing.img on /mnt: "))
        }
    }
}
