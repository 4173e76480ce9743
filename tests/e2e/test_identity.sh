# shellcheck shell=bash
# Commands for the container's shell are single-quoted on purpose:
# shellcheck disable=SC2016
# Who the container runs as and with what: the caller's uid and gid,
# --fakeroot (with the caller's subordinate ids), --no-setgroups, the
# capability sets (--add-caps, --drop-caps, --keep-privs, --no-privs),
# --security, --net/--network, --hostname, and the exit status of a
# container whose process is killed (--no-pid).

# The default capability set of docker, podman and SingularityCE's OCI
# mode: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
# NET_BIND_SERVICE SYS_CHROOT SETFCAP.
DEFAULT_CAPS=0x800405fb

# Every capability this kernel knows.
_all_caps() {
    local last
    last=$(cat /proc/sys/kernel/cap_last_cap)
    printf '0x%x\n' $(((1 << (last + 1)) - 1))
}

# Field NAME (CapEff, NoNewPrivs, ...) of the /proc/self/status text in $OUT.
_status_field() {
    printf '%s\n' "$OUT" | sed -n "s/^$1:[[:space:]]*//p"
}

# `_assert_caps NAME EXPECTED`: the capability set NAME in $OUT is EXPECTED
# (numbers compared, so 0x800405fb matches 00000000800405fb).
_assert_caps() {
    local got
    got=$(_status_field "$1")
    [ -n "$got" ] || fail "no $1 line in /proc/self/status: $OUT"
    assert_eq "$(printf '%016x' $(($2)))" "$(printf '%016x' $((0x$got)))" "$1 in the container"
}

# `_has_cap NAME BIT`: the set NAME in $OUT has BIT.
_has_cap() {
    local got
    got=$(_status_field "$1")
    [ $(((0x$got >> $2) & 1)) = 1 ]
}

_assert_no_new_privs() {
    assert_eq 1 "$(_status_field NoNewPrivs)" "NoNewPrivs must be 1"
}

# The first subordinate range of the caller in FILE (/etc/subuid or
# /etc/subgid): its count, or nothing.
_subid_count() {
    awk -F: -v n="$(id -un)" -v u="$(id -u)" '($1 == n || $1 == u) && $3 > 0 { print $3; exit }' "$1" 2>/dev/null
}
_subid_start() {
    awk -F: -v n="$(id -un)" -v u="$(id -u)" '($1 == n || $1 == u) && $3 > 0 { print $2; exit }' "$1" 2>/dev/null
}

# ------------------------------------------------------------ identity

test_rt_identity_is_caller() {
    mkdir "$TESTTMP/shared"
    assert_status 0 oexec -B "$TESTTMP/shared:/shared" "$ROOTFS" /bin/sh -c 'id -u; id -g; touch /shared/made'
    assert_eq "$(id -u)
$(id -g)" "$OUT" "the container's uid and gid are the caller's"
    assert_eq "$(id -u):$(id -g)" "$(stat -c %u:%g "$TESTTMP/shared/made")" \
        "a file made in a bound host dir belongs to the caller"
    assert_nothing_left
}

test_rt_fakeroot_identity() {
    assert_status 0 oexec -f "$ROOTFS" /bin/sh -c 'id -u; id -g; echo "$HOME"'
    assert_eq "0
0
/root" "$OUT" "--fakeroot: uid 0, gid 0, HOME=/root"
    assert_status 0 oexec --fakeroot "$ROOTFS" /bin/sh -c 'id -u'
    assert_eq 0 "$OUT" "--fakeroot"
    if ! is_root; then
        # Root is the caller; ids from 1 up are the caller's subordinate
        # ones, as many as /etc/subuid and /etc/subgid give. The runtime
        # maps them onto the starter's namespace (root there is the caller),
        # except in setuid mode, where the starter's namespace is the
        # container's and shows host ids.
        local nu ng expected su=0 sg=0 ru=1 rg=1
        nu=$(_subid_count /etc/subuid)
        ng=$(_subid_count /etc/subgid)
        if setuid_mode; then
            su=$(id -u) sg=$(id -g)
            ru=$(_subid_start /etc/subuid) rg=$(_subid_start /etc/subgid)
        fi
        assert_status 0 oexec -f "$ROOTFS" cat /proc/self/uid_map
        expected="0 $su 1${nu:+
1 $ru $nu}"
            assert_eq "$expected" "$(printf '%s\n' "$OUT" | awk '{ print $1, $2, $3 }')" "--fakeroot uid_map"
        assert_status 0 oexec -f "$ROOTFS" cat /proc/self/gid_map
        expected="0 $sg 1${ng:+
1 $rg $ng}"
            assert_eq "$expected" "$(printf '%s\n' "$OUT" | awk '{ print $1, $2, $3 }')" "--fakeroot gid_map"
    fi
    assert_nothing_left
}

