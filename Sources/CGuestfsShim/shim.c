#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include "guestfs_shim.h"

int guestfs_shim_pipe2_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int guestfs_shim_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *dir) {
  return posix_spawn_file_actions_addchdir_np(actions, dir);
}

int guestfs_shim_unshare_fs(void) { return unshare(CLONE_FS); }

int guestfs_shim_open_dir_path(const char *path) { return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC); }
