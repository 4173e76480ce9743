# shellcheck shell=bash
# Kernels without openat2 (before Linux 5.6): the starter opens the caller's
# paths with an O_NOFOLLOW walk instead (starter/safe_open.c, open_walk),
# which a newer kernel never runs. These cases run under
# tests/helpers/no_openat2.c (OCHRE_NO_OPENAT2), a seccomp filter that makes
# openat2 fail with ENOSYS. The filter needs no_new_privs, under which a
# setuid exec gains nothing, so only the unprivileged starter is tested: as
# root and as the user, never the setuid install.

_need_no_openat2() {
    [ -n "${OCHRE_NO_OPENAT2:-}" ] && [ -x "$OCHRE_NO_OPENAT2" ] ||
        skip "no no-openat2 helper (OCHRE_NO_OPENAT2)"
    # [user-setuid]: the starter would run without its privilege.
    [ ! -u "$OCHRE_PREFIX/libexec/ochre/ochre-starter" ] || skip "setuid starter: no_new_privs would disarm it"
}

# `ochre exec` works without openat2, and the starter and the runtime really
# met ENOSYS (strace, where installed, shows every openat2 failing so).
test_exec_without_openat2() {
    _need_no_openat2
    # The helper checks its own filter first (exit 125 if openat2 still works).
    assert_status 0 "$OCHRE_NO_OPENAT2" true
    assert_status 0 "$OCHRE_NO_OPENAT2" "${OEXEC[@]}" "$ROOTFS" echo hello
    assert_eq hello "$OUT" "ochre exec without openat2"
    # A container that writes, with a persistent overlay (upper/ and work/
    # opened by the same walk).
    mkdir "$TESTTMP/ov"
    assert_status 0 "$OCHRE_NO_OPENAT2" "${OEXEC[@]}" --overlay "$TESTTMP/ov" "$ROOTFS" \
        /bin/sh -c 'echo kept >/made && cat /made'
    assert_eq kept "$OUT" "a write through the overlay"
    assert_eq kept "$(cat "$TESTTMP/ov/upper/made")" "the write kept in the overlay dir"
    # The driver reads the image's /etc/passwd inside the image's root (its
    # openat2 RESOLVE_IN_ROOT, here the walk of driver/util/beneath.c): the
    # image's own entries still reach the container's passwd.
    assert_status 0 "$OCHRE_NO_OPENAT2" "${OEXEC[@]}" "$ROOTFS" cat /etc/passwd
    assert_contains "$OUT" "nobody:x:65534:" "the image's passwd entries, read without openat2"
    command -v strace >/dev/null || return 0
    run strace -f -qq -e trace=openat2 -o "$TESTTMP/strace.log" \
        "$OCHRE_NO_OPENAT2" "${OEXEC[@]}" "$ROOTFS" echo traced
    assert_eq 0 "$STATUS" "ochre exec under strace: $ERR"
    assert_eq traced "$OUT"
    # (strace cannot show the paths the non-dumpable starter passes when
    # run as a user; the symlink case below tells the walk by its message)
    local tried ok
    tried=$(grep -c 'openat2(' "$TESTTMP/strace.log" || true)
    [ "$tried" -ge 1 ] || fail "nothing tried openat2: $(cat "$TESTTMP/strace.log")"
    ok=$(grep 'openat2(' "$TESTTMP/strace.log" | grep -v '= -1 ENOSYS' || true)
    [ -z "$ok" ] || fail "an openat2 did not fail with ENOSYS:
$ok"
}

# The walk refuses symlinks as openat2's RESOLVE_NO_SYMLINKS does: a request
# written by hand whose image is a symlink, or lies below one, is refused
# before anything runs. The message is the walk's (O_NOFOLLOW|O_DIRECTORY
# fails with ENOTDIR, where openat2 fails with ELOOP and the starter says
# "a path component is a symbolic link"), which shows the walk ran.
test_starter_walk_refuses_symlinks_without_openat2() {
    _need_no_openat2
    local d=$TESTTMP/w starter=$OCHRE_PREFIX/libexec/ochre/ochre-starter low
    mkdir -p "$d/sess/rootfs" "$d/sess/overlay" "$d/img"
    chmod 0700 "$d/sess"
    echo IMAGE-OK >"$d/img/marker"
    ln -s "$d/img" "$d/imglink"
    ln -s "$d" "$d/dlink"
    # `_req LOWER`: a request for cat of the marker with LOWER as the image.
    _req() {
        printf '%s\n' "OCHRE-STARTER-REQUEST 1" "session $d/sess" "lower $1" "tmpfs-size 67108864" \
            "payload /usr/bin/cat" "arg cat" "arg $d/sess/rootfs/marker" end >"$TESTTMP/req"
    }
    _req "$d/img"
    run "$OCHRE_NO_OPENAT2" "$starter" 3<"$TESTTMP/req"
    assert_eq 0 "$STATUS" "control: the real image dir: $ERR"
    assert_eq IMAGE-OK "$OUT"
    for low in "$d/imglink" "$d/dlink/img"; do
        _req "$low"
        run "$OCHRE_NO_OPENAT2" "$starter" 3<"$TESTTMP/req"
        [ "$STATUS" = 255 ] && [ -z "$OUT" ] || fail "image '$low' through a symlink was not refused (exit $STATUS): $OUT"
        assert_contains "$ERR" "ochre: error: image rootfs '$low': Not a directory" \
            "the walk's refusal of image '$low' through a symlink"
    done
}
