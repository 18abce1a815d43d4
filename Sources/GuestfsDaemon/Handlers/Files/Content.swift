#if canImport(Glibc)
import Glibc
#endif
import GuestfsProtocol

/// Reading and writing file contents: pread/pwrite, write, fill, the
/// text tools upstream runs on a file (head, tail, wc, grep, strings,
/// hexdump, checksums), file(1) and comparisons.
extension Handlers {
    // MARK: Write

    public func internalWrite(path: String, content: [UInt8]) throws {
        try writeContent(path, content, flags: O_TRUNC)
    }

    public func internalWriteAppend(path: String, content: [UInt8]) throws {
        try writeContent(path, content, flags: O_APPEND)
    }

    public func writeFile(path: String, content: String, size: Int32) throws {
        if size < 0 { throw DaemonError(message: "size cannot be negative") }
        // The content is a C string upstream: it ends at the first NUL.
        let bytes = Array(content.utf8.prefix { $0 != 0 })
        var length = Int(size)
        if length == 0 {
            length = bytes.count
        } else if length > bytes.count {
            throw DaemonError(message: "size parameter is larger than string content")
        }
        try writeContent(path, Array(bytes[0..<length]), flags: O_TRUNC)
    }

    private func writeContent(_ path: String, _ content: [UInt8], flags: Int32) throws {
        try FileIO.withWritable(try context.resolve(path), O_WRONLY | O_CREAT | O_NOCTTY | flags, mode: 0o666,
                                error: "open: \(path)", closeError: "close: \(path)") { fd in
            try content.withUnsafeBytes { try fd.writeAll($0, error: "write") }
        }
    }

    public func pwrite(path: String, content: [UInt8], offset: Int64) throws -> Int32 {
        if offset < 0 { throw DaemonError(message: "offset is negative") }
        let n = try FileIO.withWritable(try context.resolve(path), O_WRONLY, error: "open: \(path)",
                                        closeError: "close: \(path)") { fd in
            try content.withUnsafeBytes { try fd.pwrite($0, at: offset, error: "pwrite: \(path)") }
        }
        return Int32(n)
    }

    public func pread(path: String, count: Int32, offset: Int64) throws -> [UInt8] {
        try FileOps.preadReply(try context.resolve(path), name: path, count: count, offset: offset)
    }

    // MARK: Fill

    public func fill(c: Int32, len: Int32, path: String) throws {
        if c < 0 || c > 255 { throw DaemonError(message: "\(c): byte number must be in range 0..255") }
        if len < 0 { throw DaemonError(message: "\(len): length is < 0") }
        try fillFile(path, length: Int(len), block: [UInt8](repeating: UInt8(c), count: 8192))
    }

    public func fillPattern(pattern: String, len: Int32, path: String) throws {
        let unit = Array(pattern.utf8.prefix { $0 != 0 })
        if unit.isEmpty { throw DaemonError(message: "pattern string must be non-empty") }
        if len < 0 { throw DaemonError(message: "\(len): length is < 0") }
        // Whole repetitions of the pattern per write, so each block
        // continues the pattern where the previous one stopped.
        let repeats = max(1, 65536 / unit.count)
        var block: [UInt8] = []
        block.reserveCapacity(repeats * unit.count)
        for _ in 0..<repeats { block.append(contentsOf: unit) }
        try fillFile(path, length: Int(len), block: block)
    }

    /// Opens (creating, not truncating, as upstream) and writes `length`
    /// bytes block by block, reporting progress.
    private func fillFile(_ path: String, length: Int, block: [UInt8]) throws {
        try FileIO.withWritable(try context.resolve(path), O_WRONLY | O_CREAT | O_NOCTTY, mode: 0o666,
                                error: "open: \(path)", closeError: "close: \(path)") { fd in
            var written = 0
            while written < length {
                let n = min(block.count, length - written)
                try block.withUnsafeBytes { try fd.writeAll(UnsafeRawBufferPointer(rebasing: $0[0..<n]), error: "write: \(path)") }
                written += n
                try context.progress(UInt64(written), of: UInt64(length))
            }
        }
    }

    // MARK: Inspect content

    public func isZero(path: String) throws -> Bool {
        let fd = try FileIO.open(try context.resolve(path), O_RDONLY, error: "open: \(path)")
        defer { try? fd.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try fd.readSome(into: buffer, error: "read: \(path)")
            if n == 0 { return true }
            if !FileOps.isAllZero(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) { return false }
        }
    }

