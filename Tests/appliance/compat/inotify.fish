# disks: 100M
# inotify watches on guest paths: the events of files created, written
# and removed, inotify-files' sorted names, rm-watch (IN_IGNORED), a
# second init, and the errors before init and for bad arguments.
feature-available inotify
available inotify
mkfs ext4 /dev/sda
mount /dev/sda /
-inotify-read
-inotify-add-watch / 4095
-inotify-files
-inotify-close
-inotify-init -1
inotify-init 0
mkdir /w
inotify-add-watch /w 4095
inotify-read
touch /w/b
write /w/a hello
rm /w/b
mkdir /w/dir
rmdir /w/dir
inotify-read
inotify-read
touch /w/zz
write-append /w/a more
mkdir /w/mm
inotify-files
inotify-files
-inotify-add-watch /missing 4095
-inotify-rm-watch 99
inotify-rm-watch 1
touch /w/after
inotify-read
inotify-init 1000
inotify-add-watch / 256
touch /new
inotify-files
inotify-close
-inotify-close
-inotify-read
