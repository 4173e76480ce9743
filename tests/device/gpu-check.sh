#!/bin/bash
# tests/device/gpu-check.sh — ochre on a machine with an NVIDIA GPU: `--nv`
# and CDI (`--device nvidia.com/gpu=all`, where nvidia-ctk is installed),
# as root and as an unprivileged user (setuid mode, and user-namespace mode
# where the host allows it), with `nvidia-smi -L` and a CUDA driver-API
# program (tests/device/cuda_probe.c: dlopen libcuda.so.1, cuInit, device
# names, a cuMemAlloc/cuMemcpy round trip) in the container. Not part of
# `make check`: run by hand.
#
# The GPU machine may have no OCI runtime, no compiler and no network, so
# everything travels in one archive made on the build host:
#
#   build host, as root, in the source tree:
#       tests/device/gpu-check.sh pack /tmp/ochre-gpu.tar.gz
#     builds ochre, installs it for the prefix /opt/ochre-gpu (into a staging
#     dir, not the build host's /opt), and adds in /opt/ochre-gpu/check/:
#     this script, the CUDA probe (compiled here), a static busybox, and the
#     build host's runc and crun with the libraries they link (run through
#     the GPU machine's own loader only where its libraries suffice), and
#     newuidmap/newgidmap.
#   GPU machine, as root:
#       tar -xzpf ochre-gpu.tar.gz -C /
#       /opt/ochre-gpu/check/gpu-check.sh run
#
# `run` makes a small root filesystem from the GPU machine's own C library
# (for the probe and nvidia-smi), a test user (OCHRE_GPU_USER, default
# ochregpu, created with subordinate ids if missing) and, where missing,
# installs the carried newuidmap/newgidmap in /usr/bin; it removes what it
# added when it ends. It prints one line per check, "PASS|FAIL|SKIP NAME",
# and last "N passed, N failed, N skipped". Exit status: 0 when nothing
# failed (77 when nothing could run: no GPU driver; the setup's own checks
# still run), 1 otherwise.
set -u

PREFIX=/opt/ochre-gpu
CHECK=$PREFIX/check
SAFE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH=$SAFE_PATH LANG=C LC_ALL=C

die() {
    echo "gpu-check: $*" >&2
    exit 2
}

# ------------------------------------------------------------------ pack

# Copy an ELF's libraries (those ldd resolves, but libc and the loader,
# which the GPU machine has) into DIR.
copy_libs() { # binary dir
    local lib
    mkdir -p "$2"
    for lib in $(ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
        case ${lib##*/} in libc.so.* | ld-linux*) continue ;; esac
        cp -L "$lib" "$2/"
    done
}

pack() {
    local out=${1:?usage: gpu-check.sh pack OUT.tar.gz} src rt tool
    [ "$(id -u)" -eq 0 ] || die "pack needs root (the archive's files must be root's)"
    src=$(cd "$(dirname "$0")/../.." && pwd)
    [ -f "$src/GNUmakefile" ] || die "pack runs from ochre's source tree"
    stage=$(mktemp -d)
    trap 'rm -rf "$stage"' EXIT # global: the trap runs after pack returns
    # ochre finds its json-c and libyaml in $PREFIX/lib (the GPU machine
    # may lack them); the starter is static anyway.
    local libs="-ljson-c -lyaml -Wl,-rpath,$PREFIX/lib"
    make -C "$src" -s all BUILDDIR="$stage/build" PREFIX=$PREFIX JSON_LIBS="$libs" >/dev/null || die "build failed"
    make -C "$src" --no-print-directory -s install BUILDDIR="$stage/build" PREFIX=$PREFIX JSON_LIBS="$libs" \
        DESTDIR="$stage/root" >/dev/null || die "install failed"
    copy_libs "$stage/root$PREFIX/bin/ochre" "$stage/root$PREFIX/lib"
    local check=$stage/root$CHECK
    mkdir -p "$check/runtimes" "$check/idmap"
    cp "$src/tests/device/gpu-check.sh" "$src/tests/device/cuda_probe.c" "$check/"
    cc -O2 -Wall -o "$check/cuda_probe" "$src/tests/device/cuda_probe.c" -ldl || die "cannot compile the probe"
    local busybox
    busybox=$(command -v busybox) || die "no busybox (Debian: busybox-static)"
    file -L "$busybox" | grep -q 'statically linked' || die "$busybox is not static (Debian: busybox-static)"
    cp "$busybox" "$check/busybox"
    for rt in runc crun; do
        tool=$(command -v "$rt") || continue
        tool=$(readlink -f "$tool")
        cp "$tool" "$check/runtimes/$rt"
        copy_libs "$tool" "$check/runtimes/$rt.libs"
    done
    for tool in newuidmap newgidmap; do
        [ -x "/usr/bin/$tool" ] && cp -p "/usr/bin/$tool" "$check/idmap/"
    done
    # A config of the check's own: the carried runtimes, by absolute path.
    {
        echo "# gpu-check: the runtimes carried in $CHECK/runtimes"
        [ -e "$check/runtimes/crun" ] && echo "crun path = $CHECK/runtimes/crun"
        [ -e "$check/runtimes/runc" ] && echo "runc path = $CHECK/runtimes/runc"
    } >>"$stage/root$PREFIX/etc/ochre/ochre.conf"
    chown -R 0:0 "$stage/root"
    chmod -R go-w "$stage/root"
    tar -C "$stage/root" -czpf "$out" --owner=0 --group=0 opt || die "cannot write $out"
    echo "wrote $out: tar -xzpf it -C / on the GPU machine, then run $CHECK/gpu-check.sh run"
}

# ------------------------------------------------------------------ run

passed=0 failed=0 skipped=0
TMP='' R='' CDI=''
RTS=() MODES=()
ADDED_USER=
ADDED_IDMAP=()
ADDED_LDCONF=
STARTER=$PREFIX/libexec/ochre/ochre-starter

report() { # PASS|FAIL|SKIP name [detail]
    case $1 in
        PASS) passed=$((passed + 1)) ;;
        FAIL) failed=$((failed + 1)) ;;
        SKIP) skipped=$((skipped + 1)) ;;
    esac
    echo "$1 $2${3:+ ($3)}"
}

