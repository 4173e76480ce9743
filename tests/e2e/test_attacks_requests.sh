# shellcheck shell=bash
# Attacks on the setuid-root starter through what the caller hands it when
# running it by hand: the request on fd 3, the environment and the open fds
# (SECURITY.md, "Setuid-root install"). First the positive control: a
# request written by hand runs, as the caller. The helpers and the rules
# every attack case follows are in attack_lib.sh.
# shellcheck source=tests/e2e/attack_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/attack_lib.sh"

# Positive control: a request written by hand runs its payload as root of
# a user namespace that maps the caller alone (0 -> caller, setgroups
# denied), on a nosuid,nodev overlay; a file it makes in a persistent
# upper belongs to the caller on the host.
test_attack_handmade_request_runs_as_caller_rootonly() {
    _atk_init
    _try
    _assert_ran IMAGE-OK "the overlay shows the image"
    R_PAYLOAD=/usr/bin/id R_ARGS=(id -u)
    _try
    _assert_ran 0 "the payload is root of its user namespace"
    R_PAYLOAD=/usr/bin/cat R_ARGS=(cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups)
    _try
    [ "$STATUS" = 0 ] || fail "maps: $ERR"
    assert_eq "0 $TUID 1|0 $TGID 1|deny" "$(printf '%s\n' "$OUT" | awk '{ $1 = $1 } 1' | paste -sd '|')" \
        "the user namespace maps the caller only"
    R_ARGS=(cat /proc/self/mountinfo)
    _try
    [ "$STATUS" = 0 ] || fail "mountinfo: $ERR"
    local opts
    opts=$(mount_field "$OUT" "$S/rootfs" opts)
    assert_eq overlay "$(mount_field "$OUT" "$S/rootfs" fstype)" "the rootfs is an overlay"
    case ,$opts, in *,nosuid,*nodev,* | *,nodev,*nosuid,*) ;; *) fail "rootfs overlay options: $opts" ;; esac
    opts=$(mount_field "$OUT" "$S/overlay" opts)
    case ,$opts, in *,nosuid,*nodev,* | *,nodev,*nosuid,*) ;; *) fail "upper tmpfs options: $opts" ;; esac
    assert_contains "$(mount_field "$OUT" "$S/rootfs" super)" "redirect_dir=nofollow"
    # A persistent upper: what the payload writes is the caller's on the host.
    _udir "$U/ov"
    R_UPPER=$U/ov R_PAYLOAD=/usr/bin/touch R_ARGS=(touch "$S/rootfs/made")
    _try
    _assert_ran "" "a write through the persistent overlay"
    assert_eq "$TUID:$TGID" "$(stat -c %u:%g "$U/ov/upper/made")" "a file the payload made"
    assert_eq "$TUID" "$(stat -c %u "$U/ov/upper")" "the upper dir"
}

