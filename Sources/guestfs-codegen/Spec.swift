import Foundation

/// One protocol JSON (protocol/guestfs-1.48.json, guestfs-1.54.json), as
/// read by the generator; `Union.swift` merges several into one table.
struct Spec: Decodable {
    var constants: [String: UInt64]
    var errno_strings: [String]
    var structs: [StructSpec]
    var procedures: [ProcedureSpec]
}

struct StructSpec: Decodable, Equatable {
    var name: String
    var fields: [FieldSpec]
}

struct FieldSpec: Decodable, Equatable {
    var name: String
    var xdr: String
}

struct ArgSpec: Decodable, Equatable {
    var type: String
    var kind: String?
    var name: String
}

struct RetSpec: Decodable, Equatable {
    var type: String
    var kind: String?
    var name: String?
    var `struct`: String?
    var key_kind: String?
    var value_kind: String?
}

struct ProcedureSpec: Decodable {
    var proc: Int
    var name: String
    var ret: RetSpec
    var args: [ArgSpec]
    var optargs: [ArgSpec]
    var optional_group: String?
    var deprecated_by: String?
    var cancellable: Bool?
    var progress: Bool?
    var visibility: String?
    /// Set by the union: the libraries ("1.48", "1.54") whose table has it.
    var libraries: [String]?
    /// Set by the union when the libraries' args structs differ: how many
    /// optargs every library sends (the rest are absent from older frames).
    var optargsInEveryLibrary: Int?

    /// Args that travel in the XDR struct (FileIn/FileOut do not).
    var wireArgs: [ArgSpec] { args.filter { !$0.isTransfer } }
    var hasFileIn: Bool { args.contains { $0.kind == "FileIn" } }
    var hasFileOut: Bool { args.contains { $0.kind == "FileOut" } }
    var hasArgsStruct: Bool { !wireArgs.isEmpty || !optargs.isEmpty }
    /// Optargs from this index on may be missing from a frame (an older library's layout).
    var firstLateOptarg: Int { optargsInEveryLibrary ?? optargs.count }
}

extension ArgSpec {
    var isTransfer: Bool { kind == "FileIn" || kind == "FileOut" }
}

// MARK: - Naming

let swiftKeywords: Set<String> = [
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import",
    "init", "inout", "internal", "let", "open", "operator", "private", "protocol", "public",
    "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "continue",
    "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat",
    "return", "switch", "where", "while", "as", "Any", "catch", "false", "is", "nil", "super",
    "self", "Self", "throw", "throws", "true", "try", "await", "async", "some", "any",
]

/// snake_case → lowerCamelCase.
func camel(_ s: String) -> String {
    let parts = s.split(separator: "_", omittingEmptySubsequences: true)
    guard let first = parts.first else { return s }
    return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
}

/// snake_case → UpperCamelCase.
func upperCamel(_ s: String) -> String {
    let c = camel(s)
    return c.prefix(1).uppercased() + c.dropFirst()
}

/// An identifier safe to declare (keywords get backticks).
func ident(_ s: String) -> String {
    let c = camel(s)
    return swiftKeywords.contains(c) ? "`\(c)`" : c
}

/// An identifier safe to use after a dot or as a label.
func label(_ s: String) -> String { camel(s) }

func structTypeName(_ name: String) -> String { "Guestfs" + upperCamel(name) }
func argsTypeName(_ proc: String) -> String { upperCamel(proc) + "Args" }
