#if canImport(Glibc)
import Glibc
#endif
import CTsk
import GuestfsProtocol

/// internal_filesystem_walk and internal_find_inode (optional group
/// "libtsk"): libtsk walks every name of the filesystem, allocated or
/// not, and each becomes a tsk_dirent, XDR-encoded one after the other in
/// the download; the library decodes the stream into filesystem_walk's
/// and find_inode's lists.
extension Handlers {
    public func internalFilesystemWalk(device: String, filename: FileOutSink) throws {
        try tskWalk(device: splitMountable(device).device, inode: nil, to: filename)
    }

    public func internalFindInode(device: String, inode: Int64, filename: FileOutSink) throws {
        // Compared as upstream does, as an unsigned inode number.
        try tskWalk(device: splitMountable(device).device, inode: UInt64(bitPattern: inode), to: filename)
    }

    /// Walks the filesystem on `device` from its root, sending a dirent for
    /// each name (or only those whose inode is `inode`). An error before
    /// anything is sent is an error reply; later, it cancels the download.
    private func tskWalk(device: String, inode: UInt64?, to sink: FileOutSink) throws {
        try LazyLibrary.tsk.require(for: inode == nil ? "filesystem_walk" : "find_inode")
        tsk_error_reset()
        guard let img = tsk_img_open_utf8_sing(device, TSK_IMG_TYPE_DETECT, 0) else {
            throw Self.tskError("tsk_image_open")
        }
        defer { tsk_img_close(img) }
        guard let fs = tsk_fs_open_img(img, 0, TSK_FS_TYPE_DETECT) else {
            throw Self.tskError("tsk_fs_open_img")
        }
        defer { tsk_fs_close(fs) }

        let walk = TskWalk(sink: sink, inode: inode, rootInode: fs.pointee.root_inum)
        let flags = TSK_FS_DIR_WALK_FLAG_ENUM(
            TSK_FS_DIR_WALK_FLAG_ALLOC.rawValue | TSK_FS_DIR_WALK_FLAG_UNALLOC.rawValue
                | TSK_FS_DIR_WALK_FLAG_RECURSE.rawValue | TSK_FS_DIR_WALK_FLAG_NOORPHAN.rawValue)
        let failed = withExtendedLifetime(walk) {
            tsk_fs_dir_walk(fs, fs.pointee.root_inum, flags, { file, path, context in
                guard let context, let file else { return TSK_WALK_CONT }
                let walk = Unmanaged<TskWalk>.fromOpaque(context).takeUnretainedValue()
                return walk.visit(file, path: path)
            }, Unmanaged.passUnretained(walk).toOpaque()) != 0
        }
        if let error = walk.error { throw error }
        if failed { throw Self.tskError("tsk_fs_dir_walk") }
        // Nothing found is an empty download, not an error.
        try sink.start()
    }

    /// upstream's message: "FUNCTION: libtsk's error text".
    static func tskError(_ function: String) -> DaemonError {
        guard tsk_error_get_errno() != 0, let text = tsk_error_get() else {
            return DaemonError(message: "\(function): unknown error")
        }
        return DaemonError(message: "\(function): \(String(cString: text))")
    }
}

/// The state of one walk, handed to libtsk's callback.
private final class TskWalk {
    let sink: FileOutSink
    let inode: UInt64?
    let rootInode: UInt64
    var error: (any Error)?
    private var xdr = XDRWriter(capacity: 512)

    init(sink: FileOutSink, inode: UInt64?, rootInode: UInt64) {
        self.sink = sink
        self.inode = inode
        self.rootInode = rootInode
    }

    func visit(_ file: UnsafeMutablePointer<TSK_FS_FILE>, path: UnsafePointer<CChar>?) -> TSK_WALK_RET_ENUM {
        guard let name = file.pointee.name else { return TSK_WALK_CONT }
        if let inode, name.pointee.meta_addr != inode { return TSK_WALK_CONT }
        if isDotEntry(name.pointee) { return TSK_WALK_CONT }
        xdr.reset()
        encodeDirent(file.pointee, name: name.pointee, path: path)
        do {
            try xdr.bytes.withUnsafeBytes { try sink.write($0) }
        } catch {
            self.error = error
            return TSK_WALK_ERROR
        }
        return TSK_WALK_CONT
    }

