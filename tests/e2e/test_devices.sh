# shellcheck shell=bash
# Commands for the container's shell are single-quoted on purpose:
# shellcheck disable=SC2016
# Devices (issue 21): binds of device nodes and of /dev directories (usable,
# no more than the host allows), the flags of every other bind, CDI
# --device specs (JSON and YAML: env, device nodes, mounts, hooks; bad specs,
# unknown devices, setuid-mode trust), --nv on a host without an NVIDIA
# driver, --no-compat's /dev and the config's device directives.
#
# /dev/fuse is 0600 on a fresh host (another test may have opened it up):
# these tests use only nodes whose mode they check first, and change none.

# `opens DEV`: the container command that opens DEV for reading (no read)
# and prints "open DEV: ok" or "open DEV: denied".
opens() { echo "if dd if=$1 of=/dev/null bs=1 count=0 2>/dev/null; then echo 'open $1: ok'; else echo 'open $1: denied'; fi"; }

# Can the caller open DEV for reading on the host?
host_opens() { dd if="$1" of=/dev/null bs=1 count=0 2>/dev/null; }

# crun making the container's user namespace itself (user-namespace mode)
# clones a bind before entering it and applies a file bind's flags only
# when it is read-only (crun 1.8): a directory gets them through
# rnosuid/rnodev, a single file cannot (crun opens the target of a
# recursive flag as a directory). See SECURITY.md.
crun_own_userns() { ! is_root && ! setuid_mode && [ "$OCHRE_RUNTIME" = crun ]; }

# `has_opt TEXT PATH OPT`: the top mount at PATH has the per-mount option OPT.
has_opt() { case ,$(mount_field "$1" "$2" opts), in *,"$3",*) return 0 ;; esac; return 1; }

assert_opt() { # text path opt
    has_opt "$1" "$2" "$3" && return 0
    echo "FAIL ($(_where)): the mount at $2 lacks $3" >&2
    mountinfo_at "$1" "$2" | sed 's/^/    | /' >&2
    exit 1
}
assert_no_opt() { # text path opt
    has_opt "$1" "$2" "$3" || return 0
    echo "FAIL ($(_where)): the mount at $2 has $3" >&2
    mountinfo_at "$1" "$2" | sed 's/^/    | /' >&2
    exit 1
}

# ------------------------------------------------------------ bind flags

test_rt_bind_flags_in_every_mode() {
    mkdir "$TESTTMP/dir"
    echo x >"$TESTTMP/file"
    assert_status 0 oexec -B "$TESTTMP/dir:/mnt/dir" -B "$TESTTMP/dir:/mnt/dir-ro:ro" \
        --mount "type=bind,source=$TESTTMP/dir,destination=/mnt/dir-m" -B "$TESTTMP/file:/mnt/file" \
        -B /dev/null:/mnt/null -B /dev/net:/mnt/net "$ROOTFS" cat /proc/self/mountinfo
    local m
    for m in /mnt/dir /mnt/dir-ro /mnt/dir-m; do
        assert_opt "$OUT" "$m" nosuid
        assert_opt "$OUT" "$m" nodev
    done
    if ! crun_own_userns; then
        assert_opt "$OUT" /mnt/file nosuid
        assert_opt "$OUT" /mnt/file nodev
    fi
    # Devices: a node, and a directory of the host's /dev, without nodev.
    assert_no_opt "$OUT" /mnt/null nodev
    assert_no_opt "$OUT" /mnt/net nodev
    assert_opt "$OUT" /mnt/net nosuid
    assert_nothing_left
}

# ------------------------------------------------------------ device binds

test_rt_device_bind_usable() {
    # /dev/zero at another path: only a bind without nodev opens.
    assert_status 0 oexec -B /dev/zero:/mnt/zero -B /dev/null:/mnt/null "$ROOTFS" /bin/sh -c \
        'dd if=/mnt/zero bs=4 count=1 2>/dev/null | wc -c; echo hi >/mnt/null && echo null-ok'
    assert_eq "4
null-ok" "$OUT" "a bound /dev/zero reads, a bound /dev/null writes"
    assert_nothing_left
}

