# disks: 3x64M
# mask: [0-9a-f]{8}(:[0-9a-f]{8}){3}
# md RAID: a RAID1 and a RAID5 made over whole disks, described, used,
# stopped; then arrays with a spare and with a "missing" member (degraded
# from the start, still usable), and upstream's argument checks. Arrays
# assembled at boot with a member wiped: Tests/appliance/55-md-degraded.sh
# (upstream's appliance leaves those inactive).
# (Three disks only: the reference appliance's own disk is probed among
# them, and with many disks it now and then takes a name before theirs.)
run
available "mdadm"
part-init /dev/sda gpt
part-init /dev/sdb gpt
part-init /dev/sdc gpt
part-add /dev/sda p 2048 43007
part-add /dev/sda p 43008 83967
part-add /dev/sda p 83968 104447
part-add /dev/sdb p 2048 43007
part-add /dev/sdb p 43008 83967
part-add /dev/sdc p 2048 43007
part-add /dev/sdc p 43008 83967
part-add /dev/sdc p 83968 104447
part-add /dev/sdc p 104448 124927
md-create r1 "/dev/sda1 /dev/sdb1"
md-create /dev/md5 "/dev/sda2 /dev/sdb2 /dev/sdc2" level:raid5 chunk:65536
list-md-devices
md-detail /dev/md127
md-stat /dev/md127
md-detail /dev/md5
md-stat /dev/md5
mkfs ext4 /dev/md127
mkfs ext4 /dev/md5
mount /dev/md127 /
write /raid1 "mirrored on two disks"
mkdir /r5
mount /dev/md5 /r5
write /r5/raid5 "striped with parity over three disks"
cat /raid1
cat /r5/raid5
list-filesystems
vfs-type /dev/md5
blockdev-getsize64 /dev/md5
umount-all
-md-stop /dev/sda1
md-stop /dev/md127
md-stop /dev/md5
list-md-devices
-md-stop /dev/md127
-md-detail /dev/md127
-md-stat /dev/sda1
# a spare, a missing member, nrdevices
md-create /dev/md9 "/dev/sdc1 /dev/sdc3 /dev/sdc4" nrdevices:2 spare:1 level:mirror
md-stat /dev/md9
md-detail /dev/md9
md-create /dev/md10 "/dev/sda3" missingbitmap:2 level:1
md-stat /dev/md10
md-detail /dev/md10
mkfs vfat /dev/md10
mount /dev/md10 /
write /degraded "one of two members"
umount /
mount-ro /dev/md10 /
cat /degraded
umount /
list-md-devices
md-stop /dev/md9
md-stop /dev/md10
# argument checks
-md-create bad "/dev/sda" level:raid7
-md-create bad "/dev/sda /dev/sdb" chunk:1000
-md-create bad "/dev/sda /dev/sdb" nrdevices:1
-md-create bad "/dev/sda /dev/sdb" spare:-1
-md-create bad "/dev/sda" nrdevices:3
-md-create bad "/dev/sda /dev/sdb" missingbitmap:1
-md-create bad "/dev/sda /dev/sdnone"
-md-create /dev/md6 "/dev/sda"
-md-create /dev/md6 "/dev/sda /dev/sda"
-md-stat md6
-md-stop /dev/md6
