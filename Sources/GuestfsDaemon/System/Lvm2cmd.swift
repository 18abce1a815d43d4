#if canImport(Glibc)
import Glibc
#endif
import CLvm2cmd

/// What one LVM command printed, split as the `lvm` tool would split it:
/// report rows (its stdout) and messages (its stderr, "  message\n" each).
struct LvmOutput {
    var succeeded: Bool
    var rows: [String]
    var messages: String
}

/// Collects liblvm2cmd's log lines while one command runs. The library
/// calls a plain C function, so the buffer is a static; the daemon runs
/// one call at a time, so nothing else touches it meanwhile.
enum LvmLogCapture {
    nonisolated(unsafe) static var rows: [String] = []
    nonisolated(unsafe) static var messages: String = ""
    nonisolated(unsafe) static var verbose = false
    /// stderr captured during the run (prompts lvm writes itself), and how
    /// much of it has been moved into `messages` already.
    nonisolated(unsafe) static var stderrCapture: Int32 = -1
    nonisolated(unsafe) static var stderrConsumed: off_t = 0

    static func reset() {
        rows.removeAll(keepingCapacity: true)
        messages = ""
        stderrConsumed = 0
    }

    /// Moves what lvm wrote straight to stderr (a prompt and its "[n]")
    /// into `messages`, so it keeps its place among the logged lines.
    static func drainStderr() {
        guard stderrCapture >= 0 else { return }
        fflush(nil)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(stderrCapture, $0.baseAddress, $0.count, stderrConsumed) }
            if n <= 0 { break }
            messages += String(decoding: buffer[0..<n], as: UTF8.self)
            stderrConsumed += off_t(n)
        }
    }

    /// lvm's levels: 2 fatal, 3 error, 4 print/warning, 5+ verbose/debug.
    /// Level 4 lines from the report code are the report's rows (stdout);
    /// "WARNING:" lines go to stderr; other level-4 lines ("Volume group
    /// created") are the tool's stdout chatter, which upstream ignores.
    static let callback: lvm2_log_fn_t = { level, file, _, _, message in
        guard let message else { return }
        let text = String(cString: message)
        if LvmLogCapture.verbose && level <= 4 { logLine("lvm: [\(level)] \(text)") }
        guard level >= 2 && level <= 4 else { return }
        if level == 4, let file, strstr(file, "libdm-report") != nil {
            LvmLogCapture.rows.append(text)
            return
        }
        if level == 4 && !text.hasPrefix("WARNING:") { return }
        LvmLogCapture.drainStderr()
        LvmLogCapture.messages += "  " + text + "\n"
    }
}

/// LVM in process: one liblvm2cmd handle for the daemon's life, reading a
/// private lvm.conf that we write (device filter, no udev), so that commands
/// never depend on (or change) the host's /etc/lvm.
final class Lvm2Library {
    /// liblvm2cmd splits its command line itself; it takes at most 64 words.
    static let maxWords = 60

    private var handle: UnsafeMutableRawPointer?
    let systemDirectory: String
    private var devNull: Int32 = -1

