#!/bin/bash
# build-sif-images.sh OUTDIR ROOTFS MKSIF
#
# Build the single-file test images into OUTDIR (normally build/test-images,
# beside the OCI ones) from ROOTFS (the busybox tree of build-demo-rootfs.sh),
# with MKSIF (tests/helpers/mksif, built on the SIF reference library):
#
#   busybox.sqfs             ROOTFS as a bare squashfs
#   busybox.sif              native SIF: ROOTFS + /.singularity.d (runscript
#                            prints "runscript: ARGS"; env/90-environment.sh
#                            exports SIF_TEST_VAR=from-sif)
#   busybox-oci.sif          OCI-SIF, one squashfs layer; config with Env,
#                            Entrypoint, Cmd, WorkingDir, a label
#   busybox-layers-oci.sif   OCI-SIF, three layers as --keep-layers writes
#                            them (made by tar2sqfs, as oci-tools does): layer
#                            2 deletes /etc/motd-old with a 0/0 char device and
#                            makes /opaque-dir opaque (trusted.overlay.opaque);
#                            layer 3 adds symlinks that try to leave the root
#
# Deterministic: squashfs times 0, owners root, no random ids.  Each file is
# written under a temporary name and renamed; if the last one exists, nothing
# is done.
set -euo pipefail

if [ $# -ne 3 ]; then
    echo "usage: $0 OUTDIR ROOTFS MKSIF" >&2
    exit 2
fi
out=$1 rootfs=$2 mksif=$3
[ -e "$out/busybox-layers-oci.sif" ] && exit 0
for tool in mksquashfs tar2sqfs python3 sha256sum; do
    command -v "$tool" >/dev/null 2>&1 ||
        { echo "$0: $tool not found (run scripts/install-deps.sh)" >&2; exit 1; }
done
mkdir -p "$out"
work=$(mktemp -d "$out/.sif-work.XXXXXX")
trap 'rm -rf "$work"' EXIT

sqfs() { # DIR OUT
    mksquashfs "$1" "$2" -noappend -all-root -mkfs-time 0 -all-time 0 -no-xattrs -quiet -no-progress >/dev/null
}
blob() { # FILE -> prints sha256 hex, copies into work/blobs
    local h
    h=$(sha256sum "$1" | cut -d' ' -f1)
    mkdir -p "$work/blobs"
    cp "$1" "$work/blobs/$h"
    echo "$h"
}
size() { stat -c %s "$1"; }

# busybox.sqfs and busybox.sif
cp -a "$rootfs" "$work/tree"
sqfs "$work/tree" "$work/busybox.sqfs"
mkdir -p "$work/tree/.singularity.d/env"
printf '#!/bin/sh\necho "runscript: $*"\n' > "$work/tree/.singularity.d/runscript"
printf 'export SIF_TEST_VAR=from-sif\n' > "$work/tree/.singularity.d/env/90-environment.sh"
chmod 0755 "$work/tree/.singularity.d/runscript" "$work/tree/.singularity.d/env/90-environment.sh"
sqfs "$work/tree" "$work/native.sqfs"
"$mksif" native "$work/busybox.sif" "$work/native.sqfs"

# An OCI-SIF from layer files: config JSON on stdin, layers as arguments.
oci_sif() { # OUT LAYER...
    local dest=$1; shift
    local layers=() l cfg man
    for l in "$@"; do layers+=("$(blob "$l"):$(size "$l")"); done
    cat > "$work/config.json"
    cfg=$(blob "$work/config.json")
    python3 - "$work" "$cfg" "$(size "$work/config.json")" "${layers[@]}" <<'PY'
import json, sys, hashlib, os
work, cfg, cfgsize, layers = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + cfg, "size": cfgsize},
       "layers": [{"mediaType": "application/vnd.sylabs.image.layer.v1.squashfs",
                   "digest": "sha256:" + l.split(":")[0], "size": int(l.split(":")[1])} for l in layers]}
