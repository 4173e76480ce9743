# shellcheck shell=bash
# shellcheck disable=SC2016 # '$line' etc. in single quotes: expanded in the container
# ochre oci: the OCI runtime operations on a bundle the caller prepared, for
# root and for unprivileged users: create (detached, under conmon), start,
# state, kill, delete, exec, pause/resume, update, attach, run.  "_rt_"
# cases run with crun and runc (create and run take --runtime; the other
# operations use the runtime recorded at create).
#
# Every container gets an ID unique to the test process (_id) and is deleted
# with --force when the case ends however it ends (at_exit), since root's
# state (/run/ochre/oci) is not below $TESTTMP.

# ------------------------------------------------------------------ helpers

# `make_oci_bundle DIR ARGS...`: a bundle in DIR (created) with a copy of the
# demo rootfs (owned by the caller, as a rootless runtime needs) and a
# config.json from the runtime's own `spec`, adjusted: process.args = ARGS,
# no terminal, no network namespace (the host's network; no setup needed).
# For a non-root caller it is `runc spec --rootless` (crun accepts it too):
# a user namespace mapping root to the caller, no cgroupsPath (rootless runc
# on cgroup v1 fails with one), /sys a read-only bind of the host's (sysfs
# cannot be mounted without owning the network namespace) and no
# /sys/fs/cgroup mount.
make_oci_bundle() {
    local dir=$1 spec_rt=$OCHRE_RUNTIME
    shift
    mkdir -p "$dir"
    cp -a "$ROOTFS" "$dir/rootfs"
    if is_root; then
        (cd "$dir" && "$spec_rt" spec)
    else
        if command -v runc >/dev/null; then spec_rt=runc; fi
        (cd "$dir" && "$spec_rt" spec --rootless)
    fi
    python3 - "$dir/config.json" "$(id -u)" "$(id -g)" "$@" <<'EOF'
import json, sys
path, uid, gid, args = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
with open(path) as f:
    c = json.load(f)
c["process"]["terminal"] = False
c["process"]["args"] = args
lx = c.setdefault("linux", {})
lx["namespaces"] = [n for n in lx.get("namespaces", []) if n.get("type") != "network"]
if uid != 0:
    lx.pop("cgroupsPath", None)
    # crun spec --rootless has no mappings (crun maps the caller itself).
    if not lx.get("uidMappings"):
        lx["uidMappings"] = [{"containerID": 0, "hostID": uid, "size": 1}]
        lx["gidMappings"] = [{"containerID": 0, "hostID": gid, "size": 1}]
    if not any(n.get("type") == "user" for n in lx["namespaces"]):
        lx["namespaces"].append({"type": "user"})
    mounts = []
    for m in c.get("mounts", []):
        if m["destination"] == "/sys/fs/cgroup":
            continue
        if m["destination"] == "/sys":
            m = {"destination": "/sys", "type": "none", "source": "/sys",
                 "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}
        mounts.append(m)
    c["mounts"] = mounts
with open(path, "w") as f:
    json.dump(c, f, indent=2)
EOF
}

# A container ID unique to this test process: `_id NAME`.
_id() { echo "o$$-$1"; }

# Where ochre keeps the state of the caller's containers: /run/ochre/oci
# for root (whatever XDG_RUNTIME_DIR says, so that every root session sees
# the same containers), $XDG_RUNTIME_DIR/ochre/oci for other users.
_oci_state_root() {
    if is_root; then
        echo /run/ochre/oci
    else
        echo "$XDG_RUNTIME_DIR/ochre/oci"
    fi
}

# The state roots ochre could use for the caller (root: also the one below
# XDG_RUNTIME_DIR, so that leftovers are found wherever they are).
_oci_state_roots() {
    _oci_state_root
    if is_root; then echo "$XDG_RUNTIME_DIR/ochre/oci"; fi
}

# The state dirs container ID could have.
_oci_state_dirs() {
    local r
    for r in $(_oci_state_roots); do echo "$r/$1"; done
}

# Files in the state roots that mention ID (e.g. an exit file or a bundle
# claim left behind).  -D skip: never open a FIFO of a live container.
_state_mentions() {
    local r
    for r in $(_oci_state_roots); do
        [ ! -d "$r" ] || grep -rlsF -D skip -- "$1" "$r" || true
    done
}

_state_dir_exists() {
    local d
    for d in $(_oci_state_dirs "$1"); do
        [ ! -e "$d" ] || return 0
    done
    return 1
}

# `_create ID BUNDLE`: create the container (it must succeed) and have it
# deleted when the case ends.
_create() {
    at_exit "$OCHRE" oci delete --force "$1"
    assert_status 0 "$OCHRE" oci create --runtime "$OCHRE_RUNTIME" -b "$2" "$1"
}

# `_create_started ID BUNDLE`: create and start; returns once it runs.
_create_started() {
    _create "$1" "$2"
    assert_status 0 "$OCHRE" oci start "$1"
    _wait_status "$1" running
}

# The status field of `ochre oci state ID`, or "exit N" when that fails.
_oci_status() {
    local rc=0
    timeout 20 "$OCHRE" oci state "$1" >"$TESTTMP/status.json" 2>/dev/null || rc=$?
    if [ "$rc" != 0 ]; then
        echo "exit $rc"
        return 0
    fi
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("status"))' \
        "$TESTTMP/status.json" 2>/dev/null || echo "(not JSON)"
}

