import Foundation
import GuestfsClient
import GuestfsProtocol
import Testing

// Robustness, part 4: path confinement. Pathname arguments with `..`,
// symlinks (absolute and relative) pointing out of the sysroot, symlink
// loops, over-long paths: every read and write stays inside the sysroot.
// A canary directory beside the sysroot must stay untouched and nothing it
// holds may come back in a reply or be copied in.

let canarySecret = "CANARY-SECRET-3141592653"

/// A standalone daemon whose sysroot holds hostile symlinks, and a canary
/// directory next to the sysroot.
final class ConfinementFixture {
    let d: StandaloneDaemon
    let outside: String
    let tally = RobustnessTally("confinement")
    var snapshot: [String: String] = [:]

    init(diskSizesMB: [Int] = []) throws {
        d = try StandaloneDaemon(diskSizesMB: diskSizesMB)
        outside = d.directory + "/outside"
        try makeCanary()
        let fm = FileManager.default
        let s = d.sysroot
        try fm.createSymbolicLink(atPath: s + "/abs", withDestinationPath: outside)
        try fm.createSymbolicLink(atPath: s + "/absfile", withDestinationPath: outside + "/canary")
        try fm.createSymbolicLink(atPath: s + "/rel", withDestinationPath: "../outside")
        try fm.createSymbolicLink(atPath: s + "/relfile", withDestinationPath: "../outside/canary")
        try fm.createDirectory(atPath: s + "/deep", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: s + "/deep/rel2", withDestinationPath: "../../outside")
        try fm.createSymbolicLink(atPath: s + "/updir", withDestinationPath: "..")
        try fm.createSymbolicLink(atPath: s + "/loop1", withDestinationPath: "loop2")
        try fm.createSymbolicLink(atPath: s + "/loop2", withDestinationPath: "loop1")
        try fm.createSymbolicLink(atPath: s + "/hostetc", withDestinationPath: "/etc")
        try fm.createSymbolicLink(atPath: s + "/hostpasswd", withDestinationPath: "/etc/passwd")
        try Data("inside\n".utf8).write(to: URL(fileURLWithPath: s + "/inside"))
        snapshot = try takeSnapshot()
    }

    func makeCanary() throws {
        let fm = FileManager.default
        try? fm.removeItem(atPath: outside)
        try fm.createDirectory(atPath: outside + "/sub", withIntermediateDirectories: true)
        try Data((canarySecret + "\n").utf8).write(to: URL(fileURLWithPath: outside + "/canary"))
        try Data((canarySecret + " sub\n").utf8).write(to: URL(fileURLWithPath: outside + "/sub/canary2"))
        _ = chmod(outside + "/canary", 0o644)
        var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
        for p in [outside + "/canary", outside + "/sub/canary2", outside + "/sub", outside] {
            _ = utimensat(AT_FDCWD, p, &times, AT_SYMLINK_NOFOLLOW)
        }
    }

