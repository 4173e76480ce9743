# shellcheck shell=bash
# Signals: a container killed by signal N makes ochre exit 128+N, and
# signals sent to ochre reach the container's process.

# Wait until our container's long sleep (see SLEEP_SECS in lib.sh) runs and
# print its host pid.
_container_sleep_pid() {
    wait_until 20 container_sleeping || fail "container process did not start within 20 s"
    sleep_pids | head -n 1
}

test_rt_killed_by_signal() {
    # Started directly (not via the oexec function) so that $! is ochre.
    "${OEXEC[@]}" "$ROOTFS" sleep "$SLEEP_SECS" >"$TESTTMP/out" 2>&1 &
    local pid=$! cpid rc=0
    track "$pid"
    cpid=$(_container_sleep_pid)
    kill -KILL "$cpid"
    wait "$pid" 2>/dev/null || rc=$?  # 2>: no "Killed" notice
    assert_eq 137 "$rc" "exit status of a container killed by SIGKILL ($(cat "$TESTTMP/out"))"
    assert_nothing_left
}

# Send SIG to ochre; the container traps it, reports it and exits 42.
_check_forwarded() {
    local sig=$1 pid rc=0
    # The background job of a non-interactive shell starts with SIGINT
    # ignored; ochre resets dispositions before running the runtime, so the
    # container can still trap INT.
    "${OEXEC[@]}" "$ROOTFS" /bin/sh -c \
        "trap 'echo got-$sig; exit 42' $sig; echo ready; while :; do sleep 0.1; done" \
        >"$TESTTMP/out" 2>&1 &
    pid=$!
    track "$pid"
    # Poll rather than sleep a fixed time: the trap is set once "ready" shows.
    wait_until 20 grep -q ready "$TESTTMP/out" ||
        fail "container did not become ready within 20 s: $(cat "$TESTTMP/out")"
    kill -"$sig" "$pid"
    wait "$pid" 2>/dev/null || rc=$?  # 2>: no "Killed" notice
    assert_eq 42 "$rc" "exit status after SIG$sig ($(cat "$TESTTMP/out"))"
    assert_contains "$(cat "$TESTTMP/out")" "got-$sig" "SIG$sig did not reach the container"
    assert_nothing_left
}

test_rt_forward_sigterm() { _check_forwarded TERM; }
test_rt_forward_sigint() { _check_forwarded INT; }
test_rt_forward_sighup() { _check_forwarded HUP; }
