# file_architecture on ELF files of every Debian architecture (real cross
# libcs and hand-made headers), Windows PE executables and DLLs, initrds
# compressed with gzip, bzip2 and xz, compressed ELF files, and things that
# are not binaries. Left out on purpose, where upstream is wrong and ours
# answers (Tests/GuestfsDaemonTests/FileArchitectureTests.swift): zstd, lzop
# and lz4 initrds, a zstd ELF (upstream: unknown architecture), ARM PE files
# (upstream: x86_64 for every PE32+, i386 for every PE32).
# Also left out: a LoongArch ELF file, which ours calls loongarch64 as 1.54
# and 1.60 do (1.48 passes file(1)'s "LoongArch" through), and an i486 one,
# whose name is file(1)'s and so its version's (Debian 12's file 5.44:
# "Intel 80486" -> i386, as ours; Debian 13's, in 1.54's reference, "Intel
# i486", passed through). FileArchitectureTests pins both.
# disks: 200M
# setup: "$ROOT/Tests/guests/make-arch-samples" samples
run
mkfs ext4 /dev/sda
mount /dev/sda /
copy-in samples /
mkdir /samples/dir
ln-s elf-x86_64 /samples/symlink
echo elf-x86_64
-file-architecture /samples/elf-x86_64
echo elf-i386
-file-architecture /samples/elf-i386
echo elf-aarch64
-file-architecture /samples/elf-aarch64
echo elf-armhf
-file-architecture /samples/elf-armhf
echo elf-ppc64
-file-architecture /samples/elf-ppc64
echo elf-ppc64le
-file-architecture /samples/elf-ppc64le
echo elf-s390x
-file-architecture /samples/elf-s390x
echo elf-riscv64
-file-architecture /samples/elf-riscv64
echo elf-mips64el
-file-architecture /samples/elf-mips64el
echo elf-x86_64-exe
-file-architecture /samples/elf-x86_64-exe
echo elf-sparc64
-file-architecture /samples/elf-sparc64
echo elf-sparc32
-file-architecture /samples/elf-sparc32
echo elf-sparc32plus
-file-architecture /samples/elf-sparc32plus
echo elf-mips-be
-file-architecture /samples/elf-mips-be
echo elf-mipsel
-file-architecture /samples/elf-mipsel
echo elf-ppc32
-file-architecture /samples/elf-ppc32
echo elf-s390-31
-file-architecture /samples/elf-s390-31
echo elf-riscv32
-file-architecture /samples/elf-riscv32
echo elf-ia64
-file-architecture /samples/elf-ia64
echo elf-alpha
-file-architecture /samples/elf-alpha
echo elf-alpha-official
-file-architecture /samples/elf-alpha-official
echo elf-hppa
-file-architecture /samples/elf-hppa
echo elf-m68k
-file-architecture /samples/elf-m68k
echo elf-sh4
-file-architecture /samples/elf-sh4
echo elf-x32
-file-architecture /samples/elf-x32
echo elf-relocatable-arm
-file-architecture /samples/elf-relocatable-arm
echo elf-core-x86_64
-file-architecture /samples/elf-core-x86_64
echo elf-notype
-file-architecture /samples/elf-notype
echo elf-nomachine
-file-architecture /samples/elf-nomachine
echo pe-i386.exe
-file-architecture /samples/pe-i386.exe
echo pe-i386.dll
-file-architecture /samples/pe-i386.dll
echo pe-x86_64.exe
-file-architecture /samples/pe-x86_64.exe
echo pe-x86_64.dll
-file-architecture /samples/pe-x86_64.dll
echo pe-efi-x86_64.efi
-file-architecture /samples/pe-efi-x86_64.efi
echo mz-dos.exe
-file-architecture /samples/mz-dos.exe
echo initrd.cpio
-file-architecture /samples/initrd.cpio
echo initrd-sh-ppc64le.cpio
-file-architecture /samples/initrd-sh-ppc64le.cpio
echo initrd.cpio.gz
-file-architecture /samples/initrd.cpio.gz
echo initrd.cpio.bz2
-file-architecture /samples/initrd.cpio.bz2
echo initrd.cpio.xz
-file-architecture /samples/initrd.cpio.xz
echo initrd-sh-ppc64le.cpio.gz
-file-architecture /samples/initrd-sh-ppc64le.cpio.gz
echo initrd-empty.cpio.gz
-file-architecture /samples/initrd-empty.cpio.gz
echo elf-s390x.gz
-file-architecture /samples/elf-s390x.gz
echo elf-s390x.bz2
-file-architecture /samples/elf-s390x.bz2
echo elf-s390x.xz
-file-architecture /samples/elf-s390x.xz
echo elf-s390x.lzma
-file-architecture /samples/elf-s390x.lzma
echo text.txt
-file-architecture /samples/text.txt
echo empty
-file-architecture /samples/empty
echo short-elf
-file-architecture /samples/short-elf
echo dir
-file-architecture /samples/dir
echo symlink
-file-architecture /samples/symlink
echo missing
-file-architecture /samples/missing