    /// Every entry under the canary directory (and the scratch directory's
    /// own entries) with type, mode, owner, size, times, xattrs and content.
    func takeSnapshot() throws -> [String: String] {
        var out: [String: String] = [:]
        func visit(_ path: String) {
            var st = stat()
            guard lstat(path, &st) == 0 else { out[path] = "missing"; return }
            var desc = "mode=\(String(st.st_mode, radix: 8)) uid=\(st.st_uid) gid=\(st.st_gid) size=\(st.st_size) mtime=\(st.st_mtim.tv_sec) nlink=\(st.st_nlink)"
            if st.st_mode & S_IFMT == S_IFREG {
                desc += " content=" + ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "?")
            }
            out[path] = desc
            if st.st_mode & S_IFMT == S_IFDIR {
                for e in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] { visit(path + "/" + e) }
            }
        }
        visit(outside)
        // Extended attributes of everything outside (setxattr through a link).
        out["xattrs"] = (try? host(["getfattr", "-R", "-h", "-d", "-m", "-", outside], allowFailure: true)) ?? ""
        out["scratch entries"] = ((try? FileManager.default.contentsOfDirectory(atPath: d.directory)) ?? []).sorted().joined(separator: ",")
        out["/etc escape"] = FileManager.default.fileExists(atPath: "/etc/guestfsd-escape") ? "present" : "absent"
        out["/ escape"] = FileManager.default.fileExists(atPath: "/guestfsd-escape") ? "present" : "absent"
        return out
    }

    /// Runs one hostile operation (its failure is fine) and checks nothing
    /// outside changed and no reply leaked the canary or the host's files.
    func attempt(_ name: String, _ op: () throws -> Any?) {
        tally.tried += 1
        var result: Any?
        do { result = try op() } catch {}
        if let leaked = leak(in: result) {
            tally.escapes += 1
            tally.failures.append("\(name): a reply carried \(leaked)")
        }
        let now = (try? takeSnapshot()) ?? [:]
        if now != snapshot {
            tally.escapes += 1
            let diff = Set(now.keys).union(snapshot.keys).filter { now[$0] != snapshot[$0] }.sorted()
                .map { "\($0): \(snapshot[$0] ?? "nil") -> \(now[$0] ?? "nil")" }
            tally.failures.append("\(name): outside the sysroot changed: \(diff.joined(separator: "; "))")
            try? makeCanary()
            for p in ["/etc/guestfsd-escape", "/guestfsd-escape"] { try? FileManager.default.removeItem(atPath: p) }
            snapshot = (try? takeSnapshot()) ?? [:]
        }
    }

    func leak(in value: Any?) -> String? {
        let text: String
        switch value {
        case let b as [UInt8]: text = String(decoding: b, as: UTF8.self)
        case let s as String: text = s
        case let l as [String]: text = l.joined(separator: "\n")
        case let sink as DownloadSink: text = String(decoding: sink.bytes, as: UTF8.self)
        default: return nil
        }
        if text.contains(canarySecret) { return "the canary's content" }
        if text.contains("root:x:0:0:") { return "the host's /etc/passwd" }
        return nil
    }

    /// Files inside the sysroot that carry the canary or host secrets
    /// (copied in by a read that escaped).
    func copiedIn() -> [String] {
        var found: [String] = []
        let e = FileManager.default.enumerator(atPath: d.sysroot)
        while let rel = e?.nextObject() as? String {
            let p = d.sysroot + "/" + rel
            var st = stat()
            guard lstat(p, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_size < 1 << 20 else { continue }
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: p))) ?? Data()
            let text = String(decoding: bytes, as: UTF8.self)
            if text.contains(canarySecret) || text.contains("root:x:0:0:") { found.append(rel) }
        }
        return found
    }

    /// Counts outside data copied in as escapes, stops the daemon, reports.
    func finish() {
        for f in copiedIn() {
            tally.escapes += 1
            tally.failures.append("a file inside the sysroot holds outside data: \(f)")
        }
        d.stop()
        tally.report()
    }
}

/// A tar archive made on the host from (member, content-or-symlink-target)
/// entries, in order; nil content makes a directory.
func makeTar(_ entries: [(String, String?, symlink: Bool)]) throws -> [UInt8] {
    let dir = NSTemporaryDirectory() + "rb-tar-" + UUID().uuidString.prefix(8)
    let fm = FileManager.default
    try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? fm.removeItem(atPath: dir) }
    // One staging directory per member: a member below a symlink member
    // must not be written through that symlink while staging.
    for (i, (name, content, symlink)) in entries.enumerated() {
        let stage = dir + "/stage\(i)"
        let path = stage + "/" + name
        try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if symlink {
            try fm.createSymbolicLink(atPath: path, withDestinationPath: content!)
        } else if let content {
            try Data(content.utf8).write(to: URL(fileURLWithPath: path))
        } else {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        try host(["tar", "-C", stage, "--no-recursion", i == 0 ? "-cf" : "-rf", dir + "/x.tar", name])
    }
    return try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/x.tar")))
}

