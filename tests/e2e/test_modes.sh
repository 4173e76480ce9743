# shellcheck shell=bash
# Which install mode the driver picks: root; a user with a plain starter
# (user namespace); a user with a setuid-root starter (setuid mode, unless
# --userns); and the fuse-overlayfs fallback. The same container tests run
# in every mode (tests/run.sh: [user], [user-setuid], [user-fuse]); these
# check the choice itself and what the container sees of it.

_as_user() { setpriv --reuid="$OCHRE_TEST_USER" --regid="$OCHRE_TEST_USER" --init-groups "$@"; }

_need_suid() { [ -n "$OCHRE_SUID_PREFIX" ] || skip "no setuid install (OCHRE_SUID_PREFIX)"; }

test_mode_root_rootonly() {
    assert_status 0 "$OCHRE" -d exec "$ROOTFS" true
    assert_contains "$ERR" "starter mode: root"
}

test_mode_setuid_chosen_rootonly() {
    _need_suid
    local suid=$OCHRE_SUID_PREFIX/bin/ochre
    cd "$TESTTMP" || fail "cd"
    assert_status 0 _as_user "$suid" -d exec "$ROOTFS" cat /proc/self/uid_map
    assert_contains "$ERR" "starter mode: setuid"
    assert_contains "$ERR" "[starter] setuid mode: policy from $OCHRE_SUID_PREFIX/etc/ochre/ochre.conf"
    assert_contains "$ERR" "[starter] drop privileges for good"
    # The container's ids: the user's own, in the namespace the starter
    # made as root, which the runtime uses as it is (it could not make one
    # of its own where the host lets no user do that): the user keeps their
    # uid, and root there is their first subordinate uid.
    assert_contains "$ERR" "the container's user namespace: the one the starter makes"
    local uid sub
    uid=$(id -u "$OCHRE_TEST_USER")
    sub=$(awk -F: -v n="$OCHRE_TEST_USER" '$1 == n { print $2; exit }' /etc/subuid)
    assert_eq "$uid $uid 1
0 $sub 1" "$(awk '{ print $1, $2, $3 }' <<<"$OUT")" "uid_map"
}

test_mode_userns_forced_rootonly() {
    _need_suid
    cd "$TESTTMP" || fail "cd"
    assert_status 0 _as_user "$OCHRE_SUID_PREFIX/bin/ochre" -d exec --userns "$ROOTFS" true
    assert_contains "$ERR" "starter mode: user namespace"
    assert_contains "$ERR" "userns yes"
    # Privilege is dropped before the starter does anything else.
    local drop create
    drop=$(grep -n 'drop privileges for good' <<<"$ERR" | cut -d: -f1)
    create=$(grep -n 'create namespaces' <<<"$ERR" | head -n 1 | cut -d: -f1)
    [ -n "$drop" ] && [ -n "$create" ] && [ "$drop" -lt "$create" ] ||
        fail "privileges not dropped before the namespaces were made"
    assert_contains "$ERR" "userxattr" "the overlay was mounted in a user namespace"
}

test_mode_plain_install_is_user_namespace_rootonly() {
    cd "$TESTTMP" || fail "cd"
    assert_status 0 _as_user "$OCHRE" -d exec "$ROOTFS" true
    case $ERR in
        *"starter mode: user namespace"* | *"starter mode: setuid"*) ;;
        *) fail "no starter mode in: $ERR" ;;
    esac
}

# 'overlay = fuse' (a config of our own: -c works with a plain starter).
test_mode_fuse_overlay_rootonly() {
    command -v fuse-overlayfs >/dev/null || skip "fuse-overlayfs not installed"
    local conf=$TESTTMP/fuse.conf
    echo 'overlay = fuse' >"$conf"
    chmod 644 "$conf"
    cd "$TESTTMP" || fail "cd"
    # /dev/fuse is 0666 for the test run (tests/run.sh), as on most systems.
    assert_status 0 _as_user "$OCHRE" -c "$conf" -d exec "$ROOTFS" sh -c 'awk "\$5 == \"/\"" /proc/self/mountinfo; echo x >/tmp/y; cat /tmp/y'
    assert_contains "$OUT" "fuse.fuse-overlayfs" "the root is a fuse-overlayfs mount"
    assert_contains "$ERR" "mount fuse-overlayfs"
    pgrep -u "$OCHRE_TEST_USER" -x fuse-overlayfs >/dev/null && fail "a fuse-overlayfs process was left"
    grep -q fuse-overlayfs /proc/self/mountinfo && fail "a fuse mount was left"
    return 0
}

test_mode_allow_setuid_no_rootonly() {
    _need_suid
    local conf=$OCHRE_SUID_PREFIX/etc/ochre/ochre.conf
    cp -p "$conf" "$TESTTMP/conf.saved"
    at_exit cp -p "$TESTTMP/conf.saved" "$conf"
    echo 'allow setuid = no' >>"$conf"
    cd "$TESTTMP" || fail "cd"
    assert_status 255 _as_user "$OCHRE_SUID_PREFIX/bin/ochre" exec "$ROOTFS" true
    assert_contains "$ERR" "allow setuid = no"
}
