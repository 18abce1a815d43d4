#if canImport(Glibc)
import Glibc
#endif
import CGuestfsShim

/// A thread of its own whose root directory can be a guest's: it unshares
/// its filesystem attributes (unshare(CLONE_FS): root, working directory
/// and umask become its own), so a chroot there confines only the work
/// handed to it, and the daemon's other threads keep the appliance's root.
/// A library that opens files by path (libaugeas) runs its file work here,
/// so an absolute symlink in the guest resolves inside the guest, never to
/// the appliance's (or, standalone, the host's) files.
///
/// `confined(in:)` enters the root for each call and leaves it after: the
/// thread keeps a descriptor of the real root, chroots to the path for the
/// call (so a filesystem mounted there since the last call is the one
/// used), then goes back to the real root, so that between calls it holds
/// nothing of the guest (its filesystems can be unmounted).
/// Calls block the caller until the thread has run them (one at a time).
final class ConfinedThread: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var job: (() -> Void)?
    private var finished = false
    private var stopping = false
    private var thread = pthread_t()
    /// The real root, opened on the thread before any chroot.
    private var realRoot: Int32 = -1
    private var setupError: Int32 = 0

    init() throws {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
        let box = Unmanaged.passRetained(self).toOpaque()
        let r = pthread_create(&thread, nil, { arg in
            let me = Unmanaged<ConfinedThread>.fromOpaque(arg!).takeRetainedValue()
            me.loop()
            return nil
        }, box)
        if r != 0 {
            Unmanaged<ConfinedThread>.fromOpaque(box).release()
            throw DaemonError(r, "pthread_create: \(String(cString: strerror(r)))")
        }
        // The thread's own filesystem attributes and the real root's
        // descriptor, made before any work is accepted.
        try perform {
            if guestfs_shim_unshare_fs() != 0 { self.setupError = errno; return }
            self.realRoot = guestfs_shim_open_dir_path("/")
            if self.realRoot < 0 || fchdir(self.realRoot) != 0 { self.setupError = errno }
        }
        if setupError != 0 {
            stop()
            throw DaemonError(setupError, "confined thread: \(String(cString: strerror(setupError)))")
        }
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    /// Ends the thread (and waits for it). Called by the owner when done.
    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
        pthread_join(thread, nil)
        if realRoot >= 0 { close(realRoot); realRoot = -1 }
    }

    private func loop() {
        pthread_mutex_lock(mutex)
        while true {
            while job == nil && !stopping { pthread_cond_wait(cond, mutex) }
            guard let work = job else { break }
            pthread_mutex_unlock(mutex)
            work()
            pthread_mutex_lock(mutex)
            job = nil
            finished = true
            pthread_cond_broadcast(cond)
        }
        pthread_mutex_unlock(mutex)
    }

    /// Runs body on the thread (as it is: no chroot made, working
    /// directory at the real root), waiting for it.
    func perform<T>(_ body: () throws -> T) throws -> T {
        var result: Result<T, Error>?
        withoutActuallyEscaping(body) { body in
            let work: () -> Void = { result = Result { try body() } }
            withoutActuallyEscaping(work) { work in
                pthread_mutex_lock(mutex)
                job = work
                finished = false
                pthread_cond_broadcast(cond)
                while !finished { pthread_cond_wait(cond, mutex) }
                pthread_mutex_unlock(mutex)
            }
        }
        return try result!.get()
    }

    /// Runs body on the thread with its root directory at hostPath and its
    /// working directory at the real root.
    func confined<T>(in hostPath: String, _ body: () throws -> T) throws -> T {
        try perform {
            if fchdir(realRoot) != 0 || chroot(".") != 0 {
                let e = errno
                throw DaemonError(e, "chroot: \(String(cString: strerror(e)))")
            }
            // The working directory stays at the real root (outside the new
            // root): relative paths (Augeas's lens load path) resolve in the
            // appliance, absolute ones and symlinks in the guest.
            if chdir(hostPath) != 0 || chroot(".") != 0 || fchdir(realRoot) != 0 {
                let e = errno
                throw DaemonError(e, "chroot: \(hostPath): \(String(cString: strerror(e)))")
            }
            // Back to the real root after the call: a thread whose root is
            // in the guest would keep its filesystem busy (umount: EBUSY).
            defer { _ = fchdir(realRoot); _ = chroot("."); _ = chdir("/") }
            return try body()
        }
    }
}
