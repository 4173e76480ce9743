# ptrace_probe.py PID: try what a user could do to read another process, and
# print one line per try, "WHAT ok" or "WHAT ERROR": ptrace attach and
# seize, /proc/PID/{mem,environ,auxv,maps} and fd/, process_vm_readv. For
# test_attack_ptrace_starter (tests/e2e/test_attacks_privilege.sh), run as
# the test user. Test code only.
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
