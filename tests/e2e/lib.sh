# shellcheck shell=bash
# tests/e2e/lib.sh — helpers for ochre's end-to-end tests.
#
# The harness (tests/run.sh) runs one test case as
#     bash lib.sh --run-case FILE FUNCTION
# in a fresh process, as root or as the unprivileged test user, with this
# environment:
#     OCHRE_PREFIX    installed prefix (bin/ochre, libexec/ochre/..., etc/...)
#     OCHRE_ROOTFS    the demo rootfs (scripts/build-demo-rootfs.sh)
#     OCHRE_RUNTIME   crun or runc
#     TESTTMP         a fresh, empty directory owned by the current user
#     OCHRE_TEST_USER the unprivileged user (for *_rootonly tests)
#     OCHRE_IMAGES    test images (scripts/build-test-images.sh), or empty
#     OCHRE_HOSTILE   hostile OCI layouts (scripts/make-hostile-images.py,
#                     see its README), or empty
#     OCHRE_SUID_PREFIX an install whose starter is setuid root, or empty
#                     (user cases also run with OCHRE_PREFIX set to it)
# The test files only define functions named test_*; they must not depend on
# the source tree, which the test user may not be able to read.
#
# Running a single case by hand works too (TESTTMP is then made here):
#     OCHRE_PREFIX=/tmp/ochre-prefix OCHRE_ROOTFS=/tmp/rootfs \
#         bash tests/e2e/lib.sh --run-case tests/e2e/test_exec.sh test_rt_exit_code

: "${OCHRE_PREFIX:?OCHRE_PREFIX must point to an installed ochre prefix}"
: "${OCHRE_ROOTFS:?OCHRE_ROOTFS must point to a rootfs directory}"
: "${OCHRE_RUNTIME:=crun}"
: "${OCHRE_TEST_USER:=ochretest}"
# Optional: tests that need them call need_images / need_hostile (skip).
: "${OCHRE_IMAGES:=}"
: "${OCHRE_HOSTILE:=}"
# An install with the starter setuid root (make check makes one), or empty.
: "${OCHRE_SUID_PREFIX:=}"
export OCHRE_SUID_PREFIX
export OCHRE_PREFIX OCHRE_ROOTFS OCHRE_RUNTIME OCHRE_TEST_USER OCHRE_IMAGES OCHRE_HOSTILE

# These are for the test files, which shellcheck sees separately.
# shellcheck disable=SC2034
OCHRE=$OCHRE_PREFIX/bin/ochre
# shellcheck disable=SC2034
ROOTFS=$OCHRE_ROOTFS
# shellcheck disable=SC2034
IMAGES=$OCHRE_IMAGES
# shellcheck disable=SC2034
HOSTILE=$OCHRE_HOSTILE

# `oexec DIR CMD...` runs a container with the runtime under test.
oexec() { "$OCHRE" exec --runtime "$OCHRE_RUNTIME" "$@"; }
# The same as an array, for background jobs: `"${OEXEC[@]}" ... &` forks ochre
# itself, so $! is ochre's pid (with the function, $! would be a subshell and
# signals sent to it would never reach ochre).
# shellcheck disable=SC2034
OEXEC=("$OCHRE" exec --runtime "$OCHRE_RUNTIME")

# A long sleep whose command line is unique to this test process, so finding
# (and checking for leftovers of) "our" container process cannot pick up a
# process from another test or from the host: `"${OEXEC[@]}" "$ROOTFS" sleep
# "$SLEEP_SECS" &`, then `pgrep -u "$(id -u)" -f "$SLEEP_RE"`.
SLEEP_SECS=$((1000000 + $$))
SLEEP_RE="^sleep $SLEEP_SECS\$"

