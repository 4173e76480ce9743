#!/bin/bash
# tests/vm/build-guest.sh OUTDIR
#
# The parts of a Debian 12 guest with systemd and a pure cgroup v2
# hierarchy, for tests/vm/run-guest.sh, made once and kept in OUTDIR:
#   OUTDIR/vmlinuz      Debian's kernel (from its package, dpkg -x: nothing
#                       in this host's /boot changes)
#   OUTDIR/initrd.gz    a busybox initramfs that loads the virtio, ext4,
#                       9p and overlay modules and switches to /dev/vda
#   OUTDIR/rootfs/      the root filesystem (debootstrap): systemd, dbus,
#                       crun, uidmap, busybox-static and ochre's libraries;
#                       a user 'tester' (uid 1000) with subordinate ids; the
#                       unit that runs the cases at boot and powers off
# Each part is made under a temporary name and renamed when complete, so an
# interrupted build is started over, never used. Needs root (debootstrap),
# apt-get and the network (the Debian mirror), busybox-static.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
here=$(cd "$(dirname "$0")" && pwd)
MIRROR=${OCHRE_VM_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
# The packages the cases and ochre (ldd build/bin/ochre) need at run time;
# dbus-user-session gives the user's systemd manager its bus.
INCLUDE=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,crun,uidmap,busybox-static,libjson-c5,libyaml-0-2
# Modules the initramfs loads, with their dependencies (modules.dep).
MODULES="virtio_pci virtio_blk crc32c_generic ext4 9pnet_virtio 9p overlay"

die() { echo "build-guest: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap)"
for tool in debootstrap apt-get dpkg busybox gzip; do
    command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh)"
done
mkdir -p "$out"

kernel() {
    [ -e "$out/vmlinuz" ] && return 0
    local tmp=$out/kernel.tmp pkg
    rm -rf "$tmp" && mkdir -p "$tmp"
    # linux-image-amd64 names the current kernel package.
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)/\1/p' |
        head -n 1)
    [ -n "$pkg" ] || die "no linux-image-amd64 in the apt lists (apt-get update?)"
    (cd "$tmp" && timeout 600 apt-get download -q "$pkg" >/dev/null 2>&1) || die "apt-get download $pkg failed"
    dpkg -x "$tmp"/linux-image-*.deb "$tmp/x"
    rm -rf "$out/kernel" && mv "$tmp/x" "$out/kernel"
    rm -rf "$tmp"
    initrd
    cp "$out"/kernel/boot/vmlinuz-* "$out/vmlinuz.tmp" && mv "$out/vmlinuz.tmp" "$out/vmlinuz"
    rm -rf "$out/kernel" # 400 MB, of which the initramfs took what it needs
}

# Load order of $MODULES: every module after the ones it depends on.
module_order() {
    local dep=$1 seen=" " m
    visit() {
        local path d
        path=$(awk -v m="$1" -F: '{ n = $1; sub(".*/", "", n); if (n == m ".ko") { print $1; exit } }' "$dep")
        [ -n "$path" ] || die "module $1 not in the kernel package"
        case $seen in *" $path "*) return 0 ;; esac
        seen="$seen$path "
        for d in $(awk -v p="$path" -F: '$1 == p { print $2 }' "$dep"); do
            visit "$(basename "$d" .ko)"
        done
        echo "$path"
    }
    for m in $MODULES; do visit "$m"; done
}

initrd() {
    local k ver tmp=$out/initrd.tmp
    k=$out/kernel
    ver=$(basename "$(ls -d "$k"/lib/modules/*)")
    busybox depmod -b "$k" "$ver"
    rm -rf "$tmp" && mkdir -p "$tmp"/{bin,dev,proc,sys,newroot,modules}
    cp "$(command -v busybox)" "$tmp/bin/busybox"
    local m n=0
    for m in $(module_order "$k/lib/modules/$ver/modules.dep"); do
        n=$((n + 1))
        cp "$k/lib/modules/$ver/$m" "$tmp/modules/$(printf %02d $n)-$(basename "$m")"
    done
    install -m 0755 "$here/initrd-init.sh" "$tmp/init"
    (cd "$tmp" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$out/initrd.gz.tmp"
    mv "$out/initrd.gz.tmp" "$out/initrd.gz"
    rm -rf "$tmp"
}

rootfs() {
    [ -d "$out/rootfs" ] && return 0
    local tmp=$out/rootfs.tmp
    # The marker: debootstrap finished (the long part); the rest is redone.
    if [ ! -e "$tmp/.debootstrapped" ]; then
        rm -rf "$tmp"
        timeout 900 debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$tmp" "$MIRROR" >"$out/debootstrap.log" 2>&1 ||
            die "debootstrap failed (see $out/debootstrap.log)"
        touch "$tmp/.debootstrapped"
    fi
    # Smaller, so the disk is made faster.
    rm -rf "$tmp"/usr/share/{doc,man,info,locale}/* "$tmp"/var/cache/apt/*.bin "$tmp"/var/lib/apt/lists/*
    echo ochre-vm >"$tmp/etc/hostname"
    echo '/dev/vda / ext4 rw 0 0' >"$tmp/etc/fstab"
    chroot "$tmp" id tester >/dev/null 2>&1 || chroot "$tmp" useradd -m -u 1000 -s /bin/sh tester
    echo 'tester:100000:65536' >"$tmp/etc/subuid"
    echo 'tester:100000:65536' >"$tmp/etc/subgid"
    # Boot straight to the cases: no gettys, no timers.
    local u
    for u in getty@tty1.service serial-getty@ttyS0.service apt-daily.timer apt-daily-upgrade.timer \
        dpkg-db-backup.timer e2scrub_all.timer fstrim.timer systemd-timesyncd.service; do
        ln -sf /dev/null "$tmp/etc/systemd/system/$u"
    done
    install -m 0644 "$here/ochre-vmtest.service" "$tmp/etc/systemd/system/ochre-vmtest.service"
    ln -sf /etc/systemd/system/ochre-vmtest.service \
        "$tmp/etc/systemd/system/multi-user.target.wants/ochre-vmtest.service"
    rm "$tmp/.debootstrapped"
    mv "$tmp" "$out/rootfs"
}

# A guest made by another version of these files is made again.
stamp=$(cat "$here/build-guest.sh" "$here/initrd-init.sh" "$here/ochre-vmtest.service" | sha256sum)
if [ "$(cat "$out/stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$out/rootfs" "$out/vmlinuz" "$out/initrd.gz" "$out/stamp"
fi
rootfs
kernel
echo "$stamp" >"$out/stamp"
