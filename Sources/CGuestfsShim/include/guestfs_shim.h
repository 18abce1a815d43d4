#ifndef GUESTFS_SHIM_H
#define GUESTFS_SHIM_H
#include <spawn.h>
#include <sys/types.h>

/* GNU extensions Swift's Glibc module does not show. */
int guestfs_shim_pipe2_cloexec(int fds[2]);
int guestfs_shim_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *dir);
/* unshare(CLONE_FS) for the calling thread (its own root and cwd), and
 * open(path, O_PATH|O_DIRECTORY|O_CLOEXEC). */
int guestfs_shim_unshare_fs(void);
int guestfs_shim_open_dir_path(const char *path);
#endif
