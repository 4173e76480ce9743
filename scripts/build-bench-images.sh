#!/bin/bash
# build-bench-images.sh OUTDIR: the realistic image the benchmarks import, a
# Debian 12 minbase root filesystem (debootstrap) packed by umoci as a
# single gzip layer OCI layout at OUTDIR/minbase-oci (tag latest).
# Slow (about a minute, from Debian's mirror) so it is built once and kept.
set -euo pipefail
out=${1:?usage: $0 OUTDIR}
[ -d "$out/minbase-oci" ] && exit 0
mkdir -p "$out"
work=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
mirror=${mirror:-http://deb.debian.org/debian}
echo "bench images: debootstrap --variant=minbase bookworm from $mirror" >&2
debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }

umoci init --layout "$work/minbase-oci"
umoci new --image "$work/minbase-oci:latest"
umoci unpack --image "$work/minbase-oci:latest" "$work/bundle" >/dev/null
rm -rf "$work/bundle/rootfs"
mv "$work/rootfs" "$work/bundle/rootfs"
umoci repack --image "$work/minbase-oci:latest" "$work/bundle" >/dev/null
umoci config --image "$work/minbase-oci:latest" --config.cmd /bin/bash >/dev/null
umoci gc --layout "$work/minbase-oci"
chmod -R a+rX "$work/minbase-oci"
mv "$work/minbase-oci" "$out/minbase-oci"
