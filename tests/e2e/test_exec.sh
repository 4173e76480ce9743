# shellcheck shell=bash
# ochre exec: identity, exit codes, stdio, namespaces, the ephemeral root,
# runtime selection, --debug/--quiet.  "_rt_" tests run with crun and runc.

# A listing of the image with what matters for "unchanged": path, type,
# mode, owner, size, mtime.  (ls -la of the top alone would miss deep changes.)
_rootfs_listing() {
    find "$ROOTFS" -printf '%p %y %m %U:%G %s %T@\n' | sort
}

test_rt_exit_code_and_identity() {
    local before after
    before=$(_rootfs_listing)
    # The root is writable (touch), the container runs as the caller, and
    # its exit status becomes ochre's.
    assert_status 7 oexec "$ROOTFS" /bin/sh -c 'touch /x && id -u; exit 7'
    assert_eq "$(id -u)" "$OUT" "container uid differs from the caller's"
    assert_status 0 oexec "$ROOTFS" /bin/sh -c 'id -g'
    assert_eq "$(id -g)" "$OUT" "container gid differs from the caller's"
    # The image is a read-only lower layer: nothing written reaches it.
    [ ! -e "$ROOTFS/x" ] || fail "/x written in the container appeared in the image"
    after=$(_rootfs_listing)
    assert_eq "$before" "$after" "the image changed during the run"
    assert_nothing_left
}

test_rt_exit_codes_pass_through() {
    local code
    for code in 0 1 2 42 126 127 254 255; do
        assert_status "$code" oexec "$ROOTFS" /bin/sh -c "exit $code"
    done
    assert_status 1 oexec "$ROOTFS" false
    assert_nothing_left
}

test_rt_stdio() {
    local out
    # stdin reaches the container.
    out=$(echo hi | oexec "$ROOTFS" cat)
    assert_eq hi "$out" "stdin was not passed through"
    # stdout and stderr stay separate.
    assert_status 0 oexec "$ROOTFS" /bin/sh -c 'echo to-out; echo to-err >&2'
    assert_eq to-out "$OUT" "stdout"
    assert_contains "$ERR" to-err "container stderr missing from stderr"
    assert_not_contains "$ERR" to-out "container stdout leaked to stderr"
    # Binary-safe and not line-buffered into oblivion: a larger stream.
    out=$(seq 1 20000 | oexec "$ROOTFS" wc -l)
    assert_eq 20000 "$(echo "$out" | tr -d ' ')" "large stdin stream"
    assert_nothing_left
}

test_rt_pid_namespace() {
    # The container's first process is pid 1 of a new pid namespace.
    assert_status 0 oexec "$ROOTFS" /bin/sh -c 'echo $$'
    assert_eq 1 "$OUT" "container shell is not pid 1"
    assert_nothing_left
}

test_rt_proc_sys_dev() {
    # /proc is a working procfs for the container's pid namespace.
    assert_status 0 oexec "$ROOTFS" cat /proc/self/status
    assert_contains "$OUT" "Name:" "/proc/self/status"
    # /sys has content.
    assert_status 0 oexec "$ROOTFS" ls /sys/kernel
    [ -n "$OUT" ] || fail "/sys/kernel is empty in the container"
    # /dev is a fresh tmpfs with the standard devices only.
    # shellcheck disable=SC2016 # awk's $2, not the shell's
    assert_status 0 oexec "$ROOTFS" awk '$2 == "/dev" { print $3 }' /proc/self/mounts
    assert_eq tmpfs "$OUT" "/dev is not a tmpfs"
    assert_status 0 oexec "$ROOTFS" /bin/sh -c \
        '[ -c /dev/null ] && echo x >/dev/null && [ ! -s /dev/null ] && head -c 4 /dev/zero | wc -c'
    assert_eq 4 "$(echo "$OUT" | tr -d ' ')" "/dev/null or /dev/zero unusable"
    # A device that exists on the host but is no standard container device
    # must not show through.
    local dev
    for dev in /dev/vda /dev/sda /dev/nvme0n1 /dev/xvda /dev/kmsg /dev/loop0 /dev/mem; do
        [ -e "$dev" ] || continue
        assert_status 1 oexec "$ROOTFS" test -e "$dev"
    done
    assert_nothing_left
}