cleanup() {
    local f
    chmod 0755 "$STARTER" 2>/dev/null
    for f in "${ADDED_IDMAP[@]}"; do rm -f "$f"; done
    if [ -n "$ADDED_LDCONF" ]; then
        rm -f "$ADDED_LDCONF"
        ldconfig
    fi
    if [ -n "$ADDED_USER" ]; then
        userdel -r "$ADDED_USER" >/dev/null 2>&1
        sed -i "/^$ADDED_USER:/d" /etc/subuid /etc/subgid
    fi
    [ -n "$TMP" ] && rm -rf --one-file-system "$TMP"
    return 0
}

# A runtime carried from the build host runs here only if the loader finds
# every library it needs. The starter clears the environment (no
# LD_LIBRARY_PATH), and the binary's RUNPATH cannot be changed without
# patchelf, so a library this machine lacks (crun's libyajl, on Ubuntu)
# comes from the carried ones through a file in /etc/ld.so.conf.d, last
# in order (the machine's own libraries win), removed at the end.
runtime_usable() { # name
    local bin=$CHECK/runtimes/$1
    [ -x "$bin" ] || return 1
    if ldd "$bin" 2>&1 | grep -q 'not found' && [ -d "$bin.libs" ] && [ -d /etc/ld.so.conf.d ]; then
        ADDED_LDCONF=/etc/ld.so.conf.d/zzz-ochre-gpu-check.conf
        echo "$bin.libs" >>"$ADDED_LDCONF"
        ldconfig
    fi
    ! ldd "$bin" 2>&1 | grep -q 'not found' && "$bin" --version >/dev/null 2>&1
}

