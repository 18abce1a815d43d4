/// The cpio formats GNU cpio reads (and file(1) calls "cpio archive").
public enum CpioFormat: Sendable {
    case newc            // "070701" (and "070702", with a checksum)
    case odc             // "070707", portable ASCII
    case binaryLittle    // old binary, 0o070707 little-endian
    case binaryBig

    public static func detect(_ h: [UInt8]) -> CpioFormat? {
        if h.count >= 6, h[0] == 0x30, h[1] == 0x37, h[2] == 0x30, h[3] == 0x37, h[4] == 0x30 {
            switch h[5] {
            case 0x31, 0x32: return .newc
            case 0x37: return .odc
            default: return nil
            }
        }
        if h.count >= 2, h[0] == 0xC7, h[1] == 0x71 { return .binaryLittle }
        if h.count >= 2, h[0] == 0x71, h[1] == 0xC7 { return .binaryBig }
        return nil
    }
}

/// Reads a cpio archive as a stream of chunks (a decompressor's output)
/// and keeps the first bytes of the regular files it is asked for. Like
/// `cpio -id NAME...`, it reads the first archive only (up to its
/// TRAILER!!!; an initrd may have more archives after it), matches names
/// with a leading "./" removed, and lets a later member of the same name
/// replace an earlier one.
public struct CpioScanner: Sendable {
    public enum State: Equatable, Sendable {
        case reading
        case finished       // the trailer was read
        case malformed      // not cpio, or a header that makes no sense
    }

    public private(set) var state: State = .reading
    /// name -> the first `keepBytes` bytes of that regular file
    public private(set) var found: [String: [UInt8]] = [:]

    let wanted: Set<String>
    let keepBytes: Int
    var format: CpioFormat?
    var pending: [UInt8] = []
    /// Bytes of the current member's data (and padding) still to come.
    var skipRemaining = 0
    var capturing: String?
    var captureRemaining = 0

    public init(wanted: [String], keepBytes: Int = 65536) {
        self.wanted = Set(wanted)
        self.keepBytes = keepBytes
    }

    /// True once the archive's end, or an error, was seen: later bytes
    /// change nothing.
    public var isDone: Bool { state != .reading }

    /// When the stream ended: a truncated archive is an error (GNU cpio
    /// says "premature end of file").
    public mutating func finish() {
        if state == .reading { state = .malformed }
    }

    public mutating func feed(_ chunk: [UInt8]) {
        guard state == .reading else { return }
        var input = chunk[...]
        while state == .reading {
            if skipRemaining > 0 {
                let n = min(skipRemaining, input.count)
                if let name = capturing, captureRemaining > 0 {
                    let take = min(captureRemaining, n)
                    found[name, default: []].append(contentsOf: input.prefix(take))
                    captureRemaining -= take
                }
                skipRemaining -= n
                input = input.dropFirst(n)
                if skipRemaining > 0 { return }
                capturing = nil
                continue
            }
            if input.isEmpty { return }
            pending.append(contentsOf: input)
            input = [][...]
            guard parseHeader() else { return }
            // what was left in `pending` after the header is member data
            input = pending[...]
            pending = []
        }
    }

    /// Parses one header from `pending` if it is all there; on success
    /// drops it from `pending` and sets up the skip/capture of its data.
    private mutating func parseHeader() -> Bool {
        if format == nil {
            guard pending.count >= 6 else { return false }
            guard let f = CpioFormat.detect(pending) else { state = .malformed; return false }
            format = f
        }
        guard let fmt = format else { return false }
        let mode: UInt32, nameSize: Int, fileSize: Int, headerSize: Int, namePad: (Int) -> Int, dataPad: (Int) -> Int
        switch fmt {
        case .newc:
            headerSize = 110
            guard pending.count >= headerSize else { return false }
            guard pending[0] == 0x30, pending[1] == 0x37, pending[2] == 0x30, pending[3] == 0x37,
                  pending[4] == 0x30, pending[5] == 0x31 || pending[5] == 0x32,
                  let m = hex(6 + 8, 8), let fs = hex(6 + 6 * 8, 8), let ns = hex(6 + 11 * 8, 8) else {
                state = .malformed; return false
            }
            mode = m; fileSize = Int(fs); nameSize = Int(ns)
            namePad = { (4 - ((110 + $0) % 4)) % 4 }   // header and name end on 4 bytes
            dataPad = { (4 - ($0 % 4)) % 4 }
        case .odc:
            headerSize = 76
            guard pending.count >= headerSize else { return false }
            guard pending.starts(with: [0x30, 0x37, 0x30, 0x37, 0x30, 0x37]),
                  let m = octal(18, 6), let ns = octal(59, 6), let fs = octal(65, 11) else {
                state = .malformed; return false
            }
            mode = UInt32(truncatingIfNeeded: m); nameSize = Int(ns); fileSize = Int(fs)
            namePad = { _ in 0 }
            dataPad = { _ in 0 }
        case .binaryLittle, .binaryBig:
            headerSize = 26
            guard pending.count >= headerSize else { return false }
            let big = fmt == .binaryBig
            func s(_ i: Int) -> Int {
                let a = Int(pending[2 * i]), b = Int(pending[2 * i + 1])
                return big ? a << 8 | b : b << 8 | a
            }
            guard s(0) == 0o070707 else { state = .malformed; return false }
            mode = UInt32(s(3))
            nameSize = s(10)
            fileSize = s(11) << 16 | s(12)
            namePad = { (headerSize + $0) % 2 }
            dataPad = { $0 % 2 }
        }
        guard nameSize >= 1, nameSize <= 4096 else { state = .malformed; return false }
        let nameEnd = headerSize + nameSize + namePad(nameSize)
        guard pending.count >= nameEnd else { return false }
        var nameBytes = Array(pending[headerSize..<(headerSize + nameSize - 1)])
        if let nul = nameBytes.firstIndex(of: 0) { nameBytes = Array(nameBytes[..<nul]) }
        var name = String(decoding: nameBytes, as: UTF8.self)
        pending.removeFirst(nameEnd)
        if name == "TRAILER!!!" {
            state = .finished
            return false
        }
        while name.hasPrefix("./") { name.removeFirst(2) }
        // An entry of a wanted name replaces what an earlier one left.
        if wanted.contains(name) { found[name] = nil }
        capturing = nil
        let isRegular = mode & 0o170000 == 0o100000
        if isRegular, wanted.contains(name) {
            capturing = name
            captureRemaining = min(fileSize, keepBytes)
            found[name] = []
        }
        skipRemaining = fileSize + dataPad(fileSize)
        return true
    }

    private func hex(_ at: Int, _ n: Int) -> UInt32? {
        var v: UInt32 = 0
        for b in pending[at..<(at + n)] {
            let d: UInt8
            switch b {
            case 0x30...0x39: d = b - 0x30
            case 0x41...0x46: d = b - 0x41 + 10
            case 0x61...0x66: d = b - 0x61 + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    private func octal(_ at: Int, _ n: Int) -> UInt64? {
        var v: UInt64 = 0
        for b in pending[at..<(at + n)] {
            guard (0x30...0x37).contains(b) else { return nil }
            v = v << 3 | UInt64(b - 0x30)
        }
        return v
    }
}