test_rt_ephemeral_root() {
    # Writes succeed in the root dir (the tmpfs upper is the caller's) and
    # are gone in the next run; nothing reaches the image.
    assert_status 0 oexec "$ROOTFS" /bin/sh -c 'echo data >/ochre-persist && cat /ochre-persist'
    assert_eq data "$OUT" "write to the container root"
    assert_status 0 oexec "$ROOTFS" /bin/sh -c '! [ -e /ochre-persist ]'
    [ ! -e "$ROOTFS/ochre-persist" ] || fail "container write leaked to the image"

    # Deeper writes, deletes and appends copy image files up into the upper
    # layer. Kernel overlay can copy up only files whose owner exists in the
    # user namespace: root-owned image files do not for a non-root caller
    # (their writes there fail with EOVERFLOW). Images that ochre extracts
    # are the caller's, so use a copy that the caller owns, as such a cache
    # entry would be; root uses the shared image itself.
    local image=$ROOTFS
    if ! is_root; then
        image=$TESTTMP/own-rootfs
        cp -a "$ROOTFS" "$image" || fail "copy the rootfs"
    fi
    local before
    before=$(find "$image" -printf '%p %y %m %U:%G %s %T@\n' | sort)
    assert_status 0 oexec "$image" /bin/sh -c \
        'echo data >/tmp/ochre-persist && rm /bin/true && echo x >>/etc/profile && cat /tmp/ochre-persist'
    assert_eq data "$OUT" "write to /tmp, rm in /bin, append in /etc"
    assert_status 0 oexec "$image" /bin/sh -c '! [ -e /tmp/ochre-persist ] && [ -e /bin/true ] && ! [ -e /etc/profile ]'
    assert_eq "$before" "$(find "$image" -printf '%p %y %m %U:%G %s %T@\n' | sort)" \
        "the image changed during the runs"
    assert_nothing_left
}

test_rt_runtime_selected() {
    # --debug shows the runtime command line; it must be the requested one.
    assert_status 0 "$OCHRE" --debug exec --runtime "$OCHRE_RUNTIME" "$ROOTFS" true
    local line
    line=$(printf '%s\n' "$ERR" | grep -F 'run --bundle' | head -n 1)
    [ -n "$line" ] || fail "no 'run --bundle' line in --debug output"
    assert_contains "$line" "$OCHRE_RUNTIME" "--runtime $OCHRE_RUNTIME not used"
    assert_nothing_left
}

# Without --runtime, the configured search order finds one.
test_default_runtime() {
    assert_status 0 "$OCHRE" exec "$ROOTFS" /bin/sh -c 'echo ok'
    assert_eq ok "$OUT"
    assert_nothing_left
}

test_rt_debug_output() {
    assert_status 0 "$OCHRE" --debug exec --runtime "$OCHRE_RUNTIME" "$ROOTFS" /bin/sh -c 'echo payload'
    assert_eq payload "$OUT" "--debug must not touch the container's stdout"
    assert_contains "$ERR" "ochre: debug: " "no debug lines"
    assert_contains "$ERR" "OCHRE-STARTER-REQUEST 1" "starter request not shown"
    assert_contains "$ERR" "run --bundle" "runtime command line not shown"
    # (fuse-overlayfs where the install says 'overlay = fuse')
    [[ $ERR == *"mount overlay"* || $ERR == *"mount fuse-overlayfs"* ]] || fail "overlay mount not shown"
    assert_contains "$ERR" "mount tmpfs" "tmpfs mount not shown"
    assert_contains "$ERR" "session dir: " "session dir not shown"
    # The session dir is where the contract says, and gone afterwards.
    local sdir
    sdir=$(printf '%s\n' "$ERR" | sed -n 's/^.*session dir: //p' | head -n 1)
    case $sdir in
        "$XDG_RUNTIME_DIR/ochre/"?*) ;;
        *) fail "session dir '$sdir' is not under \$XDG_RUNTIME_DIR/ochre" ;;
    esac
    [ ! -e "$sdir" ] || fail "session dir $sdir still exists"
    # -d is --debug.
    assert_status 0 "$OCHRE" -d exec --runtime "$OCHRE_RUNTIME" "$ROOTFS" true
    assert_contains "$ERR" "ochre: debug: " "-d gives no debug lines"
    assert_nothing_left
}

