# shellcheck shell=bash
# Nothing left behind — no session dir, mount or process — however a launch
# ends: success, failure inside the runtime, or ochre killed with SIGKILL.

test_rt_nothing_left_after_success() {
    assert_status 0 oexec "$ROOTFS" true
    assert_nothing_left
}

# When ochre returns, its session dir is gone under its own name: the
# cleanup process renames it (.removing-NAME) before the starter exits and
# removes the tree afterwards, off the launch's critical path.
test_rt_session_gone_by_name_on_return() {
    local left
    assert_status 0 oexec "$ROOTFS" true
    left=$(find "$(session_root)" -mindepth 1 -maxdepth 1 ! -name oci ! -name '.removing-*')
    assert_eq "" "$left" "a session dir still had its name when ochre returned"
    assert_nothing_left
}

# A retired session dir whose cleanup process was killed mid-removal (a
# batch system ends a job step by killing what is left in it) is swept by
# a later launch once it is a minute old; a fresh one, still being removed
# by its own cleanup process, is left alone.
test_rt_stale_retired_session_swept() {
    local root
    root=$(session_root)
    # shellcheck disable=SC2174 # only ochre/ is new: XDG_RUNTIME_DIR exists
    mkdir -p -m 0700 "$root"
    mkdir -p "$root/.removing-stale/rootfs/var" "$root/.removing-fresh/rootfs"
    : >"$root/.removing-stale/config.json"
    touch -d '-2 minutes' "$root/.removing-stale"
    assert_status 0 oexec "$ROOTFS" true
    stale() { [ ! -e "$root/.removing-stale" ]; }
    wait_until 20 stale || fail "a stale retired session dir was not swept: $(ls -a "$root")"
    [ -d "$root/.removing-fresh" ] || fail "a fresh retired session dir was swept"
    rm -rf "$root/.removing-fresh"
    assert_nothing_left
}

# The command does not exist in the image: the failure comes from the
# runtime, after the session dir was created and the overlay mounted.  The
# exact status is the runtime's business; it must be non-zero.
test_rt_nothing_left_after_runtime_error() {
    run oexec "$ROOTFS" /nonexistent-cmd
    [ "$STATUS" != 0 ] || fail "running a missing command succeeded"
    assert_nothing_left
}

# Errors the driver detects before launching leave nothing either.
test_nothing_left_after_driver_error() {
    run "$OCHRE" exec /nope true
    assert_eq 255 "$STATUS"
    run "$OCHRE" exec --runtime bogus "$ROOTFS" true
    assert_eq 255 "$STATUS"
    assert_nothing_left
}

# SIGKILL cannot be caught, so no cleanup code in ochre runs: what is left
# must go away by construction (private mount namespace, children dying
# with their parent, session dir removed by a process that outlives ochre).
_kill9() {
    local when=$1 pid rc=0
    "${OEXEC[@]}" "$ROOTFS" sleep "$SLEEP_SECS" >"$TESTTMP/out" 2>&1 &
    pid=$!
    track "$pid"
    case $when in
        early) # as soon as the session dir exists (the launch is under way)
            wait_until 20 session_dir_exists ||
                fail "no session dir appeared within 20 s: $(cat "$TESTTMP/out")"
            ;;
        running) # once the container's payload runs
            wait_until 20 container_sleeping ||
                fail "container did not start within 20 s: $(cat "$TESTTMP/out")"
            ;;
    esac
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || rc=$?  # 2>: no "Killed" notice
    assert_eq 137 "$rc" "ochre did not die by SIGKILL"
    assert_nothing_left
}

# SIGKILL at every system call the driver makes, one launch per call,
# from its first to its exec of the starter: strace kills it on entry to
# the Kth call of that name. Nothing may be left whichever call it was;
# in particular the session dir never exists without the process that
# removes it.
test_nothing_left_after_kill9_at_each_driver_syscall() {
    command -v strace >/dev/null || skip "strace is not installed"
    local trace=$TESTTMP/trace names i=0 name k
    # (Under strace a setuid starter runs without its privilege and refuses
    # to go on; the driver's calls up to its exec are all that count.)
    strace -o "$trace" "$OCHRE" exec "$ROOTFS" true 2>"$TESTTMP/traced.err" || setuid_mode ||
        fail "traced launch failed: $(tail -n 3 "$trace")"
    # The calls up to the starter's exec (the second execve; the first is
    # the driver's own), one name per line.
    names=$(sed -n 's/^\([a-z_0-9]*\)(.*/\1/p' "$trace" | awk '{ print } $0 == "execve" && ++n == 2 { exit }')
    [ "$(tail -n 1 <<<"$names")" = execve ] || fail "no exec of the starter in: $(tail -n 5 "$trace")"
    declare -A seen=()
    while IFS= read -r name; do
        i=$((i + 1))
        # The first line is the driver's own execve, which strace makes and
        # does not count.
        [ "$i" -gt 1 ] || continue
        k=$((${seen[$name]:-0} + 1))
        seen[$name]=$k
        # (Through sh, so that the "Killed" notice goes to $ERR.)
        run sh -c '"$@"; exit $?' sh strace -o /dev/null -e trace="$name" \
            -e inject="$name:signal=SIGKILL:when=$k" "$OCHRE" exec "$ROOTFS" true
        assert_eq 137 "$STATUS" "killed at call $i ($name #$k): $ERR"
        wait_until 20 _nothing_left || fail "killed at call $i ($name #$k): something was left behind: " \
            "$(ls -a "$(session_root)" 2>/dev/null | tr '\n' ' ')"
    done <<<"$names"
    [ "$i" -gt 50 ] || fail "only $i calls traced"
}

test_rt_nothing_left_after_kill9_early() { _kill9 early; }
test_rt_nothing_left_after_kill9_running() { _kill9 running; }