mb = json.dumps(man, separators=(",", ":")).encode()
mh = hashlib.sha256(mb).hexdigest()
open(os.path.join(work, "blobs", mh), "wb").write(mb)
idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
       "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + mh,
                      "size": len(mb), "platform": {"architecture": "amd64", "os": "linux"}}]}
open(os.path.join(work, "index.json"), "wb").write(json.dumps(idx, separators=(",", ":")).encode())
open(os.path.join(work, "manifest.hex"), "w").write(mh)
PY
    man=$(cat "$work/manifest.hex")
    local args=()
    for l in "${layers[@]}"; do args+=("$work/blobs/${l%%:*}"); done
    args+=("$work/blobs/$cfg" "$work/blobs/$man")
    "$mksif" oci "$dest" "$work/index.json" "${args[@]}"
}

config='{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","OCI_SIF_VAR=hello"],"Entrypoint":["/bin/echo","entry:"],"Cmd":["default-cmd"],"WorkingDir":"/srv","Labels":{"org.example.test":"sif"}},"rootfs":{"type":"layers","diff_ids":[]}}'
mkdir -p "$work/tree1"
cp -a "$rootfs/." "$work/tree1/"
mkdir -p "$work/tree1/srv"
sqfs "$work/tree1" "$work/oci-layer.sqfs"
printf '%s' "$config" | oci_sif "$work/busybox-oci.sif" "$work/oci-layer.sqfs"

# Layers for busybox-layers-oci.sif: tar streams made by python (a non-root
# user can write char devices and xattrs into a tar), turned into squashfs
# by tar2sqfs as oci-tools does.
mkdir -p "$work/base"
cp -a "$rootfs/." "$work/base/"
mkdir -p "$work/base/opaque-dir" "$work/base/srv"
echo old > "$work/base/etc/motd-old"
echo lower > "$work/base/opaque-dir/lower-file"
echo base > "$work/base/etc/layer-file"
sqfs "$work/base" "$work/l1.sqfs"
python3 - "$work" <<'PY'
import io, os, sys, tarfile
work = sys.argv[1]
def add(t, name, kind, data=b"", **kw):
    i = tarfile.TarInfo(name)
    i.mtime, i.uid, i.gid = 0, 0, 0
    i.type = kind
    i.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    for k, v in kw.items():
        setattr(i, k, v)
    if kind == tarfile.REGTYPE:
        i.size = len(data)
        t.addfile(i, io.BytesIO(data))
    else:
        t.addfile(i)
with tarfile.open(os.path.join(work, "l2.tar"), "w", format=tarfile.PAX_FORMAT) as t:
    add(t, "etc", tarfile.DIRTYPE)
    add(t, "etc/motd-old", tarfile.CHRTYPE, devmajor=0, devminor=0)
    add(t, "etc/layer-file", tarfile.REGTYPE, b"layer2\n")
    add(t, "opaque-dir", tarfile.DIRTYPE, pax_headers={"SCHILY.xattr.trusted.overlay.opaque": "y"})
    add(t, "opaque-dir/upper-file", tarfile.REGTYPE, b"upper\n")
with tarfile.open(os.path.join(work, "l3.tar"), "w", format=tarfile.PAX_FORMAT) as t:
    add(t, "srv", tarfile.DIRTYPE)
    add(t, "srv/escape-rel", tarfile.SYMTYPE, linkname="../../../../../etc/layer-file")
    add(t, "srv/escape-abs", tarfile.SYMTYPE, linkname="/etc/layer-file")
    add(t, "srv/loop", tarfile.SYMTYPE, linkname="loop")
PY
for n in 2 3; do
    tar2sqfs -q -f -c gzip -d mtime=0,uid=0,gid=0,mode=0755 "$work/l$n.sqfs" < "$work/l$n.tar" >/dev/null
done
printf '%s' "$config" | oci_sif "$work/busybox-layers-oci.sif" "$work/l1.sqfs" "$work/l2.sqfs" "$work/l3.sqfs"

for f in busybox.sqfs busybox.sif busybox-oci.sif busybox-layers-oci.sif; do
    mv -f "$work/$f" "$out/$f"
done
