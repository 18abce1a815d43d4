#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import GuestfsDaemon
import SystemPackage

@main
struct Guestfsd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guestfsd",
        abstract: "The libguestfs appliance daemon (Swift implementation, protocol of libguestfs 1.48).")

    @Option(name: [.customShort("c"), .long],
            help: "Channel: a device or file path, or fd:N. Default: the virtio-serial port org.libguestfs.channel.0.")
    var channel: String?

    @Option(name: .long, help: "Listen on unix:PATH and serve one client (standalone mode).")
    var listen: String?

    @Option(name: .long, help: "Directory the guest filesystems are mounted under.")
    var sysroot: String = "/sysroot"

    @Option(name: .long, help: "Attach IMAGE as a loop device and show it as the next /dev/sdX (standalone mode, root only).")
    var drive: [String] = []

    @Flag(name: [.customShort("v"), .long], help: "Log one line per call on stderr.")
    var verbose = false

    @Flag(name: .customShort("r"), help: "Accepted for compatibility with upstream's host mode; ignored.")
    var upstreamHostMode = false

    @Flag(name: .customShort("l"), help: "Accepted for compatibility with upstream's listen flag: -c names a unix socket to listen on.")
    var upstreamListen = false

    @Flag(name: .long, help: "Do not read guestfs_* options from /proc/cmdline.")
    var noCmdline = false

    mutating func run() throws {
        signal(SIGPIPE, SIG_IGN)
        if getenv("PATH") == nil { setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1) }
        let standalone = listen != nil || upstreamListen || !drive.isEmpty
        var channelSpec = channel
        var verbose = self.verbose
        if !standalone && !noCmdline {
            let cmdline = KernelCommandLine.read()
            if cmdline["guestfs_verbose"] == "1" { verbose = true }
            if channelSpec == nil, let c = cmdline["guestfs_channel"] { channelSpec = c }
        }

        var loops: [String] = []
        defer { for loop in loops { _ = try? CommandRunner().run(["losetup", "-d", loop]) } }
        for image in drive {
            let r = try CommandRunner().run(["losetup", "--find", "--show", "--partscan", image])
            guard r.succeeded else {
                throw ValidationError("cannot attach \(image): \(r.stderrString)")
            }
            loops.append(r.stdoutString.trimmingCharacters(in: "\n"))
        }

        let context = DaemonContext(
            sysroot: Sysroot(root: sysroot),
            devices: standalone ? DeviceNames(drives: loops) : DeviceNames(),
            runner: CommandRunner(verbose: verbose),
            verbose: verbose,
            inAppliance: !standalone)
        if !standalone { _ = mkdir(sysroot, 0o755) }
        umask(0o022)

        let ch: Channel
        if let listen {
            guard listen.hasPrefix("unix:") else { throw ValidationError("--listen takes unix:PATH") }
            ch = try ChannelOpener.acceptOne(unixPath: String(listen.dropFirst(5)))
        } else if upstreamListen, let path = channelSpec {
            ch = try ChannelOpener.acceptOne(unixPath: path)
        } else {
            ch = try ChannelOpener.open(channelSpec)
        }
        let session = Session(channel: ch, actions: Handlers(context: context))
        if verbose { session.log = logLine }
        do {
            try session.run()
        } catch Errno.brokenPipe {
            // The library closed the channel while we were replying.
        }
        if verbose { logLine("guestfsd: exiting after \(session.callsServed) calls; \(ProcessStatus.peakRSSDescription())") }
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
