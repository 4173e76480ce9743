# shellcheck shell=bash
# Attacks on the mounts the setuid starter makes: the caller owns the session
# dir and the starter's stderr, and can stop the starter between any two of
# its steps and rename what it likes in between (SECURITY.md, finding 1 of
# the audit: "the upper tmpfs is reopened by name"). And on the layers it
# stacks: root-only dirs as the image or below a layer of the caller's,
# content hidden under a mount, and ochre's own mount point layer.
# shellcheck source=tests/e2e/attack_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/attack_lib.sh"

# `_stepped NEEDLE ACTION`: run the R_* request as the test user with its
# stderr on a pipe that pipe_stepper.py keeps full, and run the shell
# command ACTION (as root) while a message containing NEEDLE is blocked on
# it. Sets STATUS, OUT (the stepper's report and the starter's messages).
_stepped() {
    _mkreq "$TESTTMP/req"
    STATUS=0
    OUT=$(python3 "$(dirname "${BASH_SOURCE[0]}")/pipe_stepper.py" "$1" "$2" -- \
        "${AS[@]}" "$STARTER" 3<"$TESTTMP/req") || STATUS=$?
}

# The exploit of the audit: with --debug, fill the starter's stderr so that
# it blocks on its "mount tmpfs on SESSION/overlay" line, exchange
# SESSION/overlay with a plain directory of the caller's on the host disk,
# and let it go on. A starter that reopens 'overlay' by name after mounting
# on the fd it opened first makes upper/ and work/ (as root, chowned to
# the caller) in the swapped-in directory, and the container's writes land
# on the host disk past the tmpfs cap (and, with a hard link swapped in
# after the mkdir, root chowns a file of the attacker's choice). Protection:
# the tmpfs is made with fsopen/fsmount and filled through its own fd
# (make_upper_tmpfs), and the starter holds its messages while privileged
# (log_hold_begin), so the window is not there to stop in.
test_attack_upper_tmpfs_swapped_while_stopped_rootonly() {
    _atk_init
    local decoy=$U/decoy
    _udir "$decoy"
    R_EXTRA=("log-level debug")
    R_PAYLOAD=/usr/bin/touch R_ARGS=(touch "$S/rootfs/written")
    # Control: without the swap, the write goes to the tmpfs.
    _stepped "no such message" true
    [ "$STATUS" = 0 ] || fail "control run failed ($STATUS): $OUT"
    [ ! -e "$S/overlay/upper" ] || fail "the control run left an upper on disk"
    # The attack: exchange SESSION/overlay and the decoy at the mount line.
    _stepped "mount tmpfs on $S/overlay" \
        "python3 -c 'import ctypes, sys; l = ctypes.CDLL(None, use_errno=True); sys.exit(l.renameat2(-100, b\"$S/overlay\", -100, b\"$decoy\", 2))'"
    assert_contains "$OUT" "stepper: saw"
    [ "$STATUS" = 0 ] || fail "the launch failed ($STATUS): $OUT"
    local d
    for d in "$S/overlay" "$decoy"; do
        if [ -e "$d/upper" ] || [ -e "$d/work" ]; then
            ls -lR "$d" >&2
            fail "the upper was made on the host disk, in $d, by name after the swap"
        fi
    done
}

# An image layer on a pseudo filesystem: overlay reads its lowers with the
# mounter's credentials, and such files answer by who opens them (the
# audit read 4096 bytes of PCI config space where the caller gets 64).
# Protection: lowers_check_filesystem (fstatfs of the lower's fd).
test_attack_pseudo_filesystem_lower_rootonly() {
    _atk_init
    _try
    _assert_ran IMAGE-OK "control: an image on a real filesystem"
    local dir file
    for dir in /sys/devices/virtual/net/lo /proc/sys/kernel; do
        [ -d "$dir" ] || continue
        file=$(cd "$dir" && ls | head -n 1)
        R_LOWERS=("$dir") R_ARGS=(cat "$S/rootfs/$file")
        _try
        _assert_refused "a pseudo filesystem" "an image on ${dir%/*}"
    done
}

