#include <ext2fs/ext2fs.h>
#include <e2p/e2p.h>

/* unix_io_manager is a mutable global to Swift 6's checker; libext2fs
 * never changes it. */
static inline io_manager guestfs_ext2fs_unix_io_manager(void) { return unix_io_manager; }