_oci_status_is() { [ "$(_oci_status "$1")" = "$2" ]; }

# `_wait_status ID STATUS`: poll `ochre oci state` until the status is STATUS.
_wait_status() {
    wait_until 20 _oci_status_is "$1" "$2" && return 0
    echo "FAIL ($(_where)): container $1 did not reach status '$2' within 20 s" >&2
    echo "  last status: $(_oci_status "$1")" >&2
    exit 1
}

# `_check_state ID STATUS BUNDLE`: `ochre oci state ID` succeeds and prints
# the OCI state: JSON with ociVersion, id, status, pid and bundle (absolute);
# while the container exists (created, running, paused) its pid is a live
# host process.  Sets STATE_PID.  (state must not wait for other operations
# to finish: the timeout turns a hang into exit status 124.)
_check_state() {
    local id=$1 want=$2 bundle=$3 fields
    assert_status 0 timeout 20 "$OCHRE" oci state "$id"
    fields=$(python3 - "$TESTTMP/run.out" <<'EOF'
import json, sys
try:
    s = json.load(open(sys.argv[1]))
except ValueError as e:
    print("error=not JSON: %s" % e)
    sys.exit(0)
if not isinstance(s, dict):
    print("error=not a JSON object")
    sys.exit(0)
for k in ("ociVersion", "id", "status", "bundle"):
    v = s.get(k)
    print("%s=%s" % (k, v if isinstance(v, str) else "(missing or not a string)"))
pid = s.get("pid")
print("pid=%s" % (pid if isinstance(pid, int) and not isinstance(pid, bool) else "(not a number)"))
EOF
)
    if [ -n "$(_field "$fields" error)" ]; then
        _show_run "$OCHRE" oci state "$id"
        fail "oci state: $(_field "$fields" error)"
    fi
    assert_eq "$id" "$(_field "$fields" id)" "state: id"
    assert_eq "$want" "$(_field "$fields" status)" "state: status"
    assert_eq "$bundle" "$(_field "$fields" bundle)" "state: bundle"
    case $(_field "$fields" ociVersion) in
        "" | "(missing or not a string)") fail "state: no ociVersion in $OUT" ;;
    esac
    STATE_PID=$(_field "$fields" pid)
    [ "$STATE_PID" != "(not a number)" ] || fail "state: pid is not a number in $OUT"
    case $want in
        created | running | paused)
            if [ "$STATE_PID" -le 0 ] || [ ! -d "/proc/$STATE_PID" ]; then
                fail "state: pid $STATE_PID of the $want container is not a live process"
            fi
            ;;
    esac
}

# `_field FIELDS KEY`: the value of KEY in _check_state's KEY=VALUE lines.
_field() { printf '%s\n' "$1" | sed -n "s/^$2=//p"; }

# Host pids of processes whose command line mentions ID (conmon, the
# runtime, ochre itself for it).
_id_pids() { pgrep -f -- "$1" || true; }

# What may remain in a bundle after delete: what the test put there.
_bundle_listing() { find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' '; }

# Entries of $XDG_RUNTIME_DIR/ochre but oci/ (ochre exec's session dirs).
_session_dirs() {
    [ -d "$(session_root)" ] || return 0
    find "$(session_root)" -mindepth 1 -maxdepth 1 ! -name oci
}

