# symlink_race_flip.py DIR: in DIR, exchange (renameat2 RENAME_EXCHANGE, as
# fast as it can, until killed) lower <-> lalt, p <-> palt and ov <-> oalt:
# each pair a directory of the caller's and a symlink to a root-only one.
# Makes DIR/flipping once it starts. For test_attack_symlink_race
# (tests/e2e/test_attacks_paths.sh), run as the test user. Test code only.
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