test_rt_device_bind_only_as_the_host_allows() {
    local dev n=0
    for dev in /dev/loop-control /dev/net/tun /dev/fuse /dev/loop0; do
        [ -e "$dev" ] || continue
        n=$((n + 1))
        local host=ok
        host_opens "$dev" || host=denied
        assert_status 0 oexec -B "$dev" "$ROOTFS" /bin/sh -c "$(opens "$dev")"
        assert_eq "open $dev: $host" "$OUT" "inside, $dev must open exactly as on the host"
    done
    [ "$n" -gt 0 ] || skip "no device node to try"
    assert_nothing_left
}

# A node root made outside /dev, mode 0600 (as /dev/zero's numbers): the
# caller cannot open it on the host, nor inside, in every user mode.
test_device_node_of_root_stays_closed_rootonly() {
    mkdir -m 0755 "$TESTTMP/nodes"
    mknod -m 0600 "$TESTTMP/nodes/zero600" c 1 5
    mknod -m 0666 "$TESTTMP/nodes/zero666" c 1 5
    if as_user dd if="$TESTTMP/nodes/zero600" of=/dev/null bs=1 count=0 2>/dev/null; then
        fail "the test user opens a 0600 root node on the host"
    fi
    local prefix label
    for prefix in "$OCHRE_PREFIX" "$OCHRE_SUID_PREFIX"; do
        [ -n "$prefix" ] || continue
        label=$prefix
        run as_user "$prefix/bin/ochre" exec --runtime "$OCHRE_RUNTIME" -B "$TESTTMP/nodes:/mnt/nodes" \
            -B "$TESTTMP/nodes/zero600:/mnt/z600" "$ROOTFS" /bin/sh -c \
            "$(opens /mnt/nodes/zero600); $(opens /mnt/z600); $(opens /mnt/nodes/zero666)"
        assert_eq 0 "$STATUS" "$label: $ERR"
        assert_contains "$OUT" "open /mnt/nodes/zero600: denied" "$label"
        assert_contains "$OUT" "open /mnt/z600: denied" "$label"
        # A directory outside /dev keeps nodev: even the 0666 node is closed.
        assert_contains "$OUT" "open /mnt/nodes/zero666: denied" "$label"
    done
}

# Root's own binds: a device root may open on the host opens inside (runc's
# device cgroup lets it).
test_rt_root_opens_bound_devices_rootonly() {
    local dev
    for dev in /dev/loop-control /dev/net/tun; do
        [ -e "$dev" ] || continue
        host_opens "$dev" || continue
        assert_status 0 oexec -B "$dev" "$ROOTFS" /bin/sh -c "$(opens "$dev")"
        assert_eq "open $dev: ok" "$OUT"
    done
    assert_nothing_left
}

test_allow_device_path_limits_user_binds() {
    need_config_override
    printf 'allow device path = /dev/null\n' >"$TESTTMP/ochre.conf"
    assert_status 0 oexec_conf "$TESTTMP/ochre.conf" -B /dev/null:/mnt/null "$ROOTFS" true
    if is_root; then
        assert_status 0 oexec_conf "$TESTTMP/ochre.conf" -B /dev/zero:/mnt/zero "$ROOTFS" true
    else
        assert_error "allow device path" oexec_conf "$TESTTMP/ochre.conf" -B /dev/zero:/mnt/zero "$ROOTFS" true
    fi
    assert_nothing_left
}

# ------------------------------------------------------------ --no-compat /dev