_oci_gone() {
    local id=$1 bundle=$2 other
    ! _state_dir_exists "$id" || return 1
    [ -z "$(_state_mentions "$id")" ] || return 1
    [ -z "$(_id_pids "$id")" ] || return 1
    [ -z "$(sleep_pids)" ] || return 1
    ! grep -qF "$TESTTMP" /proc/self/mountinfo || return 1
    [ -z "$bundle" ] || [ "$(_bundle_listing "$bundle")" = "config.json rootfs " ] || return 1
    # ochre exec's session dirs share the parent: none may be there.
    other=$(_session_dirs)
    [ -z "$other" ]
}

# `_assert_oci_gone ID [BUNDLE]`: after delete (or run) nothing of container
# ID remains: no state dir (with its conmon socket and logs), no file in the
# state root naming it, no process mentioning the ID (conmon: "conmon ... -c
# ID"), no container process (the test's unique sleep), no mount, no session
# dir, nothing added to the bundle (conmon's attach socket and ctl/winsz
# FIFOs), and `oci state` fails.
_assert_oci_gone() {
    local id=$1 bundle=${2:-} p
    if wait_until 20 _oci_gone "$id" "$bundle"; then
        assert_status 255 "$OCHRE" oci state "$id"
        return 0
    fi
    echo "FAIL ($(_where)): something of container $id was left behind" >&2
    for p in $(_oci_state_dirs "$id"); do
        [ -e "$p" ] || continue
        echo "  state dir $p:" >&2
        ls -la "$p" >&2
    done
    _state_mentions "$id" | sed 's/^/  state file naming it: /' >&2
    for p in $(_id_pids "$id") $(sleep_pids); do
        echo "  process: $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
    done
    grep -F "$TESTTMP" /proc/self/mountinfo | sed 's/^/  mount: /' >&2
    [ -z "$bundle" ] || echo "  bundle holds: $(_bundle_listing "$bundle")" >&2
    _session_dirs | sed 's/^/  session dir: /' >&2
    exit 1
}

# ---------------------------------------------------------------- lifecycle

# created -> running -> paused -> running -> stopped (kill) -> deleted, with
# the state at each step.
test_rt_lifecycle() {
    local id b rc=0 out
    id=$(_id life)
    b=$TESTTMP/bundle
    # pid 1 of a pid namespace ignores signals it has no handler for: trap
    # TERM so that kill's default ends it.
    make_oci_bundle "$b" /bin/sh -c "trap 'exit 143' TERM; sleep $SLEEP_SECS & wait"
    at_exit "$OCHRE" oci delete --force "$id"
    # create returns once the container exists, and holds no stdout/stderr
    # of the caller open (conmon stays behind): a command substitution, as
    # scripts capture an ID, must return.
    out=$(timeout 30 "$OCHRE" oci create --runtime "$OCHRE_RUNTIME" -b "$b" "$id" 2>&1) || rc=$?
    assert_eq 0 "$rc" "oci create (within 30 s, output: $out)"
    _check_state "$id" created "$b"
    # Created: the process exists but has not run the payload yet.
    [ -z "$(sleep_pids)" ] || fail "the payload runs before start"

    assert_status 0 "$OCHRE" oci start "$id"
    wait_until 20 container_sleeping || fail "the container's process did not start"
    _check_state "$id" running "$b"
    # The state's pid is the container's init on the host: our shell.
    assert_contains "$(tr '\0' ' ' <"/proc/$STATE_PID/cmdline")" "sleep $SLEEP_SECS & wait" \
        "state pid $STATE_PID is not the container's process"

    if is_root; then
        assert_status 0 "$OCHRE" oci pause "$id"
        _check_state "$id" paused "$b"
        assert_status 0 "$OCHRE" oci resume "$id"
        _check_state "$id" running "$b"
    else
        # Rootless runtimes need a delegated freezer; without one (cgroup v1)
        # pause fails cleanly and the container keeps running.
        run "$OCHRE" oci pause "$id"
        if [ "$STATUS" = 0 ]; then
            _check_state "$id" paused "$b"
            assert_status 0 "$OCHRE" oci resume "$id"
        else
            assert_error "" "$OCHRE" oci pause "$id"
            assert_error "" "$OCHRE" oci resume "$id"
        fi
        _check_state "$id" running "$b"
    fi

    # kill: SIGTERM by default.
    assert_status 0 "$OCHRE" oci kill "$id"
    _wait_status "$id" stopped
    _check_state "$id" stopped "$b"
    [ -z "$(sleep_pids)" ] || fail "the container's processes outlived it"

    # Its state is where the contract says (root: /run/ochre/oci, whatever
    # XDG_RUNTIME_DIR is).
    if [ ! -d "$(_oci_state_root)/$id" ]; then
        local d found=
        for d in $(_oci_state_dirs "$id"); do
            [ ! -d "$d" ] || found="$found $d"
        done
        fail "no state dir $(_oci_state_root)/$id; the container's state is in:${found:- (none)}"
    fi
    assert_status 0 "$OCHRE" oci delete "$id"
    _assert_oci_gone "$id" "$b"
}

