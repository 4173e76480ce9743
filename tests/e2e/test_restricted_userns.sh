# shellcheck shell=bash
# Hosts that let no user create a user namespace (Debian's
# kernel.unprivileged_userns_clone = 0; Ubuntu's AppArmor restriction is
# alike): the setuid starter must work there, and the other modes must say
# clearly why they cannot.
#
# This kernel has no such switch, so the cases run under
# tests/helpers/userns_restrict.c (OCHRE_USERNS_RESTRICT), which applies the
# same rule with a seccomp filter: creating a user namespace needs
# CAP_SYS_ADMIN in the initial one. A runtime nesting its own user namespace
# in the starter's is refused there, as it would be on such a host.

_need_restrict() {
    [ -n "$OCHRE_USERNS_RESTRICT" ] && [ -x "$OCHRE_USERNS_RESTRICT" ] ||
        skip "no userns-restrict helper (OCHRE_USERNS_RESTRICT)"
}
_need_suid() { [ -n "$OCHRE_SUID_PREFIX" ] || skip "no setuid install (OCHRE_SUID_PREFIX)"; }

# The test user's own corner of TESTTMP: home, session dirs, cache.
_user_dirs() {
    UD=$TESTTMP/u
    install -d -o "$OCHRE_TEST_USER" -g "$OCHRE_TEST_USER" -m 0755 "$UD" "$UD/home" "$UD/shared"
    install -d -o "$OCHRE_TEST_USER" -g "$OCHRE_TEST_USER" -m 0700 "$UD/run"
}

# `_restricted CMD...`: CMD as the test user, on a "restricted" host.
_restricted() {
    "$OCHRE_USERNS_RESTRICT" setpriv --reuid="$OCHRE_TEST_USER" --regid="$OCHRE_TEST_USER" --init-groups \
        env -i PATH="$PATH" HOME="$UD/home" LANG=C XDG_RUNTIME_DIR="$UD/run" XDG_CACHE_HOME="$UD/cache" "$@"
}

_suid_exec() { _restricted "$OCHRE_SUID_PREFIX/bin/ochre" ${DEBUG:+-d} exec --runtime "$OCHRE_RUNTIME" "$@"; }

# No session dir, no mount naming TESTTMP, no process of the test user
# left (the kernel may take a moment after a kill).
_nothing_left_restricted() {
    [ -z "$(find "$UD/run" -mindepth 2 -maxdepth 2 2>/dev/null)" ] &&
        ! grep -qF "$TESTTMP" /proc/self/mountinfo &&
        ! pgrep -u "$OCHRE_TEST_USER" -f "$SLEEP_RE" >/dev/null
}
_assert_nothing_left_restricted() {
    wait_until 20 _nothing_left_restricted && return 0
    find "$UD/run" -mindepth 1 -maxdepth 2 >&2
    grep -F "$TESTTMP" /proc/self/mountinfo >&2
    pgrep -a -u "$OCHRE_TEST_USER" >&2
    fail "something was left behind"
}

# The stand-in itself: users are refused a user namespace, root in the
# initial namespace is not, and nobody may nest one (as on Debian).
test_restricted_helper_behaves_like_the_sysctl_rootonly() {
    _need_restrict
    _user_dirs
    assert_status 0 unshare -U true
    run _restricted unshare -U true
    [ "$STATUS" != 0 ] || fail "a user created a user namespace under the restriction"
    assert_contains "$ERR" "Operation not permitted"
    assert_status 0 "$OCHRE_USERNS_RESTRICT" unshare -U true
    run "$OCHRE_USERNS_RESTRICT" unshare -U unshare -U true
    [ "$STATUS" != 0 ] || fail "a user namespace was nested under the restriction"
}

