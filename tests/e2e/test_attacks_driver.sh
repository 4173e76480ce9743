# shellcheck shell=bash
# Attacks by one user on another's ochre through the directories users
# share: the admin's `cache dir` (a per-uid dir in it) and the session base
# (/tmp/ochre-UID, or `session dir`/UID). SECURITY.md, "Shared directories".
# shellcheck source=tests/e2e/attack_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/attack_lib.sh"

# The uid that plays the other user: it owns nothing on the host.
_OTHER_UID=65534

# `_drv ARGS...`: the setuid install's ochre, as the test user (the victim),
# with a private runtime dir of its own; sets STATUS, OUT, ERR.
_drv() {
    [ -d "$U/run" ] || _udir "$U/run" 0700
    run _as HOME="$U/home" XDG_RUNTIME_DIR="$U/run" "$OCHRE_SUID_PREFIX/bin/ochre" "$@"
}

# ochre refused: exit 255, nothing on stdout, and one line on stderr, the
# error, that contains NEEDLE.
_assert_drv_refused() {
    local needle=$1 what=$2
    if [ "$STATUS" != 255 ] || [ -n "$OUT" ] || [ "$(printf '%s\n' "$ERR" | wc -l)" != 1 ]; then
        echo "FAIL ($(_where)): $what was not refused in one line with exit 255" >&2
        _show_run ochre
        exit 1
    fi
    assert_contains "$ERR" "$needle" "$what"
}

# ochre ran and printed ok.
_assert_drv_ran() {
    if [ "$STATUS" != 0 ] || [ "$OUT" != ok ]; then
        fail "$1: $ERR"
    fi
}

# The setuid install's config with `cache dir = CACHE`, CACHE a fresh dir of
# root's with MODE.
_shared_cache() {
    C=$TESTTMP/cache
    rm -rf "$C"
    _rdir "$C" "$1"
    _conf_save
    _conf_set "cache dir = $C"
    cd "$U" || fail "cd $U"
}

# 1. Another user makes CACHE/UID (here open to all, as a trap) before the
# victim's first launch: with it, they could swap images/ or tmp/ under
# the victim (their rootfs runs as the victim). A symlink there, or a dir
# of the victim's that others may write, is refused the same way.
# Protection: cache_open (cache.c check_private, O_NOFOLLOW).
test_attack_cache_dir_foreign_per_uid_dir_rootonly() {
    _atk_init
    need_images
    _shared_cache 1777
    _drv exec --runtime crun "oci:$IMAGES/busybox-oci:latest" echo ok
    _assert_drv_ran "control: a launch with 'cache dir = $C' (1777)"
    assert_eq "$TUID 700" "$(stat -c '%u %a' "$C/$TUID")" "the per-uid dir ochre made"

    rm -rf "${C:?}/$TUID"
    install -d -o "$_OTHER_UID" -g "$_OTHER_UID" -m 0777 "$C/$TUID"
    _drv exec --runtime crun "oci:$IMAGES/busybox-oci:latest" echo ok
    _assert_drv_refused "cache dir '$C/$TUID' is owned by uid $_OTHER_UID, not you" \
        "a per-uid cache dir another user made"
    assert_eq "" "$(ls -A "$C/$TUID")" "ochre wrote into another user's per-uid cache dir"

    rm -rf "${C:?}/$TUID"
    _udir "$U/elsewhere" 0700
    ln -s "$U/elsewhere" "$C/$TUID"
    chown -h "$_OTHER_UID:$_OTHER_UID" "$C/$TUID"
    _drv exec --runtime crun "oci:$IMAGES/busybox-oci:latest" echo ok
    _assert_drv_refused "cache dir '$C/$TUID' is a symbolic link" "a per-uid cache dir that is a symlink"

    rm -f "$C/$TUID"
    _udir "$C/$TUID" 0770
    _drv exec --runtime crun "oci:$IMAGES/busybox-oci:latest" echo ok
    _assert_drv_refused "cache dir '$C/$TUID' is writable by others" "a group-writable per-uid cache dir"
}

# 2. A cache dir in which others may rename what is not theirs: world- or
# group-writable without the sticky bit, or another user's. Protection:
# cache.c check_shared_parent.
test_attack_cache_dir_not_sticky_rootonly() {
    _atk_init
    need_images
    _shared_cache 0777
    _drv exec --runtime crun "oci:$IMAGES/busybox-oci:latest" echo ok
    _assert_drv_refused "cache dir '$C' is writable by other users without the sticky bit" \
        "a world-writable cache dir without the sticky bit"
    [ ! -e "$C/$TUID" ] || fail "ochre made its per-uid dir in a cache dir it refused"
    chmod 0775 "$C"
    _drv exec --runtime crun "oci:$IMAGES/busybox-oci:latest" echo ok
    _assert_drv_refused "without the sticky bit" "a group-writable cache dir without the sticky bit"
    chmod 0755 "$C"
    chown "$_OTHER_UID:$_OTHER_UID" "$C"
    _drv exec --runtime crun "oci:$IMAGES/busybox-oci:latest" echo ok
    _assert_drv_refused "cache dir '$C' is owned by uid $_OTHER_UID" "a cache dir of another user's"
    chown root: "$C"
    _udir "$C/$TUID" 0700 # as the admin makes it for a user
    _drv exec --runtime crun "oci:$IMAGES/busybox-oci:latest" echo ok
    _assert_drv_ran "control: root's 0755 cache dir"
}

