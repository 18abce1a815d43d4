#!/usr/bin/env bash
# The virt tools on a real Debian guest (Tests/guests/make-debian-guest),
# each run on our appliance and on the reference appliance, outputs
# compared: virt-inspector (the whole XML, applications included),
# virt-cat, virt-ls -lR, virt-edit -e, virt-tar-out (owners included),
# virt-copy-out, virt-log, virt-diff, virt-get-kernel, guestfish -i,
# guestmount -i, virt-customize and virt-sysprep. The tools that change
# the guest work on qcow2 overlays of it; what they did is read back
# through the reference appliance, both results in one launch.
#
# The reference's outputs depend only on the image, Debian's libguestfs
# and the commands below: they are cached beside the image
# (/var/cache/guestfsd-tests/ref-outputs/KEY/), so a second run only runs
# our side. Bump REF_COMMANDS when a command or a readback changes (masks
# are applied again at each comparison); REFRESH_REF=1 ignores the cache.
#
# Environment: GUEST_SUITE (bookworm, default, or trixie), TOOLS (a
# space-separated list of the names in ALL below, or "all"; the default is
# a quicker set for CI: DEFAULT_TOOLS), KEEP=1 keeps the outputs (printed
# path). Prints one line per tool, SAME or DIFFERENT.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed (scripts/setup)"
t_start=$(date +%s)
IMG=$("$ROOT/Tests/guests/make-debian-guest" "${GUEST_SUITE:-bookworm}") || fail "could not build the guest image"
t_image=$(date +%s)
OUT=$TMP/out.d
mkdir -p "$OUT"
[[ ${KEEP:-} == 1 ]] && { OUT=$(mktemp -d /tmp/inspection-tools.XXXXXX); echo "outputs in $OUT"; }
ALL="inspector cat ls edit tar-out copy-out log diff get-kernel guestfish guestmount customize sysprep"
DEFAULT_TOOLS="inspector guestfish tar-out guestmount customize sysprep"
TOOLS=${TOOLS:-$DEFAULT_TOOLS}
[[ $TOOLS == all ]] && TOOLS=$ALL
REF_COMMANDS=1
key=$( { cat "$IMG.stamp"; stat -c %s "$IMG"; dpkg-query -W -f='${Version}' libguestfs0 guestfs-tools 2>/dev/null
         echo "$REF_COMMANDS"; } | sha256sum | cut -c1-16)
REFCACHE=$(dirname "$IMG")/ref-outputs/$key
[[ ${REFRESH_REF:-} == 1 ]] && rm -rf "$REFCACHE"
mkdir -p "$REFCACHE"
# cached NAME: true (and the masked reference output in place) when cached
cached() { [[ -s $REFCACHE/$1.ref ]] && cp "$REFCACHE/$1.ref" "$OUT/$1.ref"; }
remember() { cp "$OUT/$1.ref" "$REFCACHE/$1.ref"; }

# run WHICH(ours|ref) CMD...: the command with the appliance chosen
run() {
    local which=$1; shift
    if [[ $which == ours ]]; then LIBGUESTFS_PATH=$OURS "$@"; else env -u LIBGUESTFS_PATH "$@"; fi
}

# Masks what legitimately differs between two runs: temporary paths and
# the progress clock of virt-customize/virt-sysprep ("[   1.2] ...").
mask() {
    sed -E -e "s|$OUT|OUT|g" -e 's|/tmp/[A-Za-z0-9._-]+|/tmp/TMP|g' \
        -e 's/^\[ *[0-9]+\.[0-9]+\]/[TIME]/'
}
# ... and at comparison time: a machine-id virt-sysprep makes anew (random)
final_mask() { sed -E -e 's/^[0-9a-f]{32}$/MACHINE-ID/' "$1"; }

same=() different=()
# compare NAME: diffs $OUT/NAME.ref and $OUT/NAME.ours (already masked)
compare() {
    local name=$1
    if diff -u --label "reference/$name" --label "ours/$name" <(final_mask "$OUT/$name.ref") \
            <(final_mask "$OUT/$name.ours") >"$OUT/$name.diff"; then
        echo "SAME       $name ($2)"
        same+=("$name")
    else
        echo "DIFFERENT  $name ($2)"
        head -n 30 "$OUT/$name.diff" | sed 's/^/    | /'
        different+=("$name")
    fi
}

