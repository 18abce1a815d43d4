#if canImport(Glibc)
import Glibc
#endif
import CExt2fs
import CGuestfsShim
import SystemPackage

/// zerofree done in the daemon, with libext2fs in process: every block the
/// block bitmap marks free and that is not all zeros is made zeros, as the
/// zerofree tool does (the same mount check, open mode, messages and bytes
/// on disk), but with the I/O shaped for a virtual disk.
///
/// The tool reads and writes one block per system call through the page
/// cache: under TCG, 1 GiB of free space is 262144 reads, each copied by
/// the emulated CPU, 16-23 s. Here free blocks are read in runs of up to
/// 4 MiB with O_DIRECT (the disk's DMA fills the buffer; nothing is copied
/// by the guest CPU), and each run of non-zero blocks is zeroed with one
/// BLKZEROOUT (the disk's write-zeroes command, done by qemu on the host),
/// or written from a zero buffer where the device cannot.
enum Ext2Zerofree {
    /// A failure, worded as the zerofree tool words it (without its
    /// "zerofree: " prefix).
    struct Failure: Error, Equatable {
        let message: String
    }

    /// Bytes read at a time (a multiple of every ext2 block size).
    static let chunkBytes = 4 << 20

    /// Zeroes the free blocks of the ext2/3/4 filesystem on `device`.
    /// `progress` gets tenths of a percent of the free blocks done, each
    /// time the figure changes.
    static func run(device: String, progress: (UInt64) -> Void) throws {
        var mountFlags: Int32 = 0
        guard ext2fs_check_if_mounted(device, &mountFlags) == 0 else {
            throw Failure(message: "failed to determine filesystem mount state  \(device)")
        }
        if mountFlags & EXT2_MF_MOUNTED != 0 && mountFlags & EXT2_MF_READONLY == 0 {
            throw Failure(message: "filesystem \(device) is mounted rw")
        }
        // Read-write, as the tool opens it: a filesystem with features
        // libext2fs cannot write (or multi-mount protection held by another
        // host) is refused the same way.
        var opened: ext2_filsys?
        guard ext2fs_open2(device, nil, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0, guestfs_ext2fs_unix_io_manager(), &opened) == 0,
              let fs = opened
        else { throw Failure(message: "failed to open filesystem \(device)") }
        var open = true
        defer { if open { ext2fs_free(fs) } }
        guard ext2fs_read_block_bitmap(fs) == 0, let bitmap = fs.pointee.block_map else {
            throw Failure(message: "error while reading block bitmap")
        }
        let superblock = fs.pointee.`super`!
        let geometry = Geometry(blockSize: Int(fs.pointee.blocksize),
                                first: UInt64(superblock.pointee.s_first_data_block),
                                count: UInt64(ext2fs_blocks_count(superblock)),
                                freeBlocks: UInt64(ext2fs_free_blocks_count(superblock)))
        var disk = try Disk(device: device)
        defer { disk.close() }
        try zeroFreeRuns(geometry, freeRuns: { from in
            var start: blk64_t = 0
            guard ext2fs_find_first_zero_block_bitmap2(bitmap, from, geometry.count - 1, &start) == 0 else { return nil }
            var end: blk64_t = 0
            if ext2fs_find_first_set_block_bitmap2(bitmap, start, geometry.count - 1, &end) != 0 { end = geometry.count }
            return UInt64(start)..<UInt64(end)
        }, disk: &disk, progress: progress)
        try disk.sync()
        // The tool writes through libext2fs's channel, whose count of
        // bytes written goes into the superblock's lifetime figure
        // (s_kbytes_written) when the filesystem is closed; ours went
        // around the channel, so they are added to its count: the
        // superblock ends up byte for byte as the tool leaves it.
        if disk.zeroedBytes > 0, let io = fs.pointee.io, let getStats = io.pointee.manager.pointee.get_stats {
            var stats: io_stats?
            if getStats(io, &stats) == 0, let stats { stats.pointee.bytes_written += UInt64(disk.zeroedBytes) }
        }
        open = false
        if ext2fs_close2(fs, 0) != 0 {
            ext2fs_free(fs)
            throw Failure(message: "error while closing filesystem")
        }
    }

    struct Geometry {
        let blockSize: Int
        /// The first block the bitmap covers and the number of blocks.
        let first: UInt64
        let count: UInt64
        /// The superblock's free count: what progress is measured against.
        let freeBlocks: UInt64
    }