# The setuid starter makes the user namespace itself, as root, and the
# runtime uses it as the container's: the caller's own ids, a writable
# root, binds owned by the caller, the exit status.
test_rt_restricted_setuid_runs_as_caller_rootonly() {
    _need_restrict
    _need_suid
    _user_dirs
    local uid gid sub
    uid=$(id -u "$OCHRE_TEST_USER")
    gid=$(id -g "$OCHRE_TEST_USER")
    sub=$(awk -F: -v n="$OCHRE_TEST_USER" '$1 == n { print $2; exit }' /etc/subuid)
    assert_status 0 _suid_exec -B "$UD/shared:/shared" "$ROOTFS" /bin/sh -c \
        'id -u; id -g; awk "{ print \$1, \$2, \$3 }" /proc/self/uid_map; echo w >/tmp/w && cat /tmp/w; touch /shared/made'
    assert_eq "$uid
$gid
$uid $uid 1
0 $sub 1
w" "$OUT" "the container's ids, map and writable root"
    assert_eq "$uid:$gid" "$(stat -c %u:%g "$UD/shared/made")" "a file made in a bind is the caller's"
    assert_status 7 _suid_exec "$ROOTFS" /bin/sh -c 'exit 7'
    _assert_nothing_left_restricted
}

test_rt_restricted_setuid_fakeroot_rootonly() {
    _need_restrict
    _need_suid
    _user_dirs
    assert_status 0 _suid_exec --fakeroot -B "$UD/shared:/shared" "$ROOTFS" /bin/sh -c \
        'id -u; touch /shared/made /tmp/f; chown 1:1 /tmp/f && echo chowned'
    assert_eq "0
chowned" "$OUT" "--fakeroot: root, with the caller's subordinate ids to give files to"
    assert_eq "$(id -u "$OCHRE_TEST_USER")" "$(stat -c %u "$UD/shared/made")" "fake root is the caller outside"
    _assert_nothing_left_restricted
}

# --overlay DIR and DIR:ro: the starter stacks the caller's own layers as
# root of the user namespace it made (never as host root), so they work
# there too; what the container writes persists, as the caller's.
test_restricted_setuid_overlay_rootonly() {
    _need_restrict
    _need_suid
    _user_dirs
    install -d -o "$OCHRE_TEST_USER" -g "$OCHRE_TEST_USER" "$UD/ov" "$UD/ro"
    echo from-ro >"$UD/ro/ro-file"
    chown "$OCHRE_TEST_USER:" "$UD/ro/ro-file"
    DEBUG=1 assert_status 0 _suid_exec -o "$UD/ov" -o "$UD/ro:ro" "$ROOTFS" /bin/sh -c \
        'echo kept >>/kept; cat /kept /ro-file'
    assert_eq "kept
from-ro" "$OUT" "both overlays, through the setuid starter"
    assert_contains "$ERR" "starter mode: setuid"
    assert_contains "$ERR" "userxattr" "the overlay was mounted in the user namespace"
    assert_status 0 _suid_exec -o "$UD/ov" "$ROOTFS" cat /kept
    assert_eq "kept" "$OUT" "the write persisted"
    assert_eq "$(id -u "$OCHRE_TEST_USER")" "$(stat -c %u "$UD/ov/upper/kept")" "the caller's file"
    _assert_nothing_left_restricted
}

# Signals still reach the container (the starter, dropped to the caller,
# signals its namespace's init), and a kill -9 of ochre leaves nothing:
# not the runtime's state, which belongs to a subordinate id here.
# `_starter_below PID`: the test user's ochre-starter that descends from
# PID and whose parent is no starter (the one ochre exec'd, not the
# namespace's init): other tests' starters may run at the same time.
_starter_below() {
    local p q parent
    for p in $(pgrep -u "$OCHRE_TEST_USER" -x ochre-starter); do
        parent=$(awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null) || continue
        [ "$(cat "/proc/$parent/comm" 2>/dev/null)" != ochre-starter ] || continue
        q=$p
        while [ "${q:-1}" -gt 1 ]; do
            [ "$q" = "$1" ] && { echo "$p"; return 0; }
            q=$(awk '{ print $4 }' "/proc/$q/stat" 2>/dev/null)
        done
    done
    return 0
}