# kill takes a signal by name, with or without SIG, or by number; a bad one
# is an error that leaves the container alone.  -b takes a relative path; the
# state shows it absolute.
test_rt_kill_signals() {
    local a b
    a=$(_id usr1) b=$(_id nine)
    make_oci_bundle "$TESTTMP/ba" /bin/sh -c "trap 'exit 0' USR1; sleep $SLEEP_SECS & wait"
    make_oci_bundle "$TESTTMP/bb" sleep "$SLEEP_SECS"
    _create_started "$a" ba
    _check_state "$a" running "$TESTTMP/ba"
    assert_error NOSUCHSIG "$OCHRE" oci kill "$a" NOSUCHSIG
    assert_error "" "$OCHRE" oci kill "$a" 99999
    _check_state "$a" running "$TESTTMP/ba"
    assert_status 0 "$OCHRE" oci kill "$a" USR1
    _wait_status "$a" stopped
    assert_status 0 "$OCHRE" oci delete "$a"
    _assert_oci_gone "$a" "$TESTTMP/ba"

    _create_started "$b" "$TESTTMP/bb"
    assert_status 0 "$OCHRE" oci kill "$b" 9
    _wait_status "$b" stopped
    # delete -f also works on a stopped container.
    assert_status 0 "$OCHRE" oci delete -f "$b"
    _assert_oci_gone "$b" "$TESTTMP/bb"
}

# delete --force removes a running container, and a created one.
test_rt_delete_force() {
    local a c
    a=$(_id run) c=$(_id created)
    make_oci_bundle "$TESTTMP/ba" sleep "$SLEEP_SECS"
    make_oci_bundle "$TESTTMP/bc" sleep "$SLEEP_SECS"
    _create_started "$a" "$TESTTMP/ba"
    wait_until 20 container_sleeping || fail "the container's process did not start"
    _create "$c" "$TESTTMP/bc"
    assert_status 0 "$OCHRE" oci delete --force "$a"
    assert_status 0 "$OCHRE" oci delete --force "$c"
    _assert_oci_gone "$a" "$TESTTMP/ba"
    _assert_oci_gone "$c" "$TESTTMP/bc"
}

# delete --force finishes the job when the runtime has forgotten the
# container already (its state gone), and only then: a runtime that fails
# for another reason is an error, and ochre keeps what it knows.
test_rt_delete_force_swallows_only_gone() {
    local a b root
    a=$(_id gone) b=$(_id broken)
    root=$(_oci_state_root)
    make_oci_bundle "$TESTTMP/ba" sleep "$SLEEP_SECS"
    make_oci_bundle "$TESTTMP/bb" sleep "$SLEEP_SECS"
    _create_started "$a" "$TESTTMP/ba"
    assert_status 0 "$OCHRE" oci kill "$a" 9
    _wait_status "$a" stopped
    [ -d "$root/$a/rt/$a" ] || fail "the runtime's state of $a is not in $root/$a/rt/$a"
    rm -rf "${root:?}/$a/rt/$a"
    assert_status 0 "$OCHRE" oci delete --force "$a"
    _assert_oci_gone "$a" "$TESTTMP/ba"

    _create "$b" "$TESTTMP/bb"
    cp "$root/$b/runtime" "$TESTTMP/runtime.saved"
    printf '#!/bin/sh\necho "the runtime broke" >&2\nexit 1\n' >"$TESTTMP/broken-runtime"
    chmod 755 "$TESTTMP/broken-runtime"
    echo "$TESTTMP/broken-runtime" >"$root/$b/runtime"
    assert_error "the runtime broke" "$OCHRE" oci delete --force "$b"
    cp "$TESTTMP/runtime.saved" "$root/$b/runtime"
    _state_dir_exists "$b" || fail "a failed delete --force removed ochre's state of $b"
    assert_status 0 "$OCHRE" oci delete --force "$b"
    _assert_oci_gone "$b" "$TESTTMP/bb"
}