    public func file(path: String) throws -> String {
        if path.hasPrefix("/dev/") {
            // A device node (Dev_or_Path already translated it).
            let r = try context.runner.run(["file", "-zSbsL", path])
            if !r.succeeded { throw DaemonError(message: "file: \(toolError(r))") }
            return Self.trimmingTrailingSpace(r.stdoutString)
        }
        let host = try context.resolve(path, followFinal: false)
        guard let st = fileStatus(host, follow: false) else { throw DaemonError.system("lstat: \(path)") }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: return "directory"
        case S_IFCHR: return "character device"
        case S_IFBLK: return "block device"
        case S_IFIFO: return "FIFO"
        case S_IFLNK: return "symbolic link"
        case S_IFSOCK: return "socket"
        default: break
        }
        let r = try context.runner.run(["file", "-zSb", host])
        if !r.succeeded { throw DaemonError(message: "file: \(toolError(r))") }
        return Self.trimmingTrailingSpace(r.stdoutString)
    }

    /// Deprecated: decompress with zcat/bzcat and run file on the stream.
    public func zfile(meth: String, path: String) throws -> String {
        let zcat: String
        switch meth {
        case "gzip", "compress": zcat = "zcat"
        case "bzip2": zcat = "bzcat"
        default: throw DaemonError(message: "unknown method")
        }
        guard context.runner.has(zcat), context.runner.has("file") else {
            throw DaemonError(ENOTSUP, "\(zcat) | file: the tools are not available in this appliance")
        }
        // A constant pipeline; the path is a positional parameter. Like
        // upstream, a missing file decompresses to nothing: "empty".
        let host = try context.resolve(path)
        let r = try context.runner.run(["sh", "-c", "\"$1\" -- \"$0\" 2>/dev/null | file -bsL -", host, zcat])
        var line = r.stdoutString
        if let newline = line.firstIndex(of: "\n") { line = String(line[..<newline]) }
        return line
    }

    private static func trimmingTrailingSpace(_ s: String) -> String {
        var t = Substring(s)
        while let last = t.last, last == " " || last == "\n" || last == "\t" || last == "\r" { t.removeLast() }
        return String(t)
    }

    // MARK: Text tools on a file

    public func head(path: String) throws -> [String] {
        try headTail("head", "10", path)
    }

    public func headN(nrlines: Int32, path: String) throws -> [String] {
        try headTail("head", String(nrlines), path)
    }

    public func tail(path: String) throws -> [String] {
        try headTail("tail", "10", path)
    }

    public func tailN(nrlines: Int32, path: String) throws -> [String] {
        // A negative count means "from line N" (tail -n +N).
        try headTail("tail", nrlines >= 0 ? String(nrlines) : "+" + String(-Int64(nrlines)), path)
    }

    private func headTail(_ tool: String, _ count: String, _ path: String) throws -> [String] {
        let host = try context.resolve(path)
        try checkReadable(path, host, context: path)
        let r = try runReadingFile(host, [tool, "-n", count])
        if !r.succeeded { throw DaemonError(message: "\(tool) -n \(count): \(toolError(r))") }
        return CommandText.splitLines(r.stdout)
    }

    public func wcL(path: String) throws -> Int32 { try wordCount("-l", path) }
    public func wcW(path: String) throws -> Int32 { try wordCount("-w", path) }
    public func wcC(path: String) throws -> Int32 { try wordCount("-c", path) }

    private func wordCount(_ flag: String, _ path: String) throws -> Int32 {
        let host = try context.resolve(path)
        try checkReadable(path, host, context: "wc \(flag): \(path)")
        let r = try runReadingFile(host, ["wc", flag])
        if !r.succeeded { throw DaemonError(message: "wc \(flag): \(toolError(r))") }
        let text = r.stdoutString.drop { $0 == " " || $0 == "\t" || $0 == "\n" }
        guard let n = Int32(text.prefix { $0.isASCII && $0.isNumber }) else {
            throw DaemonError(message: "cannot parse number: \(r.stdoutString)")
        }
        return n
    }

    public func grep(regex: String, path: String, extended: Bool?, fixed: Bool?, insensitive: Bool?,
                     compressed: Bool?) throws -> [String] {
        try runGrep(regex, path, extended: extended ?? false, fixed: fixed ?? false,
                    insensitive: insensitive ?? false, compressed: compressed ?? false)
    }

    public func egrep(regex: String, path: String) throws -> [String] {
        try runGrep(regex, path, extended: true, fixed: false, insensitive: false, compressed: false)
    }

    public func fgrep(pattern: String, path: String) throws -> [String] {
        try runGrep(pattern, path, extended: false, fixed: true, insensitive: false, compressed: false)
    }

    public func grepi(regex: String, path: String) throws -> [String] {
        try runGrep(regex, path, extended: false, fixed: false, insensitive: true, compressed: false)
    }

    public func egrepi(regex: String, path: String) throws -> [String] {
        try runGrep(regex, path, extended: true, fixed: false, insensitive: true, compressed: false)
    }

    public func fgrepi(pattern: String, path: String) throws -> [String] {
        try runGrep(pattern, path, extended: false, fixed: true, insensitive: true, compressed: false)
    }

    public func zgrep(regex: String, path: String) throws -> [String] {
        try runGrep(regex, path, extended: false, fixed: false, insensitive: false, compressed: true)
    }

    public func zegrep(regex: String, path: String) throws -> [String] {
        try runGrep(regex, path, extended: true, fixed: false, insensitive: false, compressed: true)
    }

    public func zfgrep(pattern: String, path: String) throws -> [String] {
        try runGrep(pattern, path, extended: false, fixed: true, insensitive: false, compressed: true)
    }

    public func zgrepi(regex: String, path: String) throws -> [String] {
        try runGrep(regex, path, extended: false, fixed: false, insensitive: true, compressed: true)
    }

    public func zegrepi(regex: String, path: String) throws -> [String] {
        try runGrep(regex, path, extended: true, fixed: false, insensitive: true, compressed: true)
    }

    public func zfgrepi(pattern: String, path: String) throws -> [String] {
        try runGrep(pattern, path, extended: false, fixed: true, insensitive: true, compressed: true)
    }

    /// grep or zgrep reading the file on stdin; exit 1 (no match) is an
    /// empty list. The regex goes after -e so one starting with "-" is
    /// never taken for an option.
    private func runGrep(_ regex: String, _ path: String, extended: Bool, fixed: Bool, insensitive: Bool,
                         compressed: Bool) throws -> [String] {
        if extended && fixed {
            throw DaemonError(message: "can't use 'extended' and 'fixed' flags at the same time")
        }
        var argv = [compressed ? "zgrep" : "grep"]
        if extended { argv.append("-E") }
        if fixed { argv.append("-F") }
        if insensitive { argv.append("-i") }
        argv += ["-e", regex]
        let host = try context.resolve(path)
        try checkReadable(path, host, context: path)
        let r = try runReadingFile(host, argv)
        if r.status > 1 { throw DaemonError(message: "\(regex): \(toolError(r))") }
        return CommandText.splitLines(r.stdout)
    }

    public func strings(path: String) throws -> [String] {
        try stringsE(encoding: "s", path: path)
    }

    public func stringsE(encoding: String, path: String) throws -> [String] {
        guard encoding.utf8.count == 1, "sSblBL".contains(encoding) else {
            throw DaemonError(message: "\(encoding): invalid encoding")
        }
        let host = try context.resolve(path)
        try checkReadable(path, host, context: path)
        let r = try runReadingFile(host, ["strings", "-a", "-e", encoding])
        if !r.succeeded { throw DaemonError(message: "\(path): \(toolError(r))") }
        return CommandText.splitLines(r.stdout)
    }

    public func hexdump(path: String) throws -> String {
        let host = try context.resolve(path)
        try checkReadable(path, host, context: path)
        let r = try runReadingFile(host, ["hexdump", "-C"])
        if !r.succeeded { throw DaemonError(message: "\(path): \(toolError(r))") }
        return r.stdoutString
    }

    // MARK: Compare and checksum

    public func equal(file1: String, file2: String) throws -> Bool {
        let r = try context.runner.run(["cmp", "-s", try context.resolve(file1), try context.resolve(file2)])
        if r.status > 1 { throw DaemonError(message: toolError(r)) }
        return r.status == 0
    }

    /// The checksum tool upstream runs for a csumtype (case-insensitive),
    /// for files and devices alike.
    static func checksumProgram(_ csumtype: String) throws -> String {
        switch csumtype.lowercased() {
        case "crc": return "cksum"
        case "md5": return "md5sum"
        case "sha1": return "sha1sum"
        case "sha224": return "sha224sum"
        case "sha256": return "sha256sum"
        case "sha384": return "sha384sum"
        case "sha512": return "sha512sum"
        default:
            throw DaemonError(message: "unknown checksum type, expecting crc|md5|sha1|sha224|sha256|sha384|sha512")
        }
    }

    public func checksum(csumtype: String, path: String) throws -> String {
        let host = try context.resolve(path)
        try checkReadable(path, host, context: path)
        let program = try Self.checksumProgram(csumtype)
        let r = try runReadingFile(host, [program])
        if !r.succeeded { throw DaemonError(message: "\(program): \(toolError(r))") }
        // The sum is the first word of the tool's output.
        return String(r.stdoutString.prefix { $0 != " " && $0 != "\t" && $0 != "\n" })
    }

    /// `cd DIR && find -type f -print0 | xargs -0 SUMTOOL`, streamed: the
    /// tool's lines name files as ./relative/path.
    public func checksumsOut(csumtype: String, directory: String, sumsfile: FileOutSink) throws {
        let program = try Self.checksumProgram(csumtype)
        let host = try context.resolve(directory)
        guard let st = fileStatus(host, follow: true) else { throw DaemonError.system(directory) }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw DaemonError(message: "\(directory): not a directory") }
        _ = try context.runner.requirePath(program)
        try sumsfile.start()
        let r = try context.runner.run(["find", ".", "-type", "f", "-exec", program, "{}", "+"],
                                       stdout: .sink(sumsfile), workingDirectory: host)
        if !r.succeeded { throw DaemonError(message: "checksums_out: \(directory): \(toolError(r))") }
        if sumsfile.bytesSent == 0 {
            // With no file at all, xargs still runs the tool once on its
            // (empty) standard input, and upstream sends that line.
            let empty = try context.runner.run([program], stdout: .sink(sumsfile))
            if !empty.succeeded { throw DaemonError(message: "checksums_out: \(directory): \(toolError(empty))") }
        }
    }
}
