# shellcheck shell=bash
# Attacks on the privilege the setuid-root starter holds and hands on: a
# setuid binary or file capability in the image, ptrace of the starter, an
# install with file capabilities, modes that must drop root, and the
# container's capabilities on the host (SECURITY.md, "Setuid-root install").
# The helpers and the rules every attack case follows are in attack_lib.sh.
# shellcheck source=tests/e2e/attack_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/attack_lib.sh"

# 10. A setuid-root binary in the image does not give the container root:
# the rootfs is nosuid (and host root is not mapped in the container's
# user namespace). Same with a file capability. Protection: MS_NOSUID on
# every mount (mounts.c), the userns map of the caller alone.
test_attack_setuid_binary_in_image_rootonly() {
    _atk_init
    local img=$TESTTMP/suidimg
    cp -a "$ROOTFS" "$img"
    chmod 0755 "$img"
    _rdir "$img/suid"
    cp "$img/bin/busybox" "$img/suid/busybox"
    chown root:root "$img/suid/busybox"
    chmod 4755 "$img/suid/busybox"
    if command -v setcap >/dev/null; then
        _rdir "$img/fcap"
        cp "$img/bin/busybox" "$img/fcap/busybox"
        setcap cap_setuid,cap_dac_override+ep "$img/fcap/busybox" || rm -f "$img/fcap/busybox"
    fi
    cd "$U" || fail "cd $U"
    local -a ox=(_as HOME="$U/home" XDG_RUNTIME_DIR="$U/run" "$OCHRE_SUID_PREFIX/bin/ochre" exec --runtime crun)
    run "${ox[@]}" "$img" /bin/busybox id -u
    assert_eq 0 "$STATUS" "plain busybox: $ERR"
    local plain=$OUT
    assert_eq "$TUID" "$plain" "the container runs as the caller's uid"
    run "${ox[@]}" "$img" /suid/busybox id -u
    assert_eq 0 "$STATUS" "setuid busybox: $ERR"
    assert_eq "$plain" "$OUT" "the setuid-root binary changes nothing"
    run "${ox[@]}" "$img" /suid/busybox grep -E "^(Uid|CapEff):" /proc/self/status
    assert_contains "$OUT" "$(printf 'Uid:\t%s\t%s\t%s\t%s' "$TUID" "$TUID" "$TUID" "$TUID")"
    assert_contains "$OUT" "$(printf 'CapEff:\t0000000000000000')"
    if [ -e "$img/fcap/busybox" ]; then
        run "${ox[@]}" "$img" /fcap/busybox grep -E "^CapEff:" /proc/self/status
        assert_eq "$(printf 'CapEff:\t0000000000000000')" "$OUT" "a file capability is not honoured"
    fi
    run "${ox[@]}" "$img" /bin/busybox cat /proc/self/mountinfo
    assert_eq 0 "$STATUS" "mountinfo: $ERR"
    local opts
    opts=$(mount_field "$OUT" / opts)
    case ,$opts, in *,nosuid,*) ;; *) fail "the container's / is not nosuid: $opts" ;; esac
    case ,$opts, in *,nodev,*) ;; *) fail "the container's / is not nodev: $opts" ;; esac
}

# 11. The caller cannot ptrace the starter or read its memory or
# environment: not while it holds root (blocked reading its request, euid
# 0), nor later while it supervises. Protection: PR_SET_DUMPABLE 0
# (harden_process), with the kernel's own rule for setuid execs and id
# changes. The probe: tests/helpers/ptrace_probe.py.
test_attack_ptrace_starter_rootonly() {
    _atk_init
    command -v python3 >/dev/null || skip "python3 not installed"
    # Control: the probe works on a process of the user's own.
    "${AS[@]}" /usr/bin/sleep 60 &
    local own=$!
    track "$own"
    wait_until 10 grep -q '^Name:.*sleep' "/proc/$own/status" || fail "control sleep did not start"
    run _as python3 "$_ATK_HELPERS/ptrace_probe.py" "$own"
    assert_contains "$OUT" "attach ok" "control: the user can ptrace its own process"
    assert_contains "$OUT" "environ ok"
    kill -KILL "$own"

    # The starter blocked on its request (fd 3 a fifo we hold open): it is
    # setuid root now, before it read anything.
    mkfifo -m 0600 "$TESTTMP/reqfifo"
    exec 7<>"$TESTTMP/reqfifo"
    R_PAYLOAD=/usr/bin/sleep R_ARGS=(sleep 30)
    _mkreq "$TESTTMP/req"
    # (7>&-: the starter must not hold a write end of its own request pipe)
    "${AS[@]}" "$STARTER" 3<"$TESTTMP/reqfifo" 7>&- >"$TESTTMP/st.out" 2>"$TESTTMP/st.err" &
    local st=$!
    track "$st"
    wait_until 10 grep -q "^Name:.*ochre-starter" "/proc/$st/status" || fail "the starter did not start"
    local ids
    ids=$(awk '$1 == "Uid:" { print $2, $3, $4 }' "/proc/$st/status")
    assert_eq "$TUID 0 0" "$ids" "the blocked starter holds root (real, effective, saved uid)"
    run _as python3 "$_ATK_HELPERS/ptrace_probe.py" "$st"
    local probe
    for probe in attach seize; do
        assert_contains "$OUT" "$probe Operation not permitted" "ptrace of the privileged starter"
    done
    for probe in mem environ auxv maps fd; do
        assert_contains "$OUT" "$probe Permission denied" "/proc/PID/$probe of the privileged starter"
    done
    assert_contains "$OUT" "vm_readv Operation not permitted"

    # Now the request; once the payload sleeps, the starter (its parent)
    # has dropped to the caller: still out of reach.
    cat "$TESTTMP/req" >&7
    exec 7>&-
    local child=
    # shellcheck disable=SC2317 # called through wait_until
    # (The payload is the child of the namespace's init, the starter's child.)
    _child() {
        local init
        for init in $(pgrep -P "$st" || true); do
            child=$(pgrep -P "$init" -x sleep || true)
            [ -z "$child" ] || return 0
        done
        return 1
    }
    wait_until 20 _child || fail "the payload did not start: $(cat "$TESTTMP/st.err")"
    ids=$(awk '$1 == "Uid:" { print $2, $3, $4 }' "/proc/$st/status")
    assert_eq "$TUID $TUID $TUID" "$ids" "the supervising starter dropped to the caller"
    run _as python3 "$_ATK_HELPERS/ptrace_probe.py" "$st"
    assert_contains "$OUT" "attach Operation not permitted" "ptrace of the supervising starter"
    assert_contains "$OUT" "mem Permission denied"
    assert_contains "$OUT" "environ Permission denied"
    kill -KILL "$st" 2>/dev/null || true
    wait "$st" 2>/dev/null || true
}