# A second create with the same ID, or on a bundle in use, fails cleanly and
# leaves the first container alone; start twice fails; once deleted, the ID
# and the bundle are free again.  Two creates racing for one ID: one wins.
test_rt_create_conflicts() {
    local id other b1=$TESTTMP/b1 b2=$TESTTMP/b2
    id=$(_id dup) other=$(_id other)
    make_oci_bundle "$b1" sleep "$SLEEP_SECS"
    make_oci_bundle "$b2" sleep "$SLEEP_SECS"
    at_exit "$OCHRE" oci delete --force "$other"
    _create "$id" "$b1"

    assert_error "$id" "$OCHRE" oci create --runtime "$OCHRE_RUNTIME" -b "$b2" "$id"
    _check_state "$id" created "$b1"
    assert_error "" "$OCHRE" oci create --runtime "$OCHRE_RUNTIME" -b "$b1" "$other"
    case $ERR in
        *"$b1"* | *"$id"*) ;;
        *) fail "the bundle-in-use error names neither the bundle nor the container: $ERR" ;;
    esac
    assert_status 255 "$OCHRE" oci state "$other"
    _check_state "$id" created "$b1"

    assert_status 0 "$OCHRE" oci start "$id"
    _wait_status "$id" running
    assert_error "" "$OCHRE" oci start "$id"
    _check_state "$id" running "$b1"

    assert_status 0 "$OCHRE" oci delete --force "$id"
    _assert_oci_gone "$id" "$b1"
    # The bundle is free again.
    _create "$other" "$b1"
    assert_status 0 "$OCHRE" oci delete --force "$other"
    _assert_oci_gone "$other" "$b1"

    # Two creates of one ID at once, on different bundles: exactly one
    # succeeds; the loser reports a clean error.
    local p1 p2 rc1=0 rc2=0 winner
    "$OCHRE" oci create --runtime "$OCHRE_RUNTIME" -b "$b1" "$id" >"$TESTTMP/c1.out" 2>&1 &
    p1=$!
    "$OCHRE" oci create --runtime "$OCHRE_RUNTIME" -b "$b2" "$id" >"$TESTTMP/c2.out" 2>&1 &
    p2=$!
    track "$p1" "$p2"
    wait "$p1" || rc1=$?
    wait "$p2" || rc2=$?
    case "$rc1 $rc2" in
        "0 255") winner=$b1 ;;
        "255 0") winner=$b2 ;;
        *) fail "racing creates of one ID exited $rc1 and $rc2: $(cat "$TESTTMP/c1.out" "$TESTTMP/c2.out")" ;;
    esac
    _check_state "$id" created "$winner"
    assert_status 0 "$OCHRE" oci delete --force "$id"
    _assert_oci_gone "$id" "$b1"
    _assert_oci_gone "$id" "$b2"
}

# -------------------------------------------------------------------- exec

test_rt_exec() {
    local id b=$TESTTMP/bundle
    id=$(_id exec)
    make_oci_bundle "$b" sleep "$SLEEP_SECS"
    _create_started "$id" "$b"
    # The exit code of the command, its stdout and stderr apart.
    assert_status 5 "$OCHRE" oci exec "$id" /bin/sh -c 'echo to-out; echo to-err >&2; exit 5'
    assert_eq to-out "$OUT" "exec stdout"
    assert_contains "$ERR" to-err "exec: the command's stderr is missing"
    assert_not_contains "$ERR" to-out "exec: stdout leaked to stderr"
    assert_status 0 "$OCHRE" oci exec "$id" true
    # It runs in the container: its pid namespace, with our sleep as pid 1.
    assert_status 0 "$OCHRE" oci exec "$id" cat /proc/1/cmdline
    assert_eq "sleep $SLEEP_SECS" "$(tr '\0' ' ' <"$TESTTMP/run.out" | sed 's/ $//')" \
        "exec does not see the container's pid 1"
    # A command missing in the container fails (the status is the
    # runtime's), and the container keeps running.
    run "$OCHRE" oci exec "$id" /nonexistent-cmd
    [ "$STATUS" != 0 ] || fail "exec of a missing command succeeded"
    _check_state "$id" running "$b"

    assert_status 0 "$OCHRE" oci kill "$id" SIGKILL
    _wait_status "$id" stopped
    assert_status 0 "$OCHRE" oci delete "$id"
    _assert_oci_gone "$id" "$b"
}

# ------------------------------------------------------------------ attach

