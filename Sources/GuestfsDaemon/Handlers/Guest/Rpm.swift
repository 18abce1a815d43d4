#if canImport(Glibc)
import Glibc
#endif
import CRpm
import GuestfsProtocol
import SystemPackage

/// internal_list_rpm_applications: librpm reads the guest's database as
/// upstream's daemon does, in a child process chrooted into the sysroot
/// (librpm reads the guest's own configuration and keeps files open; the
/// daemon must stay clean). The child writes the packages to a pipe as
/// length-prefixed fields; the parent sorts them by name (a stable sort
/// over the reverse of the database's order, as upstream's list is built).
extension Handlers {
    public func internalListRpmApplications() throws -> [GuestfsApplication2] {
        // Loaded here, before the child chroots into the guest.
        try LazyLibrary.rpm.require(for: "inspect_list_applications")
        let root = context.sysroot.root.isEmpty ? "/" : context.sysroot.root
        let child = try CommandRunner.fork { output in Self.rpmChild(root: root, output: output) }
        let record = RpmRecordReader(child.output)
        if let signal = child.signal {
            throw DaemonError(message: "librpm: the child process was killed by signal \(signal)")
        }
        if child.exitStatus != 0 {
            throw DaemonError(message: record.errorMessage ?? "librpm: the child process failed")
        }
        guard let apps = record.applications() else {
            throw DaemonError(message: "librpm: malformed answer from the child process")
        }
        // List.sort in upstream is stable, over a list built in reverse.
        return apps.reversed().enumerated()
            .sorted { ($0.element.app2Name, $0.offset) < ($1.element.app2Name, $1.offset) }
            .map(\.element)
    }

    /// The child: chroot, read the database, write records, exit. Never
    /// returns.
    private static func rpmChild(root: String, output: FileDescriptor) -> Never {
        var out = RpmRecordWriter()
        func fail(_ message: String) -> Never {
            out.error(message)
            out.flush(to: output)
            _exit(1)
        }
        if chroot(root) != 0 { fail("chroot: \(root): \(errnoDescription(errno))") }
        if chdir("/") != 0 { fail("chdir: /: \(errnoDescription(errno))") }
        // Like upstream (and rpm's own tools), a failure here is not fatal.
        _ = rpmReadConfigFiles(nil, nil)
        guard let ts = rpmtsCreate() else { fail("rpmtsCreate") }
        _ = rpmtsSetVSFlags(ts, rpmtsVSFlags(ts) | guestfs_rpm_no_signatures())
        // NULL also when the database cannot be opened: an error, as upstream
        guard let iter = rpmtsInitIterator(ts, rpmDbiTagVal(RPMDBI_PACKAGES.rawValue), nil, 0) else {
            fail("rpmtsInitIterator")
        }
        while let h = rpmdbNextIterator(iter) {
            func format(_ tag: String) -> String {
                guard let p = headerFormat(h, "%{\(tag)}", nil) else { return "" }
                defer { free(p) }
                return String(cString: p)
            }
            out.application([format("NAME"), format("VERSION"), format("RELEASE"), format("ARCH"),
                             format("URL"), format("SUMMARY"), format("DESCRIPTION")],
                            epoch: Int32(truncatingIfNeeded: headerGetNumber(h, rpmTagVal(RPMTAG_EPOCH.rawValue))))
        }
        _ = rpmdbFreeIterator(iter)
        _ = rpmtsFree(ts)
        out.flush(to: output)
        _exit(0)
    }
}

/// The child's answer: records of a kind byte ("A" application: epoch
/// then seven strings; "E" error: one string), strings as 4-byte length +
/// bytes, in host byte order (both ends are this process).
struct RpmRecordWriter {
    var bytes: [UInt8] = []

    mutating func string(_ s: String) {
        let u = Array(s.utf8)
        withUnsafeBytes(of: UInt32(u.count)) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: u)
    }

    mutating func application(_ fields: [String], epoch: Int32) {
        bytes.append(0x41)
        withUnsafeBytes(of: epoch) { bytes.append(contentsOf: $0) }
        for f in fields { string(f) }
    }

    mutating func error(_ message: String) {
        bytes.append(0x45)
        string(message)
    }

    /// Writes the records (a failure leaves the answer short: the parent
    /// reads it as malformed).
    func flush(to fd: FileDescriptor) {
        _ = try? bytes.withUnsafeBytes { try fd.writeAll($0, error: "write") }
    }
}

struct RpmRecordReader {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    private func u32(_ at: Int) -> UInt32? {
        guard at + 4 <= bytes.count else { return nil }
        return bytes[at..<(at + 4)].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
    }

    private func string(_ at: inout Int) -> String? {
        guard let n = u32(at), at + 4 + Int(n) <= bytes.count else { return nil }
        let s = String(decoding: bytes[(at + 4)..<(at + 4 + Int(n))], as: UTF8.self)
        at += 4 + Int(n)
        return s
    }

    var errorMessage: String? {
        var at = 0
        while at < bytes.count {
            if bytes[at] == 0x45 { at += 1; return string(&at) }
            guard skipApplication(&at) else { return nil }
        }
        return nil
    }

    private func skipApplication(_ at: inout Int) -> Bool {
        guard bytes[at] == 0x41 else { return false }
        at += 5
        for _ in 0..<7 { guard string(&at) != nil else { return false } }
        return true
    }

    func applications() -> [GuestfsApplication2]? {
        var apps: [GuestfsApplication2] = []
        var at = 0
        while at < bytes.count {
            guard bytes[at] == 0x41, let e = u32(at + 1) else { return nil }
            at += 5
            var f: [String] = []
            for _ in 0..<7 {
                guard let s = string(&at) else { return nil }
                f.append(s)
            }
            apps.append(GuestfsApplication2(app2Name: f[0], app2Epoch: Int32(bitPattern: e), app2Version: f[1],
                                            app2Release: f[2], app2Arch: f[3], app2Url: f[4],
                                            app2Summary: f[5], app2Description: f[6]))
        }
        return apps
    }
}
