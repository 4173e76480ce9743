#!/bin/bash
# Runs inside the cgroup v2 guest (tests/vm/run-guest.sh), once, at boot,
# as root from a systemd service: the resource-limit cases, as root, as a
# user from a bare `su -l` login (a root-owned session scope), as a user in
# their own systemd session, in setuid mode, from a cgroup not delegated
# to the user (as a batch job's), for a user without a systemd manager,
# and without limits. Writes "PASS NAME" or "FAIL NAME" (with the output
# indented) per case, then "DONE", to the 9p share's results.txt.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
R=/mnt/results
mkdir -p $R
mount -t 9p -o trans=virtio,version=9p2000.L results $R || { echo "cannot mount the results share"; exit 1; }
OUT=$R/results.txt
: >"$OUT"
T=/opt/ochre-vmtest
ROOTFS=$T/rootfs
OCHRE=/opt/ochre/bin/ochre
SUID=/opt/ochre-suid/bin/ochre
U=tester
UID_U=$(id -u $U)
LOG=$(mktemp)

{
    echo "kernel $(uname -r); $(stat -fc %T /sys/fs/cgroup) at /sys/fs/cgroup"
    echo "controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
} >>"$OUT"

# case NAME CMD...: CMD's output and status go to the log; it passes if CMD
# succeeds.
case_() {
    local name=$1
    shift
    if "$@" >"$LOG" 2>&1; then
        echo "PASS $name" >>"$OUT"
    else
        echo "FAIL $name" >>"$OUT"
        sed 's/^/    /' "$LOG" >>"$OUT"
    fi
}

# The command line each way of running ochre gets, as one sh -c string.
as_root() { sh -c "$1"; }
# A bare login: su -l opens a PAM session (pam_systemd: a session scope
# owned by root, under user-UID.slice).
as_su() { su -l "$U" -c "$1"; }
# The user's own session: a unit of their systemd manager (lingering).
as_session() {
    runuser -u "$U" -- env XDG_RUNTIME_DIR="/run/user/$UID_U" \
        systemd-run --user --wait --pipe --quiet -- sh -c "$1"
}