test_rt_restricted_setuid_signals_and_kill_rootonly() {
    _need_restrict
    _need_suid
    _user_dirs
    local out=$TESTTMP/bg.out pid
    : >"$out"
    _suid_exec "$ROOTFS" /bin/sh -c "trap 'echo got-TERM; exit 3' TERM; echo ready; sleep $SLEEP_SECS & wait" \
        >"$out" 2>&1 &
    pid=$!
    wait_until 30 grep -q ready "$out" || fail "the container did not start: $(cat "$out")"
    # $! is the helper; ochre is its child (setpriv execs env, then ochre,
    # which execs the starter).
    local ochre
    ochre=$(_starter_below "$pid")
    [ -n "$ochre" ] || fail "no ochre process"
    kill -TERM "$ochre"
    local rc=0
    wait "$pid" || rc=$?
    assert_eq 3 "$rc" "the container's trap ran and its status came back"
    assert_contains "$(cat "$out")" "got-TERM"
    _assert_nothing_left_restricted

    : >"$out"
    _suid_exec "$ROOTFS" /bin/sh -c "echo ready; exec sleep $SLEEP_SECS" >"$out" 2>&1 &
    pid=$!
    wait_until 30 grep -q ready "$out" || fail "the container did not start: $(cat "$out")"
    ochre=$(_starter_below "$pid")
    [ -n "$ochre" ] || fail "no ochre process"
    kill -KILL "$ochre"
    wait "$pid" || true
    _assert_nothing_left_restricted
}

# Without subordinate ids the caller cannot keep their own ids in a
# namespace of the starter's (it would have no root to run the runtime),
# and the runtime may not make one: one clear error. --fakeroot works
# where the administrator gives the starter's user namespace to users
# without subordinate ids too ('allow setuid userns = yes'; by default,
# subid-users, it is refused, naming the directive).
test_restricted_setuid_without_subids_rootonly() {
    _need_restrict
    _need_suid
    _user_dirs
    local f
    for f in /etc/subuid /etc/subgid; do
        cp -p "$f" "$TESTTMP/${f##*/}.saved"
        at_exit cp -p "$TESTTMP/${f##*/}.saved" "$f"
        grep -vE "^($OCHRE_TEST_USER|$(id -u "$OCHRE_TEST_USER")):" "$TESTTMP/${f##*/}.saved" >"$f" || true
    done
    assert_error "needs subordinate ids for you" _suid_exec "$ROOTFS" true
    assert_contains "$ERR" "--fakeroot"
    _assert_nothing_left_restricted
    assert_error "'allow setuid userns'" _suid_exec --fakeroot "$ROOTFS" id -u
    _assert_nothing_left_restricted
    local conf=$OCHRE_SUID_PREFIX/etc/ochre/ochre.conf
    cp -p "$conf" "$TESTTMP/conf.saved"
    at_exit cp -p "$TESTTMP/conf.saved" "$conf"
    echo 'allow setuid userns = yes' >>"$conf"
    assert_status 0 _suid_exec --fakeroot "$ROOTFS" id -u
    assert_eq 0 "$OUT" "--fakeroot without subordinate ids, 'allow setuid userns = yes'"
    _assert_nothing_left_restricted
}

# User-namespace mode cannot work there: the plain install, and --userns
# with the setuid one, say why in one line.
test_restricted_user_namespace_mode_says_why_rootonly() {
    _need_restrict
    _user_dirs
    assert_error "this host does not let users create them" \
        _restricted "$OCHRE" exec "$ROOTFS" true
    _assert_nothing_left_restricted
    if [ -n "$OCHRE_SUID_PREFIX" ]; then
        assert_error "this host does not let users create them" \
            _restricted "$OCHRE_SUID_PREFIX/bin/ochre" exec --userns "$ROOTFS" true
        _assert_nothing_left_restricted
    fi
}