# `oexec_conf CONFIG IMAGE CMD...`: oexec with an admin config of the test's
# own (-c); a setuid starter refuses -c, so such tests call
# need_config_override first.
oexec_conf() {
    local conf=$1
    shift
    "$OCHRE" -c "$conf" exec --runtime "$OCHRE_RUNTIME" "$@"
}
# A non-root caller against a setuid-root starter: setuid mode, where the
# container's user namespace is the one the starter makes (as root), with
# the caller's own ids (or, with --fakeroot, the caller as root) and their
# subordinate ranges, in host numbers.
setuid_mode() { [ -u "$OCHRE_PREFIX/libexec/ochre/ochre-starter" ] && ! is_root; }
need_config_override() {
    if [ -u "$OCHRE_PREFIX/libexec/ochre/ochre-starter" ]; then
        skip "a setuid ochre-starter refuses -c/--config"
    fi
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Skip the test unless the harness was given the test images / hostile
# layouts (make check always gives both).
need_images() {
    if [ -z "$IMAGES" ] || [ ! -d "$IMAGES" ]; then
        skip "OCHRE_IMAGES not set (scripts/build-test-images.sh)"
    fi
}
need_hostile() {
    if [ -z "$HOSTILE" ] || [ ! -d "$HOSTILE" ]; then
        skip "OCHRE_HOSTILE not set (scripts/make-hostile-images.py)"
    fi
}

# The image cache of this test ($XDG_CACHE_HOME is per test, see _setup).
cache_root() { echo "$XDG_CACHE_HOME/ochre"; }

# The cache's image entries (images/sha256-HEX dirs), one per line, sorted.
cache_entries() {
    local e
    for e in "$(cache_root)"/images/*; do
        [ -e "$e" ] && echo "$e"
    done | sort
    return 0
}

# The number of cache entries.
cache_count() { cache_entries | awk 'END { print NR }'; }

# The rootfs of the only cache entry; fails unless there is exactly one.
cache_rootfs() {
    local n
    n=$(cache_count)
    [ "$n" = 1 ] || fail "expected exactly one cache entry, found $n: $(cache_entries | tr '\n' ' ')"
    echo "$(cache_entries)/rootfs"
}

# After a failed import: no entry in images/ and nothing in tmp/ (no
# half-written entry, no leftover build dir).
assert_cache_clean() {
    local left
    left=$(find "$(cache_root)/images" "$(cache_root)/tmp" -mindepth 1 -maxdepth 1 2>/dev/null || true)
    [ -z "$left" ] && return 0
    echo "FAIL ($(_where)): the failed import left something in the cache" >&2
    printf '%s\n' "$left" | sed 's/^/  /' >&2
    exit 1
}

# Message with the test file and line of the caller's caller (the assertion's
# call site), so failures point at the test, not at this library.
_where() { echo "${BASH_SOURCE[2]##*/}:${BASH_LINENO[1]}"; }

fail() {
    echo "FAIL ($(_where)): $*" >&2
    exit 1
}

# Exit code 77 tells the harness to report SKIP instead of PASS/FAIL.
skip() {
    echo "SKIP: $*"
    exit 77
}

assert_eq() { # expected actual [msg]
    [ "$1" = "$2" ] && return 0
    echo "FAIL ($(_where)): ${3:-values differ}" >&2
    echo "  expected: $(printf '%q' "$1")" >&2
    echo "  actual:   $(printf '%q' "$2")" >&2
    exit 1
}

assert_contains() { # haystack needle [msg]
    case $1 in *"$2"*) return 0 ;; esac
    echo "FAIL ($(_where)): ${3:-missing text}" >&2
    echo "  expected to contain: $2" >&2
    echo "  in:" >&2
    printf '%s\n' "$1" | sed 's/^/    | /' >&2
    exit 1
}

assert_not_contains() { # haystack needle [msg]
    case $1 in *"$2"*) ;; *) return 0 ;; esac
    echo "FAIL ($(_where)): ${3:-unexpected text}" >&2
    echo "  expected NOT to contain: $2" >&2
    echo "  in:" >&2
    printf '%s\n' "$1" | sed 's/^/    | /' >&2
    exit 1
}

# `run CMD...` runs CMD (stdin from /dev/null unless redirected by the caller)
# and sets STATUS, OUT (stdout) and ERR (stderr) for later assertions.  The
# raw output is kept in $TESTTMP/run.out and $TESTTMP/run.err.
run() {
    STATUS=0
    "$@" >"$TESTTMP/run.out" 2>"$TESTTMP/run.err" || STATUS=$?
    OUT=$(cat "$TESTTMP/run.out")
    ERR=$(cat "$TESTTMP/run.err")
}

_show_run() {
    echo "  command: $*" >&2
    echo "  status:  $STATUS" >&2
    [ -n "$OUT" ] && printf '%s\n' "$OUT" | sed 's/^/  stdout| /' >&2
    [ -n "$ERR" ] && printf '%s\n' "$ERR" | sed 's/^/  stderr| /' >&2
    return 0
}

# `assert_status EXPECTED CMD...`: run CMD and check its exit status; OUT and
# ERR stay set for further checks.
assert_status() {
    local expected=$1
    shift
    run "$@"
    [ "$STATUS" = "$expected" ] && return 0
    echo "FAIL ($(_where)): expected exit status $expected, got $STATUS" >&2
    _show_run "$@"
    exit 1
}

