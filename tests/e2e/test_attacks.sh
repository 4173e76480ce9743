# shellcheck shell=bash
# Attacks on the setuid-root starter (SECURITY.md, "Setuid-root install"):
# the original set. The helpers and the rules every attack case follows are
# in attack_lib.sh; newer attacks live in test_attacks_*.sh by theme.
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

# 1. A symlink anywhere in a caller path (session, lower, upper, and the
# upper/, work/, rootfs/ and overlay/ dirs the starter uses inside them) is
# refused, even when it points at a directory the caller could use.
# Protection: openat2(RESOLVE_NO_SYMLINKS) (safe_open.c open_dir_nofollow),
# O_NOFOLLOW|O_DIRECTORY for the subdirs (open_subdir_nofollow).
test_attack_symlink_in_paths_rootonly() {
    _atk_init
    local link='a path component is a symbolic link' notdir='Not a directory'
    # Targets the caller could use: with the links followed, each would run.
    _session "$U/sess2"
    _udir "$U/real"
    _udir "$U/real/img"
    _ufile "$U/real/img/marker" IMAGE-OK
    _session "$U/real/sess"
    _udir "$U/real/ov"
    ln -s "$U/real" "$U/dlink"
    ln -s "$U/real/img" "$U/imglink"
    ln -s "$U/sess2" "$U/sesslink"
    ln -s "$U/real/ov" "$U/ovlink"
    chown -h "$OCHRE_TEST_USER:" "$U/dlink" "$U/imglink" "$U/sesslink" "$U/ovlink"

    # Controls: the real paths work.
    R_LOWERS=("$U/real/img")
    _try
    _assert_ran IMAGE-OK "control: the real image dir"
    R_SESSION=$U/real/sess R_ARGS=(cat "$U/real/sess/rootfs/marker")
    _try
    _assert_ran IMAGE-OK "control: the real session dir"
    _req_defaults
    R_UPPER=$U/real/ov
    _try
    _assert_ran IMAGE-OK "control: the real overlay dir"

    _req_defaults
    R_LOWERS=("$U/imglink")
    _try
    _assert_refused "image rootfs '$U/imglink': $link" "a lower that is a symlink"
    R_LOWERS=("$U/dlink/img")
    _try
    _assert_refused "image rootfs '$U/dlink/img': $link" "a lower below a symlink"
    R_LOWERS=("$IMG" "$U/dlink/img")
    _try
    _assert_refused "image rootfs '$U/dlink/img': $link" "a second lower below a symlink"
    # A symlink made by root counts as much: /lib on a merged-/usr host.
    if [ -L /lib ] && [ -d /usr/lib ]; then
        R_LOWERS=(/usr/lib) R_PAYLOAD=/usr/bin/true R_ARGS=(true)
        _try
        _assert_ran "" "control: /usr/lib as a lower"
        R_LOWERS=(/lib)
        _try
        _assert_refused "image rootfs '/lib': $link" "a lower through a root-owned symlink"
    fi

    _req_defaults
    R_SESSION=$U/sesslink R_ARGS=(cat "$U/sesslink/rootfs/marker")
    _try
    _assert_refused "session dir '$U/sesslink': $link" "a session dir that is a symlink"
    R_SESSION=$U/dlink/sess R_ARGS=(cat "$U/dlink/sess/rootfs/marker")
    _try
    _assert_refused "session dir '$U/dlink/sess': $link" "a session dir below a symlink"

    _req_defaults
    R_UPPER=$U/ovlink
    _try
    _assert_refused "writable overlay '$U/ovlink': $link" "an overlay dir that is a symlink"
    R_UPPER=$U/dlink/ov
    _try
    _assert_refused "writable overlay '$U/dlink/ov': $link" "an overlay dir below a symlink"

    # upper/ and work/, made by the starter inside the caller's overlay dir:
    # pre-made as symlinks to a root-owned, world-writable directory (the
    # overlay would write there as root), they are refused and nothing is
    # made in the target.
    _rdir "$TESTTMP/rootdir" 0777
    _rdir "$TESTTMP/rootdir/d" 0777
    local which
    for which in upper work; do
        rm -rf "$U/ov"
        _udir "$U/ov"
        ln -s "$TESTTMP/rootdir/d" "$U/ov/$which"
        chown -h "$OCHRE_TEST_USER:" "$U/ov/$which"
        R_UPPER=$U/ov R_PAYLOAD=/usr/bin/touch R_ARGS=(touch "$S/rootfs/pwned")
        _try
        _assert_refused "open overlay dirs in $S: $notdir" "overlay dir with $which/ a symlink"
        assert_eq "" "$(ls -A "$TESTTMP/rootdir/d")" "nothing was made through the $which/ symlink"
    done

    # rootfs/ and overlay/ inside the session dir.
    _req_defaults
    for which in rootfs overlay; do
        rm -rf "$U/s3"
        _session "$U/s3"
        rmdir "$U/s3/$which"
        _rdir "$TESTTMP/rootdir/$which"
        ln -s "$TESTTMP/rootdir/$which" "$U/s3/$which"
        chown -h "$OCHRE_TEST_USER:" "$U/s3/$which"
        R_SESSION=$U/s3 R_ARGS=(cat "$U/s3/rootfs/marker")
        _try
        _assert_refused "$notdir" "session with $which/ a symlink"
        assert_eq "" "$(ls -A "$TESTTMP/rootdir/$which")" "nothing was made through the $which/ symlink"
    done
    grep -qF "$TESTTMP/rootdir" /proc/self/mountinfo && fail "a mount was left on the symlink target"
    return 0
}

