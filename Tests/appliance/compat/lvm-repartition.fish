# disks: 1G
# One session makes LVM on a disk, removes it, repartitions the disk smaller
# and makes LVM again (issue 12): every PV must get its partition's size as
# it is now, and LVs must fit (a stale size made lvcreate fail, or worse,
# allocate extents past the partition's end).
# The device-mapper major is the kernel's choice at module load (253 in the
# reference appliance, 254 in ours) and the UUIDs of the *-full structs: masked.
# pvs-full names PVs as the kernel does, and the reference appliance's own
# disk is sometimes scanned first (its /dev/sdb3 is the library's /dev/sda3):
# the disk letter is masked, the partition number kept.
# mask: lv_kernel_major: [0-9]+
# mask: pv_name: .dev.sd[a-z]
# mask: _uuid: [A-Za-z0-9]{32}
part-disk /dev/sda mbr
pvcreate /dev/sda1
vgcreate VG0 /dev/sda1
lvcreate LV0 VG0 200
lvm-remove-all
part-init /dev/sda mbr
part-add /dev/sda p 64 204799
part-add /dev/sda p 204800 409599
part-add /dev/sda p 409600 -64
pvcreate /dev/sda1
pvcreate /dev/sda2
pvcreate /dev/sda3
vgcreate VG1 "/dev/sda1 /dev/sda2"
vgcreate VG2 /dev/sda3
lvcreate LV1 VG2 50
lvcreate LV2 VG1 50
lvcreate LV3 VG1 100
lvs
blockdev-getsize64 /dev/sda1
pvs-full
lvs-full
mkfs ext4 /dev/VG1/LV3
vfs-type /dev/VG1/LV3
# Grown under a PV: pvresize must see the partition's new end.
lvm-remove-all
part-init /dev/sda mbr
part-add /dev/sda p 2048 206847
pvcreate /dev/sda1
part-resize /dev/sda 1 616447
pvresize /dev/sda1
blockdev-getsize64 /dev/sda1
pvs-full
lvm-remove-all
pvs
