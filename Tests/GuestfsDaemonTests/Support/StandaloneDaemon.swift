import Foundation
import GuestfsClient
import GuestfsProtocol

/// The real `guestfsd` binary started in standalone mode, in a private
/// mount namespace, with scratch disk images attached as loop devices and
/// a temporary sysroot; a `GuestfsClient` connected to it. Root only:
/// `StandaloneDaemon.available` says whether the machine allows it.
final class StandaloneDaemon {
    let client: GuestfsClient
    let directory: String
    let sysroot: String
    let images: [String]
    let process: Process
    let stderrPath: String

    /// root, unshare and losetup present, and the daemon binary built.
    static let available: Bool = {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
            && FileManager.default.isExecutableFile(atPath: daemonPath)
            && (FileManager.default.isExecutableFile(atPath: "/usr/sbin/losetup") || FileManager.default.isExecutableFile(atPath: "/sbin/losetup"))
    }()

    /// The guestfsd built beside this test bundle.
    static let daemonPath: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // .build/<triple>/debug/guestfsdPackageTests.xctest or .../debug/xxx
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("guestfsd").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return "guestfsd"
    }()

    /// tar_in's preload library (helpers/tar-chroot.c), built beside the
    /// daemon when missing or older than its source: `swift test` alone
    /// cannot build it (SwiftPM links the Swift runtime into shared objects).
    static let tarChrootLibrary: String? = {
        let output = URL(fileURLWithPath: daemonPath).deletingLastPathComponent().appendingPathComponent("guestfsd-tar-chroot.so").path
        var dir = URL(fileURLWithPath: daemonPath).deletingLastPathComponent()
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
            dir = dir.deletingLastPathComponent()
        }
        let source = dir.appendingPathComponent("helpers/tar-chroot.c").path
        let modified = { (path: String) in
            (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? nil
        }
        if let built = modified(output), let written = modified(source), built >= written { return output }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [dir.appendingPathComponent("helpers/build-tar-chroot").path, output]
        guard (try? p.run()) != nil else { return nil }
        p.waitUntilExit()
        return p.terminationStatus == 0 ? output : nil
    }()

    /// Starts a daemon with one sparse image per entry of `diskSizesMB`,
    /// or, with `existingImages`, on those images (a daemon started again
    /// on the disks a previous one left; they are not removed by `stop`).
    init(diskSizesMB: [Int] = [], existingImages: [String]? = nil, extraArguments: [String] = [],
         verbose: Bool = false) throws {
        _ = Self.tarChrootLibrary
        directory = NSTemporaryDirectory() + "guestfsd-test-" + UUID().uuidString.prefix(8)
        sysroot = directory + "/sysroot"
        try FileManager.default.createDirectory(atPath: sysroot, withIntermediateDirectories: true)
        var images: [String] = []
        for (i, size) in diskSizesMB.enumerated() where existingImages == nil {
            let path = directory + "/disk\(i).img"
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try h.truncate(atOffset: UInt64(size) * 1024 * 1024)
            try h.close()
            images.append(path)
        }
        self.images = existingImages ?? images
        let socketPath = directory + "/sock"
        stderrPath = directory + "/stderr"
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        // Each daemon gets LVM's lock and hints folders of its own, as an
        // appliance has: tests run side by side, and LVM would otherwise
        // make one daemon's pvremove answer "flock failed: Resource
        // temporarily unavailable" while another's lvm command holds the
        // host's global lock.
        let privateLVM = "mkdir -p /run/lock/lvm /run/lvm && mount -t tmpfs -o mode=0700 lvmlock /run/lock/lvm"
            + " && mount -t tmpfs -o mode=0700 lvmrun /run/lvm && exec \"$0\" \"$@\""
        var args = ["-m", "--propagation", "private", "/bin/sh", "-c", privateLVM,
                    Self.daemonPath, "--listen", "unix:" + socketPath, "--sysroot", sysroot]
        for image in self.images { args += ["--drive", image] }
        if verbose { args.append("--verbose") }
        p.arguments = args + extraArguments
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try p.run()
        process = p
        client = try GuestfsClient.connect(unixPath: socketPath, timeoutSeconds: 20)
        try client.waitForLaunch()
    }

    /// What the daemon wrote on stderr so far.
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Closes the connection, waits for the daemon to exit (it detaches its
    /// loop devices) and removes the scratch directory.
    func stop() {
        shutdown(client.fd, Int32(SHUT_RDWR))
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { if process.isRunning { stop() } }
}

/// Runs `body` with a fresh standalone daemon and always stops it.
func withStandaloneDaemon<R>(diskSizesMB: [Int] = [], verbose: Bool = false,
                             _ body: (StandaloneDaemon) throws -> R) throws -> R {
    let d = try StandaloneDaemon(diskSizesMB: diskSizesMB, verbose: verbose)
    defer { d.stop() }
    return try body(d)
}

/// Runs `body` with a fresh daemon whose one disk of `sizeMB` MiB the
/// daemon has made a `fstype` filesystem and mounted on / (the start of
/// most filesystem tests).
func withMountedFilesystem<R>(_ fstype: String = "ext4", sizeMB: Int,
                              _ body: (StandaloneDaemon) throws -> R) throws -> R {
    try withStandaloneDaemon(diskSizesMB: [sizeMB]) { d in
        try d.client.mkfs(fstype: fstype, device: "/dev/sda")
        try d.client.mount(mountable: "/dev/sda", mountpoint: "/")
        return try body(d)
    }
}

/// The errno name of a daemon error, or nil if `body` did not fail with one.
func daemonErrno(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch GuestfsClientError.daemon(let errno, _) {
        return errno
    } catch {
        return "not a daemon error: \(error)"
    }
}

/// The errno name and message of a daemon error, or nil if `body` succeeded.
func daemonError(_ body: () throws -> Void) -> (errno: String, message: String)? {
    do {
        try body()
        return nil
    } catch GuestfsClientError.daemon(let errno, let message) {
        return (errno, message)
    } catch {
        return ("not a daemon error", "\(error)")
    }
}

/// Runs a host command and returns its stdout (tests use it to check
/// outcomes independently of the daemon).
@discardableResult
func host(_ argv: [String], allowFailure: Bool = false) throws -> String {
    let (data, status) = try hostRun(argv)
    if !allowFailure && status != 0 {
        throw GuestfsClientError.protocolViolation("\(argv.joined(separator: " ")) exited \(status)")
    }
    return String(decoding: data, as: UTF8.self)
}

/// A host command's stdout as bytes and its exit status (stderr dropped).
func hostRun(_ argv: [String]) throws -> (stdout: [UInt8], status: Int32) {
    let (stdout, status) = try hostRun(argv, keepingStderr: false)
    return (stdout, status)
}

/// A host command's stdout, or with `keepingStderr` its stderr, as bytes
/// (the other output dropped), and its exit status.
func hostRun(_ argv: [String], keepingStderr: Bool) throws -> (output: [UInt8], status: Int32) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = argv
    let kept = Pipe()
    p.standardOutput = keepingStderr ? FileHandle.nullDevice : kept
    p.standardError = keepingStderr ? kept : FileHandle.nullDevice
    try p.run()
    let data = kept.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return ([UInt8](data), p.terminationStatus)
}
