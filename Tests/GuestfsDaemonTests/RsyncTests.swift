import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// An `rsync --daemon` on 127.0.0.1 serving one writable module, `m`, at
/// `path` (the standalone daemon shares the host's network; in the
/// appliance the same server is reached as 10.0.2.2).
final class RsyncServer {
    let process: Process
    let port: Int
    let directory: String

    init(path: String) throws {
        directory = NSTemporaryDirectory() + "rsyncd-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = Int.random(in: 20000..<40000)
        let config = """
            pid file = \(directory)/pid
            use chroot = false
            [m]
                path = \(path)
                read only = false
                munge symlinks = false
                uid = root
                gid = root

            """
        try config.write(toFile: directory + "/rsyncd.conf", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/rsync")
        p.arguments = ["--daemon", "--no-detach", "--address=127.0.0.1", "--port=\(port)",
                       "--config=\(directory)/rsyncd.conf", "--log-file=\(directory)/log"]
        try p.run()
        process = p
        // Ready when it accepts a module listing.
        for _ in 0..<100 {
            if (try? host(["rsync", "rsync://127.0.0.1:\(port)/"]))?.hasPrefix("m") == true { return }
            usleep(50_000)
        }
    }

    var url: String { "rsync://127.0.0.1:\(port)/m/" }

    deinit {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// The names in a guest directory, sorted, without . and ..
func rsyncList(_ d: StandaloneDaemon, _ dir: String) throws -> [String] {
    try d.client.readdir(dir: dir).map(\.name).filter { $0 != "." && $0 != ".." }.sorted()
}

@Suite("rsync", .enabled(if: StandaloneDaemon.available && FileManager.default.isExecutableFile(atPath: "/usr/bin/rsync"),
                         "needs root, unshare, losetup, rsync"))
struct RsyncTests {
    static let blob: [UInt8] = (0..<70000).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) }

    /// /src with a file, a binary file, a subdirectory and a symlink.
    static func makeSource(_ d: StandaloneDaemon) throws {
        try d.client.mkfs(fstype: "ext4", device: "/dev/sda")
        try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
        try d.client.mkdirP(path: "/src/sub")
        try d.client.writeFile(path: "/src/a", content: "hello rsync\n", size: 0)
        try d.client.upload(filename: .bytes(Self.blob), remotefilename: "/src/sub/blob")
        try d.client.chmod(mode: 0o751, path: "/src/sub/blob")
        try d.client.lnS(target: "a", linkname: "/src/link")
    }

    @Test func rsyncCopiesTreesWithTheOptargs() throws {
        try withStandaloneDaemon(diskSizesMB: [32]) { d throws in
            try Self.makeSource(d)
            // Without archive rsync does not recurse: the directory is
            // skipped and nothing is copied (exit 0).
            try d.client.mkdir(path: "/plain")
            try d.client.rsync(src: "/src", dest: "/plain")
            #expect(try rsyncList(d, "/plain") == [])

            // archive: the directory itself (no trailing slash), with
            // modes and the symlink.
            try d.client.mkdir(path: "/dst")
            try d.client.rsync(src: "/src", dest: "/dst", archive: true)
            #expect(try rsyncList(d, "/dst/src") == ["a", "link", "sub"])
            #expect(try fsDownload(d, "/dst/src/sub/blob") == Self.blob)
            #expect(try d.client.readlink(path: "/dst/src/link") == "a")
            #expect(try d.client.statns(path: "/dst/src/sub/blob").stMode & 0o7777 == 0o751)

            // A trailing slash copies the contents; deletedest removes
            // what the source lacks.
            try d.client.mkdir(path: "/mirror")
            try d.client.writeFile(path: "/mirror/stale", content: "old", size: 0)
            try d.client.rsync(src: "/src/", dest: "/mirror", archive: true)
            #expect(try rsyncList(d, "/mirror") == ["a", "link", "stale", "sub"])
            try d.client.rsync(src: "/src/", dest: "/mirror", archive: true, deletedest: true)
            #expect(try rsyncList(d, "/mirror") == ["a", "link", "sub"])
            #expect(try fsDownload(d, "/mirror/a") == Array("hello rsync\n".utf8))

            // rsync's own message, after the two guest paths.
            let e = daemonError { try d.client.rsync(src: "/missing", dest: "/dst", archive: true) }
            #expect(e?.errno == "")
            #expect(e?.message.hasPrefix("'/missing' to '/dst': rsync: [sender] link_stat \"") == true)
            #expect(e?.message.contains("/missing\" failed: No such file or directory (2)") == true)
            #expect(daemonError { try d.client.rsync(src: "relative", dest: "/dst") }?.message
                    == "rsync_stub: path must start with a / character")
        }
    }

    /// rsync_in and rsync_out against an rsync daemon over TCP, as they are
    /// meant to be used (the appliance needs its network for this).
    @Test func rsyncInAndOutThroughAnRsyncDaemon() throws {
        let hostDir = NSTemporaryDirectory() + "rsync-host-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: hostDir + "/in/deep", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: hostDir) }
        try Data("from the host\n".utf8).write(to: URL(fileURLWithPath: hostDir + "/in/deep/h"))
        let server = try RsyncServer(path: hostDir)
        try withStandaloneDaemon(diskSizesMB: [32]) { d throws in
            try Self.makeSource(d)
            try d.client.rsyncOut(src: "/src", remote: server.url, archive: true)
            #expect(try Data(contentsOf: URL(fileURLWithPath: hostDir + "/src/sub/blob")) == Data(Self.blob))
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: hostDir + "/src/link") == "a")

            try d.client.mkdir(path: "/got")
            try d.client.writeFile(path: "/got/stale", content: "x", size: 0)
            try d.client.rsyncIn(remote: server.url + "in/", dest: "/got", archive: true, deletedest: true)
            #expect(try rsyncList(d, "/got") == ["deep"])
            #expect(try fsDownload(d, "/got/deep/h") == Array("from the host\n".utf8))

            let e = daemonError { try d.client.rsyncIn(remote: server.url + "nothing/", dest: "/got", archive: true) }
            #expect(e?.message.hasPrefix("'\(server.url)nothing/' to '/got': rsync: [sender] change_dir \"nothing\" (in m) failed: No such file or directory (2)") == true)
        }
    }
}
