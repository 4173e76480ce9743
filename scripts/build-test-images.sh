#!/bin/bash
# build-test-images.sh OUTDIR ROOTFS
#
# Build the well-formed OCI test images that ochre's import tests use, from
# ROOTFS (the busybox-static tree made by build-demo-rootfs.sh).  Offline: only
# umoci, skopeo and python3 (stdlib) are used, on local files.
#
#   OUTDIR/busybox-oci/               OCI layout (gzip layers), tags:
#       latest   one layer: ROOTFS + /srv/work; Env, Entrypoint, Cmd, WorkingDir
#       user     as latest, User=nobody
#       numeric  as latest, User=1234:5678
#       layered  two layers; layer 2 has .wh.motd-old and an opaque /opaque-dir
#   OUTDIR/busybox.oci-archive.tar    latest, as an oci-archive (tag latest)
#   OUTDIR/busybox.docker-archive.tar latest, as a docker-archive (busybox:latest)
#   OUTDIR/busybox-zstd-oci/          latest, layers zstd-compressed
#   OUTDIR/busybox-uncompressed-oci/  latest, layers plain tar
#   OUTDIR/multiarch-oci/             latest -> index: arm64/v8, amd64 (real), s390x
#   OUTDIR/otherarch-oci/             latest -> index: arm64/v8, ppc64le only
#
# Like build-demo-rootfs.sh, the tree is built in OUTDIR.tmp and renamed into
# place, so an interrupted run never leaves a half-made OUTDIR.  Idempotent: if
# OUTDIR exists, do nothing.  Works as root or (with umoci --rootless) as a
# normal user; either way every file in the images is owned by 0:0.
set -euo pipefail

