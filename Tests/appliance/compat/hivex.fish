# disks: 100M
# setup: "$ROOT/Tests/hivex/make-hive" SOFTWARE "$SCRIPT_DIR/hivex.reg"
# A registry hive (made from hivex.reg by Tests/hivex/make-hive and
# hivexregedit) uploaded into the guest, read, changed and committed through
# the hivex calls; the committed hives are downloaded and exported on the
# host with hivexregedit. Errors: before hivex-open, bad handles, writes to
# a hive opened read-only, commit paths. The committed bytes are the same on
# both (libhivex writes them; new keys take their parent's timestamp).
feature-available hivex
-hivex-root
-hivex-close
-hivex-commit ""
mkfs ext4 /dev/sda
mount /dev/sda /
mkdir-p /Windows/System32/config
upload SOFTWARE /Windows/System32/config/SOFTWARE
-hivex-open /nope
-hivex-open /Windows
ln-s loop /loop
-hivex-open /loop
write /small "too small"
-hivex-open /small
-hivex-root
hivex-open /Windows/System32/config/SOFTWARE
hivex-root
hivex-node-name 4128
hivex-node-children 4128
hivex-node-get-child 4128 microsoft
hivex-node-get-child 4128 Nope
-hivex-node-parent 4128
-hivex-node-name 12345
-hivex-node-name -8
-hivex-node-children 1
-hivex-node-add-child 4128 New
-hivex-commit ""
hivex-node-values 4128
hivex-node-get-child 8224 "Windows NT"
hivex-node-get-child 8336 CurrentVersion
hivex-node-parent 8224
hivex-node-parent 8448
hivex-node-children 8448
hivex-node-values 8448
hivex-node-get-value 8448 ProductName
hivex-node-get-value 8448 productname
hivex-node-get-value 8448 Nope
hivex-node-get-value 8448 ""
hivex-value-key 8592
hivex-value-string 8592
hivex-value-utf8 8592
# ProductName, CurrentBuild, Blob, Paths, Quad
hivex-value-key 8648
hivex-value-type 8648
hivex-value-value 8648 | od -An -tx1
hivex-value-string 8648
hivex-value-type 8720
hivex-value-value 8720 | od -An -tx1
-hivex-value-string 8720
hivex-value-type 8760
hivex-value-value 8760 | od -An -tx1
hivex-value-type 8792
hivex-value-value 8792 | od -An -tx1
-hivex-value-utf8 8792
hivex-value-type 8840
hivex-value-value 8840 | od -An -tx1
-hivex-value-key 8448
-hivex-value-type 12345
-hivex-value-value -1
-hivex-node-values 8648
-hivex-node-get-value 8648 x
-hivex-node-get-child 8648 x
hivex-close
-hivex-value-utf8 8592
# writes: open with write:true, change, commit in place and to a new file
hivex-open /Windows/System32/config/SOFTWARE write:true verbose:false debug:false
hivex-node-add-child 4128 Added
hivex-node-set-value 8448 ProductName 1 "Changed"
hivex-node-set-value 8448 Extra 3 "abc"
hivex-node-set-value 8448 "" 0 ""
hivex-node-delete-child 8888
-hivex-node-delete-child 4128
-hivex-node-delete-child 8888
-hivex-node-add-child 12345 x
-hivex-node-set-value 12345 k 1 v
hivex-node-children 4128
download /Windows/System32/config/SOFTWARE before.hive
! hivexregedit --export --prefix 'HKEY_LOCAL_MACHINE\SOFTWARE' before.hive '\' | grep -c Added || true
chmod 0640 /Windows/System32/config/SOFTWARE
hivex-commit ""
stat /Windows/System32/config/SOFTWARE | grep -E "^(mode|size|nlink):"
ls /Windows/System32/config
checksum sha256 /Windows/System32/config/SOFTWARE
download /Windows/System32/config/SOFTWARE after.hive
! hivexregedit --export --prefix 'HKEY_LOCAL_MACHINE\SOFTWARE' after.hive '\'
hivex-node-set-value 8448 Extra 4 "abcd"
hivex-commit /Windows/copy.hive
stat /Windows/copy.hive | grep -E "^(mode|size):"
checksum sha256 /Windows/copy.hive
download /Windows/copy.hive copy.hive
! hivexregedit --export --prefix 'HKEY_LOCAL_MACHINE\SOFTWARE' copy.hive '\' | grep Extra
-hivex-commit relative.hive
-hivex-commit /nodir/copy.hive
-hivex-commit /Windows
-hivex-commit /loop
ls /Windows
hivex-close
hivex-open /Windows/copy.hive
hivex-node-get-child 4128 Added
hivex-close
umount-all
