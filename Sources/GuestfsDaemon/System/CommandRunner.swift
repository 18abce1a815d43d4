#if canImport(Glibc)
import Glibc
#endif
import SystemPackage
import CGuestfsShim

/// What a tool reads on its standard input.
public enum CommandInput {
    case none
    case bytes([UInt8])
    /// Upload data streamed straight from the library.
    case stream(FileInStream)
    /// A file opened read-only as the tool's standard input.
    case file(String)
}

/// Where a tool's standard output goes.
public enum CommandOutput {
    case capture
    case discard
    /// Streamed to the library as download chunks.
    case sink(FileOutSink)
    /// Written into the stderr pipe, so `stderr` holds both in the order the
    /// tool wrote them (upstream's COMMAND_FLAG_FOLD_STDOUT_ON_STDERR).
    case foldedIntoStderr
}

/// Runs tools: argv (never a shell string), stdin from bytes or an upload,
/// stdout captured or streamed, stderr captured.
public final class CommandRunner {
    public var searchPath: [String]
    public var verbose: Bool
    /// Called with every chunk of stderr as it arrives (progress parsers).
    public typealias ProgressParser = ([UInt8]) -> Void

    public init(searchPath: [String]? = nil, verbose: Bool = false) {
        if let searchPath {
            self.searchPath = searchPath
        } else {
            let env = getenv("PATH").map { String(cString: $0) } ?? "/usr/sbin:/usr/bin:/sbin:/bin"
            var dirs = env.split(separator: ":").map(String.init)
            for d in ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] where !dirs.contains(d) { dirs.append(d) }
            self.searchPath = dirs
        }
        self.verbose = verbose
    }

    /// The full path of a tool, or nil when the appliance lacks it.
    public func which(_ tool: String) -> String? {
        if tool.contains("/") { return access(tool, X_OK) == 0 ? tool : nil }
        for dir in searchPath {
            let p = dir + "/" + tool
            if access(p, X_OK) == 0 { return p }
        }
        return nil
    }

    public func has(_ tool: String) -> Bool { which(tool) != nil }

    /// The full path of a tool; a missing one throws ENOTSUP naming it.
    public func requirePath(_ tool: String) throws -> String {
        guard let path = which(tool) else {
            throw DaemonError(ENOTSUP, "\(tool): the tool is not available in this appliance")
        }
        return path
    }

    /// Runs argv and waits. A missing tool throws ENOTSUP naming it.
    /// With `inputFilter`, stdin goes through that tool first (a
    /// decompressor): `filter < stdin | argv`, both writing stderr to the
    /// same capture; the filter's exit status is `result.filterStatus`.
    @discardableResult
    public func run(_ argv: [String], stdin: CommandInput = .none, stdout: CommandOutput = .capture,
                    environment: [String]? = nil, workingDirectory: String? = nil,
                    inputFilter: [String]? = nil,
                    onStdout: ProgressParser? = nil, onStderr: ProgressParser? = nil) throws -> CommandResult {
        precondition(!argv.isEmpty && inputFilter?.isEmpty != true)
        let path = try requirePath(argv[0])
        let filterPath = try inputFilter.map { try requirePath($0[0]) }
        if verbose {
            let filterText = inputFilter.map { $0.joined(separator: " ") + " | " } ?? ""
            logLine("guestfsd: run: \(filterText)\(argv.joined(separator: " "))")
        }

        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        var midPipe: [Int32] = [-1, -1]
        var inputFile: Int32 = -1
        func closeAll() {
            for fd in inPipe + outPipe + errPipe + midPipe + [inputFile] where fd >= 0 { close(fd) }
        }
        guard guestfs_shim_pipe2_cloexec(&outPipe) == 0, guestfs_shim_pipe2_cloexec(&errPipe) == 0,
              inputFilter == nil || guestfs_shim_pipe2_cloexec(&midPipe) == 0 else {
            closeAll()
            throw DaemonError.system("pipe")
        }
        let feedsInput: Bool
        switch stdin {
        case .none, .file: feedsInput = false
        default: feedsInput = true
        }
        if feedsInput, guestfs_shim_pipe2_cloexec(&inPipe) != 0 {
            closeAll()
            throw DaemonError.system("pipe")
        }
        // What the first process reads: -1 is /dev/null.
        var firstInput: Int32 = -1
        if feedsInput {
            firstInput = inPipe[0]
        } else if case .file(let path) = stdin {
            // Opened here, not by the child, so a missing file is our error.
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                let e = errno
                closeAll()
                throw DaemonError(e, "\(path): \(errnoDescription(e))")
            }
            inputFile = fd
            firstInput = fd
        }

        var env = environment ?? Self.defaultEnvironment()
        if environment == nil, !env.contains(where: { $0.hasPrefix("LC_ALL=") }) { env.append("LC_ALL=C") }
        var filterPID: pid_t?
        if let inputFilter, let filterPath {
            switch Self.spawn(path: filterPath, argv: inputFilter, environment: env, stdin: firstInput,
                              stdout: midPipe[1], stderr: errPipe[1], workingDirectory: nil) {
            case .success(let pid): filterPID = pid
            case .failure(let e):
                closeAll()
                throw DaemonError(e.code, "\(inputFilter[0]): \(errnoDescription(e.code))")
            }
            close(midPipe[1]); midPipe[1] = -1
        }
        let mainInput = inputFilter == nil ? firstInput : midPipe[0]
        var folded = false
        if case .foldedIntoStderr = stdout { folded = true }
        let spawned = Self.spawn(path: path, argv: argv, environment: env, stdin: mainInput,
                                 stdout: folded ? errPipe[1] : outPipe[1], stderr: errPipe[1],
                                 workingDirectory: workingDirectory)
        close(outPipe[1]); outPipe[1] = -1
        close(errPipe[1]); errPipe[1] = -1
        if feedsInput { close(inPipe[0]); inPipe[0] = -1 }
        if inputFile >= 0 { close(inputFile); inputFile = -1 }
        if midPipe[0] >= 0 { close(midPipe[0]); midPipe[0] = -1 }
        let pid: pid_t
        switch spawned {
        case .success(let p): pid = p
        case .failure(let e):
            closeAll()
            if let filterPID {
                kill(filterPID, SIGKILL)
                _ = Self.wait(filterPID)
            }
            throw DaemonError(e.code, "\(argv[0]): \(errnoDescription(e.code))")
        }

        var result = CommandResult(status: -1, stdout: [], stderr: [])
        var failure: Error?
        do {
            try pump(stdin: stdin, stdinFD: inPipe[1], stdoutFD: outPipe[0], stderrFD: errPipe[0],
                     stdout: stdout, into: &result, onStdout: onStdout, onStderr: onStderr)
        } catch {
            failure = error
            kill(pid, SIGKILL)
            if let filterPID { kill(filterPID, SIGKILL) }
        }
        inPipe[1] = -1  // closed by pump
        closeAll()
        if let filterPID { result.filterStatus = Self.wait(filterPID) }
        result.status = Self.wait(pid)
        if let failure { throw failure }
        return result
    }

    private struct SpawnError: Error { var code: Int32 }

    /// posix_spawn with the three standard descriptors given (stdin -1 is
    /// /dev/null) and default signal handling in the child.
    private static func spawn(path: String, argv: [String], environment: [String], stdin: Int32, stdout: Int32,
                              stderr: Int32, workingDirectory: String?) -> Result<pid_t, SpawnError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdin >= 0 {
            posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        if let workingDirectory {
            _ = guestfs_shim_spawn_addchdir(&actions, workingDirectory)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child must not inherit our blocked signals or SIGPIPE ignore.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var pid: pid_t = 0
        let r = withCStrings(argv) { cArgv in
            withCStrings(environment) { cEnv in
                posix_spawn(&pid, path, &actions, &attributes, cArgv, cEnv)
            }
        }
        return r == 0 ? .success(pid) : .failure(SpawnError(code: r))
    }

    /// Waits for a child: its exit status, or 128 + the signal that ended it.
    private static func wait(_ pid: pid_t) -> Int32 {
        let status = waitStatus(pid)
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }

    /// waitpid(2) for a child (EINTR retried): its raw wait status.
    private static func waitStatus(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    /// How a forked child ended, with what it wrote.
    public struct ForkedChild {
        public var output: [UInt8]
        /// The signal that killed it, or nil when it exited.
        public var signal: Int32?
        /// Its exit status (0 when killed).
        public var exitStatus: Int32
    }

    /// Forks a child that runs `body` (in process, no exec: a library that
    /// must not touch the daemon, such as librpm chrooted into the guest)
    /// with the write end of a pipe; `body` never returns (it ends with
    /// _exit). Reads all it writes, then waits for it. "pipe" or "fork"
    /// with errno when the child cannot be started.
    public static func fork(_ body: (FileDescriptor) -> Never) throws -> ForkedChild {
        let (readEnd, writeEnd) = try FileIO.call("pipe") { try FileDescriptor.pipe() }
        let pid = Glibc.fork()
        if pid < 0 {
            let e = errno
            try? readEnd.close()
            try? writeEnd.close()
            throw DaemonError.system("fork", errno: e)
        }
        if pid == 0 {
            try? readEnd.close()
            body(writeEnd)
        }
        try? writeEnd.close()
        // A failed read ends the answer as its end would: the child's
        // status and what it wrote say the rest.
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while let n = try? buffer.withUnsafeMutableBytes({ try readEnd.read(into: $0) }), n > 0 {
            output += buffer[0..<n]
        }
        try? readEnd.close()
        let status = waitStatus(pid)
        let signal = status & 0x7f
        return ForkedChild(output: output, signal: signal == 0 ? nil : signal,
                           exitStatus: signal == 0 ? (status >> 8) & 0xff : 0)
    }

    /// Runs argv and throws its stderr (or stdout) as the error message
    /// when it exits with a non-zero status.
    @discardableResult
    public func runChecked(_ argv: [String], stdin: CommandInput = .none, stdout: CommandOutput = .capture,
                           environment: [String]? = nil, workingDirectory: String? = nil,
                           onStdout: ProgressParser? = nil, onStderr: ProgressParser? = nil) throws -> CommandResult {
        let r = try run(argv, stdin: stdin, stdout: stdout, environment: environment,
                        workingDirectory: workingDirectory, onStdout: onStdout, onStderr: onStderr)
        guard r.succeeded else {
            var message = r.stderrString.trimmingTrailingNewlines()
            if message.isEmpty { message = r.stdoutString.trimmingTrailingNewlines() }
            if message.isEmpty { message = "exited with status \(r.status)" }
            throw DaemonError(message: "\(argv[0]): \(message)")
        }
        return r
    }

    private func pump(stdin: CommandInput, stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32,
                      stdout: CommandOutput, into result: inout CommandResult,
                      onStdout: ProgressParser?, onStderr: ProgressParser?) throws {
        var inFD = stdinFD
        var outOpen = true, errOpen = true
        var pendingInput: [UInt8] = []
        var pendingOffset = 0
        var inputDone = false
        switch stdin {
        case .bytes(let b): pendingInput = b
        default: break
        }
        if inFD >= 0 { _ = fcntl(inFD, F_SETFL, fcntl(inFD, F_GETFL) | O_NONBLOCK) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer {
            buffer.deallocate()
            if inFD >= 0 { close(inFD) }
        }
        while outOpen || errOpen {
            // Refill what we feed the tool from the upload when needed.
            if inFD >= 0, pendingOffset >= pendingInput.count, !inputDone {
                if case .stream(let s) = stdin {
                    if let chunk = try s.nextChunk() {
                        pendingInput = Array(chunk)
                        pendingOffset = 0
                    } else {
                        inputDone = true
                    }
                } else {
                    inputDone = true
                }
            }
            if inFD >= 0, inputDone, pendingOffset >= pendingInput.count {
                close(inFD)
                inFD = -1
            }
            var fds: [pollfd] = []
            if outOpen { fds.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
            if errOpen { fds.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
            if inFD >= 0 { fds.append(pollfd(fd: inFD, events: Int16(POLLOUT), revents: 0)) }
            let r = poll(&fds, nfds_t(fds.count), -1)
            if r < 0 {
                if errno == EINTR { continue }
                throw DaemonError.system("poll")
            }
            for p in fds where p.revents != 0 {
                if p.fd == inFD {
                    let n = pendingInput.withUnsafeBytes { raw in
                        Glibc.write(inFD, raw.baseAddress! + pendingOffset, raw.count - pendingOffset)
                    }
                    if n > 0 {
                        pendingOffset += n
                    } else if n < 0 && errno != EAGAIN && errno != EINTR {
                        // The tool closed its input (EPIPE): stop feeding it,
                        // but the upload must still be consumed by the caller.
                        close(inFD)
                        inFD = -1
                    }
                    continue
                }
                let n = read(p.fd, buffer.baseAddress, buffer.count)
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if n <= 0 {
                    if p.fd == stdoutFD { outOpen = false } else { errOpen = false }
                    continue
                }
                let data = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                if p.fd == stdoutFD {
                    onStdout?(Array(data))
                    switch stdout {
                    case .capture: result.stdout.append(contentsOf: data)
                    case .discard, .foldedIntoStderr: break
                    case .sink(let sink): try sink.write(data)
                    }
                } else {
                    onStderr?(Array(data))
                    if result.stderr.count < 1 << 20 { result.stderr.append(contentsOf: data) }
                }
            }
        }
    }

    static func defaultEnvironment() -> [String] {
        var env: [String] = []
        var p = environ
        while let entry = p.pointee {
            env.append(String(cString: entry))
            p += 1
        }
        return env
    }
}

/// Writes one line to standard error (no stdio globals: strict concurrency).
public func logLine(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
