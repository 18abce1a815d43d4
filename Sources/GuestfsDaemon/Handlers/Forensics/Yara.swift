#if canImport(Glibc)
import Glibc
#endif
import CYara
import GuestfsProtocol
import SystemPackage

/// The loaded rules: libyara's YR_RULES, destroyed with the handle.
final class YaraRules {
    let rules: UnsafeMutablePointer<YR_RULES>

    init(_ rules: UnsafeMutablePointer<YR_RULES>) { self.rules = rules }

    deinit { yr_rules_destroy(rules) }
}

/// yara_load, yara_destroy and internal_yara_scan (optional group
/// "libyara"): libyara in process, one set of rules per daemon as
/// upstream; the library's yara_scan decodes internal_yara_scan's
/// download (yara_detection structs, XDR-encoded one after the other).
extension Handlers {

    /// libyara is initialised once per process and never finalised: the
    /// rules it compiles live as long as the daemon may use them.
    private static let yaraInitialised: Int32 = yr_initialize()

    /// Loads rules, compiled (by yarac) or as source, replacing those
    /// loaded before (which are gone even when the new ones fail).
    public func yaraLoad(filename: FileInStream) throws {
        try LazyLibrary.yara.require(for: "yara_load")
        let (file, path) = try FileOps.makeTemporary("/tmp/yaraXXXXXX")
        defer { unlink(path) }
        try file.closeAfter {
            while let chunk = try filename.nextChunk() {
                do {
                    _ = try file.writeAll(chunk)
                } catch let e as Errno {
                    throw DaemonError.system("write: \(path)", errno: e.rawValue)
                }
            }
        }
        guard Self.yaraInitialised == ERROR_SUCCESS else {
            throw DaemonError(message: "failed initializing yara")
        }
        state.yaraRules = nil

        var rules: UnsafeMutablePointer<YR_RULES>?
        var r = yr_rules_load(path, &rules)
        if r == ERROR_INVALID_FILE {
            // Not a compiled rules file: compile it as source.
            rules = try compileYaraRules(path)
            r = ERROR_SUCCESS
        }
        guard r == ERROR_SUCCESS, let rules else {
            // Upstream sends no reply at all here (the library waits for
            // ever); a clear error instead.
            throw DaemonError(message: "yr_rules_load: \(Self.yaraErrorText(r))")
        }
        state.yaraRules = YaraRules(rules)
    }

    public func yaraDestroy() throws {
        guard state.yaraRules != nil else {
            throw DaemonError(message: "no yara rules loaded")
        }
        state.yaraRules = nil
    }

    /// Scans the file at `path` with the loaded rules; the download holds
    /// a yara_detection (the path as given, the rule's name) per matching
    /// rule. A failed scan is an error reply (upstream cancels the
    /// download after its success reply).
    public func internalYaraScan(path: String, filename: FileOutSink) throws {
        guard let loaded = state.yaraRules else {
            throw DaemonError(message: "no yara rules loaded")
        }
        let hostPath = try context.resolve(path)
        let fd: FileDescriptor
        do {
            // Non-blocking: a FIFO with no writer must not hang the daemon
            // (upstream's open waits for ever).
            fd = try FileDescriptor.open(FilePath(hostPath), .readOnly, options: [.closeOnExec, .nonBlocking])
        } catch let e as Errno {
            throw DaemonError(e.rawValue, "\(path): \(errnoDescription(e.rawValue))")
        }
        let matches = YaraMatches()
        let r = try fd.closeAfter {
            // yara scans one file; upstream cancels the download for a
            // directory, after its success reply.
            var st = stat()
            if fstat(fd.rawValue, &st) == 0, st.st_mode & S_IFMT == S_IFDIR {
                throw DaemonError(EISDIR, "\(path): \(errnoDescription(EISDIR))")
            }
            return withExtendedLifetime(matches) {
                yr_rules_scan_fd(loaded.rules, fd.rawValue, 0, { _, message, data, context in
                    if message == CALLBACK_MSG_RULE_MATCHING, let data, let context {
                        let rule = data.assumingMemoryBound(to: YR_RULE.self)
                        let matches = Unmanaged<YaraMatches>.fromOpaque(context).takeUnretainedValue()
                        matches.rules.append(rule.pointee.identifier.map { String(cString: $0) } ?? "")
                    }
                    return CALLBACK_CONTINUE
                }, Unmanaged.passUnretained(matches).toOpaque(), 0)
            }
        }
        guard r == ERROR_SUCCESS else {
            throw DaemonError(message: "\(path): yara scan failed: \(Self.yaraErrorText(r))")
        }
        try filename.start()
        var xdr = XDRWriter(capacity: 256)
        for rule in matches.rules {
            xdr.reset()
            GuestfsYaraDetection(yaraName: path, yaraRule: rule).encode(xdr: &xdr)
            try xdr.bytes.withUnsafeBytes { try filename.write($0) }
        }
    }

