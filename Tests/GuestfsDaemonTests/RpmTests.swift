import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

/// internal_list_rpm_applications on an rpm database built here
/// (Tests/guests/make-rpm-root: rpmbuild + rpm -i --justdb), compared with
/// Debian's upstream daemon (/usr/sbin/guestfsd in its host mode, which
/// chroots into /sysroot: a bind mount of the same directory in its own
/// mount namespace).
@Suite("rpm applications", .serialized, .enabled(if: StandaloneDaemon.available && FileManager.default.isExecutableFile(atPath: "/usr/bin/rpmbuild"),
                                    "needs root, unshare, losetup and rpmbuild"))
struct RpmTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../guests/make-rpm-root").standardized.path

    /// Upstream's daemon with `root` bind-mounted on /sysroot (made, empty,
    /// if the host has none, and removed again).
    static func upstream(root: String, _ body: (GuestfsClient) throws -> Void) throws {
        let dir = NSTemporaryDirectory() + "upstream-rpm-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "/dev/disk/by-path", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        let madeSysroot = !FileManager.default.fileExists(atPath: "/sysroot")
        if madeSysroot { try FileManager.default.createDirectory(atPath: "/sysroot", withIntermediateDirectories: false) }
        defer { if madeSysroot { rmdir("/sysroot") } }
        p.arguments = ["-m", "--propagation", "private", "sh", "-c",
                       "mount --bind \"$0\" /sysroot && exec /usr/sbin/guestfsd -l -c \"$1\"", root, dir + "/sock"]
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }
        let client = try GuestfsClient.connect(unixPath: dir + "/sock", timeoutSeconds: 20)
        try client.waitForLaunch()
        try body(client)
    }

    @Test func listsThePackagesAsUpstream() throws {
        try withStandaloneDaemon { d in
            _ = try host([Self.script, d.hostPath("")])
            let ours = try d.client.internalListRpmApplications()
            #expect(ours.map(\.app2Name) == ["alpha-lib", "alpha-lib", "mid-nourl", "zeta-tools"])
            #expect(ours.map(\.app2Arch) == ["noarch", "x86_64", "noarch", "noarch"])
            #expect(ours.map(\.app2Epoch) == [0, 0, 0, 3])
            #expect(ours.map(\.app2Url) == ["https://example.org/alpha", "https://example.org/alpha", "(none)",
                                            "https://example.org/zeta"])
            #expect(ours.last?.app2Version == "1.2.10")
            #expect(ours.last?.app2Release == "4.fc99")
            #expect(ours.last?.app2Summary == "Zeta command line tools")
            #expect(ours.last?.app2Description
                    == "Tools for zeta.\n\nA second paragraph, with \"quotes\" & <angle> brackets.")
            #expect(ours.allSatisfy { $0.app2DisplayName.isEmpty && $0.app2SourcePackage.isEmpty })

            // the same database through upstream's daemon
            var reference: [GuestfsApplication2] = []
            try Self.upstream(root: d.hostPath("")) { ref in reference = try ref.internalListRpmApplications() }
            #expect(reference == ours)
            // nothing leaks into the daemon: a second call answers the same
            let again = try d.client.internalListRpmApplications()
            #expect(again == ours)
        }
    }

    /// A guest whose database directory is missing: librpm opens an empty
    /// one (rpmtsInitIterator does not fail), for upstream as for us.
    @Test func noDatabaseAnswersAsUpstream() throws {
        try withStandaloneDaemon { d in
            _ = try host([Self.script, d.hostPath("")])
            try FileManager.default.removeItem(atPath: d.hostPath("/var/lib/rpm"))
            let ours = try d.client.internalListRpmApplications()
            #expect(ours == [])
            var reference: [GuestfsApplication2]? = nil
            try Self.upstream(root: d.hostPath("")) { ref in reference = try ref.internalListRpmApplications() }
            #expect(reference == ours)
        }
    }
}
