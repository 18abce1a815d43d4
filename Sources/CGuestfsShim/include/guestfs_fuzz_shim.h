#ifndef GUESTFS_FUZZ_SHIM_H
#define GUESTFS_FUZZ_SHIM_H
#include <stddef.h>
#include <stdint.h>

/* libFuzzer's driver (compiler-rt), for guestfsd-fuzz's own main when it
 * is built with -sanitize=fuzzer. Declared only: nothing else calls it and
 * only the fuzz build links the library that defines it. */
int LLVMFuzzerRunDriver(int *argc, char ***argv,
                        int (*callback)(const uint8_t *data, size_t size));
#endif
