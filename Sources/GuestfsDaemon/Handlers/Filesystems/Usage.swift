#if canImport(Glibc)
import Glibc
#endif
import CBlkid
import SystemPackage
import GuestfsProtocol

// MARK: - fstrim, df, isoinfo

extension Handlers {
    public func fstrim(mountpoint: String, offset: Int64?, length: Int64?, minimumfreeextent: Int64?) throws {
        Glibc.sync()
        var argv = ["fstrim"]
        if let offset {
            guard offset >= 0 else { throw DaemonError(message: "offset < 0") }
            argv += ["-o", String(offset)]
        }
        if let length {
            guard length > 0 else { throw DaemonError(message: "length <= 0") }
            argv += ["-l", String(length)]
        }
        if let minimumfreeextent {
            guard minimumfreeextent > 0 else { throw DaemonError(message: "minimumfreeextent <= 0") }
            argv += ["-m", String(minimumfreeextent)]
        }
        argv.append(try context.resolve(mountpoint))
        // Twice, as upstream 1.60 (RHEL-88450: one pass can leave ranges
        // untrimmed), then a sync: discards may still be in flight, and
        // callers look at the host's image right after.
        for _ in 0..<2 {
            let r = try context.runner.run(argv)
            if !r.succeeded {
                let err = r.stderrString.trimmingTrailingNewlines()
                throw DaemonError(err.contains("discard operation is not supported") ? ENOTSUP : 0, err)
            }
        }
        Glibc.sync()
    }

    public func df() throws -> String { try df(flags: []) }

    public func dfH() throws -> String { try df(flags: ["-h"]) }

    /// Upstream runs plain `df` in the appliance. On a host (standalone)
    /// that would list the host's filesystems, so only the sysroot's
    /// mounts are shown there.
    private func df(flags: [String]) throws -> String {
        var argv = ["df"] + flags
        if !context.inAppliance {
            let root = context.sysroot.hostPath("/")
            let points = context.mountTable().map(\.mountpoint).filter { $0 == root || $0.hasPrefix(root + "/") }
            argv += points.isEmpty ? [root] : points
        }
        let r = try context.runner.run(argv)
        guard r.succeeded else { throw DaemonError(message: r.stderrString.trimmingTrailingNewlines()) }
        return canonicalNames(in: r.stdoutString)
    }

    public func isoinfoDevice(device: String) throws -> GuestfsIsoinfo {
        try isoinfo(hostPath: device, name: fsName(device))
    }

    public func isoinfo(isofile: String) throws -> GuestfsIsoinfo {
        try isoinfo(hostPath: context.resolve(isofile), name: isofile)
    }

    /// Parses the ISO 9660 primary volume descriptor (sector 16).
    private func isoinfo(hostPath: String, name: String) throws -> GuestfsIsoinfo {
        var pvd = [UInt8](repeating: 0, count: 2048)
        // A failed or short read is "not an ISO" as well.
        let n = try FileIO.withOpen(hostPath, O_RDONLY, error: "open: \(name)") { fd in
            (try? pvd.withUnsafeMutableBytes { try fd.pread(into: $0, at: 32768, error: name) }) ?? -1
        }
        guard n == 2048, pvd[0] == 1, Array(pvd[1..<6]) == Array("CD001".utf8) else {
            throw DaemonError(message: "\(name): not an ISO file or CD-ROM")
        }
        func str(_ off: Int, _ len: Int) -> String {
            var slice = pvd[off..<(off + len)]
            while let last = slice.last, last == 32 { slice = slice.dropLast() }
            return String(decoding: slice, as: UTF8.self)
        }
        func le16(_ off: Int) -> UInt32 { UInt32(pvd[off]) | UInt32(pvd[off + 1]) << 8 }
        func le32(_ off: Int) -> UInt32 { le16(off) | UInt32(pvd[off + 2]) << 16 | UInt32(pvd[off + 3]) << 24 }
        func datetime(_ off: Int) -> Int64 {
            let digits = pvd[off..<(off + 16)]
            if digits.allSatisfy({ $0 == 48 }) { return -1 }
            func num(_ a: Int, _ l: Int) -> Int32 {
                Int32(String(decoding: pvd[(off + a)..<(off + a + l)], as: UTF8.self)) ?? 0
            }
            var t = tm()
            t.tm_year = num(0, 4) - 1900
            t.tm_mon = num(4, 2) - 1
            t.tm_mday = num(6, 2)
            t.tm_hour = num(8, 2)
            t.tm_min = num(10, 2)
            t.tm_sec = num(12, 2)
            let utc = Int64(timegm(&t))
            let tz = Int64(Int8(bitPattern: pvd[off + 16]))
            return utc - tz * 15 * 60
        }
        return GuestfsIsoinfo(
            isoSystemId: str(8, 32), isoVolumeId: str(40, 32), isoVolumeSpaceSize: le32(80),
            isoVolumeSetSize: le16(120), isoVolumeSequenceNumber: le16(124), isoLogicalBlockSize: le16(128),
            isoVolumeSetId: str(190, 128), isoPublisherId: str(318, 128), isoDataPreparerId: str(446, 128),
            isoApplicationId: str(574, 128), isoCopyrightFileId: str(702, 37), isoAbstractFileId: str(739, 37),
            isoBibliographicFileId: str(776, 37), isoVolumeCreationT: datetime(813),
            isoVolumeModificationT: datetime(830), isoVolumeExpirationT: datetime(847),
            isoVolumeEffectiveT: datetime(864))
    }
}