    /// Compiles the source rules in the file at `path`; errors (and, when
    /// verbose, warnings) go to the console with their line, as upstream.
    private func compileYaraRules(_ path: String) throws -> UnsafeMutablePointer<YR_RULES> {
        var compiler: UnsafeMutablePointer<YR_COMPILER>?
        guard yr_compiler_create(&compiler) == ERROR_SUCCESS, let compiler else {
            throw DaemonError(message: "yr_compiler_create")
        }
        defer { yr_compiler_destroy(compiler) }
        // The callback captures nothing: a non-nil user pointer says verbose.
        let verbose = context.runner.verbose ? UnsafeMutableRawPointer(bitPattern: 1) : nil
        yr_compiler_set_callback(compiler, { level, _, line, _, message, verbose in
            let text = message.map { String(cString: $0) } ?? ""
            if level == YARA_ERROR_LEVEL_ERROR {
                logLine("Yara error (line \(line)): \(text)")
            } else if verbose != nil {
                logLine("Yara warning (line \(line)): \(text)")
            }
        }, verbose)
        guard let file = fopen(path, "r") else {
            throw DaemonError(message: "unable to open rules file")
        }
        defer { fclose(file) }
        let errors = yr_compiler_add_file(compiler, file, nil, nil)
        if errors > 0 {
            throw DaemonError(message: "found \(errors) errors when compiling the rules")
        }
        var rules: UnsafeMutablePointer<YR_RULES>?
        let r = yr_compiler_get_rules(compiler, &rules)
        guard r == ERROR_SUCCESS, let rules else {
            if r == ERROR_INSUFFICIENT_MEMORY { throw DaemonError.system("yr_compiler_get_rules", errno: ENOMEM) }
            throw DaemonError(message: "yr_compiler_get_rules: \(Self.yaraErrorText(r))")
        }
        return rules
    }

    /// A sentence for the libyara errors a load or a scan can meet.
    static func yaraErrorText(_ code: Int32) -> String {
        switch code {
        case ERROR_INSUFFICIENT_MEMORY: return "insufficient memory"
        case ERROR_COULD_NOT_OPEN_FILE: return "could not open the file"
        case ERROR_COULD_NOT_MAP_FILE: return "could not map the file into memory"
        case ERROR_COULD_NOT_READ_FILE: return "could not read the file"
        case ERROR_INVALID_FILE: return "not a compiled rules file"
        case ERROR_CORRUPT_FILE: return "corrupt compiled rules file"
        case ERROR_UNSUPPORTED_FILE_VERSION: return "compiled rules of an unsupported version of yara"
        case ERROR_SCAN_TIMEOUT: return "scan timed out"
        case ERROR_TOO_MANY_MATCHES: return "too many matches"
        default: return "yara error \(code)"
        }
    }
}

/// The names of the rules that matched, gathered by the scan's callback.
private final class YaraMatches {
    var rules: [String] = []
}