# 3. tmp/ swapped for a symlink while the importer waits for the cache
# lock (whoever can write to the per-uid dir, and holds the lock file open,
# can time it): the removal of stale builds must not follow it and delete
# the files it points at. Protection: cache_remove_stale_builds by the fd
# opened at cache_open, and cache_lock's check that images/ and tmp/ are
# still those dirs.
test_attack_cache_tmp_symlink_deletes_nothing_rootonly() {
    _atk_init
    need_images
    _shared_cache 0755
    _udir "$C/$TUID" 0700 # pre-created by the admin, as SECURITY.md says
    _drv exec --runtime crun "oci:$IMAGES/busybox-oci:latest" echo ok
    _assert_drv_ran "control: the first import"
    _udir "$C/$TUID/tmp/build.stale"
    _udir "$U/precious"
    _ufile "$U/precious/keep" KEEP

    local lockfd pid status=0
    exec {lockfd}<>"$C/$TUID/lock"
    flock -x "$lockfd"
    "${AS[@]}" HOME="$U/home" XDG_RUNTIME_DIR="$U/run" "$OCHRE_SUID_PREFIX/bin/ochre" -d exec --runtime crun \
        "oci:$IMAGES/busybox-zstd-oci:latest" echo ok >"$TESTTMP/out" 2>"$TESTTMP/err" {lockfd}>&- &
    pid=$!
    track "$pid"
    wait_until 30 grep -q "waiting for the cache lock" "$TESTTMP/err" ||
        fail "the import never waited for the lock: $(cat "$TESTTMP/err")"
    mv "$C/$TUID/tmp" "$C/$TUID/tmp.real"
    ln -s "$U/precious" "$C/$TUID/tmp"
    chown -h "$OCHRE_TEST_USER:" "$C/$TUID/tmp"
    exec {lockfd}>&-
    wait "$pid" || status=$?
    [ -f "$U/precious/keep" ] || fail "ochre deleted files through a tmp/ symlink: $(cat "$TESTTMP/err")"
    assert_eq 255 "$status" "a tmp/ swapped while ochre waited for the lock"
    assert_contains "$(cat "$TESTTMP/err")" "cache dir '$C/$TUID/tmp' was replaced while ochre waited for its lock"
}

# 4. Another user (here root, for another uid) makes /tmp/ochre-UID before
# the victim, who has no XDG_RUNTIME_DIR: the victim's launches go on in a
# fallback of their own (the same one each time, as `ochre oci` must find
# its state again), with a warning saying what to fix. Run in a mount
# namespace whose /tmp is a fresh tmpfs, so that the real /tmp/ochre-UID
# (other tests' runs) is not touched. Protection: session.c private_base,
# fallback_base. The setting: tests/helpers/session_base_squat.sh.
test_attack_session_base_squatted_rootonly() {
    _atk_init
    local base=/tmp/ochre-$TUID
    env TESTTMP="$TESTTMP" ROOTFS="$ROOTFS" U="$U" TUID="$TUID" OTHER="$_OTHER_UID" SAFE_PATH="$_ATK_SAFE_PATH" \
        unshare -m --propagation private bash "$_ATK_HELPERS/session_base_squat.sh" || fail "the private /tmp setting failed"
    local i
    for i in 1 2; do
        STATUS=$(cat "$TESTTMP/rc$i") OUT=$(cat "$TESTTMP/out$i") ERR=$(cat "$TESTTMP/err$i")
        _assert_drv_ran "launch $i with $base squatted"
        assert_contains "$(cat "$TESTTMP/err$i")" "session base '$base' is not owned by you: using '$base-" \
            "launch $i's warning"
    done
    assert_eq 1 "$(wc -l <"$TESTTMP/fallbacks")" "fallbacks made (both launches use the same one)"
    assert_contains "$(cat "$TESTTMP/err2")" "using '$(cat "$TESTTMP/fallbacks")' instead" "the second launch's base"
    assert_eq "$TUID 700" "$(cat "$TESTTMP/fallback-stat")" "the fallback's owner and mode"
    assert_eq "" "$(cat "$TESTTMP/left")" "what the launches left in the fallback"
    assert_eq "$_OTHER_UID" "$(cat "$TESTTMP/squat-owner")" "the squatted dir (left alone)"
}
