#!/bin/bash
# Functions called through names built at run time look unreachable to
# ShellCheck, and the printf format of the table is a variable on purpose.
# shellcheck disable=SC2317,SC2059
# bench.sh: `make bench` (issue 7). Measures ochre against the bare OCI
# runtimes and its peers and prints one table of medians (min, max) with each
# figure's ratio to its reference, and for the targets also the median of
# per-round ratios; the same table goes to $BENCH_OUT/results.txt.
#
# What is measured (every launch runs /bin/true, each launch timed on its own
# with bash's $EPOCHREALTIME taken in a shell that already runs as the right
# user, so setpriv/env/bash start-up is outside the figure):
#  1. Cached launch: `ochre exec --runtime crun|runc IMAGE /bin/true` for the
#     busybox OCI layout (scripts/build-test-images.sh) and the Debian minbase
#     layout (scripts/build-bench-images.sh), both already in ochre's cache,
#     as root and as an unprivileged user ($BENCH_USER). Beside them, the
#     driver alone: the same launch from a copy of the install whose
#     ochre-starter is /bin/true (CLI, config, cache look-up, session dir,
#     config.json, request, exec; no namespaces, mounts or runtime).
#  2. The floor: `crun run` / `runc run` of a ready bundle holding the busybox
#     rootfs, with the config.json that ochre itself generates for that user
#     and runtime (captured from a live session; args set to /bin/true, root
#     set to the unpacked rootfs). Like ochre's starter, the floor runs in a
#     private mount namespace (root: `unshare -m`) or in a user namespace
#     mapping the caller to root (user: `unshare -U -r -m`), where the cgroup
#     v2 half of a hybrid host is unmounted / covered by a tmpfs so that crun
#     accepts to run (see NOTES-runtime.md). Namespace creation is outside
#     the timed part; ochre pays for its own inside its figure. crun gets
#     the options ochre gives it (--cgroup-manager=disabled: no cgroup of
#     its own; runc has no such option and makes one, as root, in both).
#     Run as users run it, crun copies itself (a read-only bind of its
#     binary) and execs itself again, its guard against CVE-2019-5736;
#     ochre's starter execs crun from a read-only clone of its mount, which
#     crun trusts, so it skips that. A second crun floor row shows crun
#     with its binary on a read-only bind (made outside the timed part):
#     the floor without the self-copy, for a like-for-like comparison.
#  3. Peers, same image: `podman run --rm` of the busybox layout pre-loaded
#     into a private podman store (so a cached launch), Charliecloud's `ch-run`
#     and `bwrap` on the unpacked busybox rootfs; a peer that cannot run here
#     gets a "skipped: why" row.
#  4. Import of minbase into an empty cache (`ochre pull --cache-only`) and
#     cold launch (empty cache: import + run), vs `tar -xzf` of the layer
#     blobs and `umoci unpack` of the same layout; and `ochre pull` of it to an
#     OCI-SIF vs tar2sqfs of the layers and mksquashfs of the unpacked tree.
#  5. $BENCH_CONCURRENCY (50) concurrent cached launches of busybox: wall time
#     of the batch, failures, and a leftover check (session dirs, processes,
#     mounts) after each batch.
#  6. Peak RSS of the driver and of the starter for a cached launch, see
#     rss_driver/rss_starter below for what exactly each figure is.
#  7. Single-file images (issue 19), root and user: the Debian minbase +
#     python3 + numpy image of scripts/build-bench-images.sh, once as the
#     OCI-SIF numpy.sif (run in place, one squashfs layer served by
#     squashfuse_ll) and once as the OCI layout numpy-oci (unpacked into
#     the cache): the first launch (/bin/true) on an empty cache, SIF vs
#     import + run of the layout; the warm launch (/bin/true), SIF vs the
#     layout already in the cache; `python3 -c 'import numpy'` in each of
#     these two; and, in section 5's rounds, $BENCH_CONCURRENCY concurrent
#     launches of numpy.sif, its squashfuse_ll servers counted among the
#     leftovers. The SIF file and the layout's blobs are in the page cache
#     (they were just copied), as on a node that launched them before.
# The commands of a section are alternated round by round (A B C A B C ...)
# so that machine noise hits all of them alike.
#
# Environment: OCHRE_PREFIX (an ochre install readable by $BENCH_USER, the
# bench target makes one in /tmp), BENCH_IMAGES (dir holding minbase-oci,
# numpy-oci, numpy.sif and busybox/busybox-oci), BENCH_OUT (results dir),
# BENCH_ROUNDS (launch rounds, default 15; also section 7's warm rounds),
# BENCH_IMPORT_ROUNDS (default 7; also section 7's first-launch rounds),
# BENCH_CONCURRENCY (default 50), BENCH_CONC_ROUNDS (default 3),
# BENCH_RSS_ROUNDS (default 5), BENCH_USER (default ochrebench, created if
# missing when run as root), BENCH_SECTIONS (the sections to run, of
# "launch conc rss import sif"; default all of them; the floor and peers
# are set up for "launch" only).
set -euo pipefail

PREFIX=${OCHRE_PREFIX:?set OCHRE_PREFIX to an installed ochre prefix}
IMAGES=${BENCH_IMAGES:?set BENCH_IMAGES}
OUT=${BENCH_OUT:-build/bench}
ROUNDS=${BENCH_ROUNDS:-15}
IMPORT_ROUNDS=${BENCH_IMPORT_ROUNDS:-7}
CONC=${BENCH_CONCURRENCY:-50}
CONC_ROUNDS=${BENCH_CONC_ROUNDS:-3}
RSS_ROUNDS=${BENCH_RSS_ROUNDS:-5}
BUSER=${BENCH_USER:-ochrebench}
SECTIONS=" ${BENCH_SECTIONS:-launch conc rss import sif} "
SAFE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
PREFIX=$(cd "$PREFIX" && pwd)
OCHRE=$PREFIX/bin/ochre
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

