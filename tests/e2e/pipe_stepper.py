#!/usr/bin/env python3
"""pipe_stepper.py NEEDLE ACTION -- CMD...

Runs CMD with its stderr on a pipe that is kept full, so that every write
CMD (or any process it forks) makes to stderr blocks until the one before
it has been read. Run as root: it finds
the blocked writer in /proc/PID/syscall, reads the message it is trying to
write from /proc/PID/mem, and lets it through by draining exactly that many
bytes. When a blocked message contains NEEDLE, it runs the shell command
ACTION while the writer is still stopped there, then lets everything
through. This is how a caller who owns a privileged program's stderr can
hold it at a chosen line for as long as they like (SECURITY.md, issue
"by-name reopen"): the attack tests use it to act in that window.

Prints "stepper: saw NEEDLE" on its own stdout if ACTION ran, then CMD's
stderr (without the filler), and exits with CMD's exit status.
"""
import fcntl
import os
import subprocess
import sys
import time

F_SETPIPE_SZ = 1031
SYS_WRITE = 1  # x86_64


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def blocked_write(pid):
    """(buf, len) of a write(2, ...) pid is blocked in, else None."""
    try:
        with open(f"/proc/{pid}/syscall") as f:
            fields = f.read().split()
    except OSError:
        return None
    if len(fields) < 4 or fields[0] != str(SYS_WRITE) or int(fields[1], 16) != 2:
        return None
    return int(fields[2], 16), int(fields[3], 16)


def read_mem(pid, addr, length):
    try:
        with open(f"/proc/{pid}/mem", "rb") as f:
            f.seek(addr)
            return f.read(min(length, 65536))
    except OSError:
        return b""


def main():
    needle, action = sys.argv[1].encode(), sys.argv[2]
    cmd = sys.argv[4:]
    # A packet-mode pipe (O_DIRECT) of one page holds one write at a time:
    # with a packet in it, the next write blocks until that packet is read.
    r, w = os.pipe2(os.O_DIRECT)
    fcntl.fcntl(w, F_SETPIPE_SZ, 4096)
    os.write(w, b"#")
    proc = subprocess.Popen(cmd, stderr=w, pass_fds=(3,) if os.path.exists("/proc/self/fd/3") else ())
    os.close(w)
    seen = False
    data = []
    deadline = time.time() + 60
    while proc.poll() is None and not seen and time.time() < deadline:
        for pid in descendants(proc.pid):
            blk = blocked_write(pid)
            if not blk:
                continue
            if needle in read_mem(pid, blk[0], blk[1]):
                subprocess.run(["sh", "-c", action], check=True)
                print("stepper: saw", sys.argv[1], flush=True)
                seen = True
                break
            data.append(os.read(r, 65536))
            # Let it go on to its next write before looking again.
            for _ in range(2000):
                if blocked_write(pid) != blk:
                    break
                time.sleep(0.001)
            break
        else:
            time.sleep(0.001)
    # Let everything through: drain until the writers are gone.
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data.append(chunk)
    proc.wait()
    sys.stdout.write(b"".join(data)[1:].decode(errors="replace"))
    sys.exit(proc.returncode)


main()
