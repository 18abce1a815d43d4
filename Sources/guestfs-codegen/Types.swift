/// How one argument or return type maps to Swift and to XDR calls.

struct SwiftXDRType {
    var swiftType: String
    /// Expression reading one value from `r`.
    var decode: String
    /// Statement writing `value` (a placeholder `$0`) to `w`.
    var encode: (String) -> String
    /// Value written for an optarg the caller did not give.
    var zero: String
}

/// The mappings argument types and struct field types share.
extension SwiftXDRType {
    static var string: Self {
        .init(swiftType: "String", decode: "try r.readString()", encode: { "w.write(\($0))" }, zero: "\"\"")
    }
    static var bytes: Self {
        .init(swiftType: "[UInt8]", decode: "try r.readOpaque()", encode: { "w.writeOpaque(\($0))" }, zero: "[]")
    }
    static var int32: Self {
        .init(swiftType: "Int32", decode: "try r.readInt32()", encode: { "w.write(\($0) as Int32)" }, zero: "0")
    }
    static var int64: Self {
        .init(swiftType: "Int64", decode: "try r.readInt64()", encode: { "w.write(\($0) as Int64)" }, zero: "0")
    }
}

func argType(_ a: ArgSpec) -> SwiftXDRType {
    switch a.type {
    case "String":
        return .string
    case "OptString":
        return .init(swiftType: "String?", decode: "try r.readOptString()", encode: { "w.writeOptString(\($0))" }, zero: "nil")
    case "StringList":
        return .init(swiftType: "[String]", decode: "try r.readStringList()", encode: { "w.write(\($0) as [String])" }, zero: "[]")
    case "Bool":
        return .init(swiftType: "Bool", decode: "try r.readBool()", encode: { "w.write(\($0) as Bool)" }, zero: "false")
    case "Int":
        return .int32
    case "Int64":
        return .int64
    case "BufferIn":
        return .bytes
    default:
        fatalError("unknown arg type \(a.type)")
    }
}

func optargType(_ a: ArgSpec) -> SwiftXDRType {
    switch a.type {
    case "OBool": return argType(ArgSpec(type: "Bool", kind: nil, name: a.name))
    case "OInt": return argType(ArgSpec(type: "Int", kind: nil, name: a.name))
    case "OInt64": return argType(ArgSpec(type: "Int64", kind: nil, name: a.name))
    case "OString": return argType(ArgSpec(type: "String", kind: nil, name: a.name))
    case "OStringList": return argType(ArgSpec(type: "StringList", kind: nil, name: a.name))
    default: fatalError("unknown optarg type \(a.type)")
    }
}

func fieldType(_ f: FieldSpec) -> SwiftXDRType {
    switch f.xdr {
    case "string<>":
        return .string
    case "opaque<>":
        return .bytes
    case "opaque[32]":
        return .init(swiftType: "String", decode: "try r.readFixedString(count: 32)", encode: { "w.writeFixed(\($0), count: 32)" }, zero: "\"\"")
    case "int":
        return .int32
    case "unsigned int":
        return .init(swiftType: "UInt32", decode: "try r.readUInt32()", encode: { "w.write(\($0) as UInt32)" }, zero: "0")
    case "int64_t":
        return .int64
    case "uint64_t":
        return .init(swiftType: "UInt64", decode: "try r.readUInt64()", encode: { "w.write(\($0) as UInt64)" }, zero: "0")
    case "float":
        return .init(swiftType: "Float", decode: "try r.readFloat()", encode: { "w.write(\($0) as Float)" }, zero: "0")
    case "char":
        return .init(swiftType: "UInt8", decode: "try r.readChar()", encode: { "w.writeChar(\($0))" }, zero: "0")
    default:
        fatalError("unknown field type \(f.xdr)")
    }
}

/// The Swift type a procedure returns, and how to put it on / take it off the wire.
struct RetMapping {
    var swiftType: String?  // nil for RErr
    var decode: String
    var encode: (String) -> String
}

func retMapping(_ r: RetSpec) -> RetMapping {
    switch r.type {
    case "RErr":
        return .init(swiftType: nil, decode: "()", encode: { _ in "" })
    case "RInt":
        return .init(swiftType: "Int32", decode: "try r.readInt32()", encode: { "w.write(\($0) as Int32)" })
    case "RInt64":
        return .init(swiftType: "Int64", decode: "try r.readInt64()", encode: { "w.write(\($0) as Int64)" })
    case "RBool":
        return .init(swiftType: "Bool", decode: "try r.readBool()", encode: { "w.write(\($0) as Bool)" })
    case "RString", "RConstString":
        return .init(swiftType: "String", decode: "try r.readString()", encode: { "w.write(\($0) as String)" })
    case "RStringList", "RHashtable":
        return .init(swiftType: "[String]", decode: "try r.readStringList()", encode: { "w.write(\($0) as [String])" })
    case "RBufferOut":
        return .init(swiftType: "[UInt8]", decode: "try r.readOpaque()", encode: { "w.writeOpaque(\($0))" })
    case "RStruct":
        let t = structTypeName(r.struct!)
        return .init(swiftType: t, decode: "try \(t)(xdr: &r)", encode: { "\($0).encode(xdr: &w)" })
    case "RStructList":
        let t = structTypeName(r.struct!)
        return .init(swiftType: "[\(t)]", decode: "try r.readList(of: \(t).self)", encode: { "w.write(list: \($0))" })
    default:
        fatalError("unknown return type \(r.type)")
    }
}