log() { echo "bench: $*" >&2; }
want() { [[ $SECTIONS == *" $1 "* ]]; }

# Everything lives in one world-traversable temp dir: the unprivileged user
# needs the images, the rootfs, the bundles and the helper scripts.
work=$(mktemp -d /tmp/ochre-bench.XXXXXX)
chmod 755 "$work"
statedir=$work/state # runtime state, see below
cleanup() {
    local f m
    # The rootless podman leaves its pause process (it keeps the user
    # namespace); end it by its pid.
    for f in "$statedir"/*/run/libpod/tmp/pause.pid "$statedir"/*/podman-tmp/pause.pid; do
        if [ -r "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
    done
    # podman's overlay store bind-mounts itself; nothing else should be here.
    awk -v d="$work" 'index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
        sort -r | while IFS= read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# --- users -----------------------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
    WHOS="root user"
    if ! id -u "$BUSER" >/dev/null 2>&1; then
        useradd -m -s /bin/sh "$BUSER"
    fi
    for f in /etc/subuid /etc/subgid; do
        grep -qE "^($BUSER|$(id -u "$BUSER")):" "$f" 2>/dev/null ||
            echo "$BUSER:300000:65536" >>"$f"
    done
else
    # Not root: the "user" rows run as whoever runs the bench.
    WHOS="user"
    BUSER=$(id -un)
fi
# Runtime state, $statedir: ochre's session dirs (XDG_RUNTIME_DIR), the floor's
# crun/runc --root and podman's runroot. On a real host all of them are on a
# tmpfs (/run/user/UID, /run); on this VM /run is on the root disk, whose
# metadata writes would weigh on every launch. So, as root, a tmpfs of its
# own. The image caches, rootfs and podman's store stay on disk.
mkdir -p "$statedir"
if [ "$(id -u)" -eq 0 ]; then
    mount -t tmpfs -o mode=755,size=2g ochre-bench-rt "$statedir"
fi
for who in $WHOS; do
    mkdir -p "$work/$who/cache" "$work/$who/home" "$work/$who/podman" \
        "$statedir/$who/run" "$statedir/$who/stubrun" "$statedir/$who/state-crun" "$statedir/$who/state-runc" \
        "$statedir/$who/podman-run" "$statedir/$who/podman-tmp"
    chmod 700 "$statedir/$who/run" "$statedir/$who/stubrun"
done
if [ "$(id -u)" -eq 0 ]; then
    chown -R "$BUSER:" "$work/user" "$statedir/user"
fi

# ROOT_PRE / USER_PRE: the command prefix that runs something as root / as
# the bench user, with a clean environment of its own. Both exec (no extra
# process), so "${USER_PRE[@]}" CMD & gives CMD's pid in $!.
env_common=(PATH="$SAFE_PATH" LC_ALL=C)
ROOT_PRE=(env -i "${env_common[@]}" HOME=/root USER=root LOGNAME=root
    XDG_CACHE_HOME="$work/root/cache" XDG_RUNTIME_DIR="$statedir/root/run")
USER_PRE=(env -i "${env_common[@]}" HOME="$work/user/home" USER="$BUSER" LOGNAME="$BUSER"
    XDG_CACHE_HOME="$work/user/cache" XDG_RUNTIME_DIR="$statedir/user/run")
if [ "$(id -u)" -eq 0 ]; then
    USER_PRE=(setpriv --reuid="$BUSER" --regid="$BUSER" --init-groups "${USER_PRE[@]}")
fi
as_root() { "${ROOT_PRE[@]}" "$@"; }
as_user() { "${USER_PRE[@]}" "$@"; }
# The namespaces the floor runs in, as ochre's starter makes them: a private
# mount namespace for root; for a user, a user namespace mapping the caller
# to root and its /etc/subuid range from 1 up (the starter does the same with
# newuidmap; runc, as ochre configures it, needs uid 1 mapped).
ns_root() { as_root unshare -m "$@"; }
ns_user() { as_user unshare --map-root-user --map-auto -m "$@"; }

# --- helper scripts (run as either user) ------------------------------------
# timer.sh [--hybrid-fix] CMD...: run CMD once (no output), print its wall
# time in microseconds. --hybrid-fix (only in a private mount namespace):
# hide the cgroup v2 half of a hybrid cgroup host, so crun runs. --ro-bind
# FILE (likewise): bind FILE read-only over itself first.
cat >"$work/timer.sh" <<'EOF'
if [ "$1" = --hybrid-fix ]; then
    shift
    if mountpoint -q /sys/fs/cgroup/unified; then
        umount /sys/fs/cgroup/unified 2>/dev/null ||
            mount -t tmpfs -o ro,size=4k ochre-bench /sys/fs/cgroup/unified
    fi
fi
if [ "$1" = --ro-bind ]; then
    mount --bind "$2" "$2" && mount -o remount,bind,ro "$2" || exit 1
    shift 2
fi
t0=$EPOCHREALTIME
"$@" >/dev/null </dev/null || { rc=$?; echo "exit status $rc: $*" >&2; exit 1; }
t1=$EPOCHREALTIME
echo $(( 10#${t1//[.,]/} - 10#${t0//[.,]/} ))
EOF
# conc.sh N CMD...: start N copies of CMD at once and wait for all of them;
# print "WALL_US FAILURES". The copies' stderr goes to conc.sh's stderr.
cat >"$work/conc.sh" <<'EOF'
n=$1; shift
pids=()
t0=$EPOCHREALTIME
for ((i = 0; i < n; i++)); do "$@" >/dev/null </dev/null & pids+=($!); done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=$((fail + 1)); done
t1=$EPOCHREALTIME
echo "$(( 10#${t1//[.,]/} - 10#${t0//[.,]/} )) $fail"
EOF
TIMER=(bash "$work/timer.sh")
chmod 644 "$work/timer.sh" "$work/conc.sh"

# --- images ------------------------------------------------------------------
cp -a "$IMAGES/minbase-oci" "$work/minbase-oci"
cp -a "$IMAGES/busybox/busybox-oci" "$work/busybox-oci"
chmod -R a+rX "$work/minbase-oci" "$work/busybox-oci"
BB=oci:$work/busybox-oci:latest
MB=oci:$work/minbase-oci:latest
LAYOUT=$work/minbase-oci
if want sif; then
    for f in numpy-oci numpy.sif; do
        [ -e "$IMAGES/$f" ] || { log "$IMAGES/$f missing (scripts/build-bench-images.sh $IMAGES MKSIF)"; exit 1; }
    done
    cp -a "$IMAGES/numpy-oci" "$work/numpy-oci"
    cp "$IMAGES/numpy.sif" "$work/numpy.sif"
    chmod -R a+rX "$work/numpy-oci" "$work/numpy.sif"
fi
NP=oci:$work/numpy-oci:latest
NPSIF=$work/numpy.sif

log "pre-pulling busybox and minbase into each user's ochre cache"
for who in $WHOS; do
    as_"$who" "$OCHRE" --quiet pull --cache-only "$BB" >/dev/null
    as_"$who" "$OCHRE" --quiet pull --cache-only "$MB" >/dev/null
    if want sif; then as_"$who" "$OCHRE" --quiet pull --cache-only "$NP" >/dev/null; fi
done
# The unpacked busybox rootfs for the floor, ch-run and bwrap: a copy of
# root's (or the user's) ochre cache entry, readable by everyone.
first=${WHOS%% *}
# (Not a pipeline into head: under pipefail, a loop whose last test fails,
# or a find cut off by SIGPIPE, would end the script, depending on the
# order in which find lists the entries, which their digests decide.)
entry=
for d in "$work/$first/cache"/ochre/images/*/rootfs; do
    if [ -x "$d/bin/busybox" ]; then entry=$d; break; fi
done
[ -n "$entry" ] || { log "cannot find the busybox rootfs in the ochre cache"; exit 1; }
cp -a "$entry" "$work/rootfs"
chmod -R a+rX "$work/rootfs"
ROOTFS=$work/rootfs

# A copy of the install whose ochre-starter is /bin/true: running it times
# (and measures the memory of) the driver alone. Its sessions go to a
# runtime dir of their own ($statedir/WHO/stubrun), as the stub leaves them behind.
stub=$work/stubprefix
cp -a "$PREFIX" "$stub"
cp /bin/true "$stub/libexec/ochre/ochre-starter"
chmod -R a+rX "$stub"

# Capture the config.json that ochre writes for WHO and RT (from a session
# that sleeps), and turn it into a floor bundle: args /bin/true, root the
# unpacked rootfs.
make_floor_bundle() {
    local who=$1 rt=$2 pid cfg="" i
    as_"$who" "$OCHRE" exec --runtime "$rt" "$BB" /bin/sleep 5 >/dev/null 2>&1 &
    pid=$!
    for ((i = 0; i < 100; i++)); do
        cfg=$(find "$statedir/$who/run/ochre" -mindepth 2 -maxdepth 2 -name config.json 2>/dev/null | head -n 1)
        [ -n "$cfg" ] && [ -s "$cfg" ] && break
        sleep 0.05
    done
    mkdir -p "$work/floor/$who-$rt"
    if [ -n "$cfg" ]; then
        cp "$cfg" "$work/floor/$who-$rt/config.json.ochre"
        # The session's /etc files (passwd, group, resolv.conf, hosts),
        # which the config binds, go with it.
        cp -r "$(dirname "$cfg")/etc" "$work/floor/$who-$rt/etc" 2>/dev/null || true
    fi
    wait "$pid" || true
    [ -s "$work/floor/$who-$rt/config.json.ochre" ] || return 1
    python3 - "$work/floor/$who-$rt/config.json.ochre" "$work/floor/$who-$rt/config.json" "$ROOTFS" \
        "$(dirname "$cfg")" "$work/floor/$who-$rt" <<'PY'
import json, os, sys
c = json.load(open(sys.argv[1]))
rootfs, session, floor = sys.argv[3], sys.argv[4], sys.argv[5]
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
c["root"] = {"path": rootfs, "readonly": False}
# The same mounts as ochre's container: sources from the session dir now
# come from the floor bundle, and the mount points ochre's own layer
# provides (the home, say) are made in the floor's copy of the rootfs.
for m in c.get("mounts", []):
    if m.get("source", "").startswith(session + "/"):
        m["source"] = floor + m["source"][len(session):]
    dest = os.path.join(rootfs, m["destination"].lstrip("/"))
    if not os.path.lexists(dest):
        if m.get("type") in ("none", "bind") and os.path.isfile(m.get("source", "")):
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            open(dest, "a").close()
        else:
            os.makedirs(dest, exist_ok=True)
json.dump(c, open(sys.argv[2], "w"), indent=1)
PY
    chmod -R a+rX "$work/floor"
}

# --- podman: a private store per user, the image loaded once ---------------
# Root: runc (crun needs the hybrid-cgroup trick) and the ulimits root may not
# raise here; rootless: --network none (no /dev/net/tun), vfs storage.
podman_args() {
    local who=$1
    echo --root "$work/$who/podman/root" --runroot "$statedir/$who/podman-run" \
        --tmpdir "$statedir/$who/podman-tmp" --cgroup-manager cgroupfs --events-backend file
}
podman_run_args() {
    if [ "$1" = root ]; then
        echo --rm --network none --runtime runc --ulimit nofile=20000:20000 --ulimit nproc=32768:32768
    else
        echo --rm --network none --runtime runc
    fi
}
declare -A PODMAN_IMG=()

# --- the launch commands -----------------------------------------------------
# run_cmd NAME: run the command NAME once through timer.sh; print its µs.
n_id=0
# shellcheck disable=SC2046 # podman_args and podman_run_args give word lists
run_cmd() {
    local name=$1 who=${1%%_*} what=${1#*_} id
    n_id=$((n_id + 1))
    id=bench-$$-$n_id
    case $what in
        host_true) as_"$who" "${TIMER[@]}" /bin/true ;;
        floor_crun) ns_"$who" "${TIMER[@]}" --hybrid-fix crun --root "$statedir/$who/state-crun" \
                        --cgroup-manager=disabled run --bundle "$work/floor/$who-crun" "$id" ;;
        floor_crunro) ns_"$who" "${TIMER[@]}" --hybrid-fix --ro-bind "$CRUN" crun --root "$statedir/$who/state-crun" \
                        --cgroup-manager=disabled run --bundle "$work/floor/$who-crun" "$id" ;;
        floor_runc)
            if [ "$who" = root ]; then
                as_root "${TIMER[@]}" runc --root "$statedir/$who/state-runc" run --bundle "$work/floor/$who-runc" "$id"
            else
                ns_user "${TIMER[@]}" runc --root "$statedir/$who/state-runc" run --bundle "$work/floor/$who-runc" "$id"
            fi ;;
        ochre_driver) as_"$who" env XDG_RUNTIME_DIR="$statedir/$who/stubrun" "${TIMER[@]}" \
                          "$stub/bin/ochre" exec --runtime crun "$BB" /bin/true ;;
        ochre_crun_busybox) as_"$who" "${TIMER[@]}" "$OCHRE" exec --runtime crun "$BB" /bin/true ;;
        ochre_runc_busybox) as_"$who" "${TIMER[@]}" "$OCHRE" exec --runtime runc "$BB" /bin/true ;;
        ochre_crun_minbase) as_"$who" "${TIMER[@]}" "$OCHRE" exec --runtime crun "$MB" /bin/true ;;
        ochre_runc_minbase) as_"$who" "${TIMER[@]}" "$OCHRE" exec --runtime runc "$MB" /bin/true ;;
        podman) as_"$who" "${TIMER[@]}" podman $(podman_args "$who") run $(podman_run_args "$who") \
                    --entrypoint /bin/true "${PODMAN_IMG[$who]}" ;;
        chrun) as_"$who" "${TIMER[@]}" ch-run "$ROOTFS" -- /bin/true ;;
        bwrap) as_"$who" "${TIMER[@]}" bwrap --bind "$ROOTFS" / --proc /proc --dev /dev /bin/true ;;
        # Section 7. The first launches get an empty cache of their own,
        # emptied outside the timed part.
        sif_first) rm -rf "$work/$who/cold"
                   as_"$who" env XDG_CACHE_HOME="$work/$who/cold" "${TIMER[@]}" "$OCHRE" exec --runtime crun "$NPSIF" /bin/true ;;
        dir_first) rm -rf "$work/$who/cold"
                   as_"$who" env XDG_CACHE_HOME="$work/$who/cold" "${TIMER[@]}" "$OCHRE" exec --runtime crun "$NP" /bin/true ;;
        sif_warm) as_"$who" "${TIMER[@]}" "$OCHRE" exec --runtime crun "$NPSIF" /bin/true ;;
        dir_warm) as_"$who" "${TIMER[@]}" "$OCHRE" exec --runtime crun "$NP" /bin/true ;;
        sif_numpy) as_"$who" "${TIMER[@]}" "$OCHRE" exec --runtime crun "$NPSIF" python3 -c 'import numpy' ;;
        dir_numpy) as_"$who" "${TIMER[@]}" "$OCHRE" exec --runtime crun "$NP" python3 -c 'import numpy' ;;
        *) echo "bench: unknown command $name" >&2; return 1 ;;
    esac
}

label() {
    local name=$1 who=${1%%_*} what=${1#*_} l
    case $what in
        host_true) l="host: /bin/true (fork+exec)" ;;
        floor_crun) l="floor: crun run (bundle)" ;;
        floor_crunro) l="  crun run, binary read-only (no self-copy)" ;;
        floor_runc) l="floor: runc run (bundle)" ;;
        ochre_driver) l="  driver alone (stub starter)" ;;
        ochre_crun_busybox) l="ochre exec busybox (crun)" ;;
        ochre_runc_busybox) l="ochre exec busybox (runc)" ;;
        ochre_crun_minbase) l="ochre exec minbase (crun)" ;;
        ochre_runc_minbase) l="ochre exec minbase (runc)" ;;
        podman) l="podman run --rm busybox (runc)" ;;
        chrun) l="ch-run busybox rootfs" ;;
        bwrap) l="bwrap busybox rootfs" ;;
        sif_first) l="numpy.sif, empty cache" ;;
        dir_first) l="numpy-oci, empty cache (import + run)" ;;
        sif_warm) l="numpy.sif /bin/true" ;;
        dir_warm) l="numpy-oci /bin/true, cached" ;;
        sif_numpy) l="numpy.sif import numpy" ;;
        dir_numpy) l="numpy-oci import numpy, cached" ;;
        *) l=$what ;;
    esac
    echo "$l [$who]"
}

# SKIP[name]: why a command cannot run here (it gets a row saying so).
declare -A SKIP=()
skip_because() {
    local name=$1
    shift
    SKIP[$name]=$(printf '%s' "$*" | tr '\n' ' ' | cut -c1-90)
    log "$(label "$name"): skipped: ${SKIP[$name]}"
}

LAUNCH=()
want launch && for who in $WHOS; do
    LAUNCH+=("${who}_floor_crun" "${who}_floor_crunro" "${who}_floor_runc"
        "${who}_ochre_crun_busybox" "${who}_ochre_runc_busybox"
        "${who}_ochre_crun_minbase" "${who}_ochre_runc_minbase" "${who}_ochre_driver"
        "${who}_podman" "${who}_chrun" "${who}_bwrap" "${who}_host_true")
done

CRUN=$(command -v crun || echo /usr/bin/crun)
want launch && log "setting up floor bundles and peers"
want launch && for who in $WHOS; do
    for rt in crun runc; do
        if ! command -v "$rt" >/dev/null; then
            skip_because "${who}_floor_$rt" "$rt not installed"
        elif ! make_floor_bundle "$who" "$rt"; then
            skip_because "${who}_floor_$rt" "could not capture ochre's config.json for $rt"
        fi
    done
    [ -n "${SKIP[${who}_floor_crun]:-}" ] && skip_because "${who}_floor_crunro" "${SKIP[${who}_floor_crun]}"
    if ! command -v podman >/dev/null; then
        skip_because "${who}_podman" "podman not installed"
    else
        # shellcheck disable=SC2046
        # A relative path: podman names the image after it, and a name with
        # upper case letters (mktemp's) is refused.
        if img=$(as_"$who" env -C "$work" podman $(podman_args "$who") pull -q oci:busybox-oci:latest 2>"$work/last.err"); then
            PODMAN_IMG[$who]=$img
        else
            skip_because "${who}_podman" "podman pull: $(tail -n 1 "$work/last.err")"
        fi
    fi
    command -v ch-run >/dev/null || skip_because "${who}_chrun" "ch-run not installed (charliecloud-runtime)"
    command -v bwrap >/dev/null || skip_because "${who}_bwrap" "bwrap not installed (bubblewrap)"
done
SIF_FIRST=() SIF_WARM=()
want sif && for who in $WHOS; do
    SIF_FIRST+=("${who}_sif_first" "${who}_dir_first")
    SIF_WARM+=("${who}_sif_warm" "${who}_dir_warm" "${who}_sif_numpy" "${who}_dir_numpy")
done
# One trial launch of each: what fails here is skipped, with the reason.
# (The first launches' trial leaves a cache the timed runs remove.)
for name in "${LAUNCH[@]}" "${SIF_FIRST[@]}" "${SIF_WARM[@]}"; do
    [ -n "${SKIP[$name]:-}" ] && continue
    run_cmd "$name" >/dev/null 2>"$work/last.err" ||
        skip_because "$name" "$(grep -v '^exit status' "$work/last.err" | tail -n 2)"
done

# measure NAME: one timed run of NAME appended to $work/NAME.us; a failure
# is counted in $work/NAME.fail and does not stop the bench.
measure() {
    local name=$1 us
    if us=$(run_cmd "$name" 2>"$work/last.err") && [ -n "$us" ]; then
        echo "$us" >>"$work/$name.us"
    else
        echo x >>"$work/$name.fail"
        log "$(label "$name") failed: $(tail -n 2 "$work/last.err" | tr '\n' ' ')"
    fi
}

# rounds N NAME...: N rounds of the NAMEs, alternated.
rounds() {
    local n=$1 r name
    shift
    for ((r = 0; r < n; r++)); do
        for name in "$@"; do
            [ -n "${SKIP[$name]:-}" ] || measure "$name"
        done
    done
}
if want launch; then
    log "cached launches: ${#LAUNCH[@]} commands, $ROUNDS rounds"
    rounds "$ROUNDS" "${LAUNCH[@]}"
fi
if want sif; then
    log "single-file image: first launches, ${#SIF_FIRST[@]} commands, $IMPORT_ROUNDS rounds"
    rounds "$IMPORT_ROUNDS" "${SIF_FIRST[@]}"
    rm -rf "$work/root/cold" "$work/user/cold"
    log "single-file image: warm launches, ${#SIF_WARM[@]} commands, $ROUNDS rounds"
    rounds "$ROUNDS" "${SIF_WARM[@]}"
fi

# --- concurrency --------------------------------------------------------------
# servers: the squashfuse_ll processes that hold a file of this bench open
# (their command lines name /dev/fd/N, not the file; as the user, only the
# user's own can be looked at, and the user's are the user's).
servers() {
    local p n=0
    for p in $(pgrep -x squashfuse_ll || true); do
        if find "/proc/$p/fd" -mindepth 1 -maxdepth 1 -lname "$work/*" 2>/dev/null | grep -q .; then
            n=$((n + 1))
        fi
    done
    echo "$n"
}
# leftovers WHO: what a finished batch left: ochre session dirs, processes
# whose command line names this bench's temp dir (ochre, the starter, the
# runtime, all run with paths under it) and squashfuse_ll servers of its
# files, mounts under the session base.
leftovers() {
    local who=$1 base=$statedir/$1/run/ochre s p m
    s=$(find "$base" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    p=$(pgrep -f -- "$work/" | grep -cvx "$$" || true)
    p=$((p + $(servers)))
    m=$(grep -c -F -- "$base" /proc/self/mountinfo || true)
    echo "$s $p $m"
}
# conc_batch WHO KIND IMAGE: one batch; files $work/WHO_KIND.*.
conc_batch() {
    local who=$1 kind=$2 image=$3 us fails s p m
    read -r us fails < <(as_"$who" bash "$work/conc.sh" "$CONC" "$OCHRE" exec --runtime crun "$image" /bin/true \
        2>>"$work/conc.err")
    echo "$us" >>"$work/${who}_$kind.us"
    conc_fail=$((conc_fail + fails))
    echo "$fails" >>"$work/${who}_$kind.failures"
    sleep 0.2 # let the last processes be reaped before looking
    read -r s p m < <(leftovers "$who")
    if [ "$s" -ne 0 ] || [ "$p" -ne 0 ] || [ "$m" -ne 0 ]; then
        conc_left=$((conc_left + 1))
        log "leftovers after a $who $kind batch: $s session dirs, $p processes, $m mounts"
    fi
    echo "$s $p $m" >>"$work/${who}_$kind.left"
}
conc_fail=0 conc_left=0
if want conc || want sif; then
    log "concurrency: $CONC launches at once (crun) of$(want conc && echo " busybox")$(want sif && echo " numpy.sif"), $CONC_ROUNDS rounds"
    for ((r = 0; r < CONC_ROUNDS; r++)); do
        for who in $WHOS; do
            if want conc; then conc_batch "$who" conc "$BB"; fi
            if want sif; then conc_batch "$who" concsif "$NPSIF"; fi
        done
    done
fi
[ -s "$work/conc.err" ] && { log "stderr of failed concurrent launches (first lines):"; head -n 5 "$work/conc.err" >&2; }

# --- peak RSS ----------------------------------------------------------------
# The driver execs the starter in the same pid, so neither /usr/bin/time nor
# VmHWM alone separates them. The kernel keeps, across execve, the largest
# RSS the pid had (signal->maxrss, reported by getrusage as ru_maxrss, which
# /usr/bin/time -f %M prints; it also folds in waited-for children).
#  - driver: the stub install (its ochre-starter is /bin/true): for a cached
#    launch the driver runs no ochre-import, and the one helper it forks
#    (ochre-cleanup, a copy of itself) is not waited for by the stub, so
#    %M = max(driver's peak RSS, the stub's own); the stub's own (/bin/true
#    run alone) is reported beside it so one can see it is not the figure.
#  - starter: VmHWM in /proc/PID/status of the ochre pid, read once its
#    comm is ochre-starter and the container (sleep 1) runs: the starter's
#    own peak since the exec, i.e. all its set-up (namespaces, mounts,
#    fork of the runtime) but not the runtime or the payload.
#  - whole launch: /usr/bin/time -f %M of an ordinary cached launch, the
#    largest RSS of any process of it (driver, starter, runtime, payload).
GNU_TIME=/usr/bin/time
rss_driver() {
    as_"$1" env XDG_RUNTIME_DIR="$statedir/$1/stubrun" "$GNU_TIME" -f %M "$stub/bin/ochre" exec --runtime crun "$BB" /bin/true 2>&1 >/dev/null |
        tail -n 1
}
rss_stub() {
    as_"$1" "$GNU_TIME" -f %M "$stub/libexec/ochre/ochre-starter" 2>&1 >/dev/null | tail -n 1
}
rss_launch() {
    as_"$1" "$GNU_TIME" -f %M "$OCHRE" exec --runtime crun "$BB" /bin/true 2>&1 >/dev/null | tail -n 1
}
rss_starter() {
    local pid i hwm=""
    local -n pre=${1^^}_PRE
    "${pre[@]}" "$OCHRE" exec --runtime crun "$BB" /bin/sleep 1 >/dev/null 2>&1 &
    pid=$!
    for ((i = 0; i < 80; i++)); do
        if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = ochre-starter ] && [ -n "$(pgrep -P "$pid")" ]; then
            sleep 0.3
            hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
            break
        fi
        sleep 0.02
    done
    wait "$pid" || true
    echo "$hwm"
}
RSS=()
if ! want rss; then
    :
elif [ -x "$GNU_TIME" ]; then
    log "peak RSS: $RSS_ROUNDS rounds"
    for who in $WHOS; do RSS+=("${who}_rss_driver" "${who}_rss_starter" "${who}_rss_launch" "${who}_rss_stub"); done
    for ((r = 0; r < RSS_ROUNDS; r++)); do
        for name in "${RSS[@]}"; do
            kb=$("${name#*_}" "${name%%_*}" 2>/dev/null || true)
            [[ $kb =~ ^[0-9]+$ ]] && echo "$kb" >>"$work/$name.kb"
        done
    done
else
    log "peak RSS: skipped, $GNU_TIME missing (package time)"
fi

# --- import and cold launch (root's, or the user's when not root) ----------
layer_blobs() {
    python3 - "$LAYOUT" <<'PY'
import json, sys, os
d = sys.argv[1]
idx = json.load(open(os.path.join(d, "index.json")))
m = idx["manifests"][0]["digest"].split(":")
man = json.load(open(os.path.join(d, "blobs", m[0], m[1])))
for l in man["layers"]:
    a, h = l["digest"].split(":")
    print(os.path.join(d, "blobs", a, h))
PY
}
mapfile -t blobs < <(layer_blobs)

import_tar() {
    rm -rf "$work/tar" && mkdir "$work/tar"
    for b in "${blobs[@]}"; do tar -xzf "$b" -C "$work/tar"; done
}
import_umoci() {
    rm -rf "$work/umoci"
    umoci unpack --image "$LAYOUT:latest" "$work/umoci"
}
import_ochre() {
    rm -rf "$work/icache"
    XDG_CACHE_HOME=$work/icache "$OCHRE" pull --cache-only "$MB"
}
# To a single file (OCI-SIF) vs the two squashfs makers on the same
# content: tar2sqfs streaming the layers, mksquashfs of the unpacked tree.
sif_ochre() {
    XDG_CACHE_HOME=$work/icache "$OCHRE" pull --force --name "$work/minbase.sif" "$MB"
}
sif_tar2sqfs() {
    local i=0 b
    for b in "${blobs[@]}"; do
        zcat "$b" | tar2sqfs -q -f -c gzip "$work/layer$((i++)).sqfs"
    done
}
sif_mksquashfs() {
    mksquashfs "$work/tar" "$work/tree.sqfs" -noappend -no-xattrs -comp gzip -quiet -no-progress
}
cold_ochre() {
    rm -rf "$work/icache"
    XDG_CACHE_HOME=$work/icache XDG_RUNTIME_DIR=$work/$first/run "$OCHRE" exec --runtime crun "$MB" /bin/true
}
# time_cmd NAME CMD...: run once, append the wall time in µs to $work/NAME.us.
time_cmd() {
    local name=$1 t0 t1
    shift
    t0=$EPOCHREALTIME
    "$@" >/dev/null 2>"$work/last.err" || { cat "$work/last.err" >&2; echo "bench: $name failed" >&2; exit 1; }
    t1=$EPOCHREALTIME
    echo "$(( 10#${t1//[.,]/} - 10#${t0//[.,]/} ))" >>"$work/$name.us"
}
if want import; then
    log "import of $LAYOUT, $IMPORT_ROUNDS rounds"
    for ((i = 0; i < IMPORT_ROUNDS; i++)); do
        time_cmd tar import_tar
        time_cmd umoci import_umoci
        time_cmd ochre_pull import_ochre
        time_cmd ochre_cold cold_ochre
        time_cmd ochre_sif sif_ochre
        time_cmd tar2sqfs sif_tar2sqfs
        time_cmd mksquashfs sif_mksquashfs
    done
fi

# --- the table ----------------------------------------------------------------
# stats FILE DIV: "median min max" of the numbers in FILE divided by DIV.
stats() {
    sort -n "$1" | awk -v d="$2" '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.1f %.1f %.1f\n", m / d, v[1] / d, v[NR] / d }'
}
median_ms() { [ -s "$work/$1.us" ] && stats "$work/$1.us" 1000 | cut -d' ' -f1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%7.2fx", a / b; else printf "%8s", "-" }'; }
# paired_ratio A B: the median over rounds of A's time / B's time in the
# same round (a .us file has one line per round, in order). The commands
# of a round run within a second or two of each other, so machine drift
# over the run, which moves both medians, mostly cancels out of each pair.
paired_ratio() {
    if [ ! -s "$work/$1.us" ] || [ ! -s "$work/$2.us" ] ||
        [ "$(wc -l <"$work/$1.us")" != "$(wc -l <"$work/$2.us")" ]; then
        printf '%8s' "n/a"
        return
    fi
    paste "$work/$1.us" "$work/$2.us" | awk '$2 > 0 { print $1 / $2 }' | sort -g | awk '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%7.2fx", m }'
}
FMT='%-44s %9s %9s %9s %8s\n'
row() { # LABEL FILE DIV REF_MEDIAN [NOTE]
    local med min max
    if [ ! -s "$2" ]; then
        printf '%-44s %s\n' "$1" "${5:-no data}"
        return
    fi
    read -r med min max < <(stats "$2" "$3")
    printf "$FMT" "$1" "$med" "$min" "$max" "$(if [ -n "$4" ]; then ratio "$med" "$4"; else echo -; fi)"
}

# cmd_row NAME REF N: NAME's row (N runs asked for), or why it has none.
cmd_row() {
    local name=$1 ref=$2 n=$3 f=""
    if [ -n "${SKIP[$name]:-}" ]; then
        printf '%-44s %s\n' "$(label "$name")" "skipped: ${SKIP[$name]}"
        return
    fi
    [ -s "$work/$name.fail" ] && f="$(wc -l <"$work/$name.fail") of $n runs failed"
    row "$(label "$name")" "$work/$name.us" 1000 "$ref" "${f:-no data}"
    if [ -n "$f" ] && [ -s "$work/$name.us" ]; then printf '%-44s %s\n' "" "($f)"; fi
}
# conc_rows WHO KIND LABEL: a concurrency batch's rows.
conc_rows() {
    local who=$1 kind=$2
    row "$3 x$CONC [$who]" "$work/${who}_$kind.us" 1000 ""
    printf '%-44s %s\n' "  failures [$who]" "$(awk '{ s += $1 } END { print s + 0 }' "$work/${who}_$kind.failures") of $((CONC * CONC_ROUNDS)) launches"
    printf '%-44s %s\n' "  leftovers [$who]" "$(awk '{ s += $1; p += $2; m += $3 } END { printf "%d session dirs, %d processes, %d mounts", s, p, m }' "$work/${who}_$kind.left")"
}

{
    printf "$FMT" "measure" "median" "min" "max" "ratio"
    if want launch; then
        echo "-- cached launch of /bin/true, ms ($ROUNDS rounds; ratio: to the crun floor of the same user)"
        for name in "${LAUNCH[@]}"; do
            cmd_row "$name" "$(median_ms "${name%%_*}_floor_crun" || true)" "$ROUNDS"
        done
    fi
    if want conc; then
        echo "-- $CONC concurrent cached launches of busybox (crun), wall ms of the batch ($CONC_ROUNDS rounds)"
        for who in $WHOS; do conc_rows "$who" conc "ochre exec"; done
    fi
    if [ "${#RSS[@]}" -gt 0 ]; then
        echo "-- peak RSS of a cached busybox launch (crun), MiB ($RSS_ROUNDS rounds; targets: driver <= 8, starter <= 2)"
        for name in "${RSS[@]}"; do
            who=${name%%_*}
            case ${name#*_} in
                rss_driver) l="driver ochre (stub starter) [$who]" ;;
                rss_starter) l="ochre-starter VmHWM [$who]" ;;
                rss_launch) l="whole launch, any process [$who]" ;;
                rss_stub) l="  (the stub, /bin/true, alone) [$who]" ;;
                *) l=$name ;;
            esac
            row "$l" "$work/$name.kb" 1024 ""
        done
    fi
    if want import; then
        echo "-- import of Debian minbase into an empty cache, ms ($IMPORT_ROUNDS rounds; ratio: to tar -xzf)"
        read -r ref _ _ < <(stats "$work/tar.us" 1000)
        row "import: tar -xzf of the layers" "$work/tar.us" 1000 "$ref"
        row "import: umoci unpack" "$work/umoci.us" 1000 "$ref"
        row "import: ochre pull (verify+extract)" "$work/ochre_pull.us" 1000 "$ref"
        row "cold launch: ochre exec minbase (crun)" "$work/ochre_cold.us" 1000 "$ref"
        echo "-- Debian minbase to squashfs, ms ($IMPORT_ROUNDS rounds; ratio: to tar2sqfs; target: ochre <= 1.2x the faster)"
        read -r ref _ _ < <(stats "$work/tar2sqfs.us" 1000)
        row "squashfs: tar2sqfs of the layers (gzip)" "$work/tar2sqfs.us" 1000 "$ref"
        row "squashfs: mksquashfs of the tree (gzip)" "$work/mksquashfs.us" 1000 "$ref"
        row "squashfs: ochre pull to an OCI-SIF" "$work/ochre_sif.us" 1000 "$ref"
    fi
    if want launch; then
        echo "-- ochre cached launch / floor of the same runtime (busybox; targets <= 1.5x);"
        echo "   of medians, and paired (median of the per-round ratios)"
        for who in $WHOS; do
            # crunro: crun against the floor without its self-copy (see above).
            for floor in crun runc crunro; do
                rt=${floor%ro}
                a=$(median_ms "${who}_ochre_${rt}_busybox" || true)
                b=$(median_ms "${who}_floor_$floor" || true)
                c=$(median_ms "${who}_podman" || true)
                if [ "$floor" = crunro ]; then
                    printf '  %-6s %-5s %s  paired %s   (floor: crun with a read-only binary)\n' "$who" "$rt" \
                        "$( [ -n "$a" ] && [ -n "$b" ] && ratio "$a" "$b" || echo "n/a")" \
                        "$(paired_ratio "${who}_ochre_${rt}_busybox" "${who}_floor_$floor")"
                    continue
                fi
                printf '  %-6s %-5s %s  paired %s   podman/ochre: %s  paired %s\n' "$who" "$rt" \
                    "$( [ -n "$a" ] && [ -n "$b" ] && ratio "$a" "$b" || echo "n/a")" \
                    "$(paired_ratio "${who}_ochre_${rt}_busybox" "${who}_floor_$floor")" \
                    "$( [ -n "$a" ] && [ -n "$c" ] && ratio "$c" "$a" || echo "n/a")" \
                    "$(paired_ratio "${who}_podman" "${who}_ochre_${rt}_busybox")"
            done
        done
    fi
    if want sif; then
        echo "-- single-file image (crun), ms: Debian minbase + python3 + numpy ($(du -sm --apparent-size "$work/numpy-oci/blobs" | cut -f1) MiB"
        echo "   as the layout numpy-oci, $(($(stat -c %s "$NPSIF") >> 20)) MiB as numpy.sif, one squashfs layer)"
        echo "   first launch of /bin/true on an empty cache ($IMPORT_ROUNDS rounds; ratio: to numpy.sif; target: layout >= 20x)"
        for who in $WHOS; do
            ref=$(median_ms "${who}_sif_first" || true)
            cmd_row "${who}_sif_first" "$ref" "$IMPORT_ROUNDS"
            cmd_row "${who}_dir_first" "$ref" "$IMPORT_ROUNDS"
        done
        echo "   warm launch of /bin/true ($ROUNDS rounds; ratio: to numpy-oci cached; target: numpy.sif <= 1.5x)"
        for who in $WHOS; do
            ref=$(median_ms "${who}_dir_warm" || true)
            cmd_row "${who}_dir_warm" "$ref" "$ROUNDS"
            cmd_row "${who}_sif_warm" "$ref" "$ROUNDS"
        done
        echo "   python3 -c 'import numpy', whole launch ($ROUNDS rounds; ratio: to numpy-oci cached; target: numpy.sif <= 1.2x)"
        for who in $WHOS; do
            ref=$(median_ms "${who}_dir_numpy" || true)
            cmd_row "${who}_dir_numpy" "$ref" "$ROUNDS"
            cmd_row "${who}_sif_numpy" "$ref" "$ROUNDS"
        done
        echo "   paired ratios (median of the per-round ratios)"
        for who in $WHOS; do
            printf '  %-6s first: layout/SIF %s   warm: SIF/layout %s   import numpy: SIF/layout %s\n' "$who" \
                "$(paired_ratio "${who}_dir_first" "${who}_sif_first")" \
                "$(paired_ratio "${who}_sif_warm" "${who}_dir_warm")" \
                "$(paired_ratio "${who}_sif_numpy" "${who}_dir_numpy")"
        done
        echo "-- $CONC concurrent launches of one OCI-SIF, numpy.sif (crun), wall ms of the batch ($CONC_ROUNDS rounds)"
        for who in $WHOS; do conc_rows "$who" concsif "ochre exec numpy.sif"; done
    fi
    echo "(host: $(nproc) cores, $(uname -r); $(date -u +%Y-%m-%dT%H:%MZ); ochre $("$OCHRE" --version 2>&1 | head -n 1))"
} | tee "$OUT/results.txt"

status=0
[ "$conc_fail" -eq 0 ] || { log "FAIL: $conc_fail concurrent launches failed"; status=1; }
[ "$conc_left" -eq 0 ] || { log "FAIL: leftovers after $conc_left concurrent batches"; status=1; }
for name in "${LAUNCH[@]}" "${SIF_FIRST[@]}" "${SIF_WARM[@]}"; do
    case $name in *_ochre_* | *_sif_* | *_dir_*) ;; *) continue ;; esac
    if [ -n "${SKIP[$name]:-}" ] || [ -s "$work/$name.fail" ]; then
        log "FAIL: $(label "$name") did not run cleanly"
        status=1
    fi
done
exit $status
