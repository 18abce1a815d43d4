/* The unpacker of the packed kernel (see ../pack-kernel): each segment of
 * the kernel is one raw LZ4 block, stored past the end of the kernel's
 * file data, inside the area the kernel's .bss and .brk will occupy. Each
 * block is decoded to its segment's physical address, then every
 * segment's tail up to its memory size (the .bss, and the payload with
 * it) is zeroed, exactly what qemu's ELF loader did for the plain kernel.
 *
 * Freestanding 32-bit code, run with paging off and no SSE enabled (built
 * with -mgeneral-regs-only): integer loads and stores only. Every length
 * and offset is checked: a corrupt payload makes pvh_unpack return
 * nonzero (entry.S then stops the guest) instead of writing wild. */
typedef unsigned int u32;
typedef unsigned char u8;

struct pvh_segment {
    u32 dst;     /* physical address */
    u32 filesz;  /* bytes the block decodes to */
    u32 memsz;   /* bytes at dst in all; the rest is zeroed */
    u32 src;     /* physical address of the LZ4 block */
    u32 srclen;  /* its length */
};

struct pvh_params {
    u32 marker;
    u32 entry;   /* the kernel's PVH entry point */
    u32 count;   /* segments */
    struct pvh_segment seg[16];
    u32 prefix_len;  /* kernel parameters put in front of qemu's command */
    u8 prefix[256];  /* line, without a terminating NUL */
};

/* The parts of Xen's hvm_start_info (the PVH boot ABI) used here. */
#define HVM_START_MAGIC 0x336ec578u
#define START_INFO_MAGIC 0          /* u32 */
#define START_INFO_CMDLINE 24       /* u64 physical address, 0: none */
#define COMMAND_LINE_SIZE 2048      /* x86's, with the NUL */

static u32 rd16(const u8 *p) { return (u32)p[0] | (u32)p[1] << 8; }

/* Forward copy, four bytes at a time (TCG runs a word loop much faster
 * than byte moves). Correct for overlapping areas when d - s >= 4 too. */
static void copy(u8 *d, const u8 *s, u32 n)
{
    while (n >= 4) {
        u32 w;
        __builtin_memcpy(&w, s, 4);
        __builtin_memcpy(d, &w, 4);
        d += 4;
        s += 4;
        n -= 4;
    }
    while (n--)
        *d++ = *s++;
}

/* Copies 8 bytes (the caller has checked that both ends have room and,
 * for a match, that the areas are 8 or more bytes apart). */
static inline void copy8(u8 *d, const u8 *s)
{
    u32 a, b;
    __builtin_memcpy(&a, s, 4);
    __builtin_memcpy(&b, s + 4, 4);
    __builtin_memcpy(d, &a, 4);
    __builtin_memcpy(d + 4, &b, 4);
}

/* Zeroes n bytes, 32 at a time in the middle: a `rep stosb` costs TCG a
 * translated-block round per byte. */
static void zero(u8 *d, u32 n)
{
    while (n && ((u32)d & 3)) {
        *d++ = 0;
        n--;
    }
    u32 *w = (u32 *)d;
    for (; n >= 32; n -= 32, w += 8) {
        w[0] = 0; w[1] = 0; w[2] = 0; w[3] = 0;
        w[4] = 0; w[5] = 0; w[6] = 0; w[7] = 0;
    }
    d = (u8 *)w;
    while (n--)
        *d++ = 0;
}

/* A length continued in 255-bytes: 0 if the input ends first. */
static int more_length(const u8 **ip, const u8 *iend, u32 *len)
{
    u32 b;
    do {
        if (*ip >= iend)
            return 0;
        b = *(*ip)++;
        *len += b;
    } while (b == 255);
    return 1;
}

