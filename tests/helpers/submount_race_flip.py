# submount_race_flip.py DIR: in DIR, exchange a <-> b (renameat2
# RENAME_EXCHANGE) as fast as it can, until killed. For
# test_attack_submount_check_races_rename (tests/e2e/test_attacks_mounts.sh),
# run as the test user. Test code only.
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
os.chdir(sys.argv[1])
while True:
    if libc.renameat2(-100, b"a", -100, b"b", 2) != 0:
        sys.exit("renameat2: %s" % os.strerror(ctypes.get_errno()))
