# shellcheck shell=bash
# Attacks on the mounts the setuid starter makes: the caller owns the session
# dir and the starter's stderr, and can stop the starter between any two of
# its steps and rename what it likes in between (SECURITY.md, finding 1 of
# the audit: "the upper tmpfs is reopened by name").
# shellcheck source=tests/e2e/attack_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/attack_lib.sh"

# `_stepped NEEDLE ACTION`: run the R_* request as the test user with its
# stderr on a pipe that pipe_stepper.py keeps full, and run the shell
# command ACTION (as root) while a message containing NEEDLE is blocked on
# it. Sets STATUS, OUT (the stepper's report and the starter's messages).
_stepped() {
    _mkreq "$TESTTMP/req"
    STATUS=0
    OUT=$(python3 "$(dirname "${BASH_SOURCE[0]}")/pipe_stepper.py" "$1" "$2" -- \
        "${AS[@]}" "$STARTER" 3<"$TESTTMP/req") || STATUS=$?
}

# The exploit of the audit: with --debug, fill the starter's stderr so that
# it blocks on its "mount tmpfs on SESSION/overlay" line, exchange
# SESSION/overlay with a plain directory of the caller's on the host disk,
# and let it go on. A starter that reopens 'overlay' by name after mounting
# on the fd it opened first makes upper/ and work/ (as root, chowned to
# the caller) in the swapped-in directory, and the container's writes land
# on the host disk past the tmpfs cap (and, with a hard link swapped in
# after the mkdir, root chowns a file of the attacker's choice). Protection:
# the tmpfs is made with fsopen/fsmount and filled through its own fd
# (make_upper_tmpfs), and the starter holds its messages while privileged
# (log_hold_begin), so the window is not there to stop in.
test_attack_upper_tmpfs_swapped_while_stopped_rootonly() {
    _atk_init
    local decoy=$U/decoy
    _udir "$decoy"
    R_EXTRA=("log-level debug")
    R_PAYLOAD=/usr/bin/touch R_ARGS=(touch "$S/rootfs/written")
    # Control: without the swap, the write goes to the tmpfs.
    _stepped "no such message" true
    [ "$STATUS" = 0 ] || fail "control run failed ($STATUS): $OUT"
    [ ! -e "$S/overlay/upper" ] || fail "the control run left an upper on disk"
    # The attack: exchange SESSION/overlay and the decoy at the mount line.
    _stepped "mount tmpfs on $S/overlay" \
        "python3 -c 'import ctypes, sys; l = ctypes.CDLL(None, use_errno=True); sys.exit(l.renameat2(-100, b\"$S/overlay\", -100, b\"$decoy\", 2))'"
    assert_contains "$OUT" "stepper: saw"
    [ "$STATUS" = 0 ] || fail "the launch failed ($STATUS): $OUT"
    local d
    for d in "$S/overlay" "$decoy"; do
        if [ -e "$d/upper" ] || [ -e "$d/work" ]; then
            ls -lR "$d" >&2
            fail "the upper was made on the host disk, in $d, by name after the swap"
        fi
    done
}

# An image layer on a pseudo filesystem: overlay reads its lowers with the
# mounter's credentials, and such files answer by who opens them (the
# audit read 4096 bytes of PCI config space where the caller gets 64).
# Protection: lowers_check_filesystem (fstatfs of the lower's fd).
test_attack_pseudo_filesystem_lower_rootonly() {
    _atk_init
    _try
    _assert_ran IMAGE-OK "control: an image on a real filesystem"
    local dir file
    for dir in /sys/devices/virtual/net/lo /proc/sys/kernel; do
        [ -d "$dir" ] || continue
        file=$(cd "$dir" && ls | head -n 1)
        R_LOWERS=("$dir") R_ARGS=(cat "$S/rootfs/$file")
        _try
        _assert_refused "a pseudo filesystem" "an image on ${dir%/*}"
    done
}