    /// "." and ".." are skipped, but for the root's own "." entry (which
    /// stands for the root directory itself).
    private func isDotEntry(_ name: TSK_FS_NAME) -> Bool {
        guard let n = name.name else { return false }
        let isDot = n[0] == 0x2E && (n[1] == 0 || (n[1] == 0x2E && n[2] == 0))
        guard isDot else { return false }
        return !(name.meta_addr == rootInode && n[1] == 0)
    }

    /// tsk_dirent, encoded in place: names and link targets go as their
    /// raw bytes (a deleted entry's name need not be UTF-8).
    private func encodeDirent(_ file: TSK_FS_FILE, name: TSK_FS_NAME, path: UnsafePointer<CChar>?) {
        xdr.write(name.meta_addr as UInt64)
        xdr.writeChar(Self.typeCode(name.type))
        let meta = file.meta?.pointee
        xdr.write((meta.map { Int64($0.size) } ?? -1) as Int64)
        // tsk_name: the path of the entry's directory (relative to the
        // root, with its trailing slash) and the entry's name.
        let pathLength = path.map { strlen($0) } ?? 0
        let nameLength = name.name.map { strlen($0) } ?? 0
        xdr.write(UInt32(pathLength + nameLength))
        xdr.writeRaw(UnsafeRawBufferPointer(start: path, count: pathLength))
        if let n = name.name { xdr.writeRaw(UnsafeRawBufferPointer(start: n, count: nameLength)) }
        xdr.writeZeros((4 - (pathLength + nameLength) % 4) % 4)
        xdr.write(Self.flags(name: name, meta: meta) as UInt32)
        if let meta {
            xdr.write(Int64(meta.atime))
            xdr.write(Int64(meta.atime_nano))
            xdr.write(Int64(meta.mtime))
            xdr.write(Int64(meta.mtime_nano))
            xdr.write(Int64(meta.ctime))
            xdr.write(Int64(meta.ctime_nano))
            xdr.write(Int64(meta.crtime))
            xdr.write(Int64(meta.crtime_nano))
            xdr.write(Int64(meta.nlink))
        } else {
            for _ in 0..<9 { xdr.write(0 as Int64) }
        }
        if let link = meta?.link {
            xdr.writeOpaque(UnsafeRawBufferPointer(start: link, count: strlen(link)))
        } else {
            xdr.write(0 as UInt32)
        }
        xdr.write(0 as Int64)  // tsk_spare1
    }

    /// The one-letter type of the name's directory entry.
    private static func typeCode(_ type: TSK_FS_NAME_TYPE_ENUM) -> UInt8 {
        switch type {
        case TSK_FS_NAME_TYPE_FIFO: return UInt8(ascii: "f")
        case TSK_FS_NAME_TYPE_CHR: return UInt8(ascii: "c")
        case TSK_FS_NAME_TYPE_DIR: return UInt8(ascii: "d")
        case TSK_FS_NAME_TYPE_BLK: return UInt8(ascii: "b")
        case TSK_FS_NAME_TYPE_REG: return UInt8(ascii: "r")
        case TSK_FS_NAME_TYPE_LNK: return UInt8(ascii: "l")
        case TSK_FS_NAME_TYPE_SOCK: return UInt8(ascii: "s")
        case TSK_FS_NAME_TYPE_SHAD: return UInt8(ascii: "h")
        case TSK_FS_NAME_TYPE_WHT: return UInt8(ascii: "w")
        // Unknown, and the virtual files and folders libtsk adds.
        default: return UInt8(ascii: "u")
        }
    }

    // tsk_dirent's tsk_flags bits (guestfs(3): filesystem_walk).
    private static let direntAllocated: UInt32 = 0x01
    private static let direntReallocated: UInt32 = 0x02
    private static let direntCompressed: UInt32 = 0x04

    /// Allocated, or unallocated (0) and maybe reallocated (its inode in
    /// use again by another file), and compressed.
    private static func flags(name: TSK_FS_NAME, meta: TSK_FS_META?) -> UInt32 {
        var flags: UInt32 = 0
        if name.flags.rawValue & TSK_FS_NAME_FLAG_UNALLOC.rawValue != 0 {
            if let meta, meta.flags.rawValue & TSK_FS_META_FLAG_ALLOC.rawValue != 0 {
                flags |= direntReallocated
            }
        } else {
            flags |= direntAllocated
        }
        if let meta, meta.flags.rawValue & TSK_FS_META_FLAG_COMP.rawValue != 0 {
            flags |= direntCompressed
        }
        return flags
    }
}