/// A tar archive whose member names are written verbatim (tar itself
/// would strip `../` and leading slashes when creating).
func makeRawTar(member: String, content: String) -> [UInt8] {
    var header = [UInt8](repeating: 0, count: 512)
    func put(_ s: String, _ off: Int) { for (i, b) in s.utf8.enumerated() { header[off + i] = b } }
    put(member, 0)
    put("0000644", 100); put("0000000", 108); put("0000000", 116)
    put(String(format: "%011o", content.utf8.count), 124)
    put("00000000000", 136)
    put("        ", 148)
    header[156] = UInt8(ascii: "0")
    put("ustar", 257); put("00", 263)
    let sum = header.reduce(0) { $0 + Int($1) }
    put(String(format: "%06o", sum), 148); header[154] = 0; header[155] = UInt8(ascii: " ")
    var body = [UInt8](content.utf8)
    body += [UInt8](repeating: 0, count: (512 - body.count % 512) % 512)
    return header + body + [UInt8](repeating: 0, count: 1024)
}

@Suite("robustness: path confinement", .serialized,
       .enabled(if: StandaloneDaemon.available, "needs root, unshare, losetup"))
struct RobustnessConfinementTests {
    /// Paths that would land on the canary if they escaped. (Writes never
    /// aim at real host files: a bug must not be able to damage the machine.)
    static func hostileFiles(outside: String) -> [String] {
        let rel = String(outside.dropFirst())
        return [
            "/../outside/canary", "/../../../../../outside/canary", "/abs/canary", "/absfile", "/rel/canary",
            "/relfile", "/deep/rel2/canary", "/deep/rel2/sub/canary2", "/updir/outside/canary", "/updir/../../outside/canary",
            "/loop1", "/loop1/x", "/abs/sub/../canary", "/rel/./canary", "/" + String(repeating: "../", count: 50) + rel + "/canary",
            "/" + String(repeating: "a/", count: 2100) + "x", "/" + String(repeating: "../", count: 1400) + rel + "/canary",
        ]
    }
    /// Host files only ever read.
    static let hostileReads = ["/hostetc/passwd", "/hostpasswd", "/" + String(repeating: "../", count: 20) + "etc/passwd"]
    static let hostileDirectories: [String] = ["/abs", "/rel", "/deep/rel2", "/../outside", "/updir/outside", "/abs/sub", "/loop1"]

