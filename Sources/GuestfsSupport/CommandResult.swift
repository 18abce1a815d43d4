/// What a tool run gave back (System's CommandRunner makes it).
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    /// The input filter's exit status, when there was one.
    public var filterStatus: Int32? = nil

    public init(status: Int32, stdout: [UInt8], stderr: [UInt8], filterStatus: Int32? = nil) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.filterStatus = filterStatus
    }

    public var stdoutString: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrString: String { String(decoding: stderr, as: UTF8.self) }
    /// Exited normally with status 0 (and so did the input filter).
    public var succeeded: Bool { status == 0 && (filterStatus ?? 0) == 0 }
}