test_rt_no_compat_binds_host_dev() {
    assert_status 0 oexec --no-compat "$ROOTFS" /bin/sh -c 'cat /proc/self/mountinfo; ls /dev'
    assert_eq devtmpfs "$(mount_field "$OUT" /dev fstype)" "--no-compat: the host's /dev"
    assert_no_opt "$OUT" /dev nodev
    assert_contains "$OUT" loop-control
    if [ -n "$(ls /dev/loop[0-9]* 2>/dev/null)" ]; then
        assert_contains "$OUT" loop0
    fi
    # Nothing is made in the host's /dev: a bind onto a path it lacks fails
    # first (the runtime would create the mount point there).
    assert_error "not on the host's /dev" oexec --no-compat -B "$TESTTMP:/dev/ochre-test-$$" "$ROOTFS" true
    [ ! -e "/dev/ochre-test-$$" ] || fail "a mount point was made in the host's /dev"
    need_config_override
    printf 'mount dev = minimal\n' >"$TESTTMP/ochre.conf"
    assert_status 0 oexec_conf "$TESTTMP/ochre.conf" --no-compat "$ROOTFS" /bin/sh -c 'cat /proc/self/mountinfo; ls /dev'
    assert_eq tmpfs "$(mount_field "$OUT" /dev fstype)" "mount dev = minimal: the runtime's /dev"
    assert_not_contains "$OUT" loop-control
    assert_nothing_left
}

# ------------------------------------------------------------ CDI

# write_specs DIR: a JSON and a YAML spec for real nodes of this host, with
# env, mounts and hooks; the hooks leave traces in DIR/../trace (0777: the
# runtime may run them as another id, see devices.c). A hook reads the
# state the runtime writes to its stdin first: one that exits before may
# fail crun's write (EPIPE), and the container with it.
write_specs() {
    local dir=$1 trace
    trace=$(dirname "$dir")/trace
    mkdir -p "$dir" "$trace"
    chmod 0777 "$trace"
    echo cdi-mounted >"$(dirname "$dir")/payload"
    chmod 0644 "$(dirname "$dir")/payload"
    cat >"$dir/test-json.json" <<EOF
{
  "cdiVersion": "0.5.0",
  "kind": "ochre.test/json",
  "containerEdits": { "env": ["OCHRE_CDI_JSON=spec"] },
  "devices": [
    { "name": "null", "containerEdits": {
        "env": ["OCHRE_CDI_NULL=1"],
        "deviceNodes": [ { "path": "/dev/cdi-null", "hostPath": "/dev/null" } ],
        "mounts": [ { "hostPath": "$(dirname "$dir")/payload", "containerPath": "/opt/cdi/payload",
                      "options": ["ro", "nosuid", "nodev", "bind"] } ],
        "hooks": [ { "hookName": "createContainer", "path": "/bin/sh",
                     "args": ["sh", "-c", "cat >/dev/null; echo created >$trace/created"] } ] } },
    { "name": "zero", "containerEdits": {
        "deviceNodes": [ { "path": "/dev/cdi-zero", "hostPath": "/dev/zero" } ] } }
  ]
}
EOF
    cat >"$dir/test-yaml.yaml" <<EOF
cdiVersion: "0.6.0"
kind: ochre.test/yaml
devices:
  - name: tun
    containerEdits:
      env: ["OCHRE_CDI_TUN=1"]
      deviceNodes:
        - path: /dev/net/tun
  - name: loopctl
    containerEdits:
      deviceNodes:
        - path: /dev/loop-control
      hooks:
        - hookName: startContainer
          path: /bin/sh
          args: ["sh", "-c", "cat >/dev/null; echo started >/tmp/started"]
EOF
    chmod -R go-w "$dir"
}