test_rt_attach() {
    local id b=$TESTTMP/bundle
    id=$(_id attach)
    make_oci_bundle "$b" /bin/sh -c 'read line; echo "got $line"; echo err >&2; exit 3'
    _create_started "$id" "$b"
    # stdin goes in, stdout and stderr come back apart, and attach returns
    # the container's exit code when it ends.
    printf 'hello\n' >"$TESTTMP/in"
    run timeout 30 "$OCHRE" oci attach "$id" <"$TESTTMP/in"
    [ "$STATUS" = 3 ] || { _show_run oci attach "$id"; fail "attach exit status: expected 3"; }
    assert_eq "got hello" "$OUT" "attach stdout"
    assert_contains "$ERR" err "attach: the container's stderr is missing"
    assert_not_contains "$ERR" "got hello" "attach: stdout leaked to stderr"
    _wait_status "$id" stopped
    assert_status 0 "$OCHRE" oci delete "$id"
    _assert_oci_gone "$id" "$b"
}

# Ctrl-P Ctrl-Q detaches: a message, exit 0, the container keeps running and
# can be attached again.
test_rt_attach_detach() {
    local id b=$TESTTMP/bundle i
    id=$(_id detach)
    make_oci_bundle "$b" sleep "$SLEEP_SECS"
    _create_started "$id" "$b"
    printf '\020\021' >"$TESTTMP/detach"
    for i in 1 2; do
        run timeout 30 "$OCHRE" oci attach "$id" <"$TESTTMP/detach"
        [ "$STATUS" = 0 ] || { _show_run oci attach "$id"; fail "detach $i: expected exit 0"; }
        [ -n "$ERR" ] || fail "detach $i: no message on stderr"
        assert_eq "" "$OUT" "detach $i: output on stdout"
        _check_state "$id" running "$b"
        [ -n "$(sleep_pids)" ] || fail "detach $i: the container's process is gone"
    done
    assert_status 0 "$OCHRE" oci delete --force "$id"
    _assert_oci_gone "$id" "$b"
}

# ------------------------------------------------------------ pause, update

# update --from-file FILE: linux resources JSON.  Root's must apply (seen in
# the container's pids cgroup); a rootless one may fail, but cleanly.
test_rt_update() {
    local id b=$TESTTMP/bundle
    id=$(_id update)
    make_oci_bundle "$b" sleep "$SLEEP_SECS"
    _create_started "$id" "$b"
    echo '{"pids":{"limit":100}}' >"$TESTTMP/res.json"
    if is_root; then
        assert_status 0 "$OCHRE" oci update --from-file "$TESTTMP/res.json" "$id"
        _check_state "$id" running "$b"
        local cg max=
        # cgroup v1: "N:pids:/PATH"; v2: "0::/PATH" (pids.max there).
        cg=$(sed -n 's/^[0-9]*:pids:\(.*\)$/\1/p' "/proc/$STATE_PID/cgroup")
        if [ -n "$cg" ] && [ -r "/sys/fs/cgroup/pids$cg/pids.max" ]; then
            max=$(cat "/sys/fs/cgroup/pids$cg/pids.max")
        elif [ -r /sys/fs/cgroup/cgroup.controllers ]; then
            cg=$(sed -n 's/^0::\(.*\)$/\1/p' "/proc/$STATE_PID/cgroup")
            max=$(cat "/sys/fs/cgroup$cg/pids.max" 2>/dev/null || true)
        fi
        [ -z "$max" ] || assert_eq 100 "$max" "pids.max of the container after update"
    else
        run "$OCHRE" oci update --from-file "$TESTTMP/res.json" "$id"
        if [ "$STATUS" != 0 ]; then
            assert_error "" "$OCHRE" oci update --from-file "$TESTTMP/res.json" "$id"
        fi
        _check_state "$id" running "$b"
    fi
    # A missing file and one that is not JSON: clean errors.
    assert_error "$TESTTMP/nonexistent.json" \
        "$OCHRE" oci update --from-file "$TESTTMP/nonexistent.json" "$id"
    echo 'not json {' >"$TESTTMP/bad.json"
    assert_error "" "$OCHRE" oci update --from-file "$TESTTMP/bad.json" "$id"
    _check_state "$id" running "$b"
    assert_status 0 "$OCHRE" oci delete --force "$id"
    _assert_oci_gone "$id" "$b"
}

# The limit in FILE of the v1 CONTROLLER's cgroup of process PID.
_v1_limit() {
    local cg
    cg=$(sed -n "s/^[0-9]*:$2:\\(.*\\)\$/\\1/p" "/proc/$1/cgroup")
    cat "/sys/fs/cgroup/$2$cg/$3"
}