# `assert_error NEEDLE CMD...`: CMD must fail the way ochre's own errors do:
# exit 255, nothing on stdout, and exactly one line on stderr, which starts
# with "ochre: error: " and contains NEEDLE.
assert_error() {
    local needle=$1 lines
    shift
    run "$@"
    lines=$(awk 'END { print NR }' "$TESTTMP/run.err")
    if [ "$STATUS" != 255 ] || [ "$lines" != 1 ] || [ -n "$OUT" ] ||
        [ "${ERR#ochre: error: }" = "$ERR" ]; then
        echo "FAIL ($(_where)): expected exit 255 and one 'ochre: error: ' line on stderr" >&2
        _show_run "$@"
        exit 1
    fi
    case $ERR in *"$needle"*) return 0 ;; esac
    echo "FAIL ($(_where)): error message lacks: $needle" >&2
    _show_run "$@"
    exit 1
}

# `wait_until SECONDS CMD...`: poll CMD every 0.1 s until it succeeds; fail
# (status 1) after SECONDS.  Used instead of fixed sleeps, which are either
# too short on a loaded CI machine or needlessly slow everywhere else.
wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

session_root() { echo "$XDG_RUNTIME_DIR/ochre"; }

# True when at least one session dir exists (i.e. a launch is under way).
session_dir_exists() {
    [ -n "$(ls -A "$(session_root)" 2>/dev/null)" ]
}

# Host pids of our container's long sleep (see SLEEP_SECS).
sleep_pids() { pgrep -u "$(id -u)" -f "$SLEEP_RE" || true; }

# True once our container's long sleep runs.  (A function, so that
# `wait_until 20 container_sleeping` re-evaluates it on every poll.)
container_sleeping() { [ -n "$(sleep_pids)" ]; }

_nothing_left() {
    ! session_dir_exists &&
        ! grep -qF "$TESTTMP" /proc/self/mountinfo &&
        [ -z "$(sleep_pids)" ]
}

# Nothing may survive a launch, however it ended: no session dir under
# $XDG_RUNTIME_DIR/ochre, no mount of the host mentioning $TESTTMP (the
# container's mounts live in a private namespace and must vanish with it),
# no container process.  Cleanup after a kill may be asynchronous (the kernel
# tears down namespaces when the last process exits), so poll for up to 20 s.
assert_nothing_left() {
    wait_until 20 _nothing_left && return 0
    echo "FAIL ($(_where)): something was left behind" >&2
    if session_dir_exists; then
        echo "  session dirs:" >&2
        ls -la "$(session_root)" >&2
    fi
    grep -F "$TESTTMP" /proc/self/mountinfo | sed 's/^/  mount: /' >&2
    local p
    for p in $(sleep_pids); do
        echo "  process: $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
    done
    exit 1
}

# The container's mount table, for tests that read /proc/self/mountinfo in
# the container: `assert_status 0 oexec IMG cat /proc/self/mountinfo`, then
# these on "$OUT".  Fields: id parent maj:min root mount-point options ...
# - fstype source super-options.  A path mounted twice shows twice; the last
# line is the mount the container sees.

# `mountinfo_at TEXT PATH`: the lines of TEXT for mount point PATH.
mountinfo_at() { printf '%s\n' "$1" | awk -v p="$2" '$5 == p'; }

# `mount_field TEXT PATH WHAT`: of the top mount at PATH, WHAT is one of
# fstype, root (the bound path inside its filesystem), opts (per-mount
# options, e.g. ro,nosuid), source, super (filesystem options).
mount_field() {
    mountinfo_at "$1" "$2" | tail -n 1 | awk -v what="$3" '{
        for (i = 7; i <= NF && $i != "-"; i++) ;
        if (what == "fstype") print $(i + 1)
        else if (what == "source") print $(i + 2)
        else if (what == "super") print $(i + 3)
        else if (what == "root") print $4
        else if (what == "opts") print $6
    }'
}

# `assert_mounted TEXT PATH [FSTYPE]`: something is mounted at PATH (of that
# type).
assert_mounted() {
    local lines type
    lines=$(mountinfo_at "$1" "$2")
    if [ -z "$lines" ]; then
        echo "FAIL ($(_where)): nothing is mounted at $2 in the container" >&2
        printf '%s\n' "$1" | sed 's/^/    | /' >&2
        exit 1
    fi
    [ $# -ge 3 ] || return 0
    type=$(mount_field "$1" "$2" fstype)
    [ "$type" = "$3" ] && return 0
    echo "FAIL ($(_where)): $2 is a '$type' mount, expected '$3'" >&2
    printf '%s\n' "$lines" | sed 's/^/    | /' >&2
    exit 1
}

# `assert_not_mounted TEXT PATH`: no mount point at PATH.
assert_not_mounted() {
    local lines
    lines=$(mountinfo_at "$1" "$2")
    [ -z "$lines" ] && return 0
    echo "FAIL ($(_where)): $2 must not be a mount point in the container" >&2
    printf '%s\n' "$lines" | sed 's/^/    | /' >&2
    exit 1
}

# `assert_mount_opt TEXT PATH ro|rw`: the top mount at PATH is read-only /
# read-write.
assert_mount_opt() {
    local opts
    opts=$(mount_field "$1" "$2" opts)
    case ,$opts, in *,"$3",*) return 0 ;; esac
    echo "FAIL ($(_where)): the mount at $2 is not $3 (options: '$opts')" >&2
    mountinfo_at "$1" "$2" | sed 's/^/    | /' >&2
    exit 1
}