test_rt_cdi_json_and_yaml() {
    write_specs "$TESTTMP/cdi/specs"
    if setuid_mode; then
        # Specs below a directory others may write are not trusted.
        assert_error "not trusted" oexec --cdi-dirs "$TESTTMP/cdi/specs" --device ochre.test/json=null "$ROOTFS" true
        assert_nothing_left
        return 0
    fi
    assert_status 0 oexec --cdi-dirs "$TESTTMP/cdi/specs" --device ochre.test/json=null,ochre.test/json=zero \
        --device ochre.test/yaml=all "$ROOTFS" /bin/sh -c \
        'env | grep ^OCHRE_CDI | sort; cat /opt/cdi/payload; dd if=/dev/cdi-zero bs=2 count=1 2>/dev/null | wc -c
         echo x >/dev/cdi-null && echo null-ok; ls /dev/net/tun /dev/loop-control; cat /tmp/started'
    assert_contains "$OUT" "OCHRE_CDI_JSON=spec"
    assert_contains "$OUT" "OCHRE_CDI_NULL=1"
    assert_contains "$OUT" "OCHRE_CDI_TUN=1"
    assert_contains "$OUT" cdi-mounted
    assert_contains "$OUT" "2
null-ok"
    assert_contains "$OUT" /dev/net/tun
    assert_contains "$OUT" started
    assert_eq created "$(cat "$TESTTMP/cdi/trace/created")" "the createContainer hook ran"
    # The nodes open as on the host: /dev/loop-control (0600 root) only for root.
    assert_status 0 oexec --cdi-dirs "$TESTTMP/cdi/specs" --device ochre.test/yaml=loopctl "$ROOTFS" \
        /bin/sh -c "$(opens /dev/loop-control)"
    if host_opens /dev/loop-control; then
        assert_eq "open /dev/loop-control: ok" "$OUT"
    else
        assert_eq "open /dev/loop-control: denied" "$OUT"
    fi
    assert_nothing_left
}

test_rt_cdi_unknown_device_lists_available() {
    write_specs "$TESTTMP/cdi/specs"
    if setuid_mode; then
        assert_error "ochre.test/json=nope" oexec --cdi-dirs "$TESTTMP/cdi/specs" --device ochre.test/json=nope "$ROOTFS" true
    else
        assert_error "available: ochre.test/json=null, ochre.test/json=zero" \
            oexec --cdi-dirs "$TESTTMP/cdi/specs" --device ochre.test/json=nope "$ROOTFS" true
        assert_error "ochre.test/none=x" oexec --cdi-dirs "$TESTTMP/cdi/specs" --device ochre.test/none=x "$ROOTFS" true
        assert_error "cdi" oexec --cdi-dirs "$TESTTMP/cdi/specs" --device not-a-device "$ROOTFS" true
    fi
    assert_nothing_left
}

test_rt_cdi_bad_spec_names_its_file() {
    mkdir -p "$TESTTMP/cdi/bad"
    printf '{"cdiVersion": "0.5.0", "kind": "ochre.test/bad", "devices": [{"name": "x", "containerEdits": {"deviceNodes": [{"path": "dev/relative"}]}}]}' \
        >"$TESTTMP/cdi/bad/bad.json"
    printf 'cdiVersion: "0.6.0"\nkind: ochre.test/yamlbad\ndevices: [ {name: x, unknownKey: 1' >"$TESTTMP/cdi/bad/broken.yaml"
    chmod -R go-w "$TESTTMP/cdi"
    local want=bad.json
    setuid_mode && want="not trusted"
    assert_error "$want" oexec --cdi-dirs "$TESTTMP/cdi/bad" --device ochre.test/bad=x "$ROOTFS" true
    setuid_mode || want=broken.yaml
    assert_error "$want" oexec --cdi-dirs "$TESTTMP/cdi/bad" --device ochre.test/yamlbad=x "$ROOTFS" true
    assert_nothing_left
}

