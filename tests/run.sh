#!/bin/bash
# tests/run.sh — ochre's test harness (run by `make check`, as root).
#
# usage: tests/run.sh [all|unit|e2e|vm] [FILTER]
#   unit    only the unit test binaries
#   e2e     only the end-to-end tests
#   vm      only the cgroup v2 guest's cases (tests/vm, as root: one qemu
#           boot; the guest is built on the first run and kept)
#   FILTER  an extended regex (a plain substring works) matched against each
#           case's name as printed, e.g. "exit_code", "runc", "\[user\]"
#
# Environment (defaults in brackets):
#   OCHRE_BUILD [build]            build dir: $OCHRE_BUILD/tests/unit/test_*
#   OCHRE_ASAN_BUILD [build-asan]  the same, built with sanitizers
#   OCHRE_PREFIX                   installed prefix (bin/ochre, ...) for e2e
#   OCHRE_SUID_PREFIX              optional: an install whose starter is setuid
#                                  root; user cases run again against it
#                                  ("[user-setuid]")
#   OCHRE_FUSE_PREFIX              optional: an install configured 'overlay =
#                                  fuse'; user cases run again ("[user-fuse]")
#   OCHRE_ROOTFS                   demo rootfs (scripts/build-demo-rootfs.sh)
#   OCHRE_IMAGES                   test images (scripts/build-test-images.sh);
#                                  image tests skip without it
#   OCHRE_HOSTILE                  hostile layouts (scripts/make-hostile-images.py);
#                                  hostile-image tests skip without it
#   OCHRE_USERNS_RESTRICT          optional: tests/helpers/userns_restrict.c,
#                                  built; the restricted-host tests skip
#                                  without it
#   OCHRE_NO_OPENAT2 [$OCHRE_BUILD/tests/helpers/no-openat2]
#                                  optional: tests/helpers/no_openat2.c,
#                                  built; the no-openat2 tests skip without it
#   OCHRE_PRELOAD_PROBE [$OCHRE_BUILD/tests/helpers/preload-probe.so]
#                                  optional: tests/helpers/preload_probe.c,
#                                  built; the LD_PRELOAD part of
#                                  test_attack_environment is left out
#                                  without it
#   OCHRE_TEST_USER [ochretest]    unprivileged user the e2e tests also run as
#   OCHRE_TEST_TIMEOUT [120]       seconds per test binary / e2e case
#   OCHRE_TEST_KEEP                if set, keep the per-run temp dir
#   OCHRE_VM_DIR [$OCHRE_BUILD/vm] the cgroup v2 guest's parts and results
#
# Output: one line per case, "PASS|FAIL|SKIP NAME", the captured output
# (indented) after each FAIL, and last exactly one summary line
# "N passed, N failed[, N skipped]".  Exit status 0 iff nothing failed.
set -u

cd "$(dirname "$0")/.." || exit 2

OCHRE_BUILD=${OCHRE_BUILD:-build}
OCHRE_ASAN_BUILD=${OCHRE_ASAN_BUILD:-build-asan}
OCHRE_SUID_PREFIX=${OCHRE_SUID_PREFIX:-}
OCHRE_FUSE_PREFIX=${OCHRE_FUSE_PREFIX:-}
OCHRE_TEST_USER=${OCHRE_TEST_USER:-ochretest}
OCHRE_USERNS_RESTRICT=${OCHRE_USERNS_RESTRICT:-}
OCHRE_NO_OPENAT2=${OCHRE_NO_OPENAT2:-$OCHRE_BUILD/tests/helpers/no-openat2}
OCHRE_PRELOAD_PROBE=${OCHRE_PRELOAD_PROBE:-$OCHRE_BUILD/tests/helpers/preload-probe.so}
OCHRE_VM_DIR=${OCHRE_VM_DIR:-$OCHRE_BUILD/vm}
TIMEOUT=${OCHRE_TEST_TIMEOUT:-120}
# A fixed PATH: sbin included (runc lives in /usr/sbin on Debian), and the
# same for root and the test user, so both find the same tools.
SAFE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH=$SAFE_PATH

part=all
case ${1:-} in
    all | unit | e2e | vm) part=$1; shift ;;
    -h | --help) sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