    /// Walks the free runs (`freeRuns(from)`: the next run of free blocks
    /// at or after `from`, nil when there is none), reading each in chunks
    /// and zeroing the blocks that are not zeros.
    static func zeroFreeRuns(_ g: Geometry, freeRuns: (UInt64) -> Range<UInt64>?, disk: inout Disk,
                             progress: (UInt64) -> Void) throws {
        let chunkBlocks = UInt64(max(1, chunkBytes / g.blockSize))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(chunkBlocks) * g.blockSize, alignment: 4096)
        defer { buffer.deallocate() }
        var done: UInt64 = 0
        var reported: UInt64 = .max
        var next = g.first
        while next < g.count, let found = freeRuns(next) {
            // Never step backwards (a cluster bitmap answers in whole
            // clusters), and always forwards.
            let run = max(found.lowerBound, next)..<max(found.upperBound, max(found.lowerBound, next) + 1)
            var block = run.lowerBound
            while block < min(run.upperBound, g.count) {
                let n = Int(min(chunkBlocks, min(run.upperBound, g.count) - block))
                let bytes = UnsafeMutableRawBufferPointer(rebasing: buffer[..<(n * g.blockSize)])
                try disk.read(into: bytes, at: Int64(block) * Int64(g.blockSize))
                for dirty in nonzeroRuns(UnsafeRawBufferPointer(bytes), blockSize: g.blockSize) {
                    try disk.zero(at: (Int64(block) + Int64(dirty.lowerBound)) * Int64(g.blockSize),
                                  length: dirty.count * g.blockSize)
                }
                block += UInt64(n)
                done += UInt64(n)
                let permille = g.freeBlocks == 0 ? 1000 : min(1000, done * 1000 / g.freeBlocks)
                if permille != reported {
                    reported = permille
                    progress(permille)
                }
            }
            next = run.upperBound
        }
    }

    /// The runs of blocks in `buffer` that are not all zeros, as ranges of
    /// block indexes (in order, maximal: two runs never touch).
    static func nonzeroRuns(_ buffer: UnsafeRawBufferPointer, blockSize: Int) -> [Range<Int>] {
        precondition(blockSize > 0 && buffer.count % blockSize == 0)
        var runs: [Range<Int>] = []
        var runStart: Int?
        let blocks = buffer.count / blockSize
        for i in 0..<blocks {
            let zero = isZero(UnsafeRawBufferPointer(rebasing: buffer[(i * blockSize)..<((i + 1) * blockSize)]))
            if !zero, runStart == nil {
                runStart = i
            } else if zero, let s = runStart {
                runs.append(s..<i)
                runStart = nil
            }
        }
        if let s = runStart { runs.append(s..<blocks) }
        return runs
    }

    /// Whether every byte is 0: the first is, and each equals the next
    /// (one memcmp of the block against itself shifted by a byte, glibc's
    /// vector code, with no zero buffer to compare against).
    static func isZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
        return bytes[0] == 0 && memcmp(base, base + 1, bytes.count - 1) == 0
    }

    /// The device, opened for direct I/O where it allows it.
    struct Disk {
        private var fd: FileDescriptor
        private let device: String
        private var direct: Bool
        private var zeroout = true
        private var zeros: UnsafeMutableRawBufferPointer?
        /// Bytes made zeros so far.
        private(set) var zeroedBytes = 0

        init(device: String) throws {
            self.device = device
            let directFlag = FileDescriptor.OpenOptions(rawValue: guestfs_shim_o_direct())
            if let fd = try? FileDescriptor.open(device, .readWrite, options: [.closeOnExec, directFlag]) {
                self.fd = fd
                direct = true
            } else {
                do {
                    fd = try FileDescriptor.open(device, .readWrite, options: [.closeOnExec])
                } catch {
                    throw Failure(message: "failed to open filesystem \(device)")
                }
                direct = false
            }
        }

        /// Fills `buffer` from `offset`; a device that refuses direct I/O
        /// there (EINVAL: an offset or length not a multiple of its sector)
        /// is reopened for buffered I/O.
        mutating func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws {
            var got = 0
            while got < buffer.count {
                let n: Int
                do {
                    n = try fd.read(fromAbsoluteOffset: offset + Int64(got),
                                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[got...]))
                } catch Errno.invalidArgument where direct {
                    try reopenBuffered()
                    continue
                } catch {
                    throw Failure(message: "error while reading block")
                }
                guard n > 0 else { throw Failure(message: "error while reading block") }
                got += n
            }
        }

        /// Makes [offset, offset + length) zeros.
        mutating func zero(at offset: Int64, length: Int) throws {
            zeroedBytes += length
            if zeroout {
                if guestfs_shim_blk_zeroout(fd.rawValue, UInt64(offset), UInt64(length)) == 0 { return }
                // Not a block device, no write-zeroes and no fallback, or a
                // range the device will not take: write zeros instead, from
                // now on.
                zeroout = false
            }
            let zeros = try zeroBuffer()
            var put = 0
            while put < length {
                let n = min(zeros.count, length - put)
                do {
                    put += try fd.write(toAbsoluteOffset: offset + Int64(put),
                                        UnsafeRawBufferPointer(rebasing: zeros[..<n]))
                } catch Errno.invalidArgument where direct {
                    try reopenBuffered()
                } catch {
                    throw Failure(message: "error while writing block")
                }
            }
        }

        /// Flushes what was written to the disk.
        func sync() throws {
            guard fsync(fd.rawValue) == 0 else { throw Failure(message: "error while writing block") }
        }

        mutating func close() {
            try? fd.close()
            zeros?.deallocate()
            zeros = nil
        }

        private mutating func zeroBuffer() throws -> UnsafeMutableRawBufferPointer {
            if let zeros { return zeros }
            let b = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
            b.initializeMemory(as: UInt8.self, repeating: 0)
            zeros = b
            return b
        }

        private mutating func reopenBuffered() throws {
            let plain: FileDescriptor
            do {
                plain = try FileDescriptor.open(device, .readWrite, options: [.closeOnExec])
            } catch {
                throw Failure(message: "error while reading block")
            }
            try? fd.close()
            fd = plain
            direct = false
        }
    }
}
