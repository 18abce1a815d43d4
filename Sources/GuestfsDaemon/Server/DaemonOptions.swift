/// guestfsd's command line. Hand-written: an argument-parsing library would
/// bring Foundation into the static daemon (megabytes of binary and start-up
/// time in every appliance launch) for nine flags.
public struct DaemonOptions: Equatable, Sendable {
    /// -c/--channel: a device or file path, or fd:N.
    public var channel: String?
    /// --listen unix:PATH (standalone mode).
    public var listen: String?
    public var sysroot = "/sysroot"
    /// --drive IMAGE, repeatable (standalone mode).
    public var drives: [String] = []
    public var verbose = false
    /// -r: upstream's host mode; accepted and ignored.
    public var upstreamHostMode = false
    /// -l: upstream's listen flag: -c names a unix socket to listen on.
    public var upstreamListen = false
    public var noCmdline = false
    /// --network: the appliance has a network (upstream's init passes it
    /// for guestfs_network=1; ours also reads that from /proc/cmdline).
    public var network = false
    public var help = false

    public init() {}

    public struct UsageError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Parses the arguments after the program name: `--name value`,
    /// `--name=value`, `-c value`, `-cvalue`, clustered short flags (`-vr`),
    /// and `--` before nothing (there are no positional arguments).
    public static func parse(_ arguments: [String]) throws(UsageError) -> DaemonOptions {
        var o = DaemonOptions()
        var i = 0
        func value(_ name: String, inline: String?) throws(UsageError) -> String {
            if let inline { return inline }
            i += 1
            guard i < arguments.count else { throw UsageError(description: "missing value for '\(name)'") }
            return arguments[i]
        }
        while i < arguments.count {
            let arg = arguments[i]
            if arg == "--" {
                if i + 1 < arguments.count { throw UsageError(description: "unexpected argument '\(arguments[i + 1])'") }
                break
            }
            if arg.hasPrefix("--") {
                var name = String(arg.dropFirst(2))
                var inline: String?
                if let eq = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                let flag = { () throws(UsageError) in
                    if inline != nil { throw UsageError(description: "'--\(name)' takes no value") }
                }
                switch name {
                case "channel": o.channel = try value(arg, inline: inline)
                case "listen": o.listen = try value(arg, inline: inline)
                case "sysroot": o.sysroot = try value(arg, inline: inline)
                case "drive": o.drives.append(try value(arg, inline: inline))
                case "verbose": try flag(); o.verbose = true
                case "no-cmdline": try flag(); o.noCmdline = true
                case "network": try flag(); o.network = true
                case "help": try flag(); o.help = true
                default: throw UsageError(description: "unknown option '--\(name)'")
                }
            } else if arg.hasPrefix("-") && arg.count > 1 {
                var letters = Substring(arg.dropFirst())
                while let letter = letters.first {
                    letters = letters.dropFirst()
                    switch letter {
                    case "c":
                        o.channel = try value("-c", inline: letters.isEmpty ? nil : String(letters))
                        letters = ""
                    case "v": o.verbose = true
                    case "r": o.upstreamHostMode = true
                    case "l": o.upstreamListen = true
                    case "h": o.help = true
                    default: throw UsageError(description: "unknown option '-\(letter)'")
                    }
                }
            } else {
                throw UsageError(description: "unexpected argument '\(arg)'")
            }
            i += 1
        }
        return o
    }

    public static let usage = """
        USAGE: guestfsd [options]

        The libguestfs appliance daemon (Swift implementation, protocol of libguestfs 1.48).

        OPTIONS:
          -c, --channel <channel> Channel: a device or file path, or fd:N. Default: the
                                  virtio-serial port org.libguestfs.channel.0.
          --listen <unix:PATH>    Listen on unix:PATH and serve one client (standalone mode).
          --sysroot <dir>         Directory the guest filesystems are mounted under
                                  (default: /sysroot).
          --drive <image>         Attach IMAGE as a loop device and show it as the next
                                  /dev/sdX (standalone mode, root only; repeatable).
          -v, --verbose           Log one line per call on stderr.
          -r                      Accepted for compatibility with upstream's host mode; ignored.
          -l                      Upstream's listen flag: -c names a unix socket to listen on.
          --no-cmdline            Do not read guestfs_* options from /proc/cmdline.
          --network               The appliance has a network: commands run in the guest
                                  see the appliance's /etc/resolv.conf (guestfs_network=1
                                  on the kernel command line says the same).
          -h, --help              Show this help.

        """
}