# The image is unpacked into the caller's cache, so (fake) root owns it
# and may write to its root-owned directories.
test_rt_fakeroot_writes_image_etc() {
    need_images
    assert_status 0 oexec -f "oci:$IMAGES/busybox-oci:latest" /bin/sh -c \
        'echo fake >/etc/ochre-fakeroot && cat /etc/ochre-fakeroot && stat -c %u /etc/ochre-fakeroot && echo x >>/etc/passwd && echo appended'
    assert_eq "fake
0
appended" "$OUT" "--fakeroot: writing to the image's /etc"
    assert_nothing_left
}

# --no-setgroups keeps the caller's supplementary groups (crun only: runc
# always sets the groups, so it is refused there).
test_rt_no_setgroups() {
    if [ "$OCHRE_RUNTIME" = runc ]; then
        assert_error "--no-setgroups" oexec --no-setgroups "$ROOTFS" true
        assert_nothing_left
        return
    fi
    if is_root; then
        # Give root a supplementary group to keep.
        assert_status 0 setpriv --groups=0,4242 "$OCHRE" exec --runtime "$OCHRE_RUNTIME" --no-setgroups "$ROOTFS" \
            grep '^Groups:' /proc/self/status
        assert_eq "0 4242" "$(printf '%s\n' "$OUT" | sed 's/^Groups:[[:space:]]*//' | tr -s ' \t' '\n' | sort -n | xargs)" \
            "--no-setgroups: root's groups"
        assert_nothing_left
        return
    fi
    local host n_host n_cont
    host=$(sed -n 's/^Groups:[[:space:]]*//p' /proc/self/status)
    n_host=$(printf '%s\n' "$host" | wc -w)
    [ "$n_host" -ge 2 ] || skip "the test user has no supplementary group (tests/run.sh adds one)"
    assert_status 0 oexec --no-setgroups "$ROOTFS" grep '^Groups:' /proc/self/status
    n_cont=$(printf '%s\n' "$OUT" | sed 's/^Groups:[[:space:]]*//' | wc -w)
    assert_eq "$n_host" "$n_cont" "--no-setgroups: the caller's $n_host groups ($host) must stay (got: $OUT)"
    # Word by word: the kernel lists groups in host order, so the primary
    # group may come first, right after the tab.
    assert_contains " $(printf '%s' "$OUT" | tr -s ' \t' '  ') " " $(id -g) " "the primary group is among them"
    assert_nothing_left
}

# Without --no-setgroups a user's supplementary groups are dropped (as in
# SingularityCE's OCI mode, where --no-setgroups exists to keep them): only
# the primary group is left.  (Root keeps its own groups: they exist in its
# id space.)
# Without --no-setgroups, a user's groups go only where the runtime may
# drop them: runc, given the user's subgid range through newgidmap, does;
# crun runs in a user namespace whose setgroups the kernel denies (no
# privileged helper wrote its gid map), so the groups stay, as they do with
# --no-setgroups: never more than the user has on the host. In setuid mode
# the setuid starter writes setgroups 'deny' too ('caller-ids self', or no
# gid ranges: SECURITY.md), so that no one in the namespace can shed a
# group to read a file that group is denied: both runtimes keep them.
test_rt_user_groups_default() {
    if is_root; then
        skip "root keeps its groups"
    fi
    local n_host
    n_host=$(id -G | wc -w)
    [ "$n_host" -ge 2 ] || skip "the test user has no supplementary group (tests/run.sh adds one)"
    assert_status 0 oexec "$ROOTFS" grep '^Groups:' /proc/self/status
    local others
    others=$(printf '%s\n' "$OUT" | sed 's/^Groups:[[:space:]]*//' | tr -s ' \t' '\n' | grep -vx "$(id -g)" | xargs)
    if [ "$OCHRE_RUNTIME" = runc ] && ! setuid_mode; then
        assert_eq "" "$others" "runc drops the supplementary groups (host groups: $(id -G); $OUT)"
    else
        [ -n "$others" ] || fail "the groups should stay (setgroups denied): $OUT"
    fi
    assert_nothing_left
}

# ------------------------------------------------------------ capabilities

test_rt_caps_default() {
    assert_status 0 oexec "$ROOTFS" cat /proc/self/status
    if is_root; then
        _assert_caps CapEff $DEFAULT_CAPS
        _assert_caps CapPrm $DEFAULT_CAPS
    else
        _assert_caps CapEff 0
        _assert_caps CapPrm 0
    fi
    _assert_caps CapBnd $DEFAULT_CAPS
    _assert_caps CapAmb 0
    _assert_no_new_privs
    assert_nothing_left
}

test_rt_caps_fakeroot() {
    assert_status 0 oexec -f "$ROOTFS" cat /proc/self/status
    _assert_caps CapEff $DEFAULT_CAPS
    _assert_caps CapPrm $DEFAULT_CAPS
    _assert_caps CapBnd $DEFAULT_CAPS
    _assert_no_new_privs
    assert_nothing_left
}