# tool NAME CMD...: runs CMD (arguments containing @DIR@ get a per-side
# scratch folder) on both appliances, stdout+stderr+status masked.
tool() {
    local name=$1; shift
    local which t0 times="" sides="ref ours"
    cached "$name" && { sides=ours; times="ref cached, "; }
    for which in $sides; do
        local dir=$OUT/$name.$which.d
        rm -rf "$dir"; mkdir -p "$dir"
        local -a argv=()
        local a
        for a in "$@"; do argv+=("${a//@DIR@/$dir}"); done
        t0=$(date +%s.%N)
        set +e
        (cd "$dir" && run "$which" "${argv[@]}") >"$OUT/$name.$which.raw" 2>&1
        echo "exit status: $?" >>"$OUT/$name.$which.raw"
        set -e
        times+="$which $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s, "
        sed "s|$dir|DIR|g" "$OUT/$name.$which.raw" | mask >"$OUT/$name.$which"
        [[ $which == ref ]] && remember "$name"
    done
    compare "$name" "${times%, }"
}

wants() { [[ " $TOOLS " == *" $1 "* ]]; }
RO=(--format=raw -a "$IMG")

wants inspector && tool inspector virt-inspector "${RO[@]}"
wants cat && tool cat virt-cat "${RO[@]}" /srv/data/hello.txt /etc/hostname /etc/fstab
wants ls && tool ls virt-ls -lR "${RO[@]}" /etc /srv
wants log && tool log virt-log "${RO[@]}"
cat >"$OUT/inspect.fish" <<'EOF'
inspect-get-roots
cat /etc/hostname
ll /srv/data
checksum sha256 /srv/data/hello.txt
file-architecture /bin/ls
EOF
wants guestfish && tool guestfish guestfish --ro -i "${RO[@]}" -f "$OUT/inspect.fish"
# tar listings with numeric and named owners, then the members' bytes
wants tar-out && tool tar-out sh -c 'virt-tar-out "$@" /srv - >DIR.tar && tar -tvf DIR.tar && tar --numeric-owner -tvf DIR.tar && sha256sum <DIR.tar' \
    sh "${RO[@]}"
wants copy-out && tool copy-out sh -c 'virt-copy-out "$@" /srv/data /etc/hostname @DIR@/o && cd @DIR@/o && find . -printf "%M %u %g %s %p %l\n" | sort && find . -type f -exec sha256sum {} + | sort' \
    sh "${RO[@]}"
wants get-kernel && tool get-kernel sh -c 'virt-get-kernel "$@" -o @DIR@/k && cd @DIR@/k && ls -l --time-style=+ && sha256sum *' \
    sh "${RO[@]}"

# overlay NAME: a qcow2 overlay of the guest (the image stays as built)
overlay() { qemu-img create -q -f qcow2 -F raw -b "$IMG" "$OUT/$1.qcow2"; echo "$OUT/$1.qcow2"; }

if wants diff; then
    ov=$(overlay diff)
    env -u LIBGUESTFS_PATH guestfish -a "$ov" -i >/dev/null <<'EOF' || fail "could not prepare the virt-diff overlay"
write /srv/data/hello.txt "changed\n"
rm /srv/data/sub/nested.txt
touch /srv/data/new
chmod 0600 /etc/hostname
EOF
    tool diff virt-diff --format=raw -a "$IMG" --format=qcow2 -A "$ov"
fi

