/// Why an XDR value could not be decoded. Decoding never traps: every
/// malformed input ends here.
public enum XDRError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The value needs more bytes than the buffer has left.
    case truncated(needed: Int, available: Int)
    /// A boolean other than 0 or 1.
    case invalidBool(UInt32)
    /// A string or opaque longer than its declared maximum.
    case tooLong(length: Int, maximum: Int)
    /// A string whose bytes are not UTF-8.
    case invalidUTF8
    /// A string with a NUL byte inside (C would silently cut it there).
    case embeddedNUL
    /// A list count that cannot fit in the bytes left.
    case countTooLarge(Int)
    /// An enum or discriminant with a value the protocol does not define.
    case invalidValue(String, UInt32)

    public var description: String {
        switch self {
        case let .truncated(needed, available):
            return "truncated XDR data: \(needed) bytes needed, \(available) left"
        case let .invalidBool(v):
            return "invalid XDR boolean \(v)"
        case let .tooLong(length, maximum):
            return "XDR string of \(length) bytes exceeds its maximum of \(maximum)"
        case .invalidUTF8:
            return "XDR string is not valid UTF-8"
        case .embeddedNUL:
            return "XDR string contains a NUL byte"
        case let .countTooLarge(n):
            return "XDR list count \(n) is larger than the data"
        case let .invalidValue(what, v):
            return "invalid \(what) \(v)"
        }
    }
}