# An image on a filesystem the admin mounted noexec: the overlay would
# drop the flag and run its programs. Protection: lowers_check_filesystem
# (fstatvfs ST_NOEXEC) and MS_NOEXEC on the overlay (mounts.c).
test_attack_noexec_image_stays_noexec_rootonly() {
    _atk_init
    local nx=$TESTTMP/nx
    _rdir "$nx"
    _udir "$IMG/bin"
    install -o "$OCHRE_TEST_USER" -m 0755 /usr/bin/true "$IMG/bin/prog"
    R_PAYLOAD=/usr/bin/dash R_ARGS=(dash -c "$S/rootfs/bin/prog && echo RAN")
    _try
    _assert_ran RAN "control: the image's program runs from an exec filesystem"
    mount -t tmpfs -o noexec,mode=0755 ochre-attack-noexec "$nx"
    at_exit umount -l "$nx"
    cp -a "$IMG" "$nx/img"
    R_LOWERS=("$nx/img")
    _try
    assert_not_contains "$OUT" RAN "a program of an image on a noexec filesystem ran"
    R_PAYLOAD=/usr/bin/cat R_ARGS=(cat /proc/self/mountinfo)
    _try
    [ "$STATUS" = 0 ] || fail "mountinfo: $ERR"
    assert_mount_opt "$OUT" "$S/rootfs" noexec
}

# The submount check is made on the lower's fd, not its path: the caller
# exchanges a directory with a mount below it (covering a file) and a plain
# one while the starter opens the request's path and then checks it. A
# check by name (the old policy_check_no_submounts) then looks at the plain
# one while overlay stacks the other, and the covered file shows.
# Protection: lowers_check_no_submounts (mount ids and a ".." walk). The
# flipper: tests/helpers/submount_race_flip.py.
test_attack_submount_check_races_rename_rootonly() {
    _atk_init
    command -v python3 >/dev/null || skip "python3 not installed"
    local secret=COVERED-$$-$RANDOM R=$U/subrace
    _udir "$R"
    _udir "$R/a"
    _rdir "$R/a/m"
    printf '%s\n' "$secret" >"$R/a/m/hidden"
    chmod 0644 "$R/a/m/hidden"
    mount -t tmpfs -o size=64k,mode=0755 ochre-attack-cover "$R/a/m"
    at_exit umount -l "$R/a/m"
    _udir "$R/b"
    _udir "$R/b/m"
    _ufile "$R/b/m/hidden" PLAIN
    R_LOWERS=("$R/b") R_ARGS=(cat "$S/rootfs/m/hidden")
    _try
    _assert_ran PLAIN "control: the plain image"
    R_LOWERS=("$R/a")
    _try
    _assert_refused "has a mount below it" "control: the image with a mount below"
    R_LOWERS=("$R/b")
    _mkreq "$TESTTMP/req"
    "${AS[@]}" python3 "$_ATK_HELPERS/submount_race_flip.py" "$R" &
    local flipper=$!
    at_exit kill "$flipper"
    local leaks=0 refused=0 plain=0
    for _ in $(seq 300); do
        _start "$TESTTMP/req"
        case $OUT in
            *"$secret"*) leaks=$((leaks + 1)) ;;
            PLAIN) plain=$((plain + 1)) ;;
            *) refused=$((refused + 1)) ;;
        esac
    done
    kill "$flipper"
    echo "300 launches: $plain plain, $refused refused, $leaks showed the covered file" >&2
    [ "$leaks" = 0 ] || fail "the covered file showed through the overlay in $leaks of 300 launches"
    [ "$refused" -gt 0 ] && [ "$plain" -gt 0 ] || fail "the race did not happen (plain $plain, refused $refused)"
}

# 9. A directory the caller cannot read or search, as a lower: refused,
# and its content never shows. Variants: 0700; 0744 (listable, not
# searchable); a readable dir inside a 0700 one. Protection: lowers
# opened with the caller's fsuid (privilege_fs_as_caller) and the
# faccessat(R_OK|X_OK) check in open_lowers().
test_attack_root_only_lower_rootonly() {
    _atk_init
    local secret=SECRET-$$-$RANDOM
    _rdir "$TESTTMP/r0700" 0700
    _rdir "$TESTTMP/r0744" 0744
    _rdir "$TESTTMP/vault" 0700
    _rdir "$TESTTMP/vault/pub" 0755
    _rdir "$TESTTMP/r0755" 0755
    local d
    for d in r0700 r0744 vault/pub r0755; do
        printf '%s\n' "$secret" >"$TESTTMP/$d/marker"
        chmod 0644 "$TESTTMP/$d/marker"
    done
    R_LOWERS=("$TESTTMP/r0755")
    _try
    _assert_ran "$secret" "control: a root-owned, world-readable image"
    for d in r0700 r0744 vault/pub; do
        R_LOWERS=("$TESTTMP/$d")
        _try
        _assert_refused "image rootfs '$TESTTMP/$d': Permission denied" "a lower the caller cannot use ($d)"
        assert_not_contains "$OUT$ERR" "$secret"
        # Hidden behind a readable top layer, too.
        R_LOWERS=("$IMG" "$TESTTMP/$d")
        _try
        _assert_refused "image rootfs '$TESTTMP/$d': Permission denied" "a second lower ($d)"
    done
}

