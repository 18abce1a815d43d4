#include <ext2fs/ext2fs.h>
#include <e2p/e2p.h>