    @Test func fileProceduresStayInsideTheSysroot() throws {
        let f = try ConfinementFixture()
        let c = f.d.client
        for p in Self.hostileReads {
            f.attempt("download \(p)") { let s = DownloadSink(); try c.download(remotefilename: p, filename: s); return s }
            f.attempt("pread \(p)") { try c.pread(path: p, count: 200, offset: 0) }
            f.attempt("head \(p)") { try c.head(path: p) }
            f.attempt("cp from \(p)") { try c.cp(src: p, dest: "/copied-cp") }
            f.attempt("copy_file_to_file from \(p)") { try c.copyFileToFile(src: p, dest: "/copied-cftf") }
            f.attempt("tar_out \(p)/..") { let s = DownloadSink(); try c.tarOut(directory: p + "/..", tarfile: s); return s }
        }
        for p in Self.hostileFiles(outside: f.outside) {
            f.attempt("internal_write \(p)") { try c.internalWrite(path: p, content: Array("pwned\n".utf8)) }
            f.attempt("internal_write_append \(p)") { try c.internalWriteAppend(path: p, content: Array("pwned\n".utf8)) }
            f.attempt("write_file \(p)") { try c.writeFile(path: p, content: "pwned\n", size: 0) }
            f.attempt("touch \(p)") { try c.touch(path: p) }
            f.attempt("truncate \(p)") { try c.truncate(path: p) }
            f.attempt("truncate_size \(p)") { try c.truncateSize(path: p, size: 1) }
            f.attempt("chmod \(p)") { try c.chmod(mode: 0o777, path: p) }
            f.attempt("chown \(p)") { try c.chown(owner: 4321, group: 4321, path: p) }
            f.attempt("utimens \(p)") { try c.utimens(path: p, atsecs: 5, atnsecs: 0, mtsecs: 5, mtnsecs: 0) }
            f.attempt("setxattr \(p)") { try c.setxattr(xattr: "user.pwned", val: "1", vallen: 1, path: p) }
            f.attempt("fill \(p)") { try c.fill(c: 0x41, len: 10, path: p) }
            f.attempt("fill_pattern \(p)") { try c.fillPattern(pattern: "pwn", len: 10, path: p) }
            f.attempt("upload \(p)") { try c.upload(filename: .bytes(Array("pwned\n".utf8)), remotefilename: p) }
            f.attempt("upload_offset \(p)") { try c.uploadOffset(filename: .bytes(Array("pwned\n".utf8)), remotefilename: p, offset: 0) }
            f.attempt("base64_in \(p)") { try c.base64In(base64file: .bytes(Array("cHduZWQK\n".utf8)), filename: p) }
            f.attempt("copy_file_to_file \(p)") { try c.copyFileToFile(src: "/inside", dest: p) }
            f.attempt("cp to \(p)") { try c.cp(src: "/inside", dest: p) }
            f.attempt("cp_a to \(p)") { try c.cpA(src: "/inside", dest: p) }
            f.attempt("cp_r to \(p)") { try c.cpR(src: "/inside", dest: p) }
            f.attempt("ln (hard) to \(p)") {
                try c.ln(target: p, linkname: "/hard")
                try c.internalWrite(path: "/hard", content: Array("pwned\n".utf8))
                return nil
            }
            f.attempt("mkdir \(p)") { try c.mkdir(path: p) }
            f.attempt("mkdir_p \(p)/x") { try c.mkdirP(path: p + "/x") }
            f.attempt("mkfifo \(p)") { try c.mkfifo(mode: 0o600, path: p) }
            // Reads: nothing from outside may come back or be copied in.
            f.attempt("download \(p)") { let s = DownloadSink(); try c.download(remotefilename: p, filename: s); return s }
            f.attempt("pread \(p)") { try c.pread(path: p, count: 200, offset: 0) }
            f.attempt("head \(p)") { try c.head(path: p) }
            f.attempt("cp from \(p)") { try c.cp(src: p, dest: "/copied-cp") }
            f.attempt("copy_file_to_file from \(p)") { try c.copyFileToFile(src: p, dest: "/copied-cftf") }
            f.attempt("mv from \(p)") { try c.mv(src: p, dest: "/stolen-mv") }
            f.attempt("rename from \(p)") { try c.rename(oldpath: p, newpath: "/stolen-rename") }
            // Removals last: each must leave the outside alone.
            f.attempt("rm \(p)") { try c.rm(path: p) }
            f.attempt("rmdir \(p)") { try c.rmdir(path: p) }
            f.attempt("rm_rf \(p)") { try c.rmRf(path: p) }
            // The fixture's links may be gone now: put them back.
            try restoreLinks(f)
        }
        f.finish()
        #expect(f.tally.escapes == 0, "\(f.tally.failures.joined(separator: "\n"))")
        #expect(f.tally.tried > 400)
    }