# An image on a filesystem the admin mounted noexec: the overlay would
# drop the flag and run its programs. Protection: lowers_check_filesystem
# (fstatvfs ST_NOEXEC) and MS_NOEXEC on the overlay (mounts.c).
test_attack_noexec_image_stays_noexec_rootonly() {
    _atk_init
    local nx=$TESTTMP/nx
    _rdir "$nx"
    _udir "$IMG/bin"
    install -o "$OCHRE_TEST_USER" -m 0755 /usr/bin/true "$IMG/bin/prog"
    R_PAYLOAD=/usr/bin/dash R_ARGS=(dash -c "$S/rootfs/bin/prog && echo RAN")
    _try
    _assert_ran RAN "control: the image's program runs from an exec filesystem"
    mount -t tmpfs -o noexec,mode=0755 ochre-attack-noexec "$nx"
    at_exit umount -l "$nx"
    cp -a "$IMG" "$nx/img"
    R_LOWERS=("$nx/img")
    _try
    assert_not_contains "$OUT" RAN "a program of an image on a noexec filesystem ran"
    R_PAYLOAD=/usr/bin/cat R_ARGS=(cat /proc/self/mountinfo)
    _try
    [ "$STATUS" = 0 ] || fail "mountinfo: $ERR"
    assert_mount_opt "$OUT" "$S/rootfs" noexec
}

# The submount check is made on the lower's fd, not its path: the caller
# exchanges a directory with a mount below it (covering a file) and a plain
# one while the starter opens the request's path and then checks it. A
# check by name (the old policy_check_no_submounts) then looks at the plain
# one while overlay stacks the other, and the covered file shows.
# Protection: lowers_check_no_submounts (mount ids and a ".." walk).
test_attack_submount_check_races_rename_rootonly() {
    _atk_init
    command -v python3 >/dev/null || skip "python3 not installed"
    local secret=COVERED-$$-$RANDOM R=$U/subrace i
    _udir "$R"
    _udir "$R/a"
    _rdir "$R/a/m"
    printf '%s\n' "$secret" >"$R/a/m/hidden"
    chmod 0644 "$R/a/m/hidden"
    mount -t tmpfs -o size=64k,mode=0755 ochre-attack-cover "$R/a/m"
    at_exit umount -l "$R/a/m"
    _udir "$R/b"
    _udir "$R/b/m"
    _ufile "$R/b/m/hidden" PLAIN
    R_LOWERS=("$R/b") R_ARGS=(cat "$S/rootfs/m/hidden")
    _try
    _assert_ran PLAIN "control: the plain image"
    R_LOWERS=("$R/a")
    _try
    _assert_refused "has a mount below it" "control: the image with a mount below"
    R_LOWERS=("$R/b")
    _mkreq "$TESTTMP/req"
    cat >"$TESTTMP/flip.py" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
os.chdir(sys.argv[1])
while True:
    if libc.renameat2(-100, b"a", -100, b"b", 2) != 0:
        sys.exit("renameat2: %s" % os.strerror(ctypes.get_errno()))
PY
    "${AS[@]}" python3 "$TESTTMP/flip.py" "$R" &
    local flipper=$!
    at_exit kill "$flipper"
    local leaks=0 refused=0 plain=0
    for i in $(seq 300); do
        _start "$TESTTMP/req"
        case $OUT in
            *"$secret"*) leaks=$((leaks + 1)) ;;
            PLAIN) plain=$((plain + 1)) ;;
            *) refused=$((refused + 1)) ;;
        esac
    done
    kill "$flipper"
    echo "300 launches: $plain plain, $refused refused, $leaks showed the covered file" >&2
    [ "$leaks" = 0 ] || fail "the covered file showed through the overlay in $leaks of 300 launches"
    [ "$refused" -gt 0 ] && [ "$plain" -gt 0 ] || fail "the race did not happen (plain $plain, refused $refused)"
}
