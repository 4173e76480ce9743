#!/bin/bash
# build-bench-images.sh OUTDIR [MKSIF]: the realistic images the benchmarks
# use, each built once and kept (they come from Debian's mirror, a minute or
# more each):
#   OUTDIR/minbase-oci  a Debian 12 minbase root filesystem (debootstrap)
#                       packed by umoci as a single gzip layer OCI layout
#                       (tag latest)
#   OUTDIR/numpy-oci    the same plus python3 and python3-numpy (debootstrap
#                       --include), packed the same way
#   OUTDIR/numpy.sif    that same root filesystem as an OCI-SIF, as
#                       SingularityCE writes one: one squashfs layer
#                       (mksquashfs, media type
#                       application/vnd.sylabs.image.layer.v1.squashfs) and
#                       numpy-oci's config with the squashfs as its diff_id,
#                       written by MKSIF (tests/helpers/mksif); without
#                       MKSIF it is not built
# The squashfs keeps the files' owners and times (the .pyc files Debian's
# postinst made check their sources' mtimes, as they do in numpy-oci), sets
# its own time to 0 and is reproducible, so one rootfs gives one file.
set -euo pipefail
out=${1:?usage: $0 OUTDIR [MKSIF]}
mksif=${2:-}
if [ -d "$out/minbase-oci" ] && [ -d "$out/numpy-oci" ] && { [ -z "$mksif" ] || [ -e "$out/numpy.sif" ]; }; then
    exit 0
fi
mkdir -p "$out"
work=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
mirror=${mirror:-http://deb.debian.org/debian}

# rootfs DEST [DEBOOTSTRAP_OPTION...]: a bookworm minbase in DEST.
rootfs() {
    local dest=$1
    shift
    echo "bench images: debootstrap --variant=minbase $* bookworm from $mirror" >&2
    debootstrap --variant=minbase "$@" bookworm "$dest" "$mirror" >"$work/debootstrap.log" 2>&1 ||
        { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
}

# oci_layout ROOTFS NAME: ROOTFS (moved away) as the layout $work/NAME.
oci_layout() {
    local layout=$work/$2
    umoci init --layout "$layout"
    umoci new --image "$layout:latest"
    umoci unpack --image "$layout:latest" "$work/bundle" >/dev/null
    rm -rf "$work/bundle/rootfs"
    mv "$1" "$work/bundle/rootfs"
    umoci repack --image "$layout:latest" "$work/bundle" >/dev/null
    umoci config --image "$layout:latest" --config.cmd /bin/bash >/dev/null
    umoci gc --layout "$layout"
    chmod -R a+rX "$layout"
    rm -rf "$work/bundle"
}

if [ ! -d "$out/minbase-oci" ]; then
    rootfs "$work/rootfs"
    oci_layout "$work/rootfs" minbase-oci
    mv "$work/minbase-oci" "$out/minbase-oci"
fi

if [ -d "$out/numpy-oci" ] && { [ -z "$mksif" ] || [ -e "$out/numpy.sif" ]; }; then
    exit 0
fi
# numpy-oci and numpy.sif come from one debootstrap, so they are rebuilt
# together.
rootfs "$work/rootfs" --include=python3,python3-numpy
if [ -n "$mksif" ]; then
    echo "bench images: mksquashfs of the numpy rootfs" >&2
    mksquashfs "$work/rootfs" "$work/layer.sqfs" -noappend -mkfs-time 0 -reproducible -no-xattrs \
        -quiet -no-progress >/dev/null
fi
oci_layout "$work/rootfs" numpy-oci
if [ -n "$mksif" ]; then
    # The OCI-SIF's blobs, each in a file named by its sha256: the layer,
    # numpy-oci's config with the squashfs as its one diff_id, a manifest;
    # then the index naming the manifest.
    mkdir -p "$work/blobs"
    python3 - "$work" <<'PY'
import hashlib, json, os, sys
work = sys.argv[1]
def blob(data):
    h = hashlib.sha256(data).hexdigest()
    with open(os.path.join(work, "blobs", h), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + h, "size": len(data)}
def oci_blob(layout, desc):
    alg, h = desc["digest"].split(":")
    with open(os.path.join(layout, "blobs", alg, h), "rb") as f:
        return f.read()
layout = os.path.join(work, "numpy-oci")
with open(os.path.join(layout, "index.json")) as f:
    manifest = json.loads(oci_blob(layout, json.load(f)["manifests"][0]))
config = json.loads(oci_blob(layout, manifest["config"]))
h = hashlib.sha256()
with open(os.path.join(work, "layer.sqfs"), "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
layer = {"mediaType": "application/vnd.sylabs.image.layer.v1.squashfs", "digest": "sha256:" + h.hexdigest(),
         "size": os.path.getsize(os.path.join(work, "layer.sqfs"))}
os.rename(os.path.join(work, "layer.sqfs"), os.path.join(work, "blobs", h.hexdigest()))
config["rootfs"] = {"type": "layers", "diff_ids": [layer["digest"]]}
cfg = blob(json.dumps(config, separators=(",", ":")).encode())
man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
       "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **cfg), "layers": [layer]}
m = blob(json.dumps(man, separators=(",", ":")).encode())
idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
       "manifests": [dict(mediaType="application/vnd.oci.image.manifest.v1+json",
                          platform={"architecture": config.get("architecture", "amd64"), "os": "linux"}, **m)]}
with open(os.path.join(work, "index.json"), "w") as f:
    json.dump(idx, f, separators=(",", ":"))
# mksif's order: layers, config, manifest.
with open(os.path.join(work, "blob-order"), "w") as f:
    for d in (layer, cfg, m):
        print(os.path.join(work, "blobs", d["digest"].split(":")[1]), file=f)
PY
    mapfile -t blobs <"$work/blob-order"
    "$mksif" oci "$work/numpy.sif" "$work/index.json" "${blobs[@]}"
    chmod 644 "$work/numpy.sif"
fi
rm -rf "$out/numpy-oci" "$out/numpy.sif"
mv "$work/numpy-oci" "$out/numpy-oci"
if [ -n "$mksif" ]; then mv "$work/numpy.sif" "$out/numpy.sif"; fi
