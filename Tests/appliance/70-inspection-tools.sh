#!/usr/bin/env bash
# tier: full
# The virt tools on a real Debian guest (Tests/guests/make-debian-guest)
# and on a Windows-shaped guest (Tests/guests/make-windows-guest), each
# run on our appliance and on the reference appliance, outputs compared.
# On Debian: virt-inspector (the whole XML, applications included),
# virt-cat, virt-ls -lR, virt-edit -e, virt-tar-out (owners included),
# virt-copy-out, virt-log, virt-diff, virt-get-kernel, guestfish -i,
# guestmount -i, virt-customize and virt-sysprep. On Windows:
# virt-inspector (win-inspector), virt-win-reg exports of keys and values
# in every hive it maps (win-reg) and virt-win-reg --merge (win-merge).
# The tools that change the guest work on qcow2 overlays of it; what they
# did is read back through the reference appliance.
#
# The reference's outputs depend only on the image, Debian's libguestfs
# and the commands below: they are cached beside the image
# (/var/cache/guestfsd-tests/ref-outputs/KEY/), so a second run only runs
# our side. Bump REF_COMMANDS when a command or a readback changes (masks
# are applied again at each comparison); REFRESH_REF=1 ignores the cache.
# Tools run JOBS at a time (default 2: one VM a core); within a tool the
# reference and ours run one after the other.
#
# Environment: GUEST_SUITE (bookworm, default, or trixie), GUEST_IMAGE (a
# Debian guest made already, its .stamp beside it; the image is then not
# built), REF_OUTPUTS_DIR (where the reference's outputs are cached), TOOLS (a
# space-separated list of the names in ALL below, or "all"; the default is
# the set for CI: DEFAULT_TOOLS), JOBS, KEEP=1 keeps the outputs (printed
# path). Prints one line per tool, SAME or DIFFERENT, with its times.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL="inspector cat ls edit tar-out copy-out log diff get-kernel guestfish guestmount customize sysprep
     win-inspector win-reg win-merge"
# The CI set is all of them: warm, only our side runs (28 launches, two
# at a time); cold, the reference's runs too, once.
DEFAULT_TOOLS=$ALL
TOOLS=${TOOLS:-$DEFAULT_TOOLS}
[[ $TOOLS == all ]] && TOOLS=$ALL
TOOLS=" $(echo $TOOLS) "
JOBS=${JOBS:-2}
REF_COMMANDS=2
wants() { [[ $TOOLS == *" $1 "* ]]; }
wants_any() { local t; for t in "$@"; do wants "$t" && return 0; done; return 1; }

t_start=$(date +%s)
linux_tools="inspector cat ls edit tar-out copy-out log diff get-kernel guestfish guestmount customize sysprep"
IMG="" WIN=""
if wants_any $linux_tools; then
    if [[ -n ${GUEST_IMAGE:-} ]]; then
        IMG=$GUEST_IMAGE  # made by the caller (the 1.60 test: inside its root)
        [[ -s $IMG && -r $IMG.stamp ]] || fail "no guest image (and stamp) at $IMG"
    else
        command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed (scripts/setup)"
        IMG=$("$ROOT/Tests/guests/make-debian-guest" "${GUEST_SUITE:-bookworm}") || fail "could not build the guest image"
    fi
fi
if wants_any win-inspector win-reg win-merge; then
    WIN=$("$ROOT/Tests/guests/make-windows-guest") || fail "could not build the Windows guest image"
fi
t_image=$(date +%s)
OUT=$TMP/out.d
mkdir -p "$OUT"
[[ ${KEEP:-} == 1 ]] && { OUT=$(mktemp -d /tmp/inspection-tools.XXXXXX); echo "outputs in $OUT"; }

