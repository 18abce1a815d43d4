/// Appends XDR values to one growable byte buffer. `reset()` keeps the
/// capacity, so a writer reused for every reply stops allocating once it
/// has seen the largest one.
public struct XDRWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    public mutating func write(_ v: UInt32) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    public mutating func write(_ v: Int32) { write(UInt32(bitPattern: v)) }

    @inline(__always)
    public mutating func write(_ v: UInt64) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    public mutating func write(_ v: Int64) { write(UInt64(bitPattern: v)) }

    @inline(__always)
    public mutating func write(_ v: Bool) { write(UInt32(v ? 1 : 0)) }

    public mutating func write(_ v: Float) { write(v.bitPattern) }

    public mutating func writeChar(_ v: UInt8) { write(UInt32(v)) }

    mutating func pad(_ n: Int) {
        let p = (4 - n & 3) & 3
        if p > 0 { bytes.append(contentsOf: repeatElement(0, count: p)) }
    }

    public mutating func writeOpaque(_ v: UnsafeRawBufferPointer) {
        write(UInt32(v.count))
        bytes.append(contentsOf: v)
        pad(v.count)
    }

    public mutating func writeOpaque(_ v: [UInt8]) {
        v.withUnsafeBytes { writeOpaque($0) }
    }

    public mutating func write(_ s: String) {
        var s = s
        s.withUTF8 { writeOpaque(UnsafeRawBufferPointer($0)) }
    }

    /// `opaque[n]`: exactly n bytes, cut or zero-filled to fit.
    public mutating func writeFixed(_ s: String, count n: Int) {
        var utf8 = Array(s.utf8.prefix(n))
        if utf8.count < n { utf8.append(contentsOf: repeatElement(0, count: n - utf8.count)) }
        bytes.append(contentsOf: utf8)
        pad(n)
    }

    public mutating func writeOptString(_ s: String?) {
        if let s {
            write(true)
            write(s)
        } else {
            write(false)
        }
    }

    public mutating func write(_ list: [String]) {
        write(UInt32(list.count))
        for s in list { write(s) }
    }

    /// Overwrites a 4-byte word already written (used to patch a frame's
    /// length once its body is known).
    public mutating func patch(_ v: UInt32, at offset: Int) {
        bytes.withUnsafeMutableBytes {
            $0.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self)
        }
    }

    /// Appends raw bytes with no length or padding.
    public mutating func writeRaw(_ v: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: v)
    }

    public mutating func writeZeros(_ n: Int) {
        if n > 0 { bytes.append(contentsOf: repeatElement(0, count: n)) }
    }

    public mutating func truncate(to count: Int) {
        bytes.removeSubrange(count...)
    }
}

/// A type with an XDR form.
public protocol XDRCodable: Sendable {
    init(xdr reader: inout XDRReader) throws(XDRError)
    func encode(xdr writer: inout XDRWriter)
}

extension XDRReader {
    public mutating func readList<T: XDRCodable>(of: T.Type, minimumItemSize: Int = 4) throws(XDRError) -> [T] {
        let n = try readCount(minimumItemSize: minimumItemSize)
        var list: [T] = []
        list.reserveCapacity(n)
        for _ in 0..<n { list.append(try T(xdr: &self)) }
        return list
    }
}

extension XDRWriter {
    public mutating func write<T: XDRCodable>(list: [T]) {
        write(UInt32(list.count))
        for item in list { item.encode(xdr: &self) }
    }
}