# 5. The caller's environment reaches neither the starter's loader (it is
# static) nor the payload: the payload's environment is exactly the fixed
# PATH; a fake crun first in $PATH is not run; an LD_PRELOAD library
# (checked to work on an ordinary program first) never runs.
# Protection: static starter; sanitize_environment() (clearenv + PATH).
test_attack_environment_rootonly() {
    _atk_init
    local bin=$TESTTMP/fakebin drop=$TESTTMP/drop
    _rdir "$bin"
    _rdir "$drop" 1777
    printf '#!/bin/sh\necho FAKE-CRUN\ntouch %s/fake-crun-ran\n' "$drop" >"$bin/crun"
    chmod 0755 "$bin/crun"
    # shellcheck disable=SC2016 # PS4: a command substitution left for a shell to run
    local -a hostile=(
        PATH="$bin:$_ATK_SAFE_PATH" LD_LIBRARY_PATH="$bin" LD_AUDIT="$bin/x.so" GCONV_PATH="$bin"
        HOSTALIASES="$bin/h" LOCALDOMAIN=evil NLSPATH="$bin/%N" MALLOC_CHECK_=3 TMPDIR="$bin"
        BASH_ENV="$bin/crun" ENV="$bin/crun" IFS=/ SHELLOPTS=xtrace PS4='$(id)' OCHRE_DEBUG=1
        XDG_RUNTIME_DIR="$bin" HOME=/root
    )
    if [ -n "${OCHRE_PRELOAD_PROBE:-}" ] && [ -f "$OCHRE_PRELOAD_PROBE" ]; then
        # (tests/helpers/preload_probe.c: it records each program that loads
        # it in ../drop/, beside the dir it is loaded from)
        cp "$OCHRE_PRELOAD_PROBE" "$bin/preload.so"
        chmod 0755 "$bin/preload.so"
        # Control: the library works for the user's ordinary programs.
        run _as LD_PRELOAD="$bin/preload.so" /usr/bin/true
        assert_contains "$ERR" PRELOAD-RAN "control: LD_PRELOAD works for a plain program"
        rm -f "$drop"/preload-ran.*
        hostile+=(LD_PRELOAD="$bin/preload.so")
    else
        echo "note: no preload probe (OCHRE_PRELOAD_PROBE), the LD_PRELOAD part is skipped"
    fi

    R_PAYLOAD=/usr/bin/env R_ARGS=(env)
    _try "${hostile[@]}"
    _assert_ran "PATH=$_ATK_SAFE_PATH" "the payload's environment is the fixed one"
    assert_not_contains "$ERR" PRELOAD-RAN
    # The payload looks crun up in its PATH: the real one answers.
    R_ARGS=(env crun --version)
    _try "${hostile[@]}"
    [ "$STATUS" = 0 ] || fail "env crun --version: $ERR"
    assert_contains "$OUT" "crun version" "the real crun ran"
    assert_not_contains "$OUT" FAKE-CRUN
    assert_not_contains "$ERR" PRELOAD-RAN
    # The same through ochre: the runtime comes from the system dirs.
    cd "$U" || fail "cd $U"
    run _as "${hostile[@]}" HOME="$U/home" XDG_RUNTIME_DIR="$U/run" "$OCHRE_SUID_PREFIX/bin/ochre" exec \
        --runtime crun "$ROOTFS" echo hello
    # (the driver is the user's own program: a preloaded library may run
    # in it, but the starter and the container must not see it)
    assert_eq 0 "$STATUS" "ochre exec with a hostile environment: $ERR"
    assert_eq hello "$OUT"
    [ ! -e "$drop/fake-crun-ran" ] || fail "the fake crun in \$PATH ran"
    # Only the driver, the user's own program, may have loaded the library;
    # never the starter, nor the runtime or anything after it.
    local ran
    for ran in "$drop"/preload-ran.*; do
        [ -e "$ran" ] || continue
        assert_eq "$OCHRE_SUID_PREFIX/bin/ochre" "$(cat "$ran")" "a program that loaded the LD_PRELOAD library"
    done
    _req_defaults
    _try "${hostile[@]}"
    _assert_ran IMAGE-OK "the hostile environment does not stop the starter"
}

