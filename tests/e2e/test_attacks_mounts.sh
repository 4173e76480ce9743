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