esac
filter=${1:-}
if [ $# -gt 1 ]; then
    echo "usage: $0 [all|unit|e2e|vm] [FILTER]" >&2
    exit 2
fi

passed=0 failed=0 skipped=0

# Does case NAME pass the developer's filter?
selected() { [ -z "$filter" ] || [[ $1 =~ $filter ]]; }

# report PASS|FAIL|SKIP NAME [LOGFILE]: one line; on FAIL (and, for the
# reason, on SKIP) the captured output follows, indented.
report() {
    local verdict=$1 name=$2 log=${3:-}
    case $verdict in
        PASS) passed=$((passed + 1)); echo "PASS $name" ;;
        SKIP)
            skipped=$((skipped + 1))
            # The reason is the "SKIP: ..." line the test printed.
            echo "SKIP $name${log:+ ($(sed -n 's/^SKIP: //p' "$log" | tail -n 1))}"
            ;;
        FAIL)
            failed=$((failed + 1))
            echo "FAIL $name"
            [ -n "$log" ] && [ -s "$log" ] && sed 's/^/    /' "$log"
            ;;
    esac
    return 0
}

# ---------------------------------------------------------------- unit tests
#
# Each binary prints "ok - NAME" / "not ok - NAME" lines (TAP-like; a number
# after ok and a "# SKIP" directive are tolerated) and exits non-zero if any
# test failed.  Every such line counts as one case.  A binary that crashes,
# times out or exits non-zero without a "not ok" line counts as one failure
# of its own, so a crash cannot hide behind the tests that ran before it.

