/* Preloaded into GNU tar by guestfsd's tar_in (LD_PRELOAD), so that tar
 * extracts with the guest's filesystem as its root directory.
 *
 * tar is a dynamic program: its libraries live in the appliance (or on the
 * host in standalone mode), not in the guest, so it cannot be started
 * inside a chroot. This constructor runs after the dynamic loader has
 * mapped every library tar needs and before tar's main: it enters the
 * guest root there. From then on every name tar opens, including
 * symlinks already present in the guest or made by the archive, is
 * resolved by the kernel inside the guest, as the upstream daemon's own
 * chroot does for paths.
 *
 * Environment (removed once used):
 *   GUESTFSD_CHROOT  host path of the guest's root (the sysroot)
 *   GUESTFSD_CHDIR   the guest directory to extract into (absolute)
 *
 * Any failure ends the process before tar runs. Nothing from the guest is
 * ever loaded as code: the daemon decompresses outside tar, and what glibc
 * would load later on demand (the NSS modules that --acls name lookups use,
 * the charset-conversion configuration) is loaded here, before the root
 * changes; glibc does not reload its NSS configuration once "/" has changed.
 * Owners are restored by number (the daemon passes --numeric-owner). */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <iconv.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Says it as tar would ("tar: NAME: WHAT: REASON") and ends the process. */
static void guestfsd_tar_chroot_fail(const char *name, const char *what)
{
    int e = errno;
    dprintf(2, "tar: %s: %s: %s\n", name, what, strerror(e));
    _exit(2);
}

__attribute__((constructor))
static void guestfsd_tar_chroot_enter(void)
{
    const char *root = getenv("GUESTFSD_CHROOT");
    if (root == NULL)
        return;
    const char *dir = getenv("GUESTFSD_CHDIR");
    if (dir == NULL || dir[0] != '/') {
        errno = EINVAL;
        guestfsd_tar_chroot_fail(dir != NULL ? dir : "(unset)", "Not an absolute guest directory");
    }
    /* A name no database has: every passwd and group module is loaded. */
    (void)getpwnam("guestfsd-tar-chroot-no-such-user");
    (void)getgrnam("guestfsd-tar-chroot-no-such-group");
    /* glibc reads its gconv configuration once, on first use; do it now. */
    iconv_t cd = iconv_open("ASCII", "UTF-8");
    if (cd != (iconv_t)-1)
        iconv_close(cd);
    if (chroot(root) != 0)
        guestfsd_tar_chroot_fail(root, "Cannot chroot");
    if (chdir(dir) != 0)
        guestfsd_tar_chroot_fail(dir, "Cannot open");
    unsetenv("GUESTFSD_CHROOT");
    unsetenv("GUESTFSD_CHDIR");
    unsetenv("LD_PRELOAD");
}