test_rt_quiet() {
    local opt
    for opt in --quiet -q; do
        assert_status 0 "$OCHRE" "$opt" exec --runtime "$OCHRE_RUNTIME" "$ROOTFS" /bin/sh -c 'echo payload'
        assert_eq payload "$OUT"
        assert_eq "" "$ERR" "$opt: a successful run wrote to stderr"
    done
    assert_nothing_left
}

# Several launches at once as the same user: all succeed, each with its own
# session dir, and nothing is left.
test_rt_concurrent() {
    local i pids=() rc
    for i in 1 2 3 4 5 6; do
        "${OEXEC[@]}" "$ROOTFS" /bin/sh -c "echo run-$i; exit $i" >"$TESTTMP/c$i.out" 2>&1 &
        pids+=($!)
    done
    track "${pids[@]}"
    for i in 1 2 3 4 5 6; do
        rc=0
        wait "${pids[$((i - 1))]}" || rc=$?
        assert_eq "$i" "$rc" "exit status of concurrent run $i ($(cat "$TESTTMP/c$i.out"))"
        assert_contains "$(cat "$TESTTMP/c$i.out")" "run-$i"
    done
    assert_nothing_left
}

# A container started with crun stays in the cgroup ochre was started in:
# on a cluster that is the batch job's, whose limits, accounting and
# cleanup must cover it. Root crun would otherwise make a cgroup of its own
# at the top of each hierarchy, outside the job. A stand-in job cgroup in
# the pids hierarchy (v1, or the unified one on a v2 host); root, the user,
# and the user with a setuid starter each run from inside it.
test_container_stays_in_callers_cgroup_rootonly() {
    # The container's line of /proc/self/cgroup for that hierarchy.
    local hier show
    if [ -d /sys/fs/cgroup/pids ]; then
        hier=/sys/fs/cgroup/pids show='grep -E "^[0-9]+:pids:/" /proc/self/cgroup'
    elif [ -r /sys/fs/cgroup/cgroup.controllers ]; then
        hier=/sys/fs/cgroup show='grep "^0::/" /proc/self/cgroup'
    else
        skip "no pids cgroup hierarchy"
    fi
    local job=ochre-test-job-$$
    mkdir "$hier/$job" || fail "mkdir $hier/$job"
    # Removed once its last process is gone (ochre's cleanup process
    # outlives ochre by a moment).
    at_exit sh -c 'for i in $(seq 100); do rmdir "$1" && exit; sleep 0.1; done' sh "$hier/$job"
    # Run "$@" as a process of the job cgroup (a subshell moved there).
    _in_job() { (echo "$BASHPID" >"$hier/$job/cgroup.procs" && "$@"); }
    _user() { setpriv --reuid="$OCHRE_TEST_USER" --regid="$OCHRE_TEST_USER" --init-groups "$@"; }
    local who
    cd "$TESTTMP" || fail "cd"
    for who in root user user-setuid; do
        case $who in
            root) assert_status 0 _in_job "$OCHRE" exec --runtime crun "$ROOTFS" sh -c "$show" ;;
            user) assert_status 0 _in_job _user "$OCHRE" exec --runtime crun "$ROOTFS" sh -c "$show" ;;
            user-setuid)
                [ -n "$OCHRE_SUID_PREFIX" ] || continue
                assert_status 0 _in_job _user "$OCHRE_SUID_PREFIX/bin/ochre" exec --runtime crun "$ROOTFS" \
                    sh -c "$show" ;;
        esac
        assert_eq "/$job" "${OUT##*:}" "$who: the container's cgroup"
    done
}

