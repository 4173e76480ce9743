#!/bin/bash
# tests/cluster/mpi-rootfs.sh DIR PROGRAM... — a small container root
# filesystem with the host's Open MPI and PMIx (Debian 12's openmpi-bin,
# libopenmpi3, libpmix2), for running MPI programs under ochre in the
# cluster tests: Open MPI in the image must match the host's (the PMIx
# server in slurmstepd, the wire protocol of the other ranks).
#
# Copies the PROGRAMs into DIR/usr/local/bin, Open MPI's and PMIx's plugin
# and data directories and configuration, and every shared library that the
# programs and plugins need (ldd, followed to the end), plus the host's
# busybox (Debian's busybox-static) for /bin/sh, id, env... if it has one. Takes about a second and
# some 40 MB; DIR must not exist yet. No network, no debootstrap.
set -eu
dir=$1
shift
[ ! -e "$dir" ] || { echo "mpi-rootfs: $dir exists" >&2; exit 1; }
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
libdir=/usr/lib/$arch
mkdir -p "$dir"/{bin,dev,etc,home,proc,root,sys,tmp,var/tmp,usr/local/bin}
chmod 1777 "$dir/tmp" "$dir/var/tmp"

# Copy host path P (file, link or directory) to the same path in DIR,
# following the links on the way (Debian links /lib to usr/lib).
copy() {
    local p
    p=$(readlink -f "$1")
    [ -e "$dir$1" ] && return 0
    mkdir -p "$dir$(dirname "$1")"
    cp -a "$p" "$dir$1"
}

for prog in "$@"; do cp "$prog" "$dir/usr/local/bin/"; done
for d in "$libdir/openmpi" "$libdir/pmix2" /etc/openmpi /usr/share/openmpi; do
    [ -e "$d" ] && copy "$d"
done
# hwloc's and libfabric's plugins, when Open MPI's build uses them.
for d in "$libdir/hwloc" "$libdir/libfabric" "$libdir/ucx"; do
    [ -d "$d" ] && copy "$d"
done

# Every library of the programs and plugins, and theirs.
todo=$(find "$dir" -type f \( -name '*.so*' -o -perm -u+x \) 2>/dev/null)
seen=" "
while [ -n "$todo" ]; do
    next=""
    for f in $todo; do
        while read -r lib; do
            case $seen in *" $lib "*) continue ;; esac
            seen="$seen$lib "
            copy "$lib"
            next="$next $dir$lib"
        done < <(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' | grep -v '^/.*:$' || true)
    done
    todo=$next
done
# The loader, where ldd names it by its link.
copy /lib64/ld-linux-x86-64.so.2 2>/dev/null || true
# The libraries that Open MPI's libraries name only by dlopen().
for lib in "$libdir"/libopen-pal.so* "$libdir"/libopen-rte.so* "$libdir"/libmpi.so* "$libdir"/libpmix.so*; do
    [ -e "$lib" ] && copy "$lib"
done
# A shell and a few tools, for the tests' checks inside the container.
if [ -x /bin/busybox ]; then
    cp /bin/busybox "$dir/bin/busybox"
    for tool in sh id env cat ls test echo; do ln -s busybox "$dir/bin/$tool"; done
fi
exit 0