# The caller's home directory as the host's passwd has it (what the
# container uses, not $HOME, which the harness points into $TESTTMP).
passwd_home() { getent passwd "$(id -u)" | cut -d: -f6; }

# Run CMD as the unprivileged test user (for *_rootonly tests), with a minimal
# environment.  setpriv rather than runuser: no PAM session, and it execs, so
# pids and process groups stay simple.
as_user() {
    setpriv --reuid="$OCHRE_TEST_USER" --regid="$OCHRE_TEST_USER" --init-groups \
        env -i PATH="$PATH" HOME="$TESTTMP/home" LANG=C \
        XDG_RUNTIME_DIR="$TESTTMP/run-user" "$@"
}

# Background processes a test started; killed when the case ends, so a failed
# assertion cannot leave e.g. a sleeping container behind for later tests.
BG_PIDS=()
track() { BG_PIDS+=("$@"); }

# Paths outside $TESTTMP a test creates (e.g. in /tmp): removed when the case
# ends, however it ends.
CLEANUP_PATHS=()
remove_at_exit() { CLEANUP_PATHS+=("$@"); }

# Programs run when the case ends, however it ends, after the background
# processes are killed: for what outlives the test's own processes, e.g.
# `at_exit "$OCHRE" oci delete --force ID` for a detached container (its
# state, as root, is not below $TESTTMP).  Each gets 30 s; their output and
# status are ignored.
AT_EXIT=()
at_exit() { AT_EXIT+=("$(printf '%q ' "$@")"); }

_cleanup() {
    local p
    for p in "${BG_PIDS[@]}" $(sleep_pids); do
        kill -KILL "$p" 2>/dev/null || true
    done
    for p in "${AT_EXIT[@]}"; do
        eval "timeout -k 5 30 $p" >/dev/null 2>&1 </dev/null || true
    done
    for p in "${CLEANUP_PATHS[@]}"; do
        rm -rf --one-file-system -- "$p" 2>/dev/null || true
    done
    return 0
}

_setup() {
    if [ -z "${TESTTMP:-}" ]; then
        TESTTMP=$(mktemp -d "${TMPDIR:-/tmp}/ochre-e2e.XXXXXX")
        chmod 0755 "$TESTTMP"
    fi
    export TESTTMP
    # Session dirs go below the test's own directory, so leftovers can be
    # checked precisely and are removed with it.
    export XDG_RUNTIME_DIR=$TESTTMP/run
    [ -d "$XDG_RUNTIME_DIR" ] || mkdir -m 0700 "$XDG_RUNTIME_DIR"
    export HOME=$TESTTMP/home
    mkdir -p "$HOME"
    export LANG=C LC_ALL=C
    # The image cache too, so every test starts cold and leaves nothing.
    export XDG_CACHE_HOME=$TESTTMP/cache
    unset XDG_CONFIG_HOME
    cd "$TESTTMP"
}

_run_case() {
    local file=$1 func=$2
    # shellcheck source=/dev/null
    source "$file"
    if ! declare -F "$func" >/dev/null; then
        echo "no function $func in $file" >&2
        exit 1
    fi
    _setup
    trap _cleanup EXIT
    # -e: an unexpected failing command fails the test; the ERR trap says
    # which one (-E makes functions inherit the trap).
    set -eEu
    trap 'echo "FAIL: command failed with status $? at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND" >&2' ERR
    # The harness's timeout sends SIGTERM first: say where the test hung.
    trap 'echo "FAIL: timed out (SIGTERM) while running: $BASH_COMMAND" >&2; exit 124' TERM
    "$func"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    if [ "${1:-}" != --run-case ] || [ $# -ne 3 ]; then
        echo "usage: bash lib.sh --run-case FILE FUNCTION" >&2
        exit 2
    fi
    _run_case "$2" "$3"
fi
