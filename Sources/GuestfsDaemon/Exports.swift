// GuestfsSupport (DaemonError, CommandResult, CommandText, SmallFile, the
// I/O layer, JSONValue) is part of this module's interface: Server/,
// System/ and Handlers/ all build on it, and users of GuestfsDaemon
// (guestfsd, the benchmarks, the tests) see it without importing it.
@_exported import GuestfsSupport
