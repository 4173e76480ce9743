#!/bin/bash
# tests/vm/run-guest.sh VMDIR
#
# Boot the cgroup v2 guest once and run tests/vm/guest-cases.sh in it:
# ochre from this tree is installed into the guest (make install with
# PREFIX=/opt/ochre and its build dir under VMDIR, copied to /opt/ochre-suid
# with the starter setuid root), the disk is made from
# the guest's tree with mkfs.ext4 -d (no loop device), and qemu runs under
# timeout with TCG. The guest's parts (tests/vm/build-guest.sh) are built
# on the first run and kept in VMDIR. Prints the results (VMDIR/results/
# results.txt: "PASS|FAIL NAME" lines, then DONE); exit 0 once the guest
# wrote DONE, 1 with a message on anything else (the console is in
# VMDIR/console.log). Run as root, from anywhere.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 VMDIR" >&2; exit 2; }
mkdir -p "$1"
vm=$(cd "$1" && pwd)
tree=$(cd "$(dirname "$0")/../.." && pwd)
BOOT_TIMEOUT=${OCHRE_VM_TIMEOUT:-420}
die() { echo "run-guest: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (Debian package qemu-system-x86)"
command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 not found (Debian package e2fsprogs)"
"$tree/tests/vm/build-guest.sh" "$vm"

root=$vm/rootfs
rm -rf "$root/opt/ochre" "$root/opt/ochre-suid" "$root/opt/ochre-vmtest/guest-cases.sh"
make -C "$tree" --no-print-directory -s install PREFIX=/opt/ochre DESTDIR="$root" BUILDDIR="$vm/build" >/dev/null
# The same install (its config, /opt/ochre/etc, compiled in) with the
# starter setuid root: one build for both.
cp -a "$root/opt/ochre" "$root/opt/ochre-suid"
chown -R root:root "$root/opt/ochre" "$root/opt/ochre-suid"
chmod 4755 "$root/opt/ochre-suid/libexec/ochre/ochre-starter"
mkdir -p "$root/opt/ochre-vmtest"
"$tree/scripts/build-demo-rootfs.sh" "$root/opt/ochre-vmtest/rootfs"
install -m 0755 "$tree/tests/vm/guest-cases.sh" "$root/opt/ochre-vmtest/guest-cases.sh"

rm -f "$vm/disk.img"
mkfs.ext4 -q -F -L ochre-vm -d "$root" "$vm/disk.img" 640M >/dev/null || die "mkfs.ext4 -d failed"
rm -rf "$vm/results" && mkdir "$vm/results"
rc=0
timeout -k 10 "$BOOT_TIMEOUT" qemu-system-x86_64 -accel tcg -smp 2 -m 1536 -nodefaults -display none \
    -no-reboot -kernel "$vm/vmlinuz" -initrd "$vm/initrd.gz" \
    -append "console=ttyS0 root=/dev/vda rw quiet systemd.unified_cgroup_hierarchy=1 systemd.show_status=0 panic=-1" \
    -drive "file=$vm/disk.img,format=raw,if=virtio" \
    -virtfs "local,path=$vm/results,mount_tag=results,security_model=none,id=results" \
    -serial "file:$vm/console.log" -monitor none </dev/null || rc=$?
rm -f "$vm/disk.img"
[ "$rc" = 124 ] && die "the guest did not finish within ${BOOT_TIMEOUT}s (console: $vm/console.log)"
[ "$rc" = 0 ] || die "qemu failed with status $rc (console: $vm/console.log)"
[ -s "$vm/results/results.txt" ] || die "the guest wrote no results (console: $vm/console.log)"
cat "$vm/results/results.txt"
[ "$(tail -n 1 "$vm/results/results.txt")" = DONE ] || die "the guest's cases did not finish (console: $vm/console.log)"