# visible WAY OCHRE [FLAGS]: the limits in the container's /sys/fs/cgroup.
visible() {
    local out
    out=$($1 "$2 exec ${3:-} --memory 64M --pids-limit 20 --cpus 0.5 $ROOTFS \
        cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max /proc/self/cgroup") || {
        echo "$out"
        return 1
    }
    echo "$out"
    [ "$out" = "67108864
20
50000 100000
0::/" ]
}
# memory WAY OCHRE: past the limit, killed; below it, fine.
memory() {
    local rc=0
    $1 "$2 exec ${3:-} --memory 32M --memory-swap 32M $ROOTFS dd if=/dev/zero of=/dev/null bs=64M count=1" || rc=$?
    echo "over the limit: status $rc"
    [ "$rc" = 137 ] || return 1
    $1 "$2 exec ${3:-} --memory 64M --memory-swap 64M $ROOTFS dd if=/dev/zero of=/dev/null bs=8M count=1"
}
# pids WAY OCHRE: a bounded fork bomb stops at the limit.
pids() {
    local out rc=0
    out=$($1 "timeout 120 $2 exec ${3:-} --pids-limit 10 $ROOTFS sh -c \
        'i=0; while [ \$i -lt 40 ]; do sleep 30 & i=\$((i+1)); done; echo all forked' 2>&1") || rc=$?
    echo "status $rc: $out"
    [ "$rc" != 0 ] && [ "$rc" != 124 ] && ! grep -q "all forked" <<<"$out" && grep -q "can't fork" <<<"$out"
}
# unchanged WAY OCHRE: no limit flag, the caller's cgroup.
unchanged() {
    local out
    out=$($1 "cat /proc/self/cgroup; $2 exec $ROOTFS cat /proc/self/cgroup") || return 1
    echo "$out"
    [ "$(sed -n 1p <<<"$out")" = "$(sed -n 2p <<<"$out")" ]
}
# leftovers: no container cgroup stays behind (root's under /ochre, the
# user's beside systemd's own units in user@UID.service).
leftovers() {
    local left
    left=$(find /sys/fs/cgroup/ochre "/sys/fs/cgroup/user.slice/user-$UID_U.slice/user@$UID_U.service" \
        -mindepth 1 -maxdepth 1 -type d ! -name '*.slice' ! -name '*.scope' ! -name '*.service' 2>/dev/null)
    echo "$left"
    [ -z "$left" ]
}

case_ root_limits_visible visible as_root $OCHRE
case_ root_memory_enforced memory as_root $OCHRE
case_ root_pids_enforced pids as_root $OCHRE
case_ root_no_limits_unchanged unchanged as_root $OCHRE

case_ su_login_limits_visible visible as_su $OCHRE
case_ su_login_memory_enforced memory as_su $OCHRE
case_ su_login_pids_enforced pids as_su $OCHRE
case_ su_login_no_limits_unchanged unchanged as_su $OCHRE
# How: ochre ran itself again in a scope of the user's manager (--debug
# shows the command), and the container's cgroup was under user@UID.service.
through_user_scope() {
    local out
    out=$($1 "$2 --debug exec --pids-limit 10 $ROOTFS true 2>&1")
    echo "$out"
    grep -q "user scope command: .*systemd-run --user --scope" <<<"$out" &&
        grep -q "resource limits: under /user.slice/user-$UID_U.slice/user@$UID_U.service," <<<"$out"
}
case_ su_login_through_user_scope through_user_scope as_su $OCHRE

loginctl enable-linger "$U"
i=0
while [ ! -S "/run/user/$UID_U/bus" ] && [ $i -lt 300 ]; do
    sleep 0.2
    i=$((i + 1))
done
case_ session_limits_visible visible as_session $OCHRE
case_ session_memory_enforced memory as_session $OCHRE
case_ session_pids_enforced pids as_session $OCHRE
case_ session_no_limits_unchanged unchanged as_session $OCHRE

# Setuid mode: limits need the user namespace mode (--userns).
setuid_needs_userns() {
    local out rc=0
    out=$(as_su "$SUID exec --pids-limit 10 $ROOTFS true" 2>&1) || rc=$?
    echo "status $rc: $out"
    [ "$rc" = 255 ] && grep -q "add --userns" <<<"$out"
}
case_ setuid_without_userns_clear_error setuid_needs_userns
case_ setuid_userns_limits_visible visible as_su $SUID --userns
case_ setuid_userns_pids_enforced pids as_su $SUID --userns

# A cgroup that is not the user's (as a batch job's): one clear error.
batch_job() {
    local out rc=0 cg=/sys/fs/cgroup/batch.slice/job_1
    mkdir -p $cg
    # shellcheck disable=SC2016 # expands in the inner shell
    out=$(sh -c 'echo $$ >'$cg'/cgroup.procs; exec setpriv --reuid='"$U"' --regid='"$U"' --init-groups \
        '"$OCHRE"' exec --pids-limit 10 '"$ROOTFS"' true' 2>&1) || rc=$?
    rmdir $cg /sys/fs/cgroup/batch.slice
    echo "status $rc: $out"
    [ "$rc" = 255 ] && [ "$(wc -l <<<"$out")" = 1 ] && grep -q "is not yours to divide" <<<"$out"
}
case_ batch_job_clear_error batch_job

# A login session of a user whose systemd manager is not running (no
# lingering, no bus): one clear error, no attempt to reach a bus.
no_user_manager() {
    local out rc=0 cg
    id nomgr >/dev/null 2>&1 || useradd -u 1001 nomgr
    cg=/sys/fs/cgroup/user.slice/user-1001.slice/session-fake.scope
    mkdir -p $cg
    # shellcheck disable=SC2016 # expands in the inner shell
    out=$(sh -c 'echo $$ >'$cg'/cgroup.procs; exec setpriv --reuid=nomgr --regid=nomgr --init-groups \
        env -u XDG_RUNTIME_DIR '"$OCHRE"' exec --pids-limit 10 '"$ROOTFS"' true' 2>&1) || rc=$?
    rmdir $cg "${cg%/*}"
    echo "status $rc: $out"
    [ "$rc" = 255 ] && [ "$(wc -l <<<"$out")" = 1 ] && grep -q "systemd user manager.* is not running" <<<"$out"
}
case_ no_user_manager_clear_error no_user_manager
case_ no_cgroup_left_behind leftovers

echo DONE >>"$OUT"
sync
umount $R