# 2. Paths swapped for symlinks between check and use: while the user flips
# (rename exchange, as fast as it can) a lower dir, a parent component of
# another lower, and an overlay dir between a real directory and a symlink
# to a root-only directory, the starter runs 210 times. The container must
# never see the root-only marker, nor make anything in the root-owned
# target. Protection: everything is opened once, as the caller
# (setfsuid), without symlinks, and mounted through /proc/self/fd/N
# (mounts.c), so what was checked is what is mounted.
test_attack_symlink_race_rootonly() {
    _atk_init
    command -v python3 >/dev/null || skip "python3 not installed"
    local secret=SECRET-$$-$RANDOM
    # The root-only side: a 0700 dir with a readable marker, a root-owned
    # dir holding such an image, and a root-owned dir for the overlay side.
    _rdir "$TESTTMP/vault" 0700
    printf '%s\n' "$secret" >"$TESTTMP/vault/marker"
    chmod 0644 "$TESTTMP/vault/marker"
    _rdir "$TESTTMP/vparent" 0755
    _rdir "$TESTTMP/vparent/img" 0700
    cp -p "$TESTTMP/vault/marker" "$TESTTMP/vparent/img/marker"
    _rdir "$TESTTMP/rootov" 0777
    # The caller's side, in one dir R: lower <-> lalt, p <-> palt, ov <-> oalt.
    local R=$U/race
    _udir "$R"
    _udir "$R/lower"
    _ufile "$R/lower/marker" IMAGE-OK
    _udir "$R/p"
    _udir "$R/p/img"
    _ufile "$R/p/img/marker" IMAGE-OK
    _udir "$R/ov"
    ln -s "$TESTTMP/vault" "$R/lalt"
    ln -s "$TESTTMP/vparent" "$R/palt"
    ln -s "$TESTTMP/rootov" "$R/oalt"
    chown -h "$OCHRE_TEST_USER:" "$R/lalt" "$R/palt" "$R/oalt"

    cat >"$TESTTMP/flip.py" <<'EOF'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
RENAME_EXCHANGE = 2
AT_FDCWD = -100
os.chdir(sys.argv[1])
pairs = [(b"lower", b"lalt"), (b"p", b"palt"), (b"ov", b"oalt")]
open("flipping", "w").close()
while True:
    for a, b in pairs:
        if libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0:
            sys.exit("renameat2: %s" % os.strerror(ctypes.get_errno()))
EOF
    # Three request shapes.
    R_LOWERS=("$R/lower")
    _mkreq "$TESTTMP/req.0"
    R_LOWERS=("$R/p/img")
    _mkreq "$TESTTMP/req.1"
    R_LOWERS=("$IMG") R_UPPER=$R/ov
    _mkreq "$TESTTMP/req.2"
    # Controls, before the flipping starts.
    local i
    for i in 0 1 2; do
        _start "$TESTTMP/req.$i"
        _assert_ran IMAGE-OK "control: request shape $i"
    done

    cat >"$TESTTMP/race.sh" <<'EOF'
starter=$1 t=$2
i=0
while [ $i -lt 210 ]; do
    n=$((i % 3))
    "$starter" 3<"$t/req.$n" >"$t/out" 2>"$t/err"
    rc=$?
    printf '%s %s %s | %s\n' "$n" "$rc" "$(tr '\n' ' ' <"$t/out")" "$(tr '\n' ' ' <"$t/err")"
    i=$((i + 1))
done
EOF
    chmod 0644 "$TESTTMP/flip.py" "$TESTTMP/race.sh" "$TESTTMP"/req.*
    _udir "$TESTTMP/rt"
    cp "$TESTTMP"/req.* "$TESTTMP/rt/"
    chown "$OCHRE_TEST_USER:" "$TESTTMP"/rt/*

    "${AS[@]}" python3 "$TESTTMP/flip.py" "$R" 2>"$TESTTMP/flip.err" &
    local flipper=$!
    track "$flipper"
    wait_until 10 test -e "$R/flipping" || fail "the flipper did not start: $(cat "$TESTTMP/flip.err")"
    _as bash "$TESTTMP/race.sh" "$STARTER" "$TESTTMP/rt" >"$TESTTMP/race.log" 2>&1
    kill -0 "$flipper" 2>/dev/null || fail "the flipper died early: $(cat "$TESTTMP/flip.err")"
    kill -KILL "$flipper"
    wait "$flipper" 2>/dev/null || true

    if grep -qF "$secret" "$TESTTMP/race.log"; then
        echo "FAIL: the container saw the root-only marker:" >&2
        grep -F "$secret" "$TESTTMP/race.log" | head -n 5 | sed 's/^/  /' >&2
        exit 1
    fi
    assert_eq "" "$(ls -A "$TESTTMP/rootov")" "nothing was made in the root-owned overlay target"
    # Each run either worked on the caller's own dir or was refused; every
    # shape must have met both states, or the race was not exercised.
    local bad
    bad=$(awk '!(($2 == 0 && $3 == "IMAGE-OK") || ($2 == 255 && $0 ~ /ochre: error: /))' "$TESTTMP/race.log")
    [ -z "$bad" ] || fail "unexpected outcomes:
$bad"
    for i in 0 1 2; do
        awk -v n=$i '$1 == n && $2 == 0 { ok = 1 } $1 == n && $2 == 255 { no = 1 } END { exit !(ok && no) }' \
            "$TESTTMP/race.log" || fail "request shape $i did not meet both states: $(grep -c "^$i " "$TESTTMP/race.log") runs"
    done
    grep -qF "$TESTTMP/vault" /proc/self/mountinfo && fail "a mount was left behind"
    return 0
}

# 3. 'limit container paths = DIR': a lower (or overlay dir) outside DIR is
# refused, matched by whole components (DIR2 is outside DIR); inside DIR is
# allowed; a symlink inside DIR pointing out of it is refused too.
# Protection: policy.c check_limit_paths/path_within, then
# RESOLVE_NO_SYMLINKS for the escape through a link.
test_attack_limit_container_paths_rootonly() {
    _atk_init
    local in=$TESTTMP/scratch out=$TESTTMP/scratch2
    _rdir "$in"
    _rdir "$out"
    _udir "$in/img"
    _ufile "$in/img/marker" IMAGE-OK
    _udir "$in/ov"
    _udir "$out/img"
    _ufile "$out/img/marker" IMAGE-OK
    _udir "$out/ov"
    ln -s "$out/img" "$in/link"
    chown -h "$OCHRE_TEST_USER:" "$in/link"

    # Without the limit, all of them run.
    R_LOWERS=("$out/img")
    _try
    _assert_ran IMAGE-OK "control: no limit"
    _conf_save
    _conf_set "limit container paths = $in"
    R_LOWERS=("$in/img")
    _try
    _assert_ran IMAGE-OK "an image inside the allowed path"
    R_UPPER=$in/ov
    _try
    _assert_ran IMAGE-OK "an overlay dir inside the allowed path"
    R_UPPER=
    R_LOWERS=("$out/img")
    _try
    _assert_refused "image '$out/img' is outside the paths the administrator allows ('limit container paths')" \
        "an image in a sibling whose name extends the allowed one"
    R_LOWERS=("$in/img" "$out/img")
    _try
    _assert_refused "image '$out/img' is outside" "a second lower outside the allowed path"
    R_LOWERS=("$in/img") R_UPPER=$out/ov
    _try
    _assert_refused "overlay '$out/ov' is outside the paths the administrator allows" \
        "an overlay dir outside the allowed path"
    R_UPPER=
    R_LOWERS=("$in/link")
    _try
    _assert_refused "image rootfs '$in/link': a path component is a symbolic link" \
        "a symlink inside the allowed path pointing out of it"
    R_LOWERS=("$in/../scratch2/img")
    _try
    _assert_refused "is not a clean absolute path" "a '..' out of the allowed path"
}

# The same limits through `ochre exec`, the way users meet them: an image
# inside the allowed path (root's, for 'limit container owners = root')
# runs; one outside (or the user's own) is refused. ochre adds a lower of
# its own (SESSION/mountpoints, the caller's, in the session dir), which
# the limits must not refuse, or they refuse every launch.
test_attack_policy_limits_via_ochre_exec_rootonly() {
    _atk_init
    local in=$TESTTMP/scratch out=$TESTTMP/scratch2 problems=()
    _rdir "$in"
    _rdir "$out"
    cp -a "$ROOTFS" "$in/img"
    cp -a "$ROOTFS" "$out/img"
    chown -R root:root "$in/img" "$out/img"
    cp -a "$ROOTFS" "$in/uimg"
    chown -R "$OCHRE_TEST_USER:" "$in/uimg"
    chmod 0755 "$in/img" "$out/img" "$in/uimg"
    cd "$U" || fail "cd $U"
    local -a ox=(_as HOME="$U/home" XDG_RUNTIME_DIR="$U/run" "$OCHRE_SUID_PREFIX/bin/ochre" exec --runtime crun)
    _conf_save
    _conf_set "limit container paths = $in"
    run "${ox[@]}" "$in/img" echo ok
    [ "$STATUS" = 0 ] && [ "$OUT" = ok ] ||
        problems+=("'limit container paths = $in': an image inside it does not run: $ERR")
    run "${ox[@]}" "$out/img" echo ok
    [ "$STATUS" = 255 ] && [[ $ERR == *"image '$out/img' is outside"* ]] ||
        problems+=("'limit container paths = $in': an image in $out is not refused by name: $ERR")
    _conf_set "limit container owners = root"
    run "${ox[@]}" "$in/img" echo ok
    [ "$STATUS" = 0 ] && [ "$OUT" = ok ] ||
        problems+=("'limit container owners = root': a root-owned image does not run: $ERR")
    run "${ox[@]}" "$in/uimg" echo ok
    [ "$STATUS" = 255 ] && [[ $ERR == *"image '$in/uimg' is owned by uid $TUID"* ]] ||
        problems+=("'limit container owners = root': the user's own image is not refused by name: $ERR")
    [ ${#problems[@]} -eq 0 ] || fail "$(printf '\n  %s' "${problems[@]}")"
}

# 'limit container owners = root': an image dir the caller owns is
# refused; a root-owned one is allowed. Protection: policy_check_owner on
# the opened fd (main.c open_lowers).
test_attack_limit_container_owners_rootonly() {
    _atk_init
    _rdir "$TESTTMP/rimg"
    printf 'ROOT-IMAGE\n' >"$TESTTMP/rimg/marker"
    _conf_save
    _try
    _assert_ran IMAGE-OK "control: no limit"
    _conf_set "limit container owners = root"
    _try
    _assert_refused "image '$IMG' is owned by uid $TUID, not by an owner the administrator allows ('limit container owners')"
    R_LOWERS=("$TESTTMP/rimg")
    _try
    _assert_ran ROOT-IMAGE "a root-owned image"
    # With the caller's own layers, mounted inside the namespace (caller-ids
    # self), the root-owned image's owner cannot be told there: refused.
    local ustart gstart
    read -r ustart gstart < <(_subid_starts)
    if [ -n "$ustart" ] && [ -n "$gstart" ]; then
        _udir "$U/ov"
        R_UPPER=$U/ov
        R_EXTRA=("caller-ids self" "uid-range 0 $ustart 1" "gid-range 0 $gstart 1"
            "newuidmap /usr/bin/newuidmap" "newgidmap /usr/bin/newgidmap")
        _try
        _assert_refused "with --overlay, 'limit container owners' allows only your own images"
    fi
}

# 'allow user overlay = no' refuses a writable overlay dir.
test_attack_allow_user_overlay_no_rootonly() {
    _atk_init
    _udir "$U/ov"
    R_UPPER=$U/ov
    _try
    _assert_ran IMAGE-OK "control: an overlay dir"
    _conf_save
    _conf_set "allow user overlay = no"
    _udir "$U/ov2"
    R_UPPER=$U/ov2
    _try
    _assert_refused "writable overlays are disabled by the administrator ('allow user overlay = no')"
    assert_eq "" "$(ls -A "$U/ov2")" "the refused overlay dir was left alone"
}

# 4. The config is trusted only if it and every directory above it are
# root-owned and not group/other-writable; the refusal names the path.
# Protection: policy.c policy_open_trusted (an O_NOFOLLOW walk from /).
test_attack_config_trust_rootonly() {
    _atk_init
    _conf_save
    local dir prefix_dir
    dir=$(dirname "$SUID_CONF")
    prefix_dir=$(dirname "$dir")
    _try
    _assert_ran IMAGE-OK "control: the installed config"

    chmod g+w "$SUID_CONF"
    _try
    _assert_refused "admin config: '$SUID_CONF' is writable by group or others; refusing" "a group-writable config"
    _conf_restore_now
    chmod o+w "$SUID_CONF"
    _try
    _assert_refused "admin config: '$SUID_CONF' is writable by group or others; refusing" "a world-writable config"
    _conf_restore_now
    chmod g+w "$dir"
    _try
    _assert_refused "admin config: '$dir' is writable by group or others; refusing" "a group-writable config dir"
    _conf_restore_now
    chmod g+w "$prefix_dir"
    _try
    _assert_refused "admin config: '$prefix_dir' is writable by group or others; refusing" \
        "a group-writable directory further up"
    _conf_restore_now
    chown "$OCHRE_TEST_USER:" "$SUID_CONF"
    _try
    _assert_refused "admin config: '$SUID_CONF' is not owned by root; refusing" "a config the user owns"
    _conf_restore_now
    # A symlink to a good copy, both root's: still refused.
    cp -p "$TESTTMP/conf.saved" "$dir/ochre.conf.real"
    remove_at_exit "$dir/ochre.conf.real"
    rm -f "$SUID_CONF"
    ln -s ochre.conf.real "$SUID_CONF"
    _try
    _assert_refused "admin config: '$SUID_CONF': a path component is a symbolic link" "a config that is a symlink"
    rm -f "$dir/ochre.conf.real"
    _conf_restore_now
    _try
    _assert_ran IMAGE-OK "the restored config"
}

# 12. 'allow setuid = no' refuses, naming the directive, the starter run by
# hand and through ochre (which may not pick the setuid mode either way).
test_attack_allow_setuid_no_rootonly() {
    _atk_init
    _conf_save
    _try
    _assert_ran IMAGE-OK "control"
    _conf_set "allow setuid = no"
    _try
    _assert_refused "the administrator disabled the setuid starter ('allow setuid = no' in $SUID_CONF)"
    # userns yes (drop at once) still goes through the policy.
    R_EXTRA=("userns yes")
    _try
    _assert_refused "'allow setuid = no'" "a --userns request"
    # A config of the user's own (-c) does not lift it.
    printf 'allow setuid = yes\n' >"$U/my.conf"
    chmod 0644 "$U/my.conf"
    cd "$U" || fail "cd $U"
    run _as HOME="$U/home" XDG_RUNTIME_DIR="$U/run" "$OCHRE_SUID_PREFIX/bin/ochre" -c "$U/my.conf" -d \
        exec "$ROOTFS" id -u
    if [ "$STATUS" = 0 ]; then
        assert_not_contains "$ERR" "starter mode: setuid" "the user's config chose setuid mode"
        assert_not_contains "$ERR" "[starter] setuid mode"
    else
        case $ERR in
            *"allow setuid = no"* | *"--config is not allowed with a setuid ochre-starter"*) ;;
            *) fail "ochre -c with 'allow setuid = no' in the admin config: $ERR" ;;
        esac
    fi
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
    if command -v cc >/dev/null; then
        printf '%s\n' '#include <fcntl.h>' '#include <stdio.h>' '#include <unistd.h>' \
            '__attribute__((constructor)) static void hit(void) {' \
            '    char p[256], exe[256]; snprintf(p, sizeof p, "'"$drop"'/preload-ran.%d", (int)getpid());' \
            '    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1); exe[n > 0 ? n : 0] = 0;' \
            '    int fd = open(p, O_CREAT | O_WRONLY, 0644); dprintf(fd, "%s\n", exe); close(fd);' \
            '    write(2, "PRELOAD-RAN\n", 12); }' \
            >"$TESTTMP/preload.c"
        cc -shared -fPIC -o "$bin/preload.so" "$TESTTMP/preload.c"
        chmod 0755 "$bin/preload.so"
        # Control: the library works for the user's ordinary programs.
        run _as LD_PRELOAD="$bin/preload.so" /usr/bin/true
        assert_contains "$ERR" PRELOAD-RAN "control: LD_PRELOAD works for a plain program"
        rm -f "$drop"/preload-ran.*
        hostile+=(LD_PRELOAD="$bin/preload.so")
    else
        echo "note: no cc, the LD_PRELOAD part is skipped"
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

# 8. Paths the caller does not own: a root-owned (world-writable) overlay
# dir; a root-owned session dir; a session dir the caller owns but others
# may enter. Protection: main.c open_owned_dir(), open_session().
test_attack_foreign_session_and_upper_rootonly() {
    _atk_init
    _rdir "$TESTTMP/rootov" 0777
    R_UPPER=$TESTTMP/rootov
    _try
    _assert_refused "writable overlay '$TESTTMP/rootov' is not owned by the caller" "a root-owned overlay dir"
    assert_eq "" "$(ls -A "$TESTTMP/rootov")" "nothing was made in the root-owned overlay dir"

    R_UPPER=
    _rdir "$TESTTMP/rsess" 0700
    _rdir "$TESTTMP/rsess/rootfs"
    _rdir "$TESTTMP/rsess/overlay"
    R_SESSION=$TESTTMP/rsess R_ARGS=(cat "$TESTTMP/rsess/rootfs/marker")
    _try
    _assert_refused "session dir '$TESTTMP/rsess' is not owned by the caller" "a root-owned session dir"
    # Another user's, even when world-accessible.
    _rdir "$TESTTMP/rsess2" 0777
    _rdir "$TESTTMP/rsess2/rootfs" 0777
    _rdir "$TESTTMP/rsess2/overlay" 0777
    R_SESSION=$TESTTMP/rsess2 R_ARGS=(cat "$TESTTMP/rsess2/rootfs/marker")
    _try
    _assert_refused "session dir '$TESTTMP/rsess2' is not owned by the caller" "a root-owned 0777 session dir"

    _req_defaults
    local mode
    for mode in 0755 0750 0701; do
        chmod "$mode" "$S"
        _try
        _assert_refused "session dir '$S' must be private (mode 0700)" "a session dir of mode $mode"
    done
    chmod 0700 "$S"
    _try
    _assert_ran IMAGE-OK "control: the session dir back at 0700"
    # Not a directory.
    _ufile "$U/notdir" x
    R_SESSION=$U/notdir
    _try
    _assert_refused "session dir '$U/notdir': Not a directory" "a session that is a file"
}

# 9. A directory the caller cannot read or search, as a lower: refused,
# and its content never shows. Variants: 0700; 0744 (listable, not
# searchable); a readable dir inside a 0700 one. Protection: lowers
# opened with the caller's fsuid (privilege_fs_as_caller) and the
# faccessat(R_OK|X_OK) check in open_lowers().
test_attack_root_only_lower_rootonly() {
    _atk_init
    local secret=SECRET-$$-$RANDOM
    _rdir "$TESTTMP/r0700" 0700
    _rdir "$TESTTMP/r0744" 0744
    _rdir "$TESTTMP/vault" 0700
    _rdir "$TESTTMP/vault/pub" 0755
    _rdir "$TESTTMP/r0755" 0755
    local d
    for d in r0700 r0744 vault/pub r0755; do
        printf '%s\n' "$secret" >"$TESTTMP/$d/marker"
        chmod 0644 "$TESTTMP/$d/marker"
    done
    R_LOWERS=("$TESTTMP/r0755")
    _try
    _assert_ran "$secret" "control: a root-owned, world-readable image"
    for d in r0700 r0744 vault/pub; do
        R_LOWERS=("$TESTTMP/$d")
        _try
        _assert_refused "image rootfs '$TESTTMP/$d': Permission denied" "a lower the caller cannot use ($d)"
        assert_not_contains "$OUT$ERR" "$secret"
        # Hidden behind a readable top layer, too.
        R_LOWERS=("$IMG" "$TESTTMP/$d")
        _try
        _assert_refused "image rootfs '$TESTTMP/$d': Permission denied" "a second lower ($d)"
    done
}

# 9b. Root-only content must stay hidden behind a directory the caller
# stacks on top of it. The host dir H (root's, 0755) holds vault/ (root's,
# 0700) with a world-readable file; the caller cannot read it on the host.
# The caller then asks for an overlay in which a vault/ dir of its own lies
# above H/vault: (a) as a second image layer (ochre exec -o DIR:ro), (b) in
# a persistent overlay dir's upper/ (ochre exec -o DIR). Overlay takes a
# merged directory's owner and mode from its top-most layer, and looks
# into the lower layers with the mounter's credentials: mounted by root,
# H/vault's content shows. Protection needed: the overlay must not look
# into lowers with more than the caller's rights (e.g. mount it as the
# caller, inside the user namespace).
test_attack_merged_dir_hides_root_only_content_rootonly() {
    _atk_init
    local secret=SECRET-$$-$RANDOM H=$TESTTMP/host
    _rdir "$H"
    _rdir "$H/vault" 0700
    printf '%s\n' "$secret" >"$H/vault/marker"
    chmod 0644 "$H/vault/marker"
    run _as /usr/bin/cat "$H/vault/marker"
    assert_not_contains "$OUT" "$secret" "control: the caller cannot read the file on the host"
    # Control: H alone as the image hides it.
    R_LOWERS=("$H") R_ARGS=(cat "$S/rootfs/vault/marker")
    _try
    assert_not_contains "$OUT" "$secret" "control: the root-only dir seen through a plain overlay"
    [ "$STATUS" != 0 ] || fail "control: reading the root-only file through the overlay worked"
    local leaks=()
    # (a) A layer of the caller's on top.
    _udir "$U/top"
    _udir "$U/top/vault"
    R_LOWERS=("$U/top" "$H")
    _try
    if [ "$STATUS" = 0 ] || [[ $OUT == *"$secret"* ]]; then
        leaks+=("(a) through a caller's dir in an image layer above it (exit $STATUS): $OUT")
    fi
    # (b) A dir in the caller's persistent upper on top.
    _udir "$U/ov"
    _udir "$U/ov/upper"
    _udir "$U/ov/upper/vault"
    R_LOWERS=("$H") R_UPPER=$U/ov
    _try
    if [ "$STATUS" = 0 ] || [[ $OUT == *"$secret"* ]]; then
        leaks+=("(b) through a caller's dir in the overlay dir's upper/ (exit $STATUS): $OUT")
    fi
    # (c), (d): the same, mounted by the namespace's root ('caller-ids
    # self', the setuid starter's --overlay where the caller has
    # subordinate ids), where the host would let no user do it.
    local ustart gstart
    read -r ustart gstart < <(_subid_starts)
    if [ -n "$ustart" ] && [ -n "$gstart" ]; then
        R_EXTRA=("caller-ids self" "uid-range 0 $ustart 1" "gid-range 0 $gstart 1"
            "newuidmap /usr/bin/newuidmap" "newgidmap /usr/bin/newgidmap")
        R_LOWERS=("$U/top" "$H") R_UPPER=
        _try
        if [ "$STATUS" = 0 ] || [[ $OUT == *"$secret"* ]]; then
            leaks+=("(c) as (a), mounted by the namespace's root (exit $STATUS): $OUT")
        fi
        R_LOWERS=("$H") R_UPPER=$U/ov
        _try
        if [ "$STATUS" = 0 ] || [[ $OUT == *"$secret"* ]]; then
            leaks+=("(d) as (b), mounted by the namespace's root (exit $STATUS): $OUT")
        fi
        # Control: that way of mounting works for what the caller may read.
        R_LOWERS=("$U/top" "$IMG") R_UPPER=$U/ov R_ARGS=(cat "$S/rootfs/marker")
        _try
        _assert_ran IMAGE-OK "control: overlays mounted by the namespace's root"
    fi
    [ ${#leaks[@]} -eq 0 ] || fail "root-only content shows in the container:$(printf '\n  %s' "${leaks[@]}")"
}

# 9c. A lower dir's content hidden under a mount point on the host (a
# file the caller cannot see there) must not show in the overlay: the
# kernel refuses that to a user namespace (a bind of a tree with locked
# mounts), and overlay layers are taken without their submounts.
test_attack_lower_does_not_reveal_under_mounts_rootonly() {
    _atk_init
    local secret=UNDER-$$-$RANDOM H=$TESTTMP/host
    _rdir "$H"
    _rdir "$H/covered"
    printf '%s\n' "$secret" >"$H/covered/hidden"
    chmod 0644 "$H/covered/hidden"
    mount -t tmpfs -o size=64k,mode=0755 ochre-attack-cover "$H/covered"
    at_exit umount -l "$H/covered"
    run _as /usr/bin/cat "$H/covered/hidden"
    assert_not_contains "$OUT" "$secret" "control: the file is hidden on the host"
    R_LOWERS=("$H") R_ARGS=(cat "$S/rootfs/covered/hidden")
    _try
    if [ "$STATUS" = 0 ] || [[ $OUT == *"$secret"* ]]; then
        fail "a file hidden under a host mount shows in the overlay (exit $STATUS): $OUT"
    fi
}

# 9d. ochre stacks a layer of its own below the image, SESSION/mountpoints
# (the caller's dir, made by the driver), which may lie outside 'limit
# container paths' because it adds structure, never content: directories
# and empty files, refused otherwise, and read as the caller. Protection:
# mounts.c copy_structure (the layer is copied into the starter's tmpfs,
# with the caller's filesystem ids, before the mount).
test_attack_mountpoint_layer_content_rootonly() {
    _atk_init
    local M=$S/mountpoints
    _udir "$M"
    _udir "$M/mnt"
    _udir "$M/mnt/deep"
    _ufile "$M/mnt/deep/target" ""
    : >"$M/mnt/deep/target"
    R_EXTRA=("mountpoints $M")
    R_PAYLOAD=/usr/bin/stat R_ARGS=(stat -c '%F %u' "$S/rootfs/mnt/deep" "$S/rootfs/mnt/deep/target")
    _try
    _assert_ran "directory 0
regular empty file 0" "control: the layer's structure shows, owned by the caller (root in the namespace)"
    R_PAYLOAD=/usr/bin/cat R_ARGS=(cat "$S/rootfs/marker")
    printf 'CONTENT\n' >"$M/mnt/deep/target"
    _try
    _assert_refused "mount point layer '$M' holds 'target', which is not an empty file or a directory" \
        "a file with content in the mount point layer"
    rm "$M/mnt/deep/target"
    ln -s /etc/shadow "$M/mnt/deep/target"
    _try
    _assert_refused "holds 'target', which is not an empty file or a directory" "a symlink in the mount point layer"
    rm "$M/mnt/deep/target"
    mkfifo "$M/mnt/deep/target"
    _try
    _assert_refused "holds 'target', which is not an empty file or a directory" "a fifo in the mount point layer"
    # A directory the caller cannot read (someone else's, moved into the
    # layer): read with the caller's filesystem ids, so its names do not
    # show in the container.
    rm "$M/mnt/deep/target"
    _rdir "$M/mnt/rootonly" 0700
    : >"$M/mnt/rootonly/secret-name"
    R_PAYLOAD=/usr/bin/ls R_ARGS=(ls -A "$S/rootfs/mnt/rootonly")
    _try
    _assert_refused "read mount point layer '$M': Permission denied" \
        "a directory in the mount point layer the caller cannot read"
}

# 9e. The caller owns SESSION/mountpoints and may add to it at any time,
# also after the starter looked at it and while the overlay is mounted
# (overlay shows a name new in a lower when first looked up). The payload,
# as the caller, writes a file into that dir, then looks for it in the
# rootfs: it must not be there. Protection: the starter stacks its own
# copy of the layer (mounts.c copy_mountpoint_layer), which the caller
# cannot reach.
test_attack_mountpoint_layer_changed_after_check_rootonly() {
    _atk_init
    local M=$S/mountpoints
    _udir "$M"
    _udir "$M/mnt"
    R_EXTRA=("mountpoints $M")
    R_PAYLOAD=/usr/bin/dash
    R_ARGS=(dash -c "echo SMUGGLED >$M/mnt/new && cat $M/mnt/new && cat $S/rootfs/mnt/new 2>/dev/null; ls -A $S/rootfs/mnt")
    _try
    _assert_ran SMUGGLED "the payload, as the caller, writes into SESSION/mountpoints and finds nothing in the rootfs"
}

# 10. A setuid-root binary in the image does not give the container root:
# the rootfs is nosuid (and host root is not mapped in the container's
# user namespace). Same with a file capability. Protection: MS_NOSUID on
# every mount (mounts.c), the userns map of the caller alone.
test_attack_setuid_binary_in_image_rootonly() {
    _atk_init
    local img=$TESTTMP/suidimg
    cp -a "$ROOTFS" "$img"
    chmod 0755 "$img"
    _rdir "$img/suid"
    cp "$img/bin/busybox" "$img/suid/busybox"
    chown root:root "$img/suid/busybox"
    chmod 4755 "$img/suid/busybox"
    if command -v setcap >/dev/null; then
        _rdir "$img/fcap"
        cp "$img/bin/busybox" "$img/fcap/busybox"
        setcap cap_setuid,cap_dac_override+ep "$img/fcap/busybox" || rm -f "$img/fcap/busybox"
    fi
    cd "$U" || fail "cd $U"
    local -a ox=(_as HOME="$U/home" XDG_RUNTIME_DIR="$U/run" "$OCHRE_SUID_PREFIX/bin/ochre" exec --runtime crun)
    run "${ox[@]}" "$img" /bin/busybox id -u
    assert_eq 0 "$STATUS" "plain busybox: $ERR"
    local plain=$OUT
    assert_eq "$TUID" "$plain" "the container runs as the caller's uid"
    run "${ox[@]}" "$img" /suid/busybox id -u
    assert_eq 0 "$STATUS" "setuid busybox: $ERR"
    assert_eq "$plain" "$OUT" "the setuid-root binary changes nothing"
    run "${ox[@]}" "$img" /suid/busybox grep -E "^(Uid|CapEff):" /proc/self/status
    assert_contains "$OUT" "$(printf 'Uid:\t%s\t%s\t%s\t%s' "$TUID" "$TUID" "$TUID" "$TUID")"
    assert_contains "$OUT" "$(printf 'CapEff:\t0000000000000000')"
    if [ -e "$img/fcap/busybox" ]; then
        run "${ox[@]}" "$img" /fcap/busybox grep -E "^CapEff:" /proc/self/status
        assert_eq "$(printf 'CapEff:\t0000000000000000')" "$OUT" "a file capability is not honoured"
    fi
    run "${ox[@]}" "$img" /bin/busybox cat /proc/self/mountinfo
    assert_eq 0 "$STATUS" "mountinfo: $ERR"
    local opts
    opts=$(mount_field "$OUT" / opts)
    case ,$opts, in *,nosuid,*) ;; *) fail "the container's / is not nosuid: $opts" ;; esac
    case ,$opts, in *,nodev,*) ;; *) fail "the container's / is not nodev: $opts" ;; esac
}

# 11. The caller cannot ptrace the starter or read its memory or
# environment: not while it holds root (blocked reading its request, euid
# 0), nor later while it supervises. Protection: PR_SET_DUMPABLE 0
# (harden_process), with the kernel's own rule for setuid execs and id
# changes.
test_attack_ptrace_starter_rootonly() {
    _atk_init
    command -v python3 >/dev/null || skip "python3 not installed"
    cat >"$TESTTMP/probe.py" <<'EOF'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
pid = int(sys.argv[1])
def res(ok, err=0):
    return "ok" if ok else os.strerror(err)
r = libc.ptrace(16, pid, None, None)  # PTRACE_ATTACH
print("attach", res(r == 0, ctypes.get_errno()))
if r == 0:
    libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
r = libc.ptrace(0x4206, pid, None, None)  # PTRACE_SEIZE
print("seize", res(r == 0, ctypes.get_errno()))
for name in ("mem", "environ", "auxv", "maps"):
    try:
        with open("/proc/%d/%s" % (pid, name), "rb") as f:
            f.read(16)
        print(name, "ok")
    except OSError as e:
        print(name, os.strerror(e.errno))
try:
    os.listdir("/proc/%d/fd" % pid)
    print("fd ok")
except OSError as e:
    print("fd", os.strerror(e.errno))
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
buf = ctypes.create_string_buffer(8)
local = iovec(ctypes.cast(buf, ctypes.c_void_p), 8)
remote = iovec(0x400000, 8)
r = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
print("vm_readv", res(r >= 0, ctypes.get_errno()))
EOF
    chmod 0644 "$TESTTMP/probe.py"
    # Control: the probe works on a process of the user's own.
    "${AS[@]}" /usr/bin/sleep 60 &
    local own=$!
    track "$own"
    wait_until 10 grep -q '^Name:.*sleep' "/proc/$own/status" || fail "control sleep did not start"
    run _as python3 "$TESTTMP/probe.py" "$own"
    assert_contains "$OUT" "attach ok" "control: the user can ptrace its own process"
    assert_contains "$OUT" "environ ok"
    kill -KILL "$own"

    # The starter blocked on its request (fd 3 a fifo we hold open): it is
    # setuid root now, before it read anything.
    mkfifo -m 0600 "$TESTTMP/reqfifo"
    exec 7<>"$TESTTMP/reqfifo"
    R_PAYLOAD=/usr/bin/sleep R_ARGS=(sleep 30)
    _mkreq "$TESTTMP/req"
    # (7>&-: the starter must not hold a write end of its own request pipe)
    "${AS[@]}" "$STARTER" 3<"$TESTTMP/reqfifo" 7>&- >"$TESTTMP/st.out" 2>"$TESTTMP/st.err" &
    local st=$!
    track "$st"
    wait_until 10 grep -q "^Name:.*ochre-starter" "/proc/$st/status" || fail "the starter did not start"
    local ids
    ids=$(awk '$1 == "Uid:" { print $2, $3, $4 }' "/proc/$st/status")
    assert_eq "$TUID 0 0" "$ids" "the blocked starter holds root (real, effective, saved uid)"
    run _as python3 "$TESTTMP/probe.py" "$st"
    local probe
    for probe in attach seize; do
        assert_contains "$OUT" "$probe Operation not permitted" "ptrace of the privileged starter"
    done
    for probe in mem environ auxv maps fd; do
        assert_contains "$OUT" "$probe Permission denied" "/proc/PID/$probe of the privileged starter"
    done
    assert_contains "$OUT" "vm_readv Operation not permitted"

    # Now the request; once the payload sleeps, the starter (its parent)
    # has dropped to the caller: still out of reach.
    cat "$TESTTMP/req" >&7
    exec 7>&-
    local child=
    # shellcheck disable=SC2317 # called through wait_until
    # (The payload is the child of the namespace's init, the starter's child.)
    _child() {
        local init
        for init in $(pgrep -P "$st" || true); do
            child=$(pgrep -P "$init" -x sleep || true)
            [ -z "$child" ] || return 0
        done
        return 1
    }
    wait_until 20 _child || fail "the payload did not start: $(cat "$TESTTMP/st.err")"
    ids=$(awk '$1 == "Uid:" { print $2, $3, $4 }' "/proc/$st/status")
    assert_eq "$TUID $TUID $TUID" "$ids" "the supervising starter dropped to the caller"
    run _as python3 "$TESTTMP/probe.py" "$st"
    assert_contains "$OUT" "attach Operation not permitted" "ptrace of the supervising starter"
    assert_contains "$OUT" "mem Permission denied"
    assert_contains "$OUT" "environ Permission denied"
    kill -KILL "$st" 2>/dev/null || true
    wait "$st" 2>/dev/null || true
}

# 13. Subordinate id ranges must be the caller's own (/etc/subuid,
# /etc/subgid): mapping host root (1 0 1), a range beyond or straddling
# the caller's, or another id range, is refused; the caller's own range is
# mapped. Protection: policy.c check_ranges / subid_range_allowed.
test_attack_id_ranges_rootonly() {
    _atk_init
    local ustart ucount gstart gcount
    read -r ustart ucount < <(awk -F: -v n="$OCHRE_TEST_USER" -v u="$TUID" '$1 == n || $1 == u { print $2, $3; exit }' /etc/subuid)
    read -r gstart gcount < <(awk -F: -v n="$OCHRE_TEST_USER" -v u="$TUID" '$1 == n || $1 == u { print $2, $3; exit }' /etc/subgid)
    if [ -z "$ustart" ] || [ -z "$gstart" ]; then
        skip "$OCHRE_TEST_USER has no /etc/subuid or /etc/subgid range"
    fi
    _ranges() { R_EXTRA=("$@" "newuidmap /usr/bin/newuidmap" "newgidmap /usr/bin/newgidmap"); }
    R_ARGS=(cat /proc/self/uid_map /proc/self/gid_map)
    _ranges "uid-range 1 $ustart $ucount" "gid-range 1 $gstart $gcount"
    _try
    assert_eq 0 "$STATUS" "control: the caller's own ranges: $ERR"
    assert_eq "0 $TUID 1|1 $ustart $ucount|0 $TGID 1|1 $gstart $gcount" \
        "$(printf '%s\n' "$OUT" | awk '{ $1 = $1 } 1' | paste -sd '|')" "the caller's own ranges are mapped"

    local r
    for r in "uid-range 1 0 1" "uid-range 1 0 $ucount" "uid-range 1 $((ustart + ucount)) 1" \
        "uid-range 1 $((ustart + ucount - 1)) 2" "uid-range 1 $((ustart - 1)) 2" "uid-range 1 $TUID 1" \
        "uid-range 1 $ustart $((ucount + 1))"; do
        _ranges "$r"
        _try
        _assert_refused "id range ${r#uid-range } is not yours in /etc/subuid; refusing" "$r"
    done
    for r in "gid-range 1 0 1" "gid-range 1 $((gstart + gcount)) 1"; do
        _ranges "uid-range 1 $ustart 1" "$r"
        _try
        _assert_refused "id range ${r#gid-range } is not yours in /etc/subgid; refusing" "$r"
    done
    # A good range, then a bad one: still refused.
    _ranges "uid-range 1 $ustart 1" "uid-range 2 0 1"
    _try
    _assert_refused "id range 2 0 1 is not yours in /etc/subuid" "a bad second range"
}

# 'caller-ids self' (setuid mode, the container's namespace is the
# starter's): the caller keeps their ids and a range gives the namespace
# its root, which runs the payload with every capability there. That root
# must be one of the caller's subordinate ids (never host root, another
# user, or the caller twice), and a plain starter refuses the key.
# Protection: check_ranges (policy.c), request_parse, main().
test_attack_caller_ids_self_rootonly() {
    _atk_init
    local ustart gstart
    read -r ustart gstart < <(_subid_starts)
    [ -n "$ustart" ] && [ -n "$gstart" ] || skip "$OCHRE_TEST_USER has no /etc/subuid or /etc/subgid range"
    _self() { R_EXTRA=("caller-ids self" "$@" "newuidmap /usr/bin/newuidmap" "newgidmap /usr/bin/newgidmap"); }
    R_PAYLOAD=/usr/bin/cat
    R_ARGS=(cat /proc/self/uid_map /proc/self/gid_map /proc/self/status)
    _self "uid-range 0 $ustart 1" "gid-range 0 $gstart 1"
    _try
    assert_eq 0 "$STATUS" "control: the caller's first subordinate ids as root: $ERR"
    assert_eq "$TUID $TUID 1|0 $ustart 1|$TGID $TGID 1|0 $gstart 1" \
        "$(printf '%s\n' "$OUT" | head -n 4 | awk '{ $1 = $1 } 1' | paste -sd '|')" "the maps"
    # The payload runs as root of the namespace, all ids (so its exec is
    # not a secure one, which would clear PDEATHSIG): the map above says
    # that is the caller's subordinate uid on the host.
    assert_eq "0 0 0 0" "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' <<<"$OUT")" "the payload's ids in the namespace"
    local r
    for r in "uid-range 0 0 1" "uid-range 0 $TUID 1" "uid-range 0 1 1"; do
        _self "$r" "gid-range 0 $gstart 1"
        _try
        _assert_refused "id range ${r#uid-range } is not yours in /etc/subuid; refusing" "$r"
    done
    # A range over the caller's own id inside the namespace.
    _self "uid-range 0 $ustart $((TUID + 1))" "gid-range 0 $gstart 1"
    _try
    _assert_refused "is not yours in /etc/subuid; refusing" "a range over the caller's own id"
    _self "uid-range 0 $ustart 1" "gid-range 0 0 1"
    _try
    _assert_refused "id range 0 0 1 is not yours in /etc/subgid; refusing" "host group 0 as the namespace's"
    # No root for the namespace; and --userns (no privilege) with the key.
    _self "uid-range 5 $ustart 1" "gid-range 0 $gstart 1"
    _try
    _assert_refused "caller-ids self needs a uid-range and a gid-range for 0"
    _self "uid-range 0 $ustart 1" "gid-range 0 $gstart 1" "userns yes"
    _try
    _assert_refused "caller-ids self needs the setuid starter"
}

# A starter given file capabilities instead of the setuid bit is refused
# before it reads anything (this version supports setuid root only: fail
# closed). Protection: privilege_setuid_mode (AT_SECURE, euid not 0).
test_attack_file_capability_install_refused_rootonly() {
    _atk_init
    command -v setcap >/dev/null || skip "setcap not installed (Debian package libcap2-bin)"
    local d=$TESTTMP/fcap
    _rdir "$d"
    cp "$STARTER" "$d/ochre-starter"
    chmod 0755 "$d/ochre-starter"
    setcap cap_sys_admin,cap_setuid,cap_setgid+ep "$d/ochre-starter"
    _mkreq "$TESTTMP/req"
    run _as "$d/ochre-starter" 3<"$TESTTMP/req"
    STARTER=$d/ochre-starter _assert_refused "supports a setuid-root install only" "a file-capability install"
}

# The payload must be a root-owned executable reached without a symlink
# through root-owned, not group/other-writable directories (it runs in the
# namespaces built with privilege). Protection: policy_check_request ->
# policy_open_trusted.
test_attack_untrusted_payload_rootonly() {
    _atk_init
    # A trusted dir (root's all the way up: not below /tmp) for root's copy.
    local rbin=$OCHRE_SUID_PREFIX/attack-test.$$
    remove_at_exit "$rbin"
    _rdir "$rbin"
    cp /usr/bin/id "$rbin/id"
    R_PAYLOAD=$rbin/id R_ARGS=(id -u)
    _try
    _assert_ran 0 "control: a root-owned copy of id"
    _udir "$rbin/udir"
    cp /usr/bin/id "$rbin/udir/id"
    R_PAYLOAD=$rbin/udir/id
    _try
    _assert_refused "payload: '$rbin/udir' is not owned by root; refusing" "a payload in the caller's dir"
    cp /usr/bin/id "$rbin/uid"
    chown "$OCHRE_TEST_USER:" "$rbin/uid"
    R_PAYLOAD=$rbin/uid
    _try
    _assert_refused "payload: '$rbin/uid' is not owned by root; refusing" "a payload the caller owns"
    chmod g+w "$rbin"
    R_PAYLOAD=$rbin/id
    _try
    _assert_refused "payload: '$rbin' is writable by group or others; refusing" "a payload in a group-writable dir"
    chmod g-w "$rbin"
    ln -s id "$rbin/link"
    R_PAYLOAD=$rbin/link
    _try
    _assert_refused "payload: '$rbin/link' is a symlink; refusing" "a payload that is a symlink"
    if [ -L /bin ]; then
        R_PAYLOAD=/bin/true R_ARGS=(true)
        _try
        _assert_refused "payload: '/bin' is a symlink; refusing" "a payload below a symlinked dir"
    fi
    R_PAYLOAD=$rbin
    _try
    _assert_refused "payload '$rbin' is not an executable file" "a directory as payload"
}

# The tmpfs for the container's writes is capped by the config, whatever
# the request asks for. Protection: policy_check_request (tmpfs size).
test_attack_tmpfs_size_capped_rootonly() {
    _atk_init
    R_TMPFS=1099511627776
    R_ARGS=(cat /proc/self/mountinfo)
    _try
    assert_eq 0 "$STATUS" "a 1 TiB tmpfs request: $ERR"
    local super
    super=$(mount_field "$OUT" "$S/overlay" super)
    assert_contains "$super" "size=65536k" "the tmpfs is capped at the config's 64M"
}

# Enter mode and 'userns yes' drop root before anything else: the payload
# runs as the caller, with no capability, in the initial user namespace's
# view of ids. Protection: main() privilege_drop_for_good before
# enter_and_exec / the rootless path.
test_attack_enter_mode_drops_rootonly() {
    _atk_init
    R_MODE=enter R_SESSION='' R_LOWERS=() R_TMPFS=
    R_ARGS=(cat /proc/self/status)
    _try
    assert_eq 0 "$STATUS" "enter mode: $ERR"
    assert_contains "$OUT" "$(printf 'Uid:\t%s\t%s\t%s\t%s' "$TUID" "$TUID" "$TUID" "$TUID")" "enter mode ids"
    assert_contains "$OUT" "$(printf 'CapEff:\t0000000000000000')"
    assert_contains "$OUT" "$(printf 'CapPrm:\t0000000000000000')"
    # userns yes: the rootless path (the caller maps itself, no setuid
    # mounts) even from the setuid binary.
    _req_defaults
    R_EXTRA=("userns yes" "log-level debug")
    _try
    _assert_ran IMAGE-OK "userns yes"
    assert_contains "$ERR" "drop privileges for good"
    assert_contains "$ERR" "userxattr" "the overlay was mounted in the caller's user namespace"
}

# Positive end to end: `ochre exec` through the setuid install works for
# the user, and the container's process, seen from the host, runs as the
# caller with no capability in the host's user namespace.
test_attack_exec_setuid_no_host_caps_rootonly() {
    _atk_init
    cd "$U" || fail "cd $U"
    local secs=$((1000000 + $$))
    "${AS[@]}" HOME="$U/home" XDG_RUNTIME_DIR="$U/run" "$OCHRE_SUID_PREFIX/bin/ochre" exec --runtime crun \
        "$ROOTFS" sleep "$secs" >"$TESTTMP/x.out" 2>"$TESTTMP/x.err" &
    local driver=$!
    track "$driver"
    local pid=
    # shellcheck disable=SC2317 # called through wait_until
    _found() { pid=$(pgrep -u "$TUID" -f "^sleep $secs\$" | head -n 1); [ -n "$pid" ]; }
    wait_until 20 _found || fail "the container did not start: $(cat "$TESTTMP/x.err")"
    local st
    st=$(cat "/proc/$pid/status")
    assert_contains "$st" "$(printf 'Uid:\t%s\t%s\t%s\t%s' "$TUID" "$TUID" "$TUID" "$TUID")" "host view of its uids"
    assert_contains "$st" "$(printf 'CapEff:\t0000000000000000')"
    assert_contains "$st" "$(printf 'CapPrm:\t0000000000000000')"
    assert_contains "$st" "$(printf 'CapAmb:\t0000000000000000')"
    [ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/1/ns/user)" ] ||
        fail "the container runs in the host's user namespace"
    # Whatever it holds in its own namespaces: root of the host is mapped
    # nowhere in them.
    [ -z "$(awk '$2 <= 0 && $2 + $3 > 0' "/proc/$pid/uid_map")" ] || fail "host uid 0 is mapped: $(cat "/proc/$pid/uid_map")"
    # (sleep is the container's pid 1: it ignores SIGTERM)
    kill -KILL "$pid"
    wait "$driver" 2>/dev/null || true
}
