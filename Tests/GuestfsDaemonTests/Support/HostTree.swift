import Foundation

/// One entry of a tree a test makes on the host with `makeHostTree`.
enum HostNode: ExpressibleByStringLiteral {
    /// A directory, with any missing parents.
    case directory
    /// A regular file holding these bytes; a string literal is its text.
    case file([UInt8])
    /// A symbolic link to this target.
    case link(String)

    init(stringLiteral text: String) { self = .file(Array(text.utf8)) }
}

/// Makes `nodes` below `root` in their order (a file's directory comes
/// before it, unless it exists already).
func makeHostTree(_ root: String, _ nodes: KeyValuePairs<String, HostNode>) throws {
    for (path, node) in nodes {
        let full = root + path
        switch node {
        case .directory:
            try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        case .file(let bytes):
            try Data(bytes).write(to: URL(fileURLWithPath: full))
        case .link(let target):
            try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: target)
        }
    }
}

extension StandaloneDaemon {
    /// `makeHostTree` in the sysroot: the paths are the guest's.
    func hostTree(_ nodes: KeyValuePairs<String, HostNode>) throws {
        try makeHostTree(sysroot, nodes)
    }
}