    /// Creates the private configuration directory and the handle.
    init(configuration: String, verbose: Bool) throws {
        var template = Array("/tmp/guestfsd-lvm.XXXXXX".utf8CString)
        guard let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw DaemonError.system("mkdtemp: /tmp/guestfsd-lvm.XXXXXX")
        }
        systemDirectory = String(cString: dir)
        Lvm2Library.registerCleanup(systemDirectory)
        LvmLogCapture.verbose = verbose
        try writeConfiguration(configuration)
        devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        var captureTemplate = Array((systemDirectory + "/stderr.XXXXXX").utf8CString)
        let capture = captureTemplate.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if capture >= 0 {
            _ = fcntl(capture, F_SETFD, FD_CLOEXEC)
            captureTemplate.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
            LvmLogCapture.stderrCapture = capture
        }
        try openHandle()
    }

    /// lvm.conf in our directory; the next command sees it (lvm checks the
    /// file's timestamp), and we reopen the handle to be sure.
    func writeConfiguration(_ text: String) throws {
        let path = systemDirectory + "/lvm.conf"
        let tmp = path + ".new"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DaemonError.system("open: \(tmp)") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let e = errno
        close(fd)
        guard written == bytes.count else { throw DaemonError.system("write: \(tmp)", errno: e) }
        guard rename(tmp, path) == 0 else { throw DaemonError.system("rename: \(path)") }
    }

    func reopen() throws {
        if let handle { preservingProcessState { lvm2_exit(handle) } }
        handle = nil
        try openHandle()
    }

    private func openHandle() throws {
        try LazyLibrary.lvm2cmd.require(for: "lvm")
        lvm2_log_fn(LvmLogCapture.callback)
        // LVM_SYSTEM_DIR is read once, when the handle is made.
        let previous = getenv("LVM_SYSTEM_DIR").map { String(cString: $0) }
        setenv("LVM_SYSTEM_DIR", systemDirectory, 1)
        LvmLogCapture.reset()
        let h = preservingProcessState { lvm2_init() }
        if let previous { setenv("LVM_SYSTEM_DIR", previous, 1) } else { unsetenv("LVM_SYSTEM_DIR") }
        guard let h else {
            throw DaemonError(message: "lvm2_init: could not initialise liblvm2cmd: \(LvmLogCapture.messages)")
        }
        handle = h
    }

    /// Runs one LVM command ("pvs", args...). Each argument is quoted for
    /// liblvm2cmd's own word splitting (it knows only leading quotes).
    func run(_ words: [String]) throws -> LvmOutput {
        guard let handle else { throw DaemonError(message: "lvm: liblvm2cmd is not initialised") }
        var line = ""
        for word in words {
            if !line.isEmpty { line += " " }
            line += try Self.quote(word)
        }
        if LvmLogCapture.verbose { logLine("guestfsd: lvm \(line)") }
        LvmLogCapture.reset()
        let status = preservingProcessState { lvm2_run(handle, line) }
        LvmLogCapture.drainStderr()
        return LvmOutput(succeeded: status == LVM2_COMMAND_SUCCEEDED, rows: LvmLogCapture.rows,
                         messages: LvmLogCapture.messages)
    }

    /// One word as liblvm2cmd's splitter reads it: a word with spaces (or
    /// that starts with a quote or '#') goes in a quote it does not contain.
    static func quote(_ word: String) throws -> String {
        let needsQuotes = word.isEmpty || word.utf8.contains { isspace(Int32($0)) != 0 }
            || word.hasPrefix("\"") || word.hasPrefix("'") || word.hasPrefix("#")
        guard needsQuotes else { return word }
        if !word.contains("\"") { return "\"" + word + "\"" }
        if !word.contains("'") { return "'" + word + "'" }
        throw DaemonError(EINVAL, "\(word): LVM arguments cannot contain spaces and both kinds of quotes")
    }

    /// lvm sets the umask to 077 and may prompt on stdin: run it with the
    /// daemon's umask kept, stdin on /dev/null (an unanswered prompt means
    /// "no", as for upstream's tool run with no input) and stderr captured.
    private func preservingProcessState<R>(_ body: () -> R) -> R {
        let mask = Glibc.umask(0o022)
        Glibc.umask(mask)
        fflush(nil)
        let savedIn = devNull >= 0 ? dup(0) : -1
        if savedIn >= 0 { dup2(devNull, 0) }
        let savedErr = LvmLogCapture.stderrCapture >= 0 ? dup(2) : -1
        if savedErr >= 0 {
            ftruncate(LvmLogCapture.stderrCapture, 0)
            lseek(LvmLogCapture.stderrCapture, 0, SEEK_SET)
            dup2(LvmLogCapture.stderrCapture, 2)
        }
        let result = body()
        fflush(nil)
        if savedErr >= 0 {
            dup2(savedErr, 2)
            close(savedErr)
        }
        if savedIn >= 0 {
            dup2(savedIn, 0)
            close(savedIn)
        }
        Glibc.umask(mask)
        return result
    }

    // MARK: removing the private directory at exit

    nonisolated(unsafe) private static var directoriesToRemove: [String] = []
    nonisolated(unsafe) private static var cleanupRegistered = false

    private static func registerCleanup(_ dir: String) {
        directoriesToRemove.append(dir)
        guard !cleanupRegistered else { return }
        cleanupRegistered = true
        atexit {
            for dir in Lvm2Library.directoriesToRemove { Lvm2Library.removeTree(dir) }
        }
    }

    /// rm -r of our own small directory (lvm.conf, backup/, archive/).
    static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            if let dir = opendir(path) {
                var names: [String] = []
                while let entry = readdir(dir) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                    }
                    if name != "." && name != ".." { names.append(name) }
                }
                closedir(dir)
                for name in names { removeTree(path + "/" + name) }
            }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