# The container's root: a static busybox, the probe, ldconfig (for CDI's
# update-ldcache hook), and the C library the probe and nvidia-smi need,
# taken from this machine.
make_rootfs() { # dir
    local r=$1 f lib
    mkdir -p "$r"/{bin,sbin,etc,tmp,proc,sys,dev,usr/bin,root}
    cp "$CHECK/busybox" "$r/bin/busybox"
    for f in sh cat ls env echo id true grep; do ln -sf busybox "$r/bin/$f"; done
    cp "$CHECK/cuda_probe" "$r/usr/bin/cuda_probe"
    [ -x /sbin/ldconfig ] && cp -L /sbin/ldconfig "$r/sbin/ldconfig"
    for f in "$CHECK/cuda_probe" $(command -v nvidia-smi); do
        for lib in $(ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
            case ${lib##*/} in libnvidia* | libcuda*) continue ;; esac
            mkdir -p "$r$(dirname "$lib")"
            cp -L "$lib" "$r$lib"
        done
    done
    printf '%s\n' /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64 >"$r/etc/ld.so.conf"
    [ -x /sbin/ldconfig ] && /sbin/ldconfig -r "$r" 2>/dev/null
    echo "root:x:0:0:root:/root:/bin/sh" >"$r/etc/passwd"
    echo "root:x:0:" >"$r/etc/group"
    # CDI's ldcache hook may run as the caller (or their subordinate id).
    chmod 1777 "$r/etc" "$r/tmp"
}

setup_user() {
    USER_NAME=${OCHRE_GPU_USER:-ochregpu}
    if ! id -u "$USER_NAME" >/dev/null 2>&1; then
        useradd -m -s /bin/sh "$USER_NAME" || return 1
        ADDED_USER=$USER_NAME
    fi
    local f
    for f in /etc/subuid /etc/subgid; do
        grep -q "^$USER_NAME:" "$f" 2>/dev/null || echo "$USER_NAME:300000:65536" >>"$f"
    done
}

setup_idmap() {
    local t
    for t in newuidmap newgidmap; do
        [ -x "/usr/bin/$t" ] && continue
        [ -x "$CHECK/idmap/$t" ] || return 1
        install -o root -g root -m 4755 "$CHECK/idmap/$t" "/usr/bin/$t" || return 1
        ADDED_IDMAP+=("/usr/bin/$t")
        if ldd "/usr/bin/$t" | grep -q 'not found'; then
            return 1
        fi
    done
}

as_user() {
    setpriv --reuid="$USER_NAME" --regid="$USER_NAME" --init-groups \
        env -i PATH="$SAFE_PATH" HOME="$TMP/home" LANG=C XDG_RUNTIME_DIR="$TMP/run-$USER_NAME" "$@"
}

# check NAME WHO RT EXPECT -- ochre args...: run ochre, PASS when it exits 0
# and its output has EXPECT (an extended regex).
check() {
    local name=$1 who=$2 rt=$3 expect=$4 out rc=0
    shift 5
    local -a cmd=("$PREFIX/bin/ochre" exec --runtime "$rt" "$@")
    if [ "$who" = root ]; then
        out=$(cd "$TMP" && XDG_RUNTIME_DIR="$TMP/run-root" timeout 300 "${cmd[@]}" 2>&1) || rc=$?
    else
        out=$(cd "$TMP" && as_user timeout 300 "${cmd[@]}" 2>&1) || rc=$?
    fi
    if [ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -Eq "$expect"; then
        report PASS "$name [$who] [$rt]"
        printf '%s\n' "$out" | grep -E "$expect" | sed 's/^/    /'
    else
        report FAIL "$name [$who] [$rt]" "exit $rc"
        printf '%s\n' "$out" | tail -n 20 | sed 's/^/    | /'
    fi
}

# Can an unprivileged user make a user namespace here (Ubuntu 24.04's
# AppArmor restriction says no)?
userns_allowed() {
    as_user unshare --user true >/dev/null 2>&1
}

run_checks() {
    [ "$(id -u)" -eq 0 ] || die "run needs root (it tests root and an unprivileged user)"
    TMP=$(mktemp -d /tmp/ochre-gpu.XXXXXX)
    chmod 0755 "$TMP"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    mkdir -p "$TMP/home" "$TMP/run-root"
    chmod 0777 "$TMP/home"
    [ -x "$PREFIX/bin/ochre" ] || die "no $PREFIX/bin/ochre: unpack the archive with tar -xzpf ... -C /"
    local rt
    RTS=()
    for rt in crun runc; do
        if runtime_usable "$rt"; then
            RTS+=("$rt")
            report PASS "setup: carried $rt runs here"
        elif [ -e "$CHECK/runtimes/$rt" ]; then
            report SKIP "setup: carried $rt" "$(ldd "$CHECK/runtimes/$rt" 2>&1 | grep 'not found' | awk '{print $1}' | tr '\n' ' ')missing here"
        fi
    done
    [ ${#RTS[@]} -gt 0 ] || { report FAIL "setup: no usable runtime"; summary; }
    make_rootfs "$TMP/rootfs" && report PASS "setup: root filesystem from this machine's C library"
    local user_ok=1
    if setup_user && setup_idmap; then
        mkdir -p "$TMP/run-$USER_NAME"
        # Its own group too: in setuid mode the runtime, root of a user
        # namespace mapping the caller, may enter only what has a mapped owner
        # and group.
        chown "$USER_NAME:" "$TMP/run-$USER_NAME"
        chmod 0700 "$TMP/run-$USER_NAME"
        report PASS "setup: user $USER_NAME with subordinate ids, newuidmap"
    else
        user_ok=0
        report FAIL "setup: user ${USER_NAME:-?} or newuidmap/newgidmap"
    fi
    R=$TMP/rootfs

    MODES=(root)
    if [ "$user_ok" -eq 1 ]; then
        MODES+=(user-setuid)
        if userns_allowed; then
            MODES+=(user)
        else
            report SKIP "[user] (user-namespace mode)" "this host lets no user create a user namespace"
        fi
    fi

    # Without a driver the GPU checks cannot run; --nv must still warn and
    # run, and in every mode the probe must start (the root filesystem,
    # the C library, the modes), up to its dlopen of libcuda.so.1.
    if [ ! -e /dev/nvidiactl ] || ! command -v nvidia-smi >/dev/null; then
        for_each_mode no_driver_checks
        report SKIP "GPU checks" "no NVIDIA driver here (/dev/nvidiactl, nvidia-smi)"
        chmod 0755 "$STARTER"
        summary 77
    fi
    if nvidia-smi -L >"$TMP/host-smi" 2>&1; then
        report PASS "host: nvidia-smi -L"
        sed 's/^/    /' "$TMP/host-smi"
    else
        report FAIL "host: nvidia-smi -L" "$(head -n 1 "$TMP/host-smi")"
    fi

    # CDI: the spec nvidia-ctk writes, in a directory setuid mode trusts
    # (root's all the way up, as /opt/ochre-gpu/check is).
    CDI=""
    if command -v nvidia-ctk >/dev/null; then
        CDI=$CHECK/cdi
        mkdir -p "$CDI"
        chmod 0755 "$CDI"
        if nvidia-ctk cdi generate --output="$CDI/nvidia.yaml" >"$TMP/ctk.log" 2>&1; then
            chmod 0644 "$CDI/nvidia.yaml"
            report PASS "setup: nvidia-ctk cdi generate"
        else
            report FAIL "setup: nvidia-ctk cdi generate" "$(tail -n 1 "$TMP/ctk.log")"
            CDI=""
        fi
    fi
    for_each_mode gpu_checks
    chmod 0755 "$STARTER"
    [ -n "$CDI" ] && rm -rf "$CDI"
    summary
}

# for_each_mode FUNC: FUNC MODE WHO RT for each mode and usable runtime;
# the starter is setuid root only for user-setuid.
for_each_mode() {
    local mode who rt
    for mode in "${MODES[@]}"; do
        who=root
        [ "$mode" = root ] || who=user
        if [ "$mode" = user-setuid ]; then chmod 4755 "$STARTER"; else chmod 0755 "$STARTER"; fi
        for rt in "${RTS[@]}"; do
            "$1" "$mode" "$who" "$rt"
        done
    done
    chmod 0755 "$STARTER"
}

no_driver_checks() { # mode who rt
    check "nv without a driver: warns and runs ($1)" "$2" "$3" 'no NVIDIA GPU driver found' -- --nv "$R" true
    check "probe starts, no libcuda ($1)" "$2" "$3" 'dlopen libcuda.so.1' -- --nv "$R" sh -c 'cuda_probe; true'
}

gpu_checks() { # mode who rt
    check "nv: nvidia-smi -L ($1)" "$2" "$3" '^GPU [0-9]+:' -- --nv "$R" nvidia-smi -L
    check "nv: CUDA driver API ($1)" "$2" "$3" 'memcpy round trip ok' -- --nv "$R" cuda_probe
    if [ -z "$CDI" ]; then
        report SKIP "cdi ($1) [$3]" "no nvidia-ctk"
        return 0
    fi
    check "cdi: nvidia-smi -L ($1)" "$2" "$3" '^GPU [0-9]+:' -- \
        --cdi-dirs "$CDI" --device nvidia.com/gpu=all "$R" nvidia-smi -L
    check "cdi: CUDA driver API ($1)" "$2" "$3" 'memcpy round trip ok' -- \
        --cdi-dirs "$CDI" --device nvidia.com/gpu=all "$R" cuda_probe
}

summary() {
    echo "$passed passed, $failed failed, $skipped skipped"
    if [ "$failed" -gt 0 ]; then exit 1; fi
    exit "${1:-0}"
}

case ${1:-} in
    pack) shift; pack "$@" ;;
    run) run_checks ;;
    *) sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"; exit 2 ;;
esac
