/// A bounds-checked cursor over XDR bytes (RFC 4506). It borrows the
/// bytes: the caller keeps them alive while the reader is in use. Every
/// read either returns a value or throws `XDRError`; none traps.
public struct XDRReader {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset: Int

    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset >= bytes.count }

    @inline(__always)
    mutating func need(_ n: Int) throws(XDRError) {
        if n < 0 || n > bytes.count - offset {
            throw .truncated(needed: n, available: bytes.count - offset)
        }
    }

    @inline(__always)
    static func padded(_ n: Int) -> Int { (n + 3) & ~3 }

    /// One big-endian integer of T's width.
    @inline(__always)
    mutating func readBigEndian<T: FixedWidthInteger>(_: T.Type) throws(XDRError) -> T {
        let width = MemoryLayout<T>.size
        try need(width)
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += width
        return T(bigEndian: v)
    }

    public mutating func readUInt32() throws(XDRError) -> UInt32 {
        try readBigEndian(UInt32.self)
    }

    public mutating func readInt32() throws(XDRError) -> Int32 {
        Int32(bitPattern: try readUInt32())
    }

    public mutating func readUInt64() throws(XDRError) -> UInt64 {
        try readBigEndian(UInt64.self)
    }

    public mutating func readInt64() throws(XDRError) -> Int64 {
        Int64(bitPattern: try readUInt64())
    }

    public mutating func readBool() throws(XDRError) -> Bool {
        switch try readUInt32() {
        case 0: return false
        case 1: return true
        case let v: throw .invalidBool(v)
        }
    }

    public mutating func readFloat() throws(XDRError) -> Float {
        Float(bitPattern: try readUInt32())
    }

    /// XDR `char` travels as a 4-byte int; we keep its low byte.
    public mutating func readChar() throws(XDRError) -> UInt8 {
        UInt8(truncatingIfNeeded: try readUInt32())
    }

    /// Reads a variable-length opaque and returns a view of its bytes
    /// (valid as long as the underlying buffer), without copying.
    public mutating func readOpaqueView(maximum: Int = .max) throws(XDRError) -> UnsafeRawBufferPointer {
        let length = Int(try readUInt32())
        if length > maximum { throw .tooLong(length: length, maximum: maximum) }
        try need(Self.padded(length))
        let view = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
        offset += Self.padded(length)
        return view
    }

    public mutating func readOpaque(maximum: Int = .max) throws(XDRError) -> [UInt8] {
        Array(try readOpaqueView(maximum: maximum))
    }

    /// Fixed-length opaque (`opaque[n]`): exactly n bytes plus padding.
    public mutating func readFixedOpaque(count n: Int) throws(XDRError) -> UnsafeRawBufferPointer {
        try need(Self.padded(n))
        let view = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
        offset += Self.padded(n)
        return view
    }

    public mutating func readString(maximum: Int = .max) throws(XDRError) -> String {
        let view = try readOpaqueView(maximum: maximum)
        return try Self.decodeString(view)
    }

    /// A fixed-length string such as a 32-character UUID.
    public mutating func readFixedString(count n: Int) throws(XDRError) -> String {
        let view = try readFixedOpaque(count: n)
        return String(decoding: view, as: UTF8.self)
    }

    static func decodeString(_ view: UnsafeRawBufferPointer) throws(XDRError) -> String {
        if view.isEmpty { return "" }
        if view.contains(0) { throw .embeddedNUL }
        guard let s = String(validating: view, as: UTF8.self) else { throw .invalidUTF8 }
        return s
    }

    /// `guestfs_str *`: a boolean, then the string when it is 1.
    public mutating func readOptString() throws(XDRError) -> String? {
        try readBool() ? try readString() : nil
    }

    /// Reads a list count and checks that `count` items of at least
    /// `minimumItemSize` bytes fit in what is left, so a forged count
    /// cannot make us reserve gigabytes.
    public mutating func readCount(minimumItemSize: Int) throws(XDRError) -> Int {
        let n = Int(try readUInt32())
        if n > remaining / max(minimumItemSize, 1) { throw .countTooLarge(n) }
        return n
    }

    public mutating func readStringList() throws(XDRError) -> [String] {
        let n = try readCount(minimumItemSize: 4)
        var list: [String] = []
        list.reserveCapacity(n)
        for _ in 0..<n { list.append(try readString()) }
        return list
    }

    public mutating func skip(_ n: Int) throws(XDRError) {
        try need(n)
        offset += n
    }
}