# A starter given file capabilities instead of the setuid bit is refused
# before it reads anything (this version supports setuid root only: fail
# closed). Protection: privilege_setuid_mode (AT_SECURE, euid not 0).
test_attack_file_capability_install_refused_rootonly() {
    _atk_init
    command -v setcap >/dev/null || skip "setcap not installed (Debian package libcap2-bin)"
    local d=$TESTTMP/fcap
    _rdir "$d"
    cp "$STARTER" "$d/ochre-starter"
    chmod 0755 "$d/ochre-starter"
    setcap cap_sys_admin,cap_setuid,cap_setgid+ep "$d/ochre-starter"
    _mkreq "$TESTTMP/req"
    run _as "$d/ochre-starter" 3<"$TESTTMP/req"
    STARTER=$d/ochre-starter _assert_refused "supports a setuid-root install only" "a file-capability install"
}

# Enter mode and 'userns yes' drop root before anything else: the payload
# runs as the caller, with no capability, in the initial user namespace's
# view of ids. Protection: main() privilege_drop_for_good before
# enter_and_exec / the rootless path.
test_attack_enter_mode_drops_rootonly() {
    _atk_init
    R_MODE=enter R_SESSION='' R_LOWERS=() R_TMPFS=
    R_ARGS=(cat /proc/self/status)
    _try
    assert_eq 0 "$STATUS" "enter mode: $ERR"
    assert_contains "$OUT" "$(printf 'Uid:\t%s\t%s\t%s\t%s' "$TUID" "$TUID" "$TUID" "$TUID")" "enter mode ids"
    assert_contains "$OUT" "$(printf 'CapEff:\t0000000000000000')"
    assert_contains "$OUT" "$(printf 'CapPrm:\t0000000000000000')"
    # userns yes: the rootless path (the caller maps itself, no setuid
    # mounts) even from the setuid binary.
    _req_defaults
    R_EXTRA=("userns yes" "log-level debug")
    _try
    _assert_ran IMAGE-OK "userns yes"
    assert_contains "$ERR" "drop privileges for good"
    assert_contains "$ERR" "userxattr" "the overlay was mounted in the caller's user namespace"
}

# Positive end to end: `ochre exec` through the setuid install works for
# the user, and the container's process, seen from the host, runs as the
# caller with no capability in the host's user namespace.
test_attack_exec_setuid_no_host_caps_rootonly() {
    _atk_init
    cd "$U" || fail "cd $U"
    local secs=$((1000000 + $$))
    "${AS[@]}" HOME="$U/home" XDG_RUNTIME_DIR="$U/run" "$OCHRE_SUID_PREFIX/bin/ochre" exec --runtime crun \
        "$ROOTFS" sleep "$secs" >"$TESTTMP/x.out" 2>"$TESTTMP/x.err" &
    local driver=$!
    track "$driver"
    local pid=
    # shellcheck disable=SC2317 # called through wait_until
    _found() { pid=$(pgrep -u "$TUID" -f "^sleep $secs\$" | head -n 1); [ -n "$pid" ]; }
    wait_until 20 _found || fail "the container did not start: $(cat "$TESTTMP/x.err")"
    local st
    st=$(cat "/proc/$pid/status")
    assert_contains "$st" "$(printf 'Uid:\t%s\t%s\t%s\t%s' "$TUID" "$TUID" "$TUID" "$TUID")" "host view of its uids"
    assert_contains "$st" "$(printf 'CapEff:\t0000000000000000')"
    assert_contains "$st" "$(printf 'CapPrm:\t0000000000000000')"
    assert_contains "$st" "$(printf 'CapAmb:\t0000000000000000')"
    [ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/1/ns/user)" ] ||
        fail "the container runs in the host's user namespace"
    # Whatever it holds in its own namespaces: root of the host is mapped
    # nowhere in them.
    [ -z "$(awk '$2 <= 0 && $2 + $3 > 0' "/proc/$pid/uid_map")" ] || fail "host uid 0 is mapped: $(cat "/proc/$pid/uid_map")"
    # (sleep is the container's pid 1: it ignores SIGTERM)
    kill -KILL "$pid"
    wait "$driver" 2>/dev/null || true
}