    @Test func directoryProceduresAndSymlinksMadeThroughTheDaemonStayInside() throws {
        let f = try ConfinementFixture()
        let c = f.d.client
        for dir in Self.hostileDirectories {
            f.attempt("mkdir \(dir)/new") { try c.mkdir(path: dir + "/new") }
            f.attempt("mkdir_p \(dir)/a/b") { try c.mkdirP(path: dir + "/a/b") }
            f.attempt("mkdtemp \(dir)") { try c.mkdtemp(tmpl: dir + "/tmpXXXXXX") }
            f.attempt("upload \(dir)/up") { try c.upload(filename: .bytes([1, 2, 3]), remotefilename: dir + "/up") }
            f.attempt("tar_in \(dir)") { try c.tarIn(tarfile: .bytes(try makeTar([("evil.txt", "pwned", false)])), directory: dir) }
            f.attempt("tar_out \(dir)") { let s = DownloadSink(); try c.tarOut(directory: dir, tarfile: s); return s }
            f.attempt("cpio_out \(dir)") { let s = DownloadSink(); try c.cpioOut(directory: dir, cpiofile: s); return s }
            f.attempt("ll \(dir)") { try c.ll(directory: dir) }
            f.attempt("cp_a \(dir)") { try c.cpA(src: dir, dest: "/copied-dir") }
            f.attempt("rm_rf \(dir)/") { try c.rmRf(path: dir + "/") }
            f.attempt("rm_rf \(dir)/.") { try c.rmRf(path: dir + "/.") }
            f.attempt("rm_rf \(dir)/sub") { try c.rmRf(path: dir + "/sub") }
            try restoreLinks(f)
        }
        // Links made through the daemon, then written through.
        for (target, name) in [(f.outside + "/canary", "/l1"), ("../outside/canary", "/l2"), ("../../../../../.." + f.outside + "/canary", "/l3"),
                                (f.outside, "/l4"), ("..", "/l5"), ("/", "/l6")] {
            f.attempt("ln_s \(name) -> \(target), write through") {
                try c.lnS(target: target, linkname: name)
                try c.internalWrite(path: name, content: Array("pwned\n".utf8))
                return nil
            }
            f.attempt("ln_sf \(name) -> \(target), upload through") {
                try c.lnSf(target: target, linkname: name)
                try c.upload(filename: .bytes(Array("pwned\n".utf8)), remotefilename: name)
                return nil
            }
            f.attempt("ln_s \(name) -> \(target), read through") { try c.pread(path: name, count: 100, offset: 0) }
            f.attempt("ln_s \(name) -> \(target), write beneath") {
                try c.internalWrite(path: name + "/canary", content: Array("pwned\n".utf8))
            }
            f.attempt("ln_s \(name) -> \(target), chmod through") { try c.chmod(mode: 0o777, path: name + "/canary") }
            f.attempt("ln_s \(name) -> \(target), rm_rf beneath") { try c.rmRf(path: name + "/sub") }
            f.attempt("ln_s \(name) -> \(target), tar_in beneath") {
                try c.tarIn(tarfile: .bytes(try makeTar([("evil.txt", "pwned", false)])), directory: name)
            }
        }
        f.finish()
        #expect(f.tally.escapes == 0, "\(f.tally.failures.joined(separator: "\n"))")
    }

    /// tar archives that try to climb out by their member names, or through
    /// symlinks they carry or that already exist in the guest.
    @Test func hostileTarArchivesStayInside() throws {
        let f = try ConfinementFixture()
        let c = f.d.client
        f.attempt("tar member ../outside/evil") { try c.tarIn(tarfile: .bytes(makeRawTar(member: "../outside/evil", content: "pwned")), directory: "/") }
        f.attempt("tar member ../../outside/canary") { try c.tarIn(tarfile: .bytes(makeRawTar(member: "../../outside/canary", content: "pwned")), directory: "/deep") }
        f.attempt("tar member with an absolute name") {
            try c.tarIn(tarfile: .bytes(makeRawTar(member: f.outside + "/evil-abs", content: "pwned")), directory: "/")
        }
        f.attempt("tar: symlink member then a file through it") {
            try c.tarIn(tarfile: .bytes(try makeTar([("lnk", f.outside, symlink: true), ("lnk/evil", "pwned", symlink: false)])), directory: "/")
        }
        f.attempt("tar: relative symlink member then a file through it") {
            try c.tarIn(tarfile: .bytes(try makeTar([("rlnk", "../outside", symlink: true), ("rlnk/evil", "pwned", symlink: false)])), directory: "/")
        }
        // Members beneath symlinks that already exist in the guest.
        for link in ["abs", "rel", "deep/rel2"] {
            f.attempt("tar: member \(link)/evil through an existing symlink") {
                try c.tarIn(tarfile: .bytes(try makeTar([("\(link)/evil", "pwned", symlink: false)])), directory: "/")
            }
            f.attempt("tar: member \(link)/canary overwriting through an existing symlink") {
                try c.tarIn(tarfile: .bytes(try makeTar([("\(link)/canary", "pwned", symlink: false)])), directory: "/")
            }
            try restoreLinks(f)
        }
        f.attempt("tar: member absfile overwriting a symlink to the canary") {
            try c.tarIn(tarfile: .bytes(try makeTar([("absfile", "pwned", symlink: false)])), directory: "/")
        }
        f.finish()
        // tar_in extracts with the guest as tar's root directory: symlinks
        // the guest already has, or that the archive makes, resolve inside
        // it (upstream follows them into the appliance's root). Member names
        // with `../` or a leading `/` are stripped by tar.
        #expect(f.tally.escapes == 0, "\(f.tally.failures.joined(separator: "\n"))")
        #expect(f.tally.failures.isEmpty, "\(f.tally.failures.joined(separator: "\n"))")
        #expect(f.tally.tried == 12)
    }