run_unit_binary() {
    local bin=$1 build=$2 log rc=0 line verdict name any_fail=0 any_selected=0
    local base=unit/${bin##*/}
    log=$(mktemp)
    # The outer 2>/dev/null silences bash's own "Segmentation fault" notice;
    # the crash is reported below from the exit status.
    { timeout -k 10 "$TIMEOUT" "$bin" >"$log" 2>&1 </dev/null; } 2>/dev/null || rc=$?
    # shellcheck disable=SC2094 # the loop and report only read the log
    while IFS= read -r line; do
        if [[ $line =~ ^(not\ )?ok([[:space:]]+[0-9]+)?[[:space:]]+-[[:space:]]+(.*)$ ]]; then
            name=${BASH_REMATCH[3]}
            verdict=PASS
            [ -n "${BASH_REMATCH[1]}" ] && verdict=FAIL any_fail=1
            if [[ $name =~ ^(.*[^[:space:]])[[:space:]]*#[[:space:]]*[Ss][Kk][Ii][Pp] ]]; then
                name=${BASH_REMATCH[1]}
                [ "$verdict" = PASS ] && verdict=SKIP
            fi
            selected "$base:$name [$build]" || continue
            any_selected=1
            # On failure show the binary's whole output: assertion messages
            # usually come before the "not ok" line.
            if [ "$verdict" = FAIL ]; then
                report FAIL "$base:$name [$build]" "$log"
            else
                report "$verdict" "$base:$name [$build]"
            fi
        fi
    done <"$log"
    if [ "$rc" -ne 0 ] && [ "$any_fail" -eq 0 ]; then
        # Report it if the filter selected this binary or any of its tests.
        if [ "$any_selected" -eq 1 ] || selected "$base [$build]"; then
            case $rc in
                124 | 137) echo "(timed out after ${TIMEOUT}s)" >>"$log" ;;
                *)
                    if [ "$rc" -gt 128 ]; then
                        echo "(killed by signal $((rc - 128)) ($(kill -l $((rc - 128)) 2>/dev/null)))" >>"$log"
                    else
                        echo "(exit status $rc without a 'not ok' line)" >>"$log"
                    fi
                    ;;
            esac
            report FAIL "$base [$build]" "$log"
        fi
    fi
    rm -f "$log"
}

run_unit() {
    local build bin
    for build in "$OCHRE_BUILD" "$OCHRE_ASAN_BUILD"; do
        [ -d "$build/tests/unit" ] || continue
        for bin in "$build"/tests/unit/test_*; do
            # Skip the glob itself (no match) and objects, dep files, dirs.
            if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then continue; fi
            run_unit_binary "$bin" "${build##*/}"
        done
    done
}

# ----------------------------------------------------------------- e2e tests
#
# Every tests/e2e/test_*.sh defines functions test_*; each one is a case,
# run by `bash lib.sh --run-case FILE FUNC` in a fresh process:
#   - as root and as $OCHRE_TEST_USER (only as root if the name ends in
#     _rootonly; such tests may switch to the user themselves);
#   - with OCHRE_RUNTIME=crun and =runc if the name contains _rt_, else crun.
# The scripts are copied to a per-run temp dir first, because the test user
# may not be able to read the source tree; the tests use only $OCHRE_PREFIX,
# $OCHRE_ROOTFS, $OCHRE_IMAGES and $OCHRE_HOSTILE. The probe programs in
# tests/helpers (scripts, and the built helpers named by OCHRE_NO_OPENAT2
# and OCHRE_PRELOAD_PROBE) go to its helpers/, beside e2e/: a test finds a
# script there relative to itself ("$(dirname "${BASH_SOURCE[0]}")/../helpers").
# tests/cluster/ goes along too, to $RUNDIR/cluster (test_cluster.sh).

RUNDIR=
cleanup_rundir() {
    [ -n "$RUNDIR" ] || return 0
    # Mounts under RUNDIR are a bug (reported by the tests), but must not
    # make rm -rf descend into, say, a bind of the rootfs.
    umount_under "$RUNDIR"
    if [ -n "${OCHRE_TEST_KEEP:-}" ]; then
        echo "keeping $RUNDIR" >&2
    else
        rm -rf --one-file-system "$RUNDIR"
    fi
}

# Lazily unmount anything mounted at or below $1 (deepest first).
umount_under() {
    [ "$(id -u)" -eq 0 ] || return 0
    local m
    awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
        sort -r | while IFS= read -r m; do
            umount -l "$m" 2>/dev/null || true
        done
}

# Create the test user and its subordinate id ranges (needed by rootless
# containers: the runtime maps more than one id) if missing.
setup_test_user() {
    if ! id -u "$OCHRE_TEST_USER" >/dev/null 2>&1; then
        useradd -m -s /bin/sh "$OCHRE_TEST_USER" || return 1
    fi
    # A supplementary group of its own, so that tests of what happens to
    # the caller's supplementary groups (--no-setgroups) see at least one.
    if ! id -nG "$OCHRE_TEST_USER" | tr ' ' '\n' | grep -qx "$OCHRE_TEST_USER-extra"; then
        groupadd -f "$OCHRE_TEST_USER-extra" && usermod -aG "$OCHRE_TEST_USER-extra" "$OCHRE_TEST_USER" ||
            return 1
    fi
    local uid f
    uid=$(id -u "$OCHRE_TEST_USER")
    for f in /etc/subuid /etc/subgid; do
        # Entries may name the user or its numeric id.
        if ! grep -qE "^($OCHRE_TEST_USER|$uid):" "$f" 2>/dev/null; then
            echo "$OCHRE_TEST_USER:200000:65536" >>"$f" || return 1
        fi
    done
}

# Run one case and report it.  $1 file, $2 function, $3 root|user, $4 runtime
run_e2e_case() {
    local file=$1 func=$2 who=$3 rt=$4 name log tt rc=0 owner home prefix=$OCHRE_PREFIX
    name="e2e/$(basename "$file" .sh):$func [$who] [$rt]"
    selected "$name" || return 0
    # The same user cases again against the other installs: the starter
    # setuid root, and the fuse-overlayfs fallback ('overlay = fuse').
    case $who in
        user-setuid) prefix=$OCHRE_SUID_PREFIX; who=user ;;
        user-fuse) prefix=$OCHRE_FUSE_PREFIX; who=user ;;
    esac

    if ! command -v "$rt" >/dev/null; then
        log=$(mktemp)
        echo "SKIP: runtime $rt not installed" >"$log"
        report SKIP "$name" "$log"
        rm -f "$log"
        return 0
    fi

    # Without root, "user" cases run as whoever runs the harness.
    if [ "$who" = root ] || [ "$(id -u)" -ne 0 ]; then
        owner=$(id -un)
    else
        owner=$OCHRE_TEST_USER
    fi
    # TESTTMP: fresh, owned by the user running the case; 0755 so a
    # _rootonly test can hand files in it to the test user.
    tt=$(mktemp -d "$RUNDIR/$owner/case.XXXXXX")
    chmod 0755 "$tt"
    log=$RUNDIR/log.$$
    : >"$log"
    # As the user: setpriv rather than runuser, since it execs (no PAM
    # session, no extra parent), so timeout's process-group kill reaches the
    # whole case.
    local -a as=()
    home=${HOME:-/root}
    if [ "$who" = user ] && [ "$owner" != "$(id -un)" ]; then
        chown "$owner:" "$tt"
        home=$(getent passwd "$owner" | cut -d: -f6)
        home=${home:-/}
        as=(setpriv --reuid="$owner" --regid="$owner" --init-groups)
    fi
    timeout -k 10 "$TIMEOUT" "${as[@]}" \
        env -i PATH="$SAFE_PATH" HOME="$home" USER="$owner" LOGNAME="$owner" \
        OCHRE_PREFIX="$prefix" OCHRE_ROOTFS="$OCHRE_ROOTFS" OCHRE_SUID_PREFIX="$OCHRE_SUID_PREFIX" \
        OCHRE_IMAGES="$OCHRE_IMAGES" OCHRE_HOSTILE="$OCHRE_HOSTILE" \
        OCHRE_RUNTIME="$rt" OCHRE_TEST_USER="$OCHRE_TEST_USER" TESTTMP="$tt" \
        OCHRE_USERNS_RESTRICT="$OCHRE_USERNS_RESTRICT" OCHRE_NO_OPENAT2="$OCHRE_NO_OPENAT2" \
        OCHRE_PRELOAD_PROBE="$OCHRE_PRELOAD_PROBE" \
        bash "$RUNDIR/e2e/lib.sh" --run-case "$RUNDIR/e2e/${file##*/}" "$func" \
        >"$log" 2>&1 </dev/null || rc=$?
    case $rc in
        0) report PASS "$name" ;;
        77) report SKIP "$name" "$log" ;;
        124 | 137)
            echo "(timed out after ${TIMEOUT}s)" >>"$log"
            report FAIL "$name" "$log"
            ;;
        *)
            echo "(exit status $rc)" >>"$log"
            report FAIL "$name" "$log"
            ;;
    esac
    kill_case_leftovers "$tt"
    umount_under "$tt"
    rm -rf --one-file-system "$tt" 2>/dev/null
    rm -f "$log"
}