if [ $# -ne 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
    echo "usage: $0 OUTDIR ROOTFS" >&2
    exit 2
fi
# Strip trailing slashes so "OUTDIR.tmp" is a sibling, not a child.
out=$(printf '%s' "$1" | sed 's:/*$::')
[ -n "$out" ] || { echo "$0: refusing to build into /" >&2; exit 2; }
rootfs=$2

if [ -e "$out" ]; then
    exit 0
fi

for tool in umoci skopeo python3; do
    command -v "$tool" >/dev/null 2>&1 ||
        { echo "$0: $tool not found (run scripts/install-deps.sh)" >&2; exit 1; }
done
if [ ! -x "$rootfs/bin/busybox" ]; then
    echo "$0: $rootfs is not a busybox rootfs (see build-demo-rootfs.sh)" >&2
    exit 1
fi

tmp="$out.tmp"
# Unpacked bundles live outside OUTDIR.tmp so they never end up in OUTDIR.
work="$out.work"
# Leftovers from an interrupted run: start over.
rm -rf "$tmp" "$work"
# Remove the partial trees if we fail or are interrupted.
trap 'rm -rf "$tmp" "$work"' EXIT
trap 'exit 1' HUP INT TERM
mkdir -p "$tmp" "$work"

# A non-root user cannot chown, so let umoci map the caller to uid 0 in the
# layers it writes (--rootless); root keeps real ownership and we chown to 0.
unpack=(umoci unpack)
if [ "$(id -u)" -ne 0 ]; then
    unpack+=(--rootless)
fi

# The Python half: the JSON/tar surgery that umoci and skopeo cannot do.
# Kept inline (stdlib only) so the script stays one self-contained file.
# shellcheck disable=SC2016 # single-quoted on purpose: Python, not shell.
PYHELPER='
import gzip, hashlib, io, json, os, shutil, sys, tarfile

REF = "org.opencontainers.image.ref.name"
INDEX_MT = "application/vnd.oci.image.index.v1+json"
MANIFEST_MT = "application/vnd.oci.image.manifest.v1+json"

def blob_path(layout, digest):
    algo, hexd = digest.split(":", 1)
    return os.path.join(layout, "blobs", algo, hexd)

def read_json(layout, digest):
    with open(blob_path(layout, digest), "rb") as f:
        return json.load(f)

def put_blob(layout, data):
    """Store bytes as a sha256 blob; return its descriptor fields."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    path = blob_path(layout, digest)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return digest, len(data)

def put_json(layout, obj):
    return put_blob(layout, json.dumps(obj, separators=(",", ":")).encode())

def load_index(layout):
    with open(os.path.join(layout, "index.json")) as f:
        return json.load(f)

def save_index(layout, index):
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f, indent=2)

def tagged(layout, tag):
    for d in load_index(layout)["manifests"]:
        if d.get("annotations", {}).get(REF) == tag:
            return d
    sys.exit("no tag %s in %s" % (tag, layout))

def retag(layout, tag, desc):
    """Point tag at desc in index.json, replacing any old entry for it."""
    index = load_index(layout)
    index["manifests"] = [d for d in index["manifests"]
                          if d.get("annotations", {}).get(REF) != tag]
    desc = dict(desc, annotations={REF: tag})
    index["manifests"].append(desc)
    save_index(layout, index)

def opaque_fix(layout, tag, dirname):
    """umoci repack writes one .wh.NAME per deleted file, never an opaque
    marker.  Rewrite the last layer of tag so DIRNAME/ gets a real
    .wh..wh..opq (right after the directory entry) instead of per-file
    whiteouts; fix the layer digest, diff_id, config and manifest."""
    mdesc = tagged(layout, tag)
    manifest = read_json(layout, mdesc["digest"])
    ldesc = manifest["layers"][-1]
    with open(blob_path(layout, ldesc["digest"]), "rb") as f:
        raw = gzip.decompress(f.read())
    prefix = dirname.strip("/") + "/"
    src = tarfile.open(fileobj=io.BytesIO(raw))
    names = [m.name for m in src.getmembers()]
    if prefix + ".wh..wh..opq" in names:
        return  # a future umoci already did it
    buf = io.BytesIO()
    dst = tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT)
    # umoci only writes a directory entry when the directory itself changed
    # (its mtime can be the same second), so the marker goes right after the
    # entry for DIRNAME if there is one, else before the first entry in it.
    marked = False
    for m in src.getmembers():
        inside = m.name.startswith(prefix)
        if inside and not marked:
            opq = tarfile.TarInfo(prefix + ".wh..wh..opq")
            opq.mode, opq.mtime = 0o644, m.mtime
            dst.addfile(opq, io.BytesIO(b""))
            marked = True
        if inside and os.path.basename(m.name).startswith(".wh."):
            continue  # replaced by the opaque marker
        dst.addfile(m, src.extractfile(m) if m.isreg() else None)
    dst.close()
    raw = buf.getvalue()
    if prefix + ".wh..wh..opq" not in tarfile.open(fileobj=io.BytesIO(raw)).getnames():
        sys.exit("opaque-fix: no %s entry in the last layer" % prefix)
    ldesc["digest"], ldesc["size"] = put_blob(layout, gzip.compress(raw, mtime=0))
    config = read_json(layout, manifest["config"]["digest"])
    config["rootfs"]["diff_ids"][-1] = "sha256:" + hashlib.sha256(raw).hexdigest()
    manifest["config"]["digest"], manifest["config"]["size"] = put_json(layout, config)
    d, s = put_json(layout, manifest)
    retag(layout, tag, {"mediaType": MANIFEST_MT, "digest": d, "size": s})

def copy_blobs(src, dst, descs):
    for d in descs:
        shutil.copyfile(blob_path(src, d["digest"]), blob_path(dst, d["digest"]))

def new_layout(dst):
    os.makedirs(os.path.join(dst, "blobs", "sha256"))
    with open(os.path.join(dst, "oci-layout"), "w") as f:
        f.write("{\"imageLayoutVersion\":\"1.0.0\"}")
    save_index(dst, {"schemaVersion": 2, "manifests": []})

def uncompressed(src, dst, tag):
    """skopeo 1.9 will not write uncompressed layers to an oci: destination
    (--dest-decompress only acts on dir:), so gunzip the layers here.  The
    diff_ids do not change: they are digests of the uncompressed tars."""
    new_layout(dst)
    mdesc = tagged(src, tag)
    manifest = read_json(src, mdesc["digest"])
    copy_blobs(src, dst, [manifest["config"]])
    for l in manifest["layers"]:
        with open(blob_path(src, l["digest"]), "rb") as f:
            l["digest"], l["size"] = put_blob(dst, gzip.decompress(f.read()))
        l["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
    d, s = put_json(dst, manifest)
    retag(dst, tag, {"mediaType": MANIFEST_MT, "digest": d, "size": s})

def multiarch(src, dst, tag, platforms):
    """An OCI layout whose tag is an image index over several platforms.
    "native" is the real image from src; any other os/arch[/variant] gets a
    copy of its config with the platform changed (so config and index agree)
    and the same layers: the content is never run."""
    new_layout(dst)
    mdesc = tagged(src, tag)
    manifest = read_json(src, mdesc["digest"])
    config = read_json(src, manifest["config"]["digest"])
    copy_blobs(src, dst, manifest["layers"])
    entries = []
    for p in platforms:
        if p == "native":
            copy_blobs(src, dst, [mdesc, manifest["config"]])
            plat = {"architecture": config["architecture"], "os": config["os"]}
            d, s = mdesc["digest"], mdesc["size"]
        else:
            parts = p.split("/")
            plat = {"architecture": parts[1], "os": parts[0]}
            if len(parts) > 2:
                plat["variant"] = parts[2]
            fake = dict(config, **plat)
            m = json.loads(json.dumps(manifest))
            m["config"]["digest"], m["config"]["size"] = put_json(dst, fake)
            d, s = put_json(dst, m)
        entries.append({"mediaType": MANIFEST_MT, "digest": d, "size": s,
                        "platform": plat})
    d, s = put_json(dst, {"schemaVersion": 2, "mediaType": INDEX_MT,
                          "manifests": entries})
    retag(dst, tag, {"mediaType": INDEX_MT, "digest": d, "size": s})

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "opaque-fix":
    opaque_fix(*args)
elif cmd == "uncompressed":
    uncompressed(*args)
elif cmd == "multiarch":
    multiarch(args[0], args[1], args[2], args[3:])
else:
    sys.exit("unknown helper command " + cmd)
'
py() { python3 -c "$PYHELPER" "$@"; }

# Copy ROOTFS into an unpacked bundle, owned by root, readable by all.
fill_rootfs() {
    cp -a "$rootfs/." "$1/"
    if [ "$(id -u)" -eq 0 ]; then
        chown -R 0:0 "$1"
    fi
}

L="$tmp/busybox-oci"
umoci init --layout "$L"
# An image with no layers and an empty config, to unpack and fill.
umoci new --image "$L:empty"

# --- latest / user / numeric: one layer, ROOTFS plus what the tests need ---
"${unpack[@]}" --image "$L:empty" "$work/base"
fill_rootfs "$work/base/rootfs"
mkdir -p "$work/base/rootfs/srv/work"
# User=nobody must resolve in the image (build-demo-rootfs.sh adds these
# lines already; a ROOTFS from elsewhere may lack them).
grep -q '^nobody:' "$work/base/rootfs/etc/passwd" ||
    echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >> "$work/base/rootfs/etc/passwd"
grep -q '^nogroup:' "$work/base/rootfs/etc/group" ||
    echo 'nogroup:x:65534:' >> "$work/base/rootfs/etc/group"
chmod -R a+rX "$work/base/rootfs"
umoci repack --image "$L:base" "$work/base"

# --clear first: umoci new leaves no Env, but say exactly what we want.
umoci config --image "$L:base" --tag latest \
    --clear=config.env --clear=config.entrypoint --clear=config.cmd \
    --config.env PATH=/usr/local/bin:/usr/bin:/bin \
    --config.env OCHRE_IMAGE_VAR=from-image \
    --config.entrypoint /bin/echo --config.entrypoint entry \
    --config.cmd default-cmd \
    --config.workingdir /srv/work
# Same layer, one more config field each: new config + manifest, shared blob.
umoci config --image "$L:latest" --tag user --config.user nobody
umoci config --image "$L:latest" --tag numeric --config.user 1234:5678

# --- layered: exactly two layers, with file and opaque whiteouts ---
# Layer 1 is its own ROOTFS copy (not latest's layer) so that the image has
# two layers in total and latest stays free of test clutter.
"${unpack[@]}" --image "$L:empty" "$work/l1"
fill_rootfs "$work/l1/rootfs"
echo "old motd (layer 1; deleted by layer 2)" > "$work/l1/rootfs/etc/motd-old"
mkdir "$work/l1/rootfs/opaque-dir"
echo a > "$work/l1/rootfs/opaque-dir/a"
echo b > "$work/l1/rootfs/opaque-dir/b"
chmod -R a+rX "$work/l1/rootfs"
umoci repack --image "$L:layered-1" "$work/l1"

"${unpack[@]}" --image "$L:layered-1" "$work/l2"
rm "$work/l2/rootfs/etc/motd-old"
rm -r "$work/l2/rootfs/opaque-dir"
mkdir "$work/l2/rootfs/opaque-dir"
echo c > "$work/l2/rootfs/opaque-dir/c"
chmod a+r "$work/l2/rootfs/opaque-dir/c"
# umoci writes etc/.wh.motd-old, but opaque-dir/.wh.a + .wh.b instead of an
# opaque marker (it diffs file lists); opaque-fix swaps in .wh..wh..opq.
umoci repack --image "$L:layered-2" "$work/l2"
umoci config --image "$L:layered-2" --tag layered \
    --config.env PATH=/usr/local/bin:/usr/bin:/bin --config.cmd /bin/sh
py opaque-fix "$L" layered opaque-dir

# Drop the scaffolding tags and the blobs only they used.
for t in empty base layered-1 layered-2; do
    umoci rm --image "$L:$t"
done
umoci gc --layout "$L"

# --- the same image in other transports and compressions ---
skopeo copy -q "oci:$L:latest" "oci-archive:$tmp/busybox.oci-archive.tar:latest"
skopeo copy -q "oci:$L:latest" "docker-archive:$tmp/busybox.docker-archive.tar:busybox:latest"
# skopeo 1.9 does write zstd layers (media type ...tar+zstd) to oci:.
skopeo copy -q --dest-compress-format zstd "oci:$L:latest" "oci:$tmp/busybox-zstd-oci:latest"
py uncompressed "$L" "$tmp/busybox-uncompressed-oci" latest

# --- platform selection: the real image is "native" (the host's arch) ---
py multiarch "$L" "$tmp/multiarch-oci" latest linux/arm64/v8 native linux/s390x
# No native entry at all: ochre must refuse and list what is on offer.
# (Assumes the host is neither arm64 nor ppc64le.)
py multiarch "$L" "$tmp/otherarch-oci" latest linux/arm64/v8 linux/ppc64le

# umoci writes index.json 0600; the e2e tests read these as another user.
chmod -R a+rX "$tmp"

rm -rf "$work"
# -T: if OUTDIR appeared meanwhile (a concurrent build won), fail rather than
# moving our tree inside it; theirs is as good as ours.
if ! mv -T "$tmp" "$out" 2>/dev/null; then
    [ -d "$out" ] || { echo "$0: cannot rename $tmp to $out" >&2; exit 1; }
fi
trap - EXIT