    @Test func mountpointsStayInsideTheSysroot() throws {
        let f = try ConfinementFixture(diskSizesMB: [32])
        let c = f.d.client
        try c.mkfs(fstype: "ext4", device: "/dev/sda")
        let pid = f.d.process.processIdentifier
        for mp in ["/../outside", "/abs", "/rel", "/deep/rel2", "/updir/outside"] {
            f.attempt("mount on \(mp)") { try c.mount(mountable: "/dev/sda", mountpoint: mp) }
            let mountinfo = (try? String(contentsOfFile: "/proc/\(pid)/mountinfo", encoding: .utf8)) ?? ""
            for line in mountinfo.split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count > 4 else { continue }
                let point = String(fields[4])
                if point.hasPrefix(f.d.directory) && !(point == f.d.sysroot || point.hasPrefix(f.d.sysroot + "/")) {
                    f.tally.escapes += 1
                    f.tally.failures.append("mount on \(mp): mounted at \(point), outside the sysroot")
                }
            }
            _ = try? c.umountAll()
        }
        f.finish()
        #expect(f.tally.escapes == 0, "\(f.tally.failures.joined(separator: "\n"))")
    }

    /// Over-long paths and NUL bytes: clean errors, right errnos.
    @Test func overlongPathsAndNULAreRefused() throws {
        try withStandaloneDaemon { d in
            let long = "/" + String(repeating: "b", count: 5000)
            let e = daemonErrno { _ = try d.client.isFile(path: long) }
            #expect(e != nil && e!.hasPrefix("not a daemon") == false, "\(e ?? "nil")")
            #expect(daemonErrno { try d.client.touch(path: long) } != nil)
            #expect(daemonErrno { try d.client.mkdirP(path: "/" + String(repeating: "c/", count: 2100)) } != nil)
            // A NUL in a string fails to decode: nothing is created.
            let args = rbXDR { $0.writeOpaque([UInt8]("/nul\0/x".utf8)) }
            _ = try d.client.sendCall(procedure: Procedure.touch.rawValue, argsBytes: args)
            let reply = try d.client.readReply(timeoutSeconds: 10)
            #expect(reply.header.status == 1)
            #expect(!FileManager.default.fileExists(atPath: d.sysroot + "/nul"))
            try d.client.pingDaemon()
        }
    }
}

/// Puts back the fixture's symlinks (a test step may have removed one).
func restoreLinks(_ f: ConfinementFixture) throws {
    let s = f.d.sysroot
    let links = [("abs", f.outside), ("absfile", f.outside + "/canary"), ("rel", "../outside"), ("relfile", "../outside/canary"),
                 ("deep/rel2", "../../outside"), ("updir", ".."), ("loop1", "loop2"), ("loop2", "loop1"), ("hostetc", "/etc"),
                 ("hostpasswd", "/etc/passwd")]
    try? FileManager.default.createDirectory(atPath: s + "/deep", withIntermediateDirectories: true)
    for (name, target) in links {
        let path = s + "/" + name
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) == target { continue }
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }
}