# The limit flags on create (over the bundle's linux.resources) and on
# update, as root on a cgroup v1 host: the container's own cgroups hold
# them; a bad value changes nothing; the cgroup goes with the container.
test_rt_limits_create_update_rootonly() {
    [ -d /sys/fs/cgroup/pids ] && [ -d /sys/fs/cgroup/memory ] || skip "no cgroup v1 memory and pids hierarchies"
    local id b=$TESTTMP/bundle cg
    id=$(_id limits)
    make_oci_bundle "$b" sleep "$SLEEP_SECS"
    at_exit "$OCHRE" oci delete --force "$id"
    assert_status 0 "$OCHRE" oci create --runtime "$OCHRE_RUNTIME" --memory 64M --pids-limit 50 -b "$b" "$id"
    assert_status 0 "$OCHRE" oci start "$id"
    _wait_status "$id" running
    _check_state "$id" running "$b"
    cg=$(sed -n 's/^[0-9]*:pids:\(.*\)$/\1/p' "/proc/$STATE_PID/cgroup")
    [ "$cg" != "$(sed -n 's/^[0-9]*:pids:\(.*\)$/\1/p' /proc/self/cgroup)" ] || fail "no pids cgroup of its own: $cg"
    assert_eq 50 "$(_v1_limit "$STATE_PID" pids pids.max)" "pids.max after create"
    assert_eq 67108864 "$(_v1_limit "$STATE_PID" memory memory.limit_in_bytes)" "memory limit after create"
    assert_status 0 "$OCHRE" oci update --pids-limit 80 --memory 128M "$id"
    assert_eq 80 "$(_v1_limit "$STATE_PID" pids pids.max)" "pids.max after update"
    assert_eq 134217728 "$(_v1_limit "$STATE_PID" memory memory.limit_in_bytes)" "memory limit after update"
    assert_error "--memory lots: a size" "$OCHRE" oci update --memory lots "$id"
    assert_eq 80 "$(_v1_limit "$STATE_PID" pids pids.max)" "pids.max after a refused update"
    _check_state "$id" running "$b"
    assert_status 0 "$OCHRE" oci delete --force "$id"
    _assert_oci_gone "$id" "$b"
    [ ! -e "/sys/fs/cgroup/pids$cg" ] || fail "the container's pids cgroup $cg is left behind"
}

# -------------------------------------------------------------------- run

# run: create + start + wait in the foreground; stdio passed through, the
# exit code propagated, nothing left afterwards.
test_rt_run_foreground() {
    local id b=$TESTTMP/bundle
    id=$(_id run)
    make_oci_bundle "$b" /bin/sh -c 'read line; echo "in $line"; echo to-err >&2; exit 7'
    at_exit "$OCHRE" oci delete --force "$id"
    run timeout 60 "$OCHRE" oci run --runtime "$OCHRE_RUNTIME" --bundle "$b" "$id" <<<'x'
    [ "$STATUS" = 7 ] || { _show_run oci run "$id"; fail "oci run exit status: expected 7"; }
    assert_eq "in x" "$OUT" "oci run stdout"
    assert_contains "$ERR" to-err "oci run: the container's stderr is missing"
    assert_not_contains "$ERR" "in x" "oci run: stdout leaked to stderr"
    _assert_oci_gone "$id" "$b"
    # The ID and bundle are free again: run once more, with -b. crun runs
    # from a read-only clone of its mount, as for exec (test_exec.sh).
    assert_status 7 "$OCHRE" --debug oci run --runtime "$OCHRE_RUNTIME" -b "$b" "$id" </dev/null
    assert_eq "in " "$OUT"
    if [ "$OCHRE_RUNTIME" = crun ]; then
        assert_contains "$ERR" "[starter] clone the mount of" "oci run: crun from a read-only clone"
    else
        assert_not_contains "$ERR" "[starter] clone the mount of" "oci run: runc by its path"
    fi
    _assert_oci_gone "$id" "$b"
}

# `_run_bg ID BUNDLE`: `ochre oci run` in the background (RUN_PID), output
# in $TESTTMP/out; returns once the container printed "ready".
_run_bg() {
    # Empty the output first, here: the background job's own `>` may run
    # after the poll below has already found the last run's "ready".
    : >"$TESTTMP/out"
    "$OCHRE" oci run --runtime "$OCHRE_RUNTIME" -b "$2" "$1" >"$TESTTMP/out" 2>&1 </dev/null &
    RUN_PID=$!
    track "$RUN_PID"
    wait_until 20 grep -q ready "$TESTTMP/out" ||
        fail "container did not become ready within 20 s: $(cat "$TESTTMP/out")"
}

