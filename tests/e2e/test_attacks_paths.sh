# shellcheck shell=bash
# Attacks on the setuid-root starter through the caller's paths: symlinks in
# the session, image and overlay dirs (and swapped in between check and
# use), and dirs the caller does not own (SECURITY.md, "Setuid-root
# install"). The helpers and the rules every attack case follows are in
# attack_lib.sh.
# shellcheck source=tests/e2e/attack_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/attack_lib.sh"

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
# (mounts.c), so what was checked is what is mounted. The flipper and the
# runs: tests/helpers/symlink_race_flip.py, symlink_race_runs.sh.
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

    chmod 0644 "$TESTTMP"/req.*
    _udir "$TESTTMP/rt"
    cp "$TESTTMP"/req.* "$TESTTMP/rt/"
    chown "$OCHRE_TEST_USER:" "$TESTTMP"/rt/*

    "${AS[@]}" python3 "$_ATK_HELPERS/symlink_race_flip.py" "$R" 2>"$TESTTMP/flip.err" &
    local flipper=$!
    track "$flipper"
    wait_until 10 test -e "$R/flipping" || fail "the flipper did not start: $(cat "$TESTTMP/flip.err")"
    _as bash "$_ATK_HELPERS/symlink_race_runs.sh" "$STARTER" "$TESTTMP/rt" >"$TESTTMP/race.log" 2>&1
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