# 9b. Root-only content must stay hidden behind a directory the caller
# stacks on top of it. The host dir H (root's, 0755) holds vault/ (root's,
# 0700) with a world-readable file; the caller cannot read it on the host.
# The caller then asks for an overlay in which a vault/ dir of its own lies
# above H/vault: (a) as a second image layer (ochre exec -o DIR:ro), (b) in
# a persistent overlay dir's upper/ (ochre exec -o DIR). Overlay takes a
# merged directory's owner and mode from its top-most layer, and looks
# into the lower layers with the mounter's credentials: mounted by root,
# H/vault's content shows. Protection needed: the overlay must not look
# into lowers with more than the caller's rights (e.g. mount it as the
# caller, inside the user namespace).
test_attack_merged_dir_hides_root_only_content_rootonly() {
    _atk_init
    local secret=SECRET-$$-$RANDOM H=$TESTTMP/host
    _rdir "$H"
    _rdir "$H/vault" 0700
    printf '%s\n' "$secret" >"$H/vault/marker"
    chmod 0644 "$H/vault/marker"
    run _as /usr/bin/cat "$H/vault/marker"
    assert_not_contains "$OUT" "$secret" "control: the caller cannot read the file on the host"
    # Control: H alone as the image hides it.
    R_LOWERS=("$H") R_ARGS=(cat "$S/rootfs/vault/marker")
    _try
    assert_not_contains "$OUT" "$secret" "control: the root-only dir seen through a plain overlay"
    [ "$STATUS" != 0 ] || fail "control: reading the root-only file through the overlay worked"
    local leaks=()
    # (a) A layer of the caller's on top.
    _udir "$U/top"
    _udir "$U/top/vault"
    R_LOWERS=("$U/top" "$H")
    _try
    if [ "$STATUS" = 0 ] || [[ $OUT == *"$secret"* ]]; then
        leaks+=("(a) through a caller's dir in an image layer above it (exit $STATUS): $OUT")
    fi
    # (b) A dir in the caller's persistent upper on top.
    _udir "$U/ov"
    _udir "$U/ov/upper"
    _udir "$U/ov/upper/vault"
    R_LOWERS=("$H") R_UPPER=$U/ov
    _try
    if [ "$STATUS" = 0 ] || [[ $OUT == *"$secret"* ]]; then
        leaks+=("(b) through a caller's dir in the overlay dir's upper/ (exit $STATUS): $OUT")
    fi
    # (c), (d): the same, mounted by the namespace's root ('caller-ids
    # self', the setuid starter's --overlay where the caller has
    # subordinate ids), where the host would let no user do it.
    local ustart gstart
    read -r ustart gstart < <(_subid_starts)
    if [ -n "$ustart" ] && [ -n "$gstart" ]; then
        R_EXTRA=("caller-ids self" "uid-range 0 $ustart 1" "gid-range 0 $gstart 1"
            "newuidmap /usr/bin/newuidmap" "newgidmap /usr/bin/newgidmap")
        R_LOWERS=("$U/top" "$H") R_UPPER=
        _try
        if [ "$STATUS" = 0 ] || [[ $OUT == *"$secret"* ]]; then
            leaks+=("(c) as (a), mounted by the namespace's root (exit $STATUS): $OUT")
        fi
        R_LOWERS=("$H") R_UPPER=$U/ov
        _try
        if [ "$STATUS" = 0 ] || [[ $OUT == *"$secret"* ]]; then
            leaks+=("(d) as (b), mounted by the namespace's root (exit $STATUS): $OUT")
        fi
        # Control: that way of mounting works for what the caller may read.
        R_LOWERS=("$U/top" "$IMG") R_UPPER=$U/ov R_ARGS=(cat "$S/rootfs/marker")
        _try
        _assert_ran IMAGE-OK "control: overlays mounted by the namespace's root"
    fi
    [ ${#leaks[@]} -eq 0 ] || fail "root-only content shows in the container:$(printf '\n  %s' "${leaks[@]}")"
}

# 9c. A lower dir's content hidden under a mount point on the host (a
# file the caller cannot see there) must not show in the overlay: the
# kernel refuses that to a user namespace (a bind of a tree with locked
# mounts), and overlay layers are taken without their submounts.
test_attack_lower_does_not_reveal_under_mounts_rootonly() {
    _atk_init
    local secret=UNDER-$$-$RANDOM H=$TESTTMP/host
    _rdir "$H"
    _rdir "$H/covered"
    printf '%s\n' "$secret" >"$H/covered/hidden"
    chmod 0644 "$H/covered/hidden"
    mount -t tmpfs -o size=64k,mode=0755 ochre-attack-cover "$H/covered"
    at_exit umount -l "$H/covered"
    run _as /usr/bin/cat "$H/covered/hidden"
    assert_not_contains "$OUT" "$secret" "control: the file is hidden on the host"
    R_LOWERS=("$H") R_ARGS=(cat "$S/rootfs/covered/hidden")
    _try
    if [ "$STATUS" = 0 ] || [[ $OUT == *"$secret"* ]]; then
        fail "a file hidden under a host mount shows in the overlay (exit $STATUS): $OUT"
    fi
}

# 9d. ochre stacks a layer of its own below the image, SESSION/mountpoints
# (the caller's dir, made by the driver), which may lie outside 'limit
# container paths' because it adds structure, never content: directories
# and empty files, refused otherwise, and read as the caller. Protection:
# mounts.c copy_structure (the layer is copied into the starter's tmpfs,
# with the caller's filesystem ids, before the mount).
test_attack_mountpoint_layer_content_rootonly() {
    _atk_init
    local M=$S/mountpoints
    _udir "$M"
    _udir "$M/mnt"
    _udir "$M/mnt/deep"
    _ufile "$M/mnt/deep/target" ""
    : >"$M/mnt/deep/target"
    R_EXTRA=("mountpoints $M")
    R_PAYLOAD=/usr/bin/stat R_ARGS=(stat -c '%F %u' "$S/rootfs/mnt/deep" "$S/rootfs/mnt/deep/target")
    _try
    _assert_ran "directory 0
regular empty file 0" "control: the layer's structure shows, owned by the caller (root in the namespace)"
    R_PAYLOAD=/usr/bin/cat R_ARGS=(cat "$S/rootfs/marker")
    printf 'CONTENT\n' >"$M/mnt/deep/target"
    _try
    _assert_refused "mount point layer '$M' holds 'target', which is not an empty file or a directory" \
        "a file with content in the mount point layer"
    rm "$M/mnt/deep/target"
    ln -s /etc/shadow "$M/mnt/deep/target"
    _try
    _assert_refused "holds 'target', which is not an empty file or a directory" "a symlink in the mount point layer"
    rm "$M/mnt/deep/target"
    mkfifo "$M/mnt/deep/target"
    _try
    _assert_refused "holds 'target', which is not an empty file or a directory" "a fifo in the mount point layer"
    # A directory the caller cannot read (someone else's, moved into the
    # layer): read with the caller's filesystem ids, so its names do not
    # show in the container.
    rm "$M/mnt/deep/target"
    _rdir "$M/mnt/rootonly" 0700
    : >"$M/mnt/rootonly/secret-name"
    R_PAYLOAD=/usr/bin/ls R_ARGS=(ls -A "$S/rootfs/mnt/rootonly")
    _try
    _assert_refused "read mount point layer '$M': Permission denied" \
        "a directory in the mount point layer the caller cannot read"
}

# 9e. The caller owns SESSION/mountpoints and may add to it at any time,
# also after the starter looked at it and while the overlay is mounted
# (overlay shows a name new in a lower when first looked up). The payload,
# as the caller, writes a file into that dir, then looks for it in the
# rootfs: it must not be there. Protection: the starter stacks its own
# copy of the layer (mounts.c copy_mountpoint_layer), which the caller
# cannot reach.
test_attack_mountpoint_layer_changed_after_check_rootonly() {
    _atk_init
    local M=$S/mountpoints
    _udir "$M"
    _udir "$M/mnt"
    R_EXTRA=("mountpoints $M")
    R_PAYLOAD=/usr/bin/dash
    R_ARGS=(dash -c "echo SMUGGLED >$M/mnt/new && cat $M/mnt/new && cat $S/rootfs/mnt/new 2>/dev/null; ls -A $S/rootfs/mnt")
    _try
    _assert_ran SMUGGLED "the payload, as the caller, writes into SESSION/mountpoints and finds nothing in the rootfs"
}
