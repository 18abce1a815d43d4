import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

@Suite("selinux", .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct SelinuxTests {
    /// A guest's file_contexts, written by hand: setfiles needs only this
    /// specfile, no loaded policy.
    static let fileContexts = """
        /.*\t\tsystem_u:object_r:default_t:s0
        /\t\tsystem_u:object_r:root_t:s0
        /bin(/.*)?\tsystem_u:object_r:bin_t:s0
        /etc(/.*)?\tsystem_u:object_r:etc_t:s0
        /home(/.*)?\tunconfined_u:object_r:user_home_t:s0
        /tmp\t-d\tsystem_u:object_r:tmp_t:s0
        /etc/passwd\t--\tsystem_u:object_r:passwd_file_t:s0

        """
    static let specfile = "/etc/selinux/targeted/contexts/files/file_contexts"

    /// The label on a guest file, as the bytes of its xattr (setfiles
    /// stores the context with its terminating NUL).
    static func label(_ d: StandaloneDaemon, _ path: String) throws -> String {
        String(decoding: try d.client.lgetxattr(path: path, name: "security.selinux"), as: UTF8.self)
    }

    @Test func getconAnswersTheKernelsContextAndSetconItsError() throws {
        try withStandaloneDaemon { d throws in
            // libselinux reads /proc/thread-self/attr/current: whatever the
            // active security module says (AppArmor: "unconfined\n"), or
            // the kernel's error when no module answers.
            let fd = open("/proc/\(d.process.processIdentifier)/attr/current", O_RDONLY)
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = fd >= 0 ? read(fd, &buffer, buffer.count) : -1
            let readErrno = errno
            if fd >= 0 { close(fd) }
            if n >= 0 {
                #expect(try d.client.getcon() == String(decoding: buffer[..<n], as: UTF8.self))
            } else {
                #expect(daemonError { _ = try d.client.getcon() }?.message == "getcon: " + String(cString: strerror(readErrno)))
            }
            // The kernel's answer to the same write, without a policy.
            let wfd = open("/proc/thread-self/attr/current", O_WRONLY)
            defer { if wfd >= 0 { close(wfd) } }
            let context = "unconfined_u:unconfined_r:unconfined_t:s0"
            let wrote = wfd >= 0 ? context.withCString { write(wfd, $0, strlen($0)) } : -1
            let kernelErrno = errno
            if wrote < 0 {
                let e = daemonError { try d.client.setcon(context: context) }
                #expect(e?.message == "setcon: " + String(cString: strerror(kernelErrno)))
            }
        }
    }

    @Test func selinuxRelabelLabelsTheTreeFromTheGuestsSpecfile() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/setfiles") else { return }
        try withMountedFilesystem(sizeMB: 32) { d throws in
            let c = d.client
            for dir in ["/etc/selinux/targeted/contexts/files", "/bin", "/home/u", "/tmp", "/dev", "/var/x"] {
                try c.mkdirP(path: dir)
            }
            try c.writeFile(path: Self.specfile, content: Self.fileContexts, size: 0)
            try c.writeFile(path: "/bin/ls", content: "ELF", size: 0)
            try c.writeFile(path: "/etc/passwd", content: "root:x:0:0::/root:/bin/sh\n", size: 0)
            try c.writeFile(path: "/home/u/notes", content: "n", size: 0)
            try c.writeFile(path: "/dev/null-file", content: "", size: 0)
            // A label whose type is right but user is not: kept unless forced.
            try c.lsetxattr(xattr: "security.selinux", val: "unconfined_u:object_r:bin_t:s0", vallen: 30, path: "/bin/ls")

            try c.selinuxRelabel(specfile: Self.specfile, path: "/")
            #expect(try Self.label(d, "/") == "system_u:object_r:root_t:s0\0")
            #expect(try Self.label(d, "/bin") == "system_u:object_r:bin_t:s0\0")
            #expect(try Self.label(d, "/bin/ls") == "unconfined_u:object_r:bin_t:s0")
            #expect(try Self.label(d, "/etc/passwd") == "system_u:object_r:passwd_file_t:s0\0")
            #expect(try Self.label(d, "/etc/selinux") == "system_u:object_r:etc_t:s0\0")
            #expect(try Self.label(d, "/home/u/notes") == "unconfined_u:object_r:user_home_t:s0\0")
            #expect(try Self.label(d, "/tmp") == "system_u:object_r:tmp_t:s0\0")
            #expect(try Self.label(d, "/var/x") == "system_u:object_r:default_t:s0\0")
            // /dev, /proc, /selinux and /sys are never relabelled.
            #expect(daemonErrno { _ = try c.lgetxattr(path: "/dev", name: "security.selinux") } == "ENODATA")
            #expect(daemonErrno { _ = try c.lgetxattr(path: "/dev/null-file", name: "security.selinux") } == "ENODATA")

            try c.selinuxRelabel(specfile: Self.specfile, path: "/bin", force: true)
            #expect(try Self.label(d, "/bin/ls") == "system_u:object_r:bin_t:s0\0")

            let e = daemonError { try c.selinuxRelabel(specfile: "/etc/selinux/none/file_contexts", path: "/") }
            #expect(e?.errno == "")
            #expect(e?.message.contains("/etc/selinux/none/file_contexts") == true)
        }
    }
}
