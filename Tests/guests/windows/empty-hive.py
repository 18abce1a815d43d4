# Writes a minimal, empty registry hive (a root key "ROOT" and nothing
# else) to each path given, for hivexregedit --merge to fill.
import struct,sys
def hive(path):
    b = bytearray(8192)
    b[0:4] = b'regf'
    struct.pack_into('<IIQIIIIIII', b, 4, 1, 1, 0, 1, 3, 0, 1, 0x20, 0x1000, 1)
    c = 0
    for i in range(0, 0x1fc, 4):
        c ^= struct.unpack_from('<I', b, i)[0]
    struct.pack_into('<I', b, 0x1fc, c)
    h = 0x1000
    b[h:h+4] = b'hbin'
    struct.pack_into('<II', b, h+4, 0, 0x1000)
    n = h + 0x20
    struct.pack_into('<i', b, n, -0x60)
    b[n+4:n+6] = b'nk'
    struct.pack_into('<H', b, n+6, 0x2c)
    for o, v in ((0x20, 0xffffffff), (0x24, 0xffffffff), (0x2c, 0xffffffff), (0x30, 0x80), (0x34, 0xffffffff)):
        struct.pack_into('<I', b, n+o, v)
    struct.pack_into('<HH', b, n+0x4c, 4, 0)
    b[n+0x50:n+0x54] = b'ROOT'
    s = h + 0x80
    struct.pack_into('<i', b, s, -0x30)
    b[s+4:s+6] = b'sk'
    struct.pack_into('<IIII', b, s+8, 0x80, 0x80, 1, 20)
    struct.pack_into('<BBH', b, s+0x18, 1, 0, 0x8000)
    struct.pack_into('<i', b, h+0xb0, 0x1000-0xb0)
    open(path, 'wb').write(b)
for p in sys.argv[1:]: hive(p)