# crun guards against CVE-2019-5736 (a container writing to the runtime's
# binary through /proc/PID/exe) by running only from a binary that cannot
# be written; from anything else it bind-mounts itself read-only and execs
# itself again. The starter execs it from a read-only clone of its mount,
# so crun starts once, and its binary still cannot be written through it.
test_crun_execs_once_from_a_readonly_binary() {
    assert_status 0 "$OCHRE" --debug exec --runtime crun "$ROOTFS" true
    assert_contains "$ERR" "[starter] clone the mount of" "the starter's read-only clone of crun"
    assert_not_contains "$ERR" "exec by path" "the clone failed"
    # Not runc: it would bind-mount /proc/self/exe, which a detached mount
    # cannot be, and copy itself into memory instead.
    if command -v runc >/dev/null; then
        assert_status 0 "$OCHRE" --debug exec --runtime runc "$ROOTFS" true
        assert_not_contains "$ERR" "[starter] clone the mount of" "runc from a read-only clone"
    fi
    # The execs of the launch's process tree: only the driver's pid may
    # exec twice (ochre, then the starter); crun copying itself would be
    # a second exec in crun's. (A traced setuid starter would run without
    # its privilege: not there. The args of a process in the starter's
    # user namespace are not readable, hence pids, not names.)
    if ! setuid_mode; then
        strace -f -qq -e trace=execve,execveat -e signal=none -o "$TESTTMP/execs" \
            "$OCHRE" exec --runtime crun "$ROOTFS" true || fail "traced launch failed"
        local driver twice
        driver=$(awk 'NR == 1 { print $1 }' "$TESTTMP/execs")
        twice=$(awk -v d="$driver" '/exec(ve|veat)\(.*= 0$/ { n[$1]++ } END { for (p in n) if (n[p] > 1 && p != d) print p }' "$TESTTMP/execs")
        assert_eq "" "$twice" "a process of the launch exec'd twice: $(cut -c1-100 "$TESTTMP/execs")"
        [ "$(grep -cE 'exec(ve|veat)\(.*= 0$' "$TESTTMP/execs")" -ge 4 ] ||
            fail "not even ochre, the starter, crun and true exec'd: $(cut -c1-100 "$TESTTMP/execs")"
    fi
    # CVE-2019-5736's way in: an fd on the running crun's binary, reopened
    # for writing once crun has exited (before, the kernel says ETXTBSY).
    # The binary is on a read-only mount: EROFS. (Root only: a user may not
    # look into the runtime's process, which is not dumpable.)
    "$OCHRE" exec --runtime crun "$ROOTFS" sleep "$SLEEP_SECS" >/dev/null 2>&1 &
    local ochre_pid=$!
    track "$ochre_pid"
    wait_until 20 container_sleeping || fail "container process did not start within 20 s"
    local cpid rt_pid how fd
    cpid=$(sleep_pids | head -n 1)
    rt_pid=$(ps -o ppid= -p "$cpid" | tr -d ' ')
    assert_eq crun "$(cat "/proc/$rt_pid/comm")" "the container's parent"
    if is_root; then
        exec {fd}<"/proc/$rt_pid/exe" || fail "open /proc/$rt_pid/exe"
        kill -KILL "$cpid"
        wait "$ochre_pid" 2>/dev/null || true
        wait_until 20 test ! -e "/proc/$rt_pid" || fail "crun did not exit"
        how=$(python3 -c 'import errno, os, sys
try:
    os.close(os.open("/proc/self/fd/" + sys.argv[1], os.O_WRONLY))
    print("writable")
except OSError as e:
    print(errno.errorcode[e.errno])' "$fd")
        exec {fd}<&-
        assert_eq EROFS "$how" "reopening crun's binary for writing after it exited"
    fi
    kill -KILL "$cpid" 2>/dev/null || true # pid 1 of its namespace: TERM would not do
    assert_nothing_left
}

# A runtime the kernel cannot run from a close-on-exec fd (a script, here a
# wrapper around crun) is exec'd by its path instead.
test_crun_wrapper_script_runs_by_path() {
    need_config_override
    local crun
    crun=$(command -v crun) || skip "crun not installed"
    printf '#!/bin/sh\nexec %s "$@"\n' "$crun" >"$TESTTMP/crun-wrapper"
    chmod 755 "$TESTTMP/crun-wrapper"
    printf 'crun path = %s\n' "$TESTTMP/crun-wrapper" >"$TESTTMP/wrapper.conf"
    assert_status 0 "$OCHRE" -c "$TESTTMP/wrapper.conf" --debug exec --runtime crun "$ROOTFS" echo ran
    assert_eq ran "$OUT" "the container's output through the wrapper"
    assert_contains "$ERR" "exec through the read-only clone" "the fallback to the path"
    assert_nothing_left
}
