# handmade_bundle_config.py CONFIG UID GID: turn runc's rootless template
# spec into the hand-made bundle of test_attack_handmade_bundle_binds_with_
# callers_rights_only (tests/e2e/test_attacks_bundle.sh): a process that
# reports what it could do through a read-write bind of the host's /etc at
# /mnt/hostetc, the caller alone mapped. Test code only.
import json, sys
p, uid, gid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sh", "-c",
    "cat /mnt/hostetc/shadow >/dev/null 2>&1 && echo READ-SHADOW; "
    "touch /mnt/hostetc/ochre-attack 2>/dev/null && echo WROTE-ETC; "
    "[ -e /mnt/hostetc/passwd ] && echo BOUND"]
lx = c["linux"]
lx.pop("cgroupsPath", None)
lx["uidMappings"] = [{"containerID": 0, "hostID": uid, "size": 1}]
lx["gidMappings"] = [{"containerID": 0, "hostID": gid, "size": 1}]
lx["namespaces"] = [n for n in lx["namespaces"] if n["type"] != "network"]
c["mounts"] = [m for m in c["mounts"] if m["destination"] not in ("/sys", "/sys/fs/cgroup")] + [
    {"destination": "/sys", "type": "none", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/mnt/hostetc", "type": "none", "source": "/etc", "options": ["rbind", "rw"]}]
json.dump(c, open(p, "w"))