# SIGTERM sent to `ochre oci run` reaches the container.  While it runs, the
# container is visible to state and kill like a created one.
test_rt_run_signals() {
    local id b=$TESTTMP/bundle rc=0
    id=$(_id runsig)
    make_oci_bundle "$b" /bin/sh -c \
        "trap 'echo got-TERM; exit 42' TERM; echo ready; while :; do sleep 0.1; done"
    at_exit "$OCHRE" oci delete --force "$id"
    _run_bg "$id" "$b"
    kill -TERM "$RUN_PID"
    wait "$RUN_PID" 2>/dev/null || rc=$?
    assert_eq 42 "$rc" "oci run exit status after SIGTERM ($(cat "$TESTTMP/out"))"
    assert_contains "$(cat "$TESTTMP/out")" got-TERM "SIGTERM did not reach the container"
    _assert_oci_gone "$id" "$b"

    rc=0
    _run_bg "$id" "$b"
    _check_state "$id" running "$b"
    assert_status 0 timeout 20 "$OCHRE" oci kill "$id"
    wait "$RUN_PID" 2>/dev/null || rc=$?
    assert_eq 42 "$rc" "oci run exit status after oci kill ($(cat "$TESTTMP/out"))"
    _assert_oci_gone "$id" "$b"
}

# ------------------------------------------------------------ CLI, errors

test_oci_help() {
    local sub
    assert_status 0 "$OCHRE" oci --help
    for sub in create start state kill delete exec pause resume update attach run; do
        assert_contains "$OUT" "$sub" "ochre oci --help does not list $sub"
    done
    for sub in create start state kill delete exec pause resume update attach run; do
        assert_status 0 "$OCHRE" oci "$sub" --help
        [ -n "$OUT" ] || fail "ochre oci $sub --help printed nothing on stdout"
        assert_contains "$OUT" "$sub" "ochre oci $sub --help does not name the command"
        assert_eq "" "$ERR" "ochre oci $sub --help wrote to stderr"
    done
    assert_error "" "$OCHRE" oci
    assert_error bogus "$OCHRE" oci bogus
}

# Operations on an ID that does not exist: clean errors naming it.
test_oci_unknown_id() {
    local id
    id=$(_id nosuch)
    echo '{"pids":{"limit":100}}' >"$TESTTMP/res.json"
    assert_error "$id" "$OCHRE" oci state "$id"
    assert_error "$id" "$OCHRE" oci start "$id"
    assert_error "$id" "$OCHRE" oci kill "$id"
    assert_error "$id" "$OCHRE" oci kill "$id" KILL
    assert_error "$id" "$OCHRE" oci delete "$id"
    assert_error "$id" "$OCHRE" oci exec "$id" true
    assert_error "$id" "$OCHRE" oci attach "$id"
    assert_error "$id" "$OCHRE" oci pause "$id"
    assert_error "$id" "$OCHRE" oci resume "$id"
    assert_error "$id" "$OCHRE" oci update --from-file "$TESTTMP/res.json" "$id"
    # An ID that could name a path outside the state root is refused too.
    assert_error "" "$OCHRE" oci state ../x
    assert_error "" "$OCHRE" oci state ""
    _assert_oci_gone "$id"
}

# create refuses bad arguments before starting anything.
test_oci_create_errors() {
    local id b=$TESTTMP/bundle
    id=$(_id bad)
    at_exit "$OCHRE" oci delete --force "$id"
    make_oci_bundle "$b" true
    mkdir "$TESTTMP/empty"
    assert_error bundle "$OCHRE" oci create "$id"
    assert_error "" "$OCHRE" oci create -b "$b"
    assert_error config.json "$OCHRE" oci create -b "$TESTTMP/empty" "$id"
    assert_error "$TESTTMP/nonexistent" "$OCHRE" oci create -b "$TESTTMP/nonexistent" "$id"
    assert_error bogus "$OCHRE" oci create --runtime bogus -b "$b" "$id"
    assert_error "--bogus" "$OCHRE" oci create --bogus -b "$b" "$id"
    echo 'not json {' >"$TESTTMP/empty/config.json"
    assert_error "" "$OCHRE" oci create -b "$TESTTMP/empty" "$id"
    assert_error bundle "$OCHRE" oci run "$id"
    assert_error "$TESTTMP/nonexistent" "$OCHRE" oci run -b "$TESTTMP/nonexistent" "$id" </dev/null
    _assert_oci_gone "$id" "$b"
}