# refcache IMAGE [FILE...]: the folder of the reference's cached outputs
# for IMAGE (and the inputs FILE)
refcache() {
    local key
    local img=$1
    key=$( { cat "$1.stamp"; stat -c %s "$1"; shift; (($#)) && cat "$@"
             dpkg-query -W -f='${Version}' libguestfs0 libguestfs0t64 guestfs-tools 2>/dev/null
             echo "$REF_COMMANDS"; } | sha256sum | cut -c1-16)
    echo "${REF_OUTPUTS_DIR:-$(dirname "$img")/ref-outputs}/$key"
}
[[ -n $IMG ]] && LINUX_CACHE=$(refcache "$IMG")
[[ -n $WIN ]] && WIN_CACHE=$(refcache "$WIN" "$ROOT/Tests/guests/windows/merge.reg")
for c in ${LINUX_CACHE:-} ${WIN_CACHE:-}; do
    [[ ${REFRESH_REF:-} == 1 ]] && rm -rf "$c"
    mkdir -p "$c"
done
# The Windows tools' reference outputs are also recorded in the repository
# (Tests/appliance/reference/LIBVER/70-inspection-tools/, lib.sh:
# ref_records; REF_RECORD=1 REFRESH_REF=1 TOOLS="win-inspector win-reg
# win-merge" scripts/appliance-test 70-inspection-tools re-records them):
# the Windows guest is made from text with a fixed volume serial, so every
# build of it gives the reference the same outputs. (The Debian guest is
# not: mmdebstrap's files carry the time of the build.)
[[ -n $WIN ]] && ref_records "$ROOT/Tests/guests/make-windows-guest" "$ROOT"/Tests/guests/windows/*
# the cache of the tool being run (win-* tools: the Windows image's)
cache_of() { if [[ $1 == win-* ]]; then echo "$WIN_CACHE"; else echo "$LINUX_CACHE"; fi; }
# cached NAME: true (and the masked reference output in place) when
# recorded or cached; REF_FROM says which
cached() {
    local c; c=$(cache_of "$1")
    if [[ $1 == win-* ]] && ref_recorded "$1.ref" "$OUT/$1.ref"; then REF_FROM=recorded; return 0; fi
    [[ -s $c/$1.ref ]] && cp "$c/$1.ref" "$OUT/$1.ref" && REF_FROM=cached
}
remember() {
    cp "$OUT/$1.ref" "$(cache_of "$1")/$1.ref"
    if [[ $1 == win-* ]]; then ref_record "$1.ref" "$OUT/$1.ref"; fi
}
# remember_if_same NAME SIDES: a live reference output is kept only when
# ours matched it (a run of the reference that named its disks one letter
# on, or failed, is not kept for later runs)
remember_if_same() { [[ $2 == "ref ours" ]] && grep -q '^SAME' "$OUT/$1.result" && remember "$1"; return 0; }
# live_again NAME SIDES: true when the reference's output came from the
# record or the cache and ours differs from it: the reference then runs live
live_again() {
    [[ $2 == ours ]] && ! grep -q '^SAME' "$OUT/$1.result" || return 1
    echo "(ours differs from the $REF_FROM reference output of $1: the reference runs live)" >&2
}

# run WHICH(ours|ref) CMD...: the command with the appliance chosen
run() {
    local which=$1; shift
    if [[ $which == ours ]]; then LIBGUESTFS_PATH=$OURS "$@"; else env -u LIBGUESTFS_PATH "$@"; fi
}

# Masks what legitimately differs between two runs: temporary paths and
# the progress clock of virt-customize/virt-sysprep ("[   1.2] ...").
mask() {
    sed -E -e "s|$OUT|OUT|g" -e 's|/tmp/[A-Za-z0-9._-]+|/tmp/TMP|g' \
        -e 's/^\[ *[0-9]+\.[0-9]+\]/[TIME]/' -e 's/\(0x[0-9a-f]+\)/(0xADDR)/g'
}
# ... and at comparison time: a machine-id virt-sysprep makes anew
# (random), and the disk letter (the reference appliance sometimes names
# its own root disk first, so the guest's disk shows as /dev/sdb)
final_mask() { sed -E -e 's/^[0-9a-f]{32}$/MACHINE-ID/' -e 's|/dev/sd[a-c]([0-9])|/dev/sdX\1|g' "$1"; }
# virt-diff's st_dev changes: virt-diff runs one appliance a disk, and the
# reference's sometimes names its own root disk first, so the guest's
# filesystem has another device number there and every file "changed" in
# st_dev. Entries whose only change is st_dev are dropped (both sides).
no_st_dev() {
    awk '/^# changed:/ { sub(/ st_dev/, ""); if ($0 == "# changed:") { n -= 2; next } }
         { line[n++] = $0 } END { for (i = 0; i < n; i++) print line[i] }'
}

# compare NAME WHAT: diffs $OUT/NAME.ref and $OUT/NAME.ours (masked) and
# writes the result line (and the diff's head) to $OUT/NAME.result
compare() {
    local name=$1
    local filter=cat
    [[ $name == diff ]] && filter=no_st_dev
    if diff -u --label "reference/$name" --label "ours/$name" <(final_mask "$OUT/$name.ref" | $filter) \
            <(final_mask "$OUT/$name.ours" | $filter) >"$OUT/$name.diff"; then
        echo "SAME       $name ($2)" >"$OUT/$name.result"
    else
        { echo "DIFFERENT  $name ($2)"; head -n 30 "$OUT/$name.diff" | sed 's/^/    | /'; } >"$OUT/$name.result"
    fi
}
secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# tool NAME CMD...: runs CMD (arguments containing @DIR@ get a per-side
# scratch folder) on both appliances, stdout+stderr+status masked.
tool() {
    local name=$1; shift
    local which times="" sides="ref ours"
    cached "$name" && { sides=ours; times="ref $REF_FROM, "; }
    for which in $sides; do tool_side "$which" "$name" "$@"; done
    compare "$name" "${times%, }"
    if live_again "$name" "$sides"; then
        sides="ref ours"
        tool_side ref "$name" "$@"
        compare "$name" "${times%, }"
    fi
    remember_if_same "$name" "$sides"
}
tool_side() { # WHICH NAME CMD...: one side of `tool` (adds to its times)
    local which=$1 name=$2; shift 2
    local dir=$OUT/$name.$which.d t0 a
    rm -rf "$dir"; mkdir -p "$dir"
    local -a argv=()
    for a in "$@"; do argv+=("${a//@DIR@/$dir}"); done
    t0=$(date +%s.%N)
    set +e
    (cd "$dir" && run "$which" "${argv[@]}") >"$OUT/$name.$which.raw" 2>&1
    echo "exit status: $?" >>"$OUT/$name.$which.raw"
    set -e
    times+="$which $(secs "$t0") s, "
    sed "s|$dir|DIR|g" "$OUT/$name.$which.raw" | mask >"$OUT/$name.$which"
}

# overlay NAME BASE: a qcow2 overlay of a guest (the image stays as built)
overlay() { qemu-img create -q -f qcow2 -F raw -b "$2" "$OUT/$1.qcow2"; echo "$OUT/$1.qcow2"; }

# changer NAME: a tool that changes the guest, each side on its own
# overlay (change_NAME WHICH OVERLAY runs it), then each overlay read back
# through the reference appliance (readback_NAME OVERLAY DIR).
changer() {
    local name=$1 which times="" sides="ref ours"
    local note="; the tool's output, then its result read back through the reference"
    cached "$name" && { sides=ours; times="ref $REF_FROM, "; }
    for which in $sides; do changer_side "$which" "$name"; done
    compare "$name" "${times%, }$note"
    if live_again "$name" "$sides"; then
        sides="ref ours"
        changer_side ref "$name"
        compare "$name" "${times%, }$note"
    fi
    remember_if_same "$name" "$sides"
}
changer_side() { # WHICH NAME: one side of `changer` (adds to its times)
    local which=$1 name=$2 ov t0 base=$IMG
    [[ $name == win-* ]] && base=$WIN
    ov=$(overlay "$name-$which" "$base")
    local dir=$OUT/$name.$which.d
    rm -rf "$dir"; mkdir -p "$dir"
    t0=$(date +%s.%N)
    set +e
    "change_${name//-/_}" "$which" "$ov" "$dir" >"$OUT/$name-run.$which" 2>&1
    echo "exit status: $?" >>"$OUT/$name-run.$which"
    times+="$which $(secs "$t0") s + "
    t0=$(date +%s.%N)
    "readback_${name//-/_}" "$ov" "$dir" >"$OUT/$name.$which.raw" 2>&1
    echo "exit status: $?" >>"$OUT/$name.$which.raw"
    set -e
    times+="readback $(secs "$t0") s, "
    { sed "s|$dir|DIR|g" "$OUT/$name-run.$which" | mask; sed "s|$dir|DIR|g" "$OUT/$name.$which.raw" | mask; } >"$OUT/$name.$which"
}
# readback through the reference: the Linux root mounted by device
# (inspection is what is being tested), guestfish commands on stdin
ref_readback() { env -u LIBGUESTFS_PATH guestfish --ro --format=qcow2 -a "$1"; }

RO=(--format=raw -a "$IMG")
WRO=(--format=raw -a "$WIN")
WREG=(--format=raw "$WIN")  # virt-win-reg takes the disk as its first argument

# --- the tools, one function each (run as jobs) ---
t_inspector() { tool inspector virt-inspector "${RO[@]}"; }
t_cat() { tool cat virt-cat "${RO[@]}" /srv/data/hello.txt /etc/hostname /etc/fstab; }
t_ls() { tool ls virt-ls -lR "${RO[@]}" /etc /srv; }
t_log() { tool log virt-log "${RO[@]}"; }
t_guestfish() {
    cat >"$OUT/inspect.fish" <<'FISH'
inspect-get-roots
cat /etc/hostname
ll /srv/data
checksum sha256 /srv/data/hello.txt
file-architecture /bin/ls
FISH
    tool guestfish guestfish --ro -i "${RO[@]}" -f "$OUT/inspect.fish"
}
# tar listings with numeric and named owners, then the members' bytes
t_tar_out() {
    tool tar-out sh -c 'virt-tar-out "$@" /srv - >DIR.tar && tar -tvf DIR.tar && tar --numeric-owner -tvf DIR.tar && sha256sum <DIR.tar' \
        sh "${RO[@]}"
}
t_copy_out() {
    tool copy-out sh -c 'virt-copy-out "$@" /srv/data /etc/hostname @DIR@/o && cd @DIR@/o && find . -printf "%M %u %g %s %p %l\n" | sort && find . -type f -exec sha256sum {} + | sort' \
        sh "${RO[@]}"
}
t_get_kernel() {
    tool get-kernel sh -c 'virt-get-kernel "$@" -o @DIR@/k && cd @DIR@/k && ls -l --time-style=+ && sha256sum *' \
        sh "${RO[@]}"
}
t_diff() {
    # the second disk: an overlay changed through the reference appliance
    # (prepared once, kept with the cache: the comparison needs it both
    # warm and cold)
    local ov=$LINUX_CACHE/diff-b.qcow2
    if [[ ! -s $ov ]]; then
        qemu-img create -q -f qcow2 -F raw -b "$IMG" "$ov.tmp"
        env -u LIBGUESTFS_PATH guestfish -a "$ov.tmp" -i >/dev/null <<'FISH' || { echo "DIFFERENT  diff (could not prepare the overlay)" >"$OUT/diff.result"; return; }
write /srv/data/hello.txt "changed\n"
rm /srv/data/sub/nested.txt
touch /srv/data/new
chmod 0600 /etc/hostname
FISH
        mv "$ov.tmp" "$ov"
    fi
    tool diff virt-diff --format=raw -a "$IMG" --format=qcow2 -A "$ov"
}
t_guestmount() {
    tool guestmount sh -c 'mkdir -p @DIR@/m && guestmount --ro -i "$@" @DIR@/m || exit 1
        cd @DIR@/m && ls -la --time-style=+%s srv/data etc/hostname && cat srv/data/hello.txt etc/hostname &&
        stat -c "%A %u %g %s %N" srv/data/* && readlink srv/data/link && find srv etc/default | sort | head -200
        cd / && guestunmount @DIR@/m' sh "${RO[@]}"
}

# virt-edit edits one file a launch: two files, two launches
change_edit() {
    run "$1" virt-edit --format=qcow2 -a "$2" /etc/hostname -e 's/bookworm|trixie/edited/' || echo "virt-edit: exit status $?"
    run "$1" virt-edit --format=qcow2 -a "$2" /srv/data/hello.txt -e '$_ = uc $_' || echo "virt-edit: exit status $?"
}
readback_edit() { printf '%s\n' run 'mount-ro /dev/sda1 /' 'cat /etc/hostname' 'cat /srv/data/hello.txt' | ref_readback "$1"; }
change_customize() {
    run "$1" virt-customize --format=qcow2 -a "$2" --no-network --hostname custom-host \
        --timezone Europe/Paris --write /etc/motd:'written by virt-customize' \
        --run-command 'echo ran >/root/ran; id -un >>/root/ran' --root-password password:secret-pw
}
readback_customize() {
    # the hash has a random salt: its method and the other fields
    printf '%s\n' run 'mount-ro /dev/sda1 /' 'cat /etc/hostname' 'cat /etc/hosts' 'readlink /etc/localtime' \
        '-cat /etc/timezone' 'cat /etc/motd' 'cat /root/ran' \
        'sh "grep ^root: /etc/shadow | cut -d: -f1,3- ; grep ^root: /etc/shadow | cut -d: -f2 | cut -c1-3"' \
        'ls /etc' | ref_readback "$1"
}
change_sysprep() { run "$1" virt-sysprep --format=qcow2 -a "$2" --no-network; }
readback_sysprep() {
    printf '%s\n' run 'mount-ro /dev/sda1 /' 'find /' 'cat /etc/hostname' '-cat /etc/machine-id' 'ls /var/log' \
        '-ls /root' '-ls /tmp' '-ls /var/tmp' | ref_readback "$1"
}
t_edit() { changer edit; }
t_customize() { changer customize; }
t_sysprep() { changer sysprep; }

t_win_inspector() { tool win-inspector virt-inspector "${WRO[@]}"; }
# virt-win-reg exports: a key with its subkeys (SOFTWARE), a whole hive
# (SYSTEM), HKEY_USERS\.DEFAULT, a user by name and by SID, one value, a
# CurrentControlSet path and a key that does not exist (both errors too)
t_win_reg() {
    tool win-reg sh -c 'for k in "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" "HKLM\SYSTEM" \
            "HKEY_USERS\.DEFAULT\Control Panel" "HKU\alice\Software" "HKU\S-1-5-21-1-2-3-1001\Software\Example" \
            "HKLM\SOFTWARE\NoSuchKey"; do
            echo "== $k"; virt-win-reg "$@" "$k"; echo "status $?"; done
        echo "== value"; virt-win-reg "$@" "HKLM\SYSTEM\ControlSet001\Services\Tcpip\Parameters" Hostname; echo "status $?"
        echo "== CurrentControlSet"; virt-win-reg "$@" "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" Hostname; echo "status $?"' \
        sh "${WREG[@]}"
}
# virt-win-reg --merge of Tests/guests/windows/merge.reg (new keys and
# values of several types, a changed and a deleted value, a deleted key,
# a CurrentControlSet path, a user's hive), then the three hives it
# touched downloaded through the reference and exported with hivexregedit
change_win_merge() { run "$1" virt-win-reg --format=qcow2 --merge "$2" "$ROOT/Tests/guests/windows/merge.reg"; }
readback_win_merge() {
    printf '%s\n' run 'mount-ro /dev/sda1 /' "download /Windows/System32/config/SOFTWARE $2/SOFTWARE" \
        "download /Windows/System32/config/SYSTEM $2/SYSTEM" "download /Users/alice/NTUSER.DAT $2/NTUSER.DAT" \
        'ls /Windows/System32/config' | ref_readback "$1" || return
    local h
    for h in SOFTWARE SYSTEM NTUSER.DAT; do echo "== $h"; hivexregedit --export "$2/$h" '\'; done
}
t_win_merge() { changer win-merge; }

# --- run them, JOBS at a time; results printed in the order of ALL ---
for name in $ALL; do
    wants "$name" || continue
    while (($(jobs -rp | wc -l) >= JOBS)); do wait -n || true; done
    ( "t_${name//-/_}" ) &
done
wait
same=() different=()
for name in $ALL; do
    wants "$name" || continue
    if [[ -s $OUT/$name.result ]]; then cat "$OUT/$name.result"; else echo "DIFFERENT  $name (no result: the test itself failed)"; fi
    if grep -q '^SAME' "$OUT/$name.result" 2>/dev/null; then same+=("$name"); else different+=("$name"); fi
done

t_end=$(date +%s)
echo "guest images: $((t_image - t_start)) s (0-1 s when cached); tool comparisons: $((t_end - t_image)) s with $JOBS jobs"
echo "same: ${same[*]:-none}"
echo "different: ${different[*]:-none}"
((${#different[@]} == 0)) || fail "outputs differ from the reference for: ${different[*]}"
pass "every tool gives the reference's output on our appliance"
