#if canImport(Glibc)
import Glibc
#endif

/// How upstream turns command output into the reply.
public enum CommandText {
    /// The output as the C string upstream returns: cut at the first NUL.
    public static func cString(_ bytes: [UInt8]) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[0..<end], as: UTF8.self)
    }

    /// upstream's split_lines: one string per \n-terminated line, the
    /// final line even without \n, no trailing empty line; "" gives [].
    /// Split at the byte, so "\r\n" leaves the \r on the line as upstream
    /// (Swift's Character "\r\n" is not equal to "\n").
    public static func splitLines(_ text: String) -> [String] {
        lines(Array(text.utf8)[...])
    }

    /// split_lines of output handled as a C string (cut at its first NUL).
    public static func splitLines(_ output: [UInt8]) -> [String] {
        lines(output.firstIndex(of: 0).map { output[..<$0] } ?? output[...])
    }

    private static func lines(_ text: ArraySlice<UInt8>) -> [String] {
        if text.isEmpty { return [] }
        var lines = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        if text.last == UInt8(ascii: "\n") { lines.removeLast() }
        return lines
    }
}

/// The text of a NUL-terminated C buffer.
public func cString(_ buf: [CChar]) -> String {
    let bytes = buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}

/// Calls `body` with a NULL-terminated C array of the strings.
public func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

extension String {
    /// Drops trailing newlines, carriage returns and spaces (tools' messages).
    public func trimmingTrailingNewlines() -> String {
        var s = Substring(self)
        while let last = s.last, last == "\n" || last == "\r" || last == " " { s.removeLast() }
        return String(s)
    }

    /// Drops one trailing newline (upstream's "trim trailing \n").
    public func chompNewline() -> String {
        hasSuffix("\n") ? String(dropLast()) : self
    }

    /// The range of the first occurrence of `needle` (no Foundation).
    public func range(ofText needle: String) -> Range<String.Index>? {
        guard !needle.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) {
                return i..<index(i, offsetBy: needle.count)
            }
            i = index(after: i)
        }
        return nil
    }
}

extension StringProtocol {
    /// Drops the characters of `set` at both ends.
    public func trimming(_ set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s.removeFirst() }
        while let l = s.last, chars.contains(l) { s.removeLast() }
        return String(s)
    }
}

extension UInt8 {
    /// An ASCII letter or digit.
    @inlinable public var isAlnum: Bool {
        (self >= 48 && self <= 57) || (self >= 65 && self <= 90) || (self >= 97 && self <= 122)
    }
}