if wants guestmount; then
    tool guestmount sh -c 'mkdir -p @DIR@/m && guestmount --ro -i "$@" @DIR@/m || exit 1
        cd @DIR@/m && ls -la --time-style=+%s srv/data etc/hostname && cat srv/data/hello.txt etc/hostname &&
        stat -c "%A %u %g %s %N" srv/data/* && readlink srv/data/link && find srv etc/default | sort | head -200
        cd / && guestunmount @DIR@/m' sh "${RO[@]}"
fi

# The tools that change the guest: each side on its own overlay, then
# each overlay read through the reference appliance.
changed=()
if wants edit; then
    sides="ref ours"; cached edit && sides=ours
    for which in $sides; do
        ov=$(overlay edit-$which)
        run "$which" virt-edit --format=qcow2 -a "$ov" /etc/hostname -e 's/bookworm|trixie/edited/' \
            >"$OUT/edit-run.$which" 2>&1 || echo "virt-edit: exit status $?" >>"$OUT/edit-run.$which"
        run "$which" virt-edit --format=qcow2 -a "$ov" /srv/data/hello.txt -e '$_ = uc $_' \
            >>"$OUT/edit-run.$which" 2>&1 || echo "virt-edit: exit status $?" >>"$OUT/edit-run.$which"
        mask <"$OUT/edit-run.$which" >"$OUT/edit-run.$which.masked"
    done
    changed+=(edit)
fi
if wants customize; then
    sides="ref ours"; cached customize && sides=ours
    for which in $sides; do
        ov=$(overlay customize-$which)
        run "$which" virt-customize --format=qcow2 -a "$ov" --no-network --hostname custom-host \
            --timezone Europe/Paris --write /etc/motd:'written by virt-customize' \
            --run-command 'echo ran >/root/ran; id -un >>/root/ran' --root-password password:secret-pw \
            >"$OUT/customize-run.$which" 2>&1 || echo "virt-customize: exit status $?" >>"$OUT/customize-run.$which"
        mask <"$OUT/customize-run.$which" >"$OUT/customize-run.$which.masked"
    done
    changed+=(customize)
fi
if wants sysprep; then
    sides="ref ours"; cached sysprep && sides=ours
    for which in $sides; do
        ov=$(overlay sysprep-$which)
        run "$which" virt-sysprep --format=qcow2 -a "$ov" --no-network \
            >"$OUT/sysprep-run.$which" 2>&1 || echo "virt-sysprep: exit status $?" >>"$OUT/sysprep-run.$which"
        mask <"$OUT/sysprep-run.$which" >"$OUT/sysprep-run.$which.masked"
    done
    changed+=(sysprep)
fi

# What each changing tool left, read with the reference appliance
# (mounted by device: inspection is what is being tested).
readback() { # NAME -> guestfish commands, for the root mounted at /
    case $1 in
        edit) echo 'cat /etc/hostname'; echo 'cat /srv/data/hello.txt' ;;
        customize)
            echo 'cat /etc/hostname'; echo 'cat /etc/hosts'; echo 'readlink /etc/localtime'
            echo '-cat /etc/timezone'; echo 'cat /etc/motd'; echo 'cat /root/ran'
            # the hash has a random salt: its method and the other fields
            echo 'sh "grep ^root: /etc/shadow | cut -d: -f1,3- ; grep ^root: /etc/shadow | cut -d: -f2 | cut -c1-3"'
            echo 'ls /etc' ;;
        sysprep)
            echo 'find /'
            echo 'cat /etc/hostname'; echo '-cat /etc/machine-id'; echo 'ls /var/log'
            echo '-ls /root'; echo '-ls /tmp'; echo '-ls /var/tmp' ;;
    esac
}
for name in "${changed[@]}"; do
    sides="ref ours"; [[ -s $OUT/$name.ref ]] && sides=ours
    for which in $sides; do
        script=$OUT/readback-$name-$which.fish
        { echo run; echo 'mount-ro /dev/sda1 /'; readback "$name"; } >"$script"
        env -u LIBGUESTFS_PATH guestfish --ro --format=qcow2 -a "$OUT/$name-$which.qcow2" -f "$script" \
            >"$OUT/$name.$which.raw" 2>&1
        echo "exit status: $?" >>"$OUT/$name.$which.raw"
        { cat "$OUT/$name-run.$which.masked"; mask <"$OUT/$name.$which.raw"; } >"$OUT/$name.$which"
        [[ $which == ref ]] && remember "$name"
    done
    compare "$name" "the tool's output, then its result read back through the reference"
done

t_end=$(date +%s)
echo "guest image: $((t_image - t_start)) s (0-1 s when cached); tool comparisons: $((t_end - t_image)) s"
echo "same: ${same[*]:-none}"
echo "different: ${different[*]:-none}"
((${#different[@]} == 0)) || fail "outputs differ from the reference for: ${different[*]}"
pass "every tool gives the reference's output on our appliance"
