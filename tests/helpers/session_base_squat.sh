# shellcheck shell=bash
# session_base_squat.sh: for test_attack_session_base_squatted
# (tests/e2e/test_attacks_driver.sh), run by root with `unshare -m
# --propagation private`. In that mount namespace, /tmp becomes a fresh
# tmpfs (with TESTTMP, the setuid prefix and the rootfs bound back where
# they lie below /tmp), another user (OTHER) makes /tmp/ochre-TUID first,
# and the test user launches twice through the setuid install; what the
# launches did is left in files in TESTTMP. Environment: TESTTMP, ROOTFS, U,
# TUID, OTHER, SAFE_PATH, OCHRE_SUID_PREFIX, OCHRE_TEST_USER. Test code only.
set -e
nt=$TESTTMP/nt
mkdir -p "$nt"
mount -t tmpfs -o mode=1777 ochre-test-tmp "$nt"
for p in "$TESTTMP" "$OCHRE_SUID_PREFIX" "$ROOTFS"; do
    case $p in /tmp/*) mkdir -p "$nt/${p#/tmp/}" && mount --bind "$p" "$nt/${p#/tmp/}" ;; esac
done
mount --move "$nt" /tmp
[ ! -d "/run/user/$TUID" ] || mount -t tmpfs ochre-test-run-user /run/user
install -d -o "$OTHER" -g "$OTHER" -m 0755 "/tmp/ochre-$TUID"
cd "$U"
for i in 1 2; do
    rc=0
    setpriv --reuid="$OCHRE_TEST_USER" --regid="$OCHRE_TEST_USER" --init-groups env -i PATH="$SAFE_PATH" \
        HOME="$U/home" "$OCHRE_SUID_PREFIX/bin/ochre" exec --runtime crun "$ROOTFS" echo ok \
        >"$TESTTMP/out$i" 2>"$TESTTMP/err$i" || rc=$?
    echo "$rc" >"$TESTTMP/rc$i"
done
ls -d /tmp/ochre-"$TUID"-* >"$TESTTMP/fallbacks" 2>/dev/null || true
# What the launches left in the fallback, once their cleanup is done.
for _ in $(seq 100); do
    [ -n "$(ls -A /tmp/ochre-"$TUID"-* 2>/dev/null)" ] || break
    sleep 0.1
done
ls -A /tmp/ochre-"$TUID"-* >"$TESTTMP/left" 2>/dev/null || true
stat -c '%u %a' /tmp/ochre-"$TUID"-* >"$TESTTMP/fallback-stat" 2>/dev/null || true
stat -c '%u' "/tmp/ochre-$TUID" >"$TESTTMP/squat-owner"
