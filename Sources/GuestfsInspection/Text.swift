/// Text rules shared by the parsers: how upstream splits, unquotes and
/// matches the guest's configuration files.
enum Text {
    /// Upstream's is_small_file limit (2 * 1048 * 1024: the odd 1048 is
    /// upstream's).
    static let smallFileLimit = 2 * 1048 * 1024

    /// The lines of a small regular file (split on "\n"; a final newline
    /// gives a last empty line), or nil.
    static func isHexDigit(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "f"))
    }

    static func smallFileLines(_ fs: GuestFilesystemReader, _ path: String) -> [String]? {
        guard let bytes = smallFile(fs, path) else { return nil }
        return lines(bytes)
    }

    /// Split on "\n" bytes (not Characters: "\r\n" is one Character, and
    /// upstream keeps the "\r").
    static func lines(_ bytes: [UInt8]) -> [String] {
        bytes.split(separator: 10, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }

    static func smallFile(_ fs: GuestFilesystemReader, _ path: String, limit: Int = smallFileLimit) -> [UInt8]? {
        guard fs.kind(of: path, followSymlinks: true) == .regular,
              let size = fs.size(of: path), size <= limit else { return nil }
        return fs.read(path)
    }

    /// Files upstream reads through Augeas (fstab, mdadm.conf,
    /// sysconfig/network) are ignored above 100,000 bytes.
    static let augeasFileLimit = 100 * 1000

    static func augeasFile(_ fs: GuestFilesystemReader, _ path: String) -> [UInt8]? {
        smallFile(fs, path, limit: augeasFileLimit)
    }

    /// The first line of a small file ("" when empty or unreadable).
    static func firstLine(_ fs: GuestFilesystemReader, _ path: String) -> String {
        guard let bytes = smallFile(fs, path) else { return "" }
        let line = bytes.prefix { $0 != 10 }
        return String(decoding: line, as: UTF8.self)
    }

    /// KEY=VALUE lines: empty lines and lines starting with # dropped, the
    /// key is everything before the first "=" (a line without one has an
    /// empty value).
    static func keyValues(_ lines: [String], unquote: (String) -> String) -> [(String, String)] {
        lines.compactMap { line in
            guard let first = line.first, first != "#" else { return nil }
            if let eq = line.firstIndex(of: "=") {
                return (String(line[..<eq]), unquote(String(line[line.index(after: eq)...])))
            }
            return (line, unquote(""))
        }
    }

    /// Strips one pair of matching single or double quotes.
    static func simpleUnquote(_ s: String) -> String {
        let u = Array(s.utf8)
        if u.count >= 2, (u[0] == 34 && u[u.count - 1] == 34) || (u[0] == 39 && u[u.count - 1] == 39) {
            return String(decoding: u[1..<(u.count - 1)], as: UTF8.self)
        }
        return s
    }

    /// Shell unquoting as upstream's: single quotes verbatim; in double
    /// quotes a backslash escapes $ ` " \ and newline.
    static func shellUnquote(_ s: String) -> String {
        let u = Array(s.utf8)
        let n = u.count
        guard n >= 2 else { return s }
        if u[0] == 39 && u[n - 1] == 39 {
            return String(decoding: u[1..<(n - 1)], as: UTF8.self)
        }
        if u[0] == 34 && u[n - 1] == 34 {
            var out: [UInt8] = []
            var i = 1
            while i < n - 1 {
                if i < n - 2, u[i] == 92, [36, 96, 34, 92, 10].contains(u[i + 1]) { i += 1 }
                out.append(u[i])
                i += 1
            }
            return String(decoding: out, as: UTF8.self)
        }
        return s
    }

    /// "///usr//local//" -> "/usr/local".
    static func canonicalPath(_ path: String) -> String {
        let parts = path.split(separator: "/")
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }

    /// The capture groups of the first match of `pattern` in `s` (PCRE's
    /// unanchored match), or nil. Group 0 is the whole match.
    static func match(_ pattern: String, _ s: String) -> [Substring?]? {
        guard let regex = try? Regex(pattern), let m = try? regex.firstMatch(in: s) else { return nil }
        return (0..<m.output.count).map { m.output[$0].substring }
    }

    static func int(_ s: Substring??) -> Int? {
        guard let s = s ?? nil else { return nil }
        return Int(s)
    }

    /// Upstream's parse_version_from_major_minor: "N.M" anywhere, else "N".
    static func parseVersion(_ s: String, into data: inout InspectionData) {
        if let m = match("([0-9]+)\\.([0-9]+)", s), let major = int(m[1]), let minor = int(m[2]) {
            data.version = Version(major, minor)
        } else if let m = match("([0-9]+)", s), let major = int(m[1]) {
            data.version = Version(major, 0)
        }
    }

    static func lowercased(_ s: String) -> String {
        String(decoding: s.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }
}

extension GuestFilesystemReader {
    func isFile(_ path: String, follow: Bool = false) -> Bool {
        kind(of: path, followSymlinks: follow) == .regular
    }

    func isDir(_ path: String, follow: Bool = false) -> Bool {
        kind(of: path, followSymlinks: follow) == .directory
    }

    /// upstream's case_sensitive_path: each element matched without regard
    /// to ASCII case, in directory order; the last may be missing (then it
    /// is kept as written). nil when an inner element is missing.
    func caseSensitivePath(_ path: String) -> String? {
        let elems = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var resolved = ""
        for (i, elem) in elems.enumerated() {
            if elem == "." || elem == ".." { return nil }
            let dir = resolved.isEmpty ? "/" : resolved
            let wanted = Text.lowercased(elem)
            let found = list(dir)?.first { Text.lowercased($0) == wanted }
            if i == elems.count - 1 {
                resolved += "/" + (found ?? elem)
            } else {
                guard let found else { return nil }
                resolved += "/" + found
                guard isDir(resolved, follow: true) else { return nil }
            }
        }
        return resolved.isEmpty ? "/" : resolved
    }

    func isFileNoCase(_ path: String) -> Bool {
        guard let p = caseSensitivePath(path) else { return false }
        return isFile(p)
    }

    func isDirNoCase(_ path: String) -> Bool {
        guard let p = caseSensitivePath(path) else { return false }
        return isDir(p)
    }
}