test_rt_caps_add() {
    # net_raw is bit 13.
    assert_status 0 oexec --add-caps net_raw "$ROOTFS" cat /proc/self/status
    if is_root; then
        _assert_caps CapEff "$DEFAULT_CAPS | 1 << 13"
    else
        _assert_caps CapEff "1 << 13"
        _assert_caps CapAmb "1 << 13"
    fi
    _assert_caps CapBnd "$DEFAULT_CAPS | 1 << 13"
    _assert_no_new_privs
    # CAP_ spelling and lists.
    assert_status 0 oexec --add-caps CAP_NET_RAW,cap_sys_ptrace "$ROOTFS" cat /proc/self/status
    { _has_cap CapEff 13 && _has_cap CapEff 19; } || fail "--add-caps CAP_NET_RAW,cap_sys_ptrace: $(_status_field CapEff)"
    assert_nothing_left
}

test_rt_caps_drop() {
    # CAP_KILL is bit 5.
    assert_status 0 oexec --drop-caps CAP_KILL "$ROOTFS" cat /proc/self/status
    if is_root; then
        _assert_caps CapEff "$DEFAULT_CAPS & ~(1 << 5)"
    else
        _assert_caps CapEff 0
    fi
    _assert_caps CapBnd "$DEFAULT_CAPS & ~(1 << 5)"
    _assert_no_new_privs
    assert_nothing_left
}

# --keep-privs: root (and the caller's --fakeroot root) keeps every
# capability.  Root without a user namespace cannot exceed its own bounding
# set (some hosts, e.g. inside another container, restrict it), so that is
# the limit there; a new user namespace has all of them.
test_rt_caps_keep_privs() {
    local all
    all=$(_all_caps)
    if is_root; then
        local bnd
        bnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)
        assert_status 0 oexec --keep-privs "$ROOTFS" cat /proc/self/status
        _assert_caps CapEff "$all & 0x$bnd"
        _assert_caps CapBnd "$all & 0x$bnd"
    else
        assert_status 0 oexec -f --keep-privs "$ROOTFS" cat /proc/self/status
        _assert_caps CapEff "$all"
        _assert_caps CapBnd "$all"
    fi
    _assert_no_new_privs
    assert_nothing_left
}

test_rt_caps_no_privs() {
    local set
    assert_status 0 oexec --no-privs "$ROOTFS" /bin/sh -c 'id -u; cat /proc/self/status'
    assert_eq "$(id -u)" "$(printf '%s\n' "$OUT" | head -n 1)"
    for set in CapInh CapPrm CapEff CapBnd CapAmb; do
        _assert_caps "$set" 0
    done
    _assert_no_new_privs
    assert_nothing_left
}

test_caps_unknown_name() {
    assert_error "CAP_BOGUS" oexec --add-caps CAP_BOGUS "$ROOTFS" true
    assert_error "bogus" oexec --drop-caps kill,bogus "$ROOTFS" true
    assert_error "--no-privs" oexec --keep-privs --no-privs "$ROOTFS" true
    assert_nothing_left
}

# ------------------------------------------------------------ --security

test_security_not_enabled_here() {
    if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] || [ -e /sys/fs/selinux/enforce ]; then
        skip "AppArmor or SELinux is enabled on this host"
    fi
    assert_error "not enabled on this host" oexec --security apparmor:ochre-e2e "$ROOTFS" true
    assert_contains "$ERR" "AppArmor"
    assert_error "not enabled on this host" oexec --security selinux:system_u:system_r:ochre_t:s0 "$ROOTFS" true
    assert_contains "$ERR" "SELinux"
    assert_nothing_left
}

test_security_bad_values() {
    assert_error "bogus" oexec --security bogus:x "$ROOTFS" true
    assert_error "apparmor" oexec --security apparmor "$ROOTFS" true
    assert_nothing_left
}

# ------------------------------------------------------------ namespaces

test_net_none_loopback_only() {
    assert_status 0 oexec --net --network none "$ROOTFS" ls /sys/class/net
    assert_eq lo "$OUT" "/sys/class/net must hold only lo"
    assert_status 0 oexec --net --network none "$ROOTFS" awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' /proc/net/dev
    assert_eq lo "$OUT" "/proc/net/dev must list only lo"
    assert_nothing_left
}

test_network_unsupported() {
    assert_error "bridge" oexec --net --network bridge "$ROOTFS" true
    assert_error "--net" oexec --network none "$ROOTFS" true
    assert_nothing_left
}

test_hostname_uname() {
    assert_status 0 oexec --hostname node-e2e-1 "$ROOTFS" uname -n
    assert_eq node-e2e-1 "$OUT" "--hostname: uname -n"
    assert_status 0 oexec "$ROOTFS" uname -n
    [ -n "$OUT" ] || fail "no hostname without --hostname"
    assert_nothing_left
}

# Without a pid namespace of its own the shell is an ordinary process that
# SIGKILL can end: ochre reports it as a shell would, 128 + 9.
test_rt_no_pid_sigkill_status() {
    assert_status 137 oexec --no-pid "$ROOTFS" /bin/sh -c 'kill -KILL $$'
    assert_eq "" "$OUT"
    assert_nothing_left
}
