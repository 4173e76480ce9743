# shellcheck shell=bash
# shellcheck disable=SC2016 # '$p' in single quotes: expanded by the payload
# Single-file images against the setuid starter: the image file is opened
# as the caller (no root-only file, no symlink, nothing beyond its end),
# squashfuse_ll must be the admin's and runs as the caller, never as host
# root; the starter's one new privileged act, opening /dev/fuse for a FUSE
# mount it makes itself, works where the caller could not open it.
# shellcheck source=tests/e2e/attack_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/attack_lib.sh"

# A squashfs of the image dir (its marker file), the test user's; the
# request stacks it, through squashfuse_ll, instead of the dir.
_sif_init() {
    _atk_init
    SQFS=$U/img.sqfs
    mksquashfs "$IMG" "$SQFS" -quiet -noappend -all-root >/dev/null || fail "mksquashfs failed"
    chown "$OCHRE_TEST_USER:" "$SQFS"
    chmod 0644 "$SQFS"
    SERVER=$(command -v squashfuse_ll) || fail "squashfuse_ll is not installed"
    _sif_lower "$SQFS" 0 "$(stat -c %s "$SQFS")"
}

# `_sif_lower FILE OFFSET SIZE`: the request's one lower, a squashfs.
_sif_lower() {
    R_LOWERS=()
    R_EXTRA=("lower-squashfs $2 $3 $1" "squashfuse $SERVER")
}

test_attack_sif_runs_and_server_is_the_caller_rootonly() {
    _sif_init
    # The payload runs in the user namespace where the caller is root: a
    # server of the caller's shows uid 0 there, one of host root's 65534.
    R_PAYLOAD=/usr/bin/dash
    R_ARGS=(sh -c 'cat "$0"; for p in /proc/[0-9]*; do [ "$(cat "$p/comm" 2>/dev/null)" = squashfuse_ll ] && awk "/^Uid:/ { print \$3 }" "$p/status"; done; true' "$S/rootfs/marker")
    _try
    _assert_ran "IMAGE-OK
0" "a single-file image, with squashfuse_ll as the caller"
}

test_attack_sif_root_only_file_rootonly() {
    _sif_init
    local secret=$TESTTMP/secret.sqfs
    cp "$SQFS" "$secret"
    chmod 0600 "$secret"
    _sif_lower "$secret" 0 "$(stat -c %s "$secret")"
    _try
    _assert_refused "Permission denied" "a root-only file as a single-file image"
}

test_attack_sif_symlink_to_root_file_rootonly() {
    _sif_init
    local secret=$TESTTMP/secret.sqfs
    cp "$SQFS" "$secret"
    chmod 0644 "$secret"
    ln -s "$secret" "$U/link.sqfs"
    _sif_lower "$U/link.sqfs" 0 "$(stat -c %s "$secret")"
    _try
    _assert_refused "link.sqfs" "a symlink as the image file"
    # A directory, a FIFO or a device is no image file either.
    mkfifo "$U/fifo"
    _sif_lower "$U/fifo" 0 4096
    _try
    _assert_refused "not a regular file" "a FIFO as the image file"
}

test_attack_sif_squashfs_beyond_the_file_rootonly() {
    _sif_init
    local size
    size=$(stat -c %s "$SQFS")
    _sif_lower "$SQFS" 4096 "$size"
    _try
    _assert_refused "beyond its end" "a squashfs past the end of the file"
    _sif_lower "$SQFS" 1152921504606846977 1
    _try
    _assert_refused "offset or size" "an offset past any file"
}

test_attack_sif_server_not_the_admins_rootonly() {
    _sif_init
    # A program of the caller's (or any other) as the FUSE server.
    cp /bin/true "$U/fake-squashfuse"
    chown "$OCHRE_TEST_USER:" "$U/fake-squashfuse"
    R_EXTRA=("lower-squashfs 0 $(stat -c %s "$SQFS") $SQFS" "squashfuse $U/fake-squashfuse")
    _try
    _assert_refused "not the one the administrator configured" "the caller's program as squashfuse"
    _conf_set "allow sif = no"
    _sif_lower "$SQFS" 0 "$(stat -c %s "$SQFS")"
    _try
    _assert_refused "allow sif = no" "a single-file image the admin disallows"
}

test_attack_sif_dev_fuse_only_for_our_mount_rootonly() {
    _sif_init
    local mode
    mode=$(stat -c %a /dev/fuse)
    at_exit chmod "$mode" /dev/fuse
    chmod 0600 /dev/fuse
    # The caller cannot open /dev/fuse, and the payload gets no fd of it.
    _try
    _assert_ran "IMAGE-OK" "a single-file image with /dev/fuse 0600"
    R_PAYLOAD=/usr/bin/dash
    R_ARGS=(sh -c 'ls -l /proc/self/fd/ | grep -c fuse; (: 3<>/dev/fuse) 2>/dev/null && echo opened; true')
    _try
    assert_eq "0" "$OUT" "the payload holds a /dev/fuse fd, or could open one"
}