# 6. fds the caller leaves open do not reach the payload: only 0-2 (and
# the lifeline, fd 4, when the request names it). With 0-2 closed the
# payload gets /dev/null there, not some file the starter opened.
# Protection: close_range() in sanitize_environment(), harden_process().
test_attack_inherited_fds_rootonly() {
    _atk_init
    _ufile "$U/file" data
    R_PAYLOAD=/usr/bin/ls R_ARGS=(ls -l /proc/self/fd)
    _mkreq "$TESTTMP/req"
    # 0-2, and the directory ls itself opens (the lowest free fd, 3).
    _fds() { printf '%s\n' "$OUT" | awk '$(NF - 1) == "->" { print $(NF - 2) }' | sort -n | paste -sd ' '; }
    run _as "$STARTER" 3<"$TESTTMP/req" 5<"$U/file" 9<"$U/file" 200<"$U/file" 4<"$U/file"
    [ "$STATUS" = 0 ] || fail "ls: $ERR"
    assert_eq "0 1 2 3" "$(_fds)" "the payload's fds (extra fds 4 5 9 200 were open)"
    assert_not_contains "$OUT" "$U/file" "an inherited fd on the caller's file"
    # With a lifeline, fd 4 is kept, and nothing else.
    R_EXTRA=("lifeline-fd 4")
    _mkreq "$TESTTMP/req"
    run _as "$STARTER" 3<"$TESTTMP/req" 4<"$U/file" 5<"$U/file" 9<"$U/file"
    [ "$STATUS" = 0 ] || fail "ls: $ERR"
    assert_eq "0 1 2 3 4" "$(_fds)" "the payload's fds with a lifeline (5 9 were open too)"
    # 0, 1 and 2 closed: they are reopened on /dev/full or /dev/null (glibc
    # does so for a setuid program before main, harden_process() after),
    # not left for the first file the starter opens.
    R_EXTRA=()
    # (the shell reads where its 0-2 point, then writes that to a file)
    R_PAYLOAD=/usr/bin/dash
    R_ARGS=(sh -c "x=\$(readlink /proc/\$\$/fd/0 /proc/\$\$/fd/1 /proc/\$\$/fd/2); echo \"\$x\" >$U/fds.txt")
    _mkreq "$TESTTMP/req"
    STATUS=0
    "${AS[@]}" "$STARTER" 3<"$TESTTMP/req" 0<&- 1>&- 2>&- || STATUS=$?
    assert_eq 0 "$STATUS" "the starter with 0-2 closed"
    local n=0 target
    while read -r target; do
        case $target in
            /dev/null | /dev/full) ;;
            *) fail "fd $n of the payload, started with 0-2 closed, is $target" ;;
        esac
        n=$((n + 1))
    done <"$U/fds.txt"
    assert_eq 3 "$n" "fds 0-2 of the payload: $(cat "$U/fds.txt")"
}