# Setuid mode reads specs only from root's, not group/other-writable
# directories: such a directory works for the test user, with a hook that
# runs without host root.
test_cdi_trusted_dir_in_setuid_mode_rootonly() {
    [ -n "$OCHRE_SUID_PREFIX" ] || skip "no setuid install"
    local base
    base=$(mktemp -d /opt/ochre-cdi-test.XXXXXX)
    remove_at_exit "$base"
    chmod 0755 "$base"
    write_specs "$base/specs"
    cat >"$base/specs/test-yaml.yaml" <<EOF
cdiVersion: "0.6.0"
kind: ochre.test/yaml
devices:
  - name: tun
    containerEdits:
      deviceNodes:
        - path: /dev/net/tun
      hooks:
        - hookName: createContainer
          path: /bin/sh
          args: ["sh", "-c", "cat >/dev/null; id -u >$base/trace/hook-uid"]
EOF
    run as_user "$OCHRE_SUID_PREFIX/bin/ochre" exec --runtime "$OCHRE_RUNTIME" --cdi-dirs "$base/specs" \
        --device ochre.test/json=null --device ochre.test/yaml=tun "$ROOTFS" /bin/sh -c \
        "env | grep ^OCHRE_CDI_NULL; cat /opt/cdi/payload; $(opens /dev/net/tun)"
    assert_eq 0 "$STATUS" "$ERR"
    assert_contains "$OUT" "OCHRE_CDI_NULL=1"
    assert_contains "$OUT" cdi-mounted
    assert_contains "$OUT" "open /dev/net/tun: denied" "a 0600 root node stays closed to the user"
    assert_eq created "$(cat "$base/trace/created")" "the hook ran"
    local hook_uid
    hook_uid=$(stat -c %u "$base/trace/hook-uid")
    [ "$hook_uid" != 0 ] || fail "a CDI hook ran as host root in setuid mode"
    # A spec dir the user may write is refused, even for a user-owned path.
    mkdir -p "$base/userdir"
    chown "$OCHRE_TEST_USER" "$base/userdir"
    cp "$base/specs/test-json.json" "$base/userdir/"
    run as_user "$OCHRE_SUID_PREFIX/bin/ochre" exec --runtime "$OCHRE_RUNTIME" --cdi-dirs "$base/userdir" \
        --device ochre.test/json=null "$ROOTFS" true
    assert_eq 255 "$STATUS" "$ERR"
    assert_contains "$ERR" "not trusted"
}

# ------------------------------------------------------------ --nv, --rocm

test_rt_nv_without_driver_warns_and_runs() {
    if [ -e /dev/nvidiactl ] || ldconfig -p 2>/dev/null | grep -q 'libcuda\.so'; then
        skip "this host has an NVIDIA driver (tests/device/gpu-check.sh covers it)"
    fi
    assert_status 0 oexec --nv "$ROOTFS" /bin/sh -c 'echo ran; echo "LD=$LD_LIBRARY_PATH"'
    assert_contains "$OUT" ran
    assert_contains "$ERR" "no NVIDIA GPU driver found"
    assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c .)" "one warning"
    assert_status 0 oexec --rocm "$ROOTFS" true
    assert_contains "$ERR" "no AMD ROCm GPU driver found"
    assert_nothing_left
}

test_nvccli_without_tool_is_one_error() {
    command -v nvidia-container-cli >/dev/null && skip "nvidia-container-cli is installed"
    assert_error "nvidia-container-cli is not installed" oexec --nvccli "$ROOTFS" true
    assert_nothing_left
}

test_allow_nv_no_refuses_users() {
    need_config_override
    printf 'allow nv = no\n' >"$TESTTMP/ochre.conf"
    if is_root; then
        assert_status 0 oexec_conf "$TESTTMP/ochre.conf" --nv "$ROOTFS" true
    else
        assert_error "allow nv = no" oexec_conf "$TESTTMP/ochre.conf" --nv "$ROOTFS" true
    fi
    printf 'always use nv = yes\n' >"$TESTTMP/ochre.conf"
    assert_status 0 oexec_conf "$TESTTMP/ochre.conf" "$ROOTFS" true
    if [ ! -e /dev/nvidiactl ]; then
        assert_contains "$ERR" "no NVIDIA GPU driver found" "always use nv: as if --nv"
    fi
    assert_nothing_left
}