/* Decodes one raw LZ4 block [ip, iend) to exactly [op, oend). */
static int lz4_block(const u8 *ip, const u8 *iend, u8 *op, u8 *oend)
{
    u8 *const ostart = op;
    for (;;) {
        if (ip >= iend)
            return -1;
        u32 token = *ip++;
        u32 len = token >> 4;
        if (len == 15 && !more_length(&ip, iend, &len))
            return -1;
        if (len > (u32)(iend - ip) || len > (u32)(oend - op))
            return -1;
        if (len <= 8 && iend - ip >= 8 && oend - op >= 8)
            copy8(op, ip);  /* short runs, the usual case: no loop */
        else
            copy(op, ip, len);
        op += len;
        ip += len;
        if (ip == iend)  /* the last sequence is literals only */
            return op == oend ? 0 : -1;
        if (iend - ip < 2)
            return -1;
        u32 off = rd16(ip);
        ip += 2;
        if (off == 0 || off > (u32)(op - ostart))
            return -1;
        u32 mlen = token & 15;
        if (mlen == 15 && !more_length(&ip, iend, &mlen))
            return -1;
        mlen += 4;
        if (mlen > (u32)(oend - op))
            return -1;
        const u8 *m = op - off;
        if (off >= 8 && mlen <= 16 && oend - op >= 16) {
            copy8(op, m);
            copy8(op + 8, m + 8);
            op += mlen;
        } else if (off >= 4) {
            /* Each 4-byte read is of bytes already final (off >= 4). */
            copy(op, m, mlen);
            op += mlen;
        } else {
            while (mlen--)
                *op++ = *m++;
        }
    }
}

/* Writes "prefix qemu's-command-line" to buf (COMMAND_LINE_SIZE bytes) and
 * points start_info's command line at it. The kernel copies the command
 * line into its own buffer before it allocates anything, so buf (in the
 * stub, past the kernel's end) only has to survive until then. Nothing is
 * changed when the prefix is empty, start_info is not a PVH one, its
 * command line is above 4 GiB, or the two together would not fit: the
 * kernel would cut the command line's end, the user's own parameters. */
static void prepend_cmdline(const struct pvh_params *p, u8 *start_info, u8 *buf)
{
    u32 magic, lo, hi;
    if (p->prefix_len == 0 || p->prefix_len > sizeof p->prefix)
        return;
    __builtin_memcpy(&magic, start_info + START_INFO_MAGIC, 4);
    __builtin_memcpy(&lo, start_info + START_INFO_CMDLINE, 4);
    __builtin_memcpy(&hi, start_info + START_INFO_CMDLINE + 4, 4);
    if (magic != HVM_START_MAGIC || hi != 0)
        return;
    const u8 *old = (const u8 *)lo;
    u32 n = 0;
    if (old)
        while (n < COMMAND_LINE_SIZE && old[n])
            n++;
    if (p->prefix_len + 1 + n + 1 > COMMAND_LINE_SIZE)
        return;
    u8 *d = buf;
    for (u32 i = 0; i < p->prefix_len; i++)
        *d++ = p->prefix[i];
    *d++ = ' ';
    for (u32 i = 0; i < n; i++)
        *d++ = old[i];
    *d = 0;
    u32 addr = (u32)buf, zero32 = 0;
    __builtin_memcpy(start_info + START_INFO_CMDLINE, &addr, 4);
    __builtin_memcpy(start_info + START_INFO_CMDLINE + 4, &zero32, 4);
}

int pvh_unpack(const struct pvh_params *p, u8 *start_info, u8 *cmdline_buf)
{
    if (p->count == 0 || p->count > 16)
        return -1;
    for (u32 i = 0; i < p->count; i++) {
        const struct pvh_segment *s = &p->seg[i];
        if (s->filesz > s->memsz)
            return -1;
        if (s->filesz && lz4_block((const u8 *)s->src, (const u8 *)(s->src + s->srclen),
                                   (u8 *)s->dst, (u8 *)(s->dst + s->filesz)) != 0)
            return -1;
    }
    for (u32 i = 0; i < p->count; i++) {
        const struct pvh_segment *s = &p->seg[i];
        zero((u8 *)(s->dst + s->filesz), s->memsz - s->filesz);
    }
    prepend_cmdline(p, start_info, cmdline_buf);
    return 0;
}