# 7. Malformed requests: each refused with its message before anything
# runs (the payload would touch a file). Protection: common/request.c
# request_parse(), read_request() (size cap).
test_attack_malformed_requests_rootonly() {
    _atk_init
    local base=$TESTTMP/base ran=$U/ran
    R_PAYLOAD=/usr/bin/touch R_ARGS=(touch "$ran")
    _mkreq "$base"
    _start "$base"
    if [ "$STATUS" != 0 ] || [ ! -e "$ran" ]; then
        fail "control: the well-formed request did not run: $ERR"
    fi
    rm -f "$ran"
    # `_bad NEEDLE`: the request on stdin is refused with NEEDLE, and its
    # payload never ran.
    _bad() {
        cat >"$TESTTMP/req"
        _start "$TESTTMP/req"
        _assert_refused "$1" "malformed request ($1)"
        [ ! -e "$ran" ] || fail "the payload of a malformed request ran ($1)"
    }
    local head body
    head=$(head -n 1 "$base")
    body=$(sed '1d;$d' "$base")
    { echo "$head"; echo "frobnicate yes"; echo "$body"; echo end; } | _bad "unknown key 'frobnicate'"
    { echo "$head"; echo "mode destroy"; echo "$body"; echo end; } | _bad "unknown mode 'destroy'"
    { echo "$head"; echo "log-level loud"; echo "$body"; echo end; } | _bad "bad log-level 'loud'"
    { echo "$head"; echo "$body"; printf 'arg %05000d\n' 0; echo end; } | _bad "too long"
    { echo "$head"; echo "$body"; printf 'arg a\0b\n'; echo end; } | _bad "contains a NUL byte"
    { echo "$head"; for _ in $(seq 16); do echo "lower $IMG"; done; echo "$body"; echo end; } |
        _bad "too many 'lower'"
    { echo "$head"; echo "$body"; for _ in $(seq 64); do echo "arg x"; done; echo end; } | _bad "too many 'arg'"
    { echo "$head"; echo "$body"; } | _bad "truncated (no 'end')"
    { echo "$head"; echo "$body"; printf end; } | _bad "truncated (no final newline)"
    { echo "$head"; echo "$body"; echo end; echo "arg more"; } | _bad "data after 'end'"
    { echo "$head"; echo "$body"; echo end; echo end; } | _bad "data after 'end'"
    { echo "$head"; echo "$body"; echo "end now"; } | _bad "'end' takes no"
    { echo "OCHRE-STARTER-REQUEST 2"; echo "$body"; echo end; } | _bad "expected 'OCHRE-STARTER-REQUEST 1' first"
    { echo "$body"; echo end; } | _bad "expected 'OCHRE-STARTER-REQUEST 1' first"
    { echo "$head"; echo "session $S"; echo "$body"; echo end; } | _bad "too many 'session'"
    { echo "$head"; echo "session"; echo "$body"; echo end; } | _bad "'session' needs a value"
    { echo "$head"; echo "lower img"; echo "$body"; echo end; } | _bad "lower 'img' is not a clean absolute path"
    { echo "$head"; echo "lower $IMG/../img"; echo "$body"; echo end; } | _bad "is not a clean absolute path"
    { echo "$head"; echo "lower $IMG/"; echo "$body"; echo end; } | _bad "is not a clean absolute path"
    { echo "$head"; echo "${body/payload \/usr\/bin\/touch/payload touch}"; echo end; } |
        _bad "payload 'touch' is not a clean absolute path"
    { echo "$head"; echo "$body" | sed '/^tmpfs-size/d'; echo "tmpfs-size 0"; echo end; } | _bad "bad tmpfs-size '0'"
    { echo "$head"; echo "$body" | sed '/^tmpfs-size/d'; echo "tmpfs-size -1"; echo end; } | _bad "bad tmpfs-size '-1'"
    { echo "$head"; echo "$body" | sed '/^tmpfs-size/d'; echo "tmpfs-size 1099511627777"; echo end; } |
        _bad "bad tmpfs-size"
    { echo "$head"; echo "$body" | sed '/^tmpfs-size/d'; echo end; } | _bad "missing 'tmpfs-size'"
    { echo "$head"; echo "$body" | sed '/^payload/d'; echo end; } | _bad "missing 'payload'"
    { echo "$head"; echo "$body" | sed '/^lower/d'; echo end; } | _bad "missing 'lower'"
    { echo "$head"; echo "lifeline-fd 5"; echo "$body"; echo end; } | _bad "lifeline-fd must be 4"
    { echo "$head"; echo "sync-fd 5"; echo "$body"; echo end; } | _bad "'sync-fd' does not go with mode run"
    { echo "$head"; echo "mode enter"; echo "$body"; echo end; } | _bad "'session' does not go with mode enter"
    { echo "$head"; echo "uid-range 1 $((TUID + 1000000)) 1"; echo "$body"; echo end; } |
        _bad "uid-range needs newuidmap"
    { echo "$head"; echo "uid-range 0 100000 1"; echo "newuidmap /usr/bin/newuidmap"; echo "$body"; echo end; } |
        _bad "bad uid-range"
    { echo "$head"; echo "overlay fuse"; echo "$body"; echo end; } | _bad "overlay fuse needs fuse-overlayfs"
    { echo "$head"; echo "userns maybe"; echo "$body"; echo end; } | _bad "bad userns 'maybe'"
    { echo "$head"; echo "$body"; printf 'end\r\n'; } | _bad "unknown key 'end"
    { echo "$head"; echo "$body"; for _ in $(seq 40); do printf 'arg %04000d\n' 0; done; echo end; } |
        _bad "request larger than 65536 bytes"
    : | _bad "size 0 is out of range"
    # No fd 3 at all.
    run _as "$STARTER"
    _assert_refused "read the request on fd 3" "no request"
}