# Kill (SIGKILL, by pid) whatever a finished or timed-out case left running:
# every process whose command line mentions its TESTTMP (ochre, the starter,
# the runtime: the session dir lives there) or whose cwd is in it (the test's
# shells), plus all their descendants (the container's processes).  The tree
# is collected before anything is killed, because a child whose parent dies
# is reparented and could no longer be found.  Tests check for leftovers
# themselves (assert_nothing_left); this only keeps one broken case from
# disturbing the next ones.
kill_case_leftovers() {
    local tt=$1 pid roots=() all=()
    # (mktemp names hold no regex specials but '.', which matches itself too)
    mapfile -t roots < <(
        pgrep -f -- "$tt"
        find /proc/[0-9]*/cwd -maxdepth 0 \( -lname "$tt" -o -lname "$tt/*" \) 2>/dev/null |
            cut -d/ -f3
    )
    [ ${#roots[@]} -gt 0 ] || return 0
    # Descendants, from a single snapshot of the process table.
    mapfile -t all < <(ps -e -o pid=,ppid= | awk -v roots="${roots[*]}" '
        BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
        { parent[$1] = $2; pids[++m] = $1 }
        END {
            do {
                changed = 0
                for (i = 1; i <= m; i++)
                    if (!(pids[i] in keep) && (parent[pids[i]] in keep)) { keep[pids[i]] = 1; changed = 1 }
            } while (changed)
            for (p in keep) print p
        }')
    for pid in "${all[@]}"; do
        [ "$pid" = $$ ] || kill -KILL "$pid" 2>/dev/null || true
    done
}

# Report a problem that prevents the e2e tests from running as one failure.
e2e_setup_fail() {
    local log
    log=$(mktemp)
    printf '%s\n' "$@" >"$log"
    report FAIL "e2e/setup" "$log"
    rm -f "$log"
}

# The helpers into $RUNDIR/helpers: scripts readable, built ones executable
# (where they exist; the variables then name the copies, else nothing).
copy_helpers() {
    local var
    mkdir -m 0755 "$RUNDIR/helpers"
    cp tests/helpers/*.py tests/helpers/*.sh "$RUNDIR/helpers/"
    chmod 0644 "$RUNDIR"/helpers/*
    for var in OCHRE_NO_OPENAT2 OCHRE_PRELOAD_PROBE; do
        if [ -n "${!var}" ] && [ -f "${!var}" ]; then
            install -m 0755 "${!var}" "$RUNDIR/helpers/"
            printf -v "$var" %s "$RUNDIR/helpers/${!var##*/}"
        else
            printf -v "$var" %s ""
        fi
    done
}

run_e2e() {
    local file func who rt whos rts
    local files=(tests/e2e/test_*.sh)
    [ -e "${files[0]}" ] || return 0

    if [ -z "${OCHRE_PREFIX:-}" ] || [ ! -x "$OCHRE_PREFIX/bin/ochre" ]; then
        e2e_setup_fail "OCHRE_PREFIX='${OCHRE_PREFIX:-}' has no executable bin/ochre" \
            "(run 'make check', or set OCHRE_PREFIX to an installed prefix)"
        return
    fi
    if [ -z "${OCHRE_ROOTFS:-}" ] || [ ! -d "$OCHRE_ROOTFS" ]; then
        e2e_setup_fail "OCHRE_ROOTFS='${OCHRE_ROOTFS:-}' is not a directory" \
            "(build one with scripts/build-demo-rootfs.sh DIR)"
        return
    fi
    # The tests cd around; make both paths absolute.
    OCHRE_PREFIX=$(cd "$OCHRE_PREFIX" && pwd)
    OCHRE_ROOTFS=$(cd "$OCHRE_ROOTFS" && pwd)
    # The image sets are optional (their tests skip without them), but one
    # that is named must exist.
    local var
    for var in OCHRE_IMAGES OCHRE_HOSTILE; do
        [ -n "${!var:-}" ] || continue
        if [ ! -d "${!var}" ]; then
            e2e_setup_fail "$var='${!var}' is not a directory"
            return
        fi
        printf -v "$var" %s "$(cd "${!var}" && pwd)"
    done
    OCHRE_IMAGES=${OCHRE_IMAGES:-} OCHRE_HOSTILE=${OCHRE_HOSTILE:-}

    RUNDIR=$(mktemp -d /tmp/ochre-tests.XXXXXX) || return
    trap cleanup_rundir EXIT
    trap 'exit 130' INT TERM HUP
    chmod 0755 "$RUNDIR"
    mkdir -m 0755 "$RUNDIR/e2e" "$RUNDIR/cluster" "$RUNDIR/$(id -un)"
    cp tests/e2e/lib.sh tests/e2e/*_lib.sh tests/e2e/*.py "${files[@]}" "$RUNDIR/e2e/"
    # The one-machine Slurm cluster and its MPI program, for test_cluster.sh.
    cp tests/cluster/* "$RUNDIR/cluster/"
    chmod 0644 "$RUNDIR"/e2e/* "$RUNDIR"/cluster/*
    copy_helpers

    if [ "$(id -u)" -eq 0 ]; then
        whos="root user"
        [ -n "$OCHRE_SUID_PREFIX" ] && whos="$whos user-setuid"
        if [ -n "$OCHRE_FUSE_PREFIX" ]; then
            whos="$whos user-fuse"
            # FUSE for a non-root user needs /dev/fuse 0666, the usual
            # distribution default; this machine ships it 0600.
            chmod 0666 /dev/fuse
        fi
        if ! setup_test_user; then
            e2e_setup_fail "cannot create test user $OCHRE_TEST_USER or its subuid/subgid ranges"
            return
        fi
        mkdir -m 0755 "$RUNDIR/$OCHRE_TEST_USER"
        chown "$OCHRE_TEST_USER:" "$RUNDIR/$OCHRE_TEST_USER"
        # Catch an unreadable prefix or rootfs once, with a clear message,
        # rather than as a failure of every user case.
        # shellcheck disable=SC2016 # $1.. expand in the inner sh
        if ! setpriv --reuid="$OCHRE_TEST_USER" --regid="$OCHRE_TEST_USER" --init-groups \
            sh -c 'test -x "$1/bin/ochre" && test -x "$2/bin/busybox" && test -r "$3/e2e/lib.sh" &&
                   { [ -z "$4" ] || test -r "$4/busybox-oci/index.json"; } &&
                   { [ -z "$5" ] || test -r "$5/README"; }' \
            sh "$OCHRE_PREFIX" "$OCHRE_ROOTFS" "$RUNDIR" "$OCHRE_IMAGES" "$OCHRE_HOSTILE"; then
            e2e_setup_fail "user $OCHRE_TEST_USER cannot use $OCHRE_PREFIX/bin/ochre," \
                "$OCHRE_ROOTFS, $RUNDIR${OCHRE_IMAGES:+, $OCHRE_IMAGES}${OCHRE_HOSTILE:+, $OCHRE_HOSTILE}" \
                "(check permissions of every parent directory)"
            return
        fi
    else
        # A developer running without root: cases run as themselves, labelled
        # "user"; _rootonly cases are skipped.
        whos="user"
    fi

    for file in "${files[@]}"; do
        # Functions in definition order: "test_name() {" at the start of a line.
        # shellcheck disable=SC2013 # names are single words
        for func in $(sed -nE 's/^(test_[A-Za-z0-9_]+)[[:space:]]*\(\).*/\1/p' "$file"); do
            rts=crun
            [[ $func == *_rt_* ]] && rts="crun runc"
            for rt in $rts; do
                for who in $whos; do
                    if [[ $func == *_rootonly ]] && [ "$who" != root ]; then
                        if [ "$(id -u)" -ne 0 ]; then
                            local log
                            log=$(mktemp)
                            echo "SKIP: needs root" >"$log"
                            selected "e2e/$(basename "$file" .sh):$func [root] [$rt]" &&
                                report SKIP "e2e/$(basename "$file" .sh):$func [root] [$rt]" "$log"
                            rm -f "$log"
                        fi
                        continue
                    fi
                    run_e2e_case "$file" "$func" "$who" "$rt"
                done
            done
        done
    done
}

# ------------------------------------------------------------ the v2 guest
#
# tests/vm/run-guest.sh boots a Debian 12 guest with systemd and a pure
# cgroup v2 hierarchy under qemu (this host's cgroups are never touched)
# and runs tests/vm/guest-cases.sh there; each of its cases is reported as
# "vm/cgroups:NAME". Without root it is skipped; without qemu, the kernel
# package or the guest's DONE it fails, with run-guest's message.

run_vm() {
    local name=vm/cgroups log caselog rc=0 line cur='' verdict=''
    [ -z "$filter" ] || [[ $name =~ $filter ]] || return 0
    log=$(mktemp)
    if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP: needs root (debootstrap, the guest's disk)" >"$log"
        report SKIP "$name" "$log"
        rm -f "$log"
        return
    fi
    tests/vm/run-guest.sh "$OCHRE_VM_DIR" >"$log" 2>&1 || rc=$?
    caselog=$(mktemp)
    while IFS= read -r line; do
        case $line in
            "PASS "* | "FAIL "*)
                [ -z "$cur" ] || report "$verdict" "$name:$cur" "$caselog"
                : >"$caselog"
                verdict=${line%% *} cur=${line#* }
                ;;
            "    "*) printf '%s\n' "${line#    }" >>"$caselog" ;;
        esac
    done <"$log"
    [ -z "$cur" ] || report "$verdict" "$name:$cur" "$caselog"
    [ "$rc" -eq 0 ] || report FAIL "$name" "$log"
    rm -f "$log" "$caselog"
}

# ---------------------------------------------------------------------- main

[ "$part" = e2e ] || [ "$part" = vm ] || run_unit
[ "$part" = unit ] || [ "$part" = vm ] || run_e2e
[ "$part" = unit ] || [ "$part" = e2e ] || run_vm

summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
