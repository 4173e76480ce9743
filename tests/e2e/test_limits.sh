# shellcheck shell=bash
# Resource limits (--memory, --pids-limit, --apply-cgroups, ...): root gets
# a cgroup for the container, with the limits visible in the container's
# own read-only /sys/fs/cgroup and enforced; users on this cgroup v1/v2
# hybrid host get one clear error instead (never a run without the limits);
# without a limit flag nothing changes, no cgroup is made. The cgroup v2
# paths (users with a delegated cgroup, systemd) need the tests/vm guest.

# The host is pure cgroup v2: a user's limits may then work (delegation).
_host_is_v2() { [ -r /sys/fs/cgroup/cgroup.controllers ]; }

_need_v1_root() {
    is_root || fail "root only"
    [ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/pids ] || skip "no cgroup v1 memory and pids hierarchies"
}

test_limits_rt_visible_in_the_container() {
    if ! is_root; then
        _host_is_v2 && skip "pure cgroup v2: users' limits are the tests/vm guest's"
        assert_error "resource limits cannot be applied here" oexec --memory 32M "$ROOTFS" true
        assert_contains "$ERR" "cgroup v1"
        return
    fi
    _need_v1_root
    assert_status 0 oexec --memory 32M --pids-limit 20 --cpus 0.5 "$ROOTFS" sh -c \
        'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max \
             /sys/fs/cgroup/cpu/cpu.cfs_quota_us; grep " /sys/fs/cgroup/memory " /proc/self/mountinfo'
    assert_eq "33554432
20
50000" "$(head -n 3 <<<"$OUT")" "memory, pids and cpu limits in the container"
    # Its own cgroup namespace: its cgroup is its root; read-only.
    assert_contains "$(tail -n 1 <<<"$OUT")" " / /sys/fs/cgroup/memory ro," "read-only, at the cgroup's root"
}

test_limits_rt_memory_enforced_rootonly() {
    _need_v1_root
    # dd's 64M buffer is touched as it reads: past a 32M limit (and no swap
    # on top), the kernel kills it.
    assert_status 137 oexec --memory 32M --memory-swap 32M "$ROOTFS" dd if=/dev/zero of=/dev/null bs=64M count=1
    assert_status 0 oexec --memory 64M --memory-swap 64M "$ROOTFS" dd if=/dev/zero of=/dev/null bs=8M count=1
}

test_limits_rt_pids_stop_a_fork_loop_rootonly() {
    _need_v1_root
    # A bounded "fork bomb": 40 sleepers against a limit of 10.
    run timeout 60 "$OCHRE" exec --runtime "$OCHRE_RUNTIME" --pids-limit 10 "$ROOTFS" sh -c \
        'i=0; while [ $i -lt 40 ]; do sleep 30 & i=$((i+1)); done; echo all forked'
    [ "$STATUS" != 0 ] && [ "$STATUS" != 124 ] || fail "status $STATUS: the fork loop was not stopped ($OUT)"
    assert_not_contains "$OUT" "all forked"
    assert_contains "$ERR" "can't fork"
}

test_limits_apply_cgroups_file_with_flags_over_it_rootonly() {
    _need_v1_root
    printf '[memory]\n    limit = 50331648\n[pids]\n    limit = 30\n' >"$TESTTMP/cg.toml"
    assert_status 0 oexec --apply-cgroups "$TESTTMP/cg.toml" --pids-limit 25 "$ROOTFS" \
        cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max
    assert_eq "50331648
25" "$OUT" "the file's memory limit, the flag's pids limit"
}

# Without a limit flag: no cgroup of its own, no cgroup namespace: the
# container's /proc/self/cgroup is its caller's (in a batch job, the job's).
test_limits_none_no_cgroup_made() {
    cd "$TESTTMP" || fail "cd"
    local mine
    mine=$(cat /proc/self/cgroup)
    assert_status 0 oexec "$ROOTFS" cat /proc/self/cgroup
    assert_eq "$mine" "$OUT" "the container's cgroups are the caller's"
    # A --pids-limit of 0 (SingularityCE's "not set") is no limit either.
    assert_status 0 oexec --pids-limit 0 "$ROOTFS" cat /proc/self/cgroup
    assert_eq "$mine" "$OUT" "--pids-limit 0: still the caller's cgroups"
}

test_limits_bad_values_refused() {
    assert_error "--memory lots: a size" oexec --memory lots "$ROOTFS" true
    assert_error "--cpus 0: a number of CPUs" oexec --cpus 0 "$ROOTFS" true
    assert_error "--blkio-weight 5" oexec --blkio-weight 5 "$ROOTFS" true
    assert_error "below --memory" oexec --memory 64M --memory-swap 32M "$ROOTFS" true
    printf '[memory]\nlimt = 1\n' >"$TESTTMP/bad.toml"
    assert_error "bad.toml line 2: unknown key 'limt' in [memory]" oexec --apply-cgroups "$TESTTMP/bad.toml" \
        "$ROOTFS" true
    assert_error "--apply-cgroups" oexec --apply-cgroups "$TESTTMP/missing.toml" "$ROOTFS" true
}

test_limits_admin_policy_rootonly() {
    need_config_override
    local conf=$TESTTMP/ochre.conf
    printf 'allow user limits = no\n' >"$conf"
    chmod 644 "$conf"
    cd "$TESTTMP" || fail "cd"
    assert_error "'allow user limits = no'" as_user "$OCHRE" -c "$conf" exec --memory 32M "$ROOTFS" true
    printf 'max memory = 16M\nmax pids = 100\n' >"$conf"
    assert_error "'max memory'" as_user "$OCHRE" -c "$conf" exec --memory 32M "$ROOTFS" true
    assert_error "'max pids'" as_user "$OCHRE" -c "$conf" exec --pids-limit -1 "$ROOTFS" true
    # Root is not capped.
    _need_v1_root
    assert_status 0 "$OCHRE" -c "$conf" exec --memory 32M "$ROOTFS" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
    assert_eq 33554432 "$OUT"
}

test_limits_user_setuid_refused_rootonly() {
    [ -n "$OCHRE_SUID_PREFIX" ] || skip "no setuid install (OCHRE_SUID_PREFIX)"
    _host_is_v2 && skip "pure cgroup v2: the tests/vm guest's"
    cd "$TESTTMP" || fail "cd"
    local suid=$OCHRE_SUID_PREFIX/bin/ochre
    assert_error "resource limits" as_user "$suid" exec --pids-limit 10 "$ROOTFS" true
    assert_error "resource limits cannot be applied here" as_user "$suid" exec --userns --pids-limit 10 "$ROOTFS" true
}
