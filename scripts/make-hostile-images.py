#!/usr/bin/env python3
"""make-hostile-images.py OUTDIR

Write small OCI image layouts, one per case, that attack or stress ochre's
image import: path traversal, symlink and hardlink escapes, device nodes,
unreadable directories, whiteout ordering, and broken integrity.  OUTDIR/README
lists every case and the outcome ochre must produce.

Unless a case says otherwise, every digest, size and diff_id is correct, so
what a case tests is extraction safety or format handling, not the digest
check.  The images are only imported, never run, so each layer is a tiny
hand-made tar (a few directories plus the case's entries), not busybox.

Python 3 stdlib only (tarfile, gzip, hashlib, json), so it runs on any test
machine.  Like the shell builders, OUTDIR is built as OUTDIR.tmp and renamed
into place; if OUTDIR exists, nothing is done.
"""

import gzip
import hashlib
import io
import json
import os
import secrets
import shutil
import sys
import tarfile

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
REF = "org.opencontainers.image.ref.name"

# A fixed mtime keeps layers byte-identical across runs (except where a case
# embeds a random name), which makes failures easier to compare.
MTIME = 1700000000

# Enough "../" to climb from any cache directory, however deep, up to "/"
# ("/.." is "/"), so a relative escape that works at all reaches its target.
UP = "../" * 24

# Where each case would write if extraction escaped: tests check these.
TMPDIR = "/tmp"


# --- tar entries ---------------------------------------------------------

def _info(name, kind, mode):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.mtime = MTIME
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    return ti


def d(name, mode=0o755):
    """A directory entry."""
    return (_info(name, tarfile.DIRTYPE, mode), None)


def f(name, data=b"", mode=0o644):
    """A regular file entry; data is str or bytes."""
    if isinstance(data, str):
        data = data.encode()
    ti = _info(name, tarfile.REGTYPE, mode)
    ti.size = len(data)
    return (ti, data)


def sym(name, target):
    ti = _info(name, tarfile.SYMTYPE, 0o777)
    ti.linkname = target
    return (ti, None)


def hard(name, target):
    ti = _info(name, tarfile.LNKTYPE, 0o644)
    ti.linkname = target
    return (ti, None)


def dev(name, kind, major, minor):
    ti = _info(name, kind, 0o666)
    ti.devmajor, ti.devminor = major, minor
    return (ti, None)


def fifo(name):
    return (_info(name, tarfile.FIFOTYPE, 0o644), None)


def tar_bytes(entries):
    """An uncompressed tar of entries, names written exactly as given.

    TarFile.addfile() does not normalise names (unlike TarFile.add(), which
    strips a leading "/"), so "../x" and "/tmp/x" reach the archive intact.
    PAX format so long names and big device numbers need no tricks."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def base_dirs():
    """The tiny "rootfs" every case starts from."""
    return [d("bin"), d("etc"), d("tmp", 0o1777)]


# --- OCI layout ----------------------------------------------------------

class Layout:
    """An OCI image layout being written: blobs plus one tagged manifest."""

    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.join(path, "blobs", "sha256"))
        self.write("oci-layout", '{"imageLayoutVersion":"1.0.0"}')

    def write(self, name, text):
        with open(os.path.join(self.path, name), "w") as fh:
            fh.write(text)

    def blob(self, data, algo="sha256"):
        """Store data content-addressed; return (digest, size, file path)."""
        hexd = hashlib.new(algo, data).hexdigest()
        folder = os.path.join(self.path, "blobs", algo)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, hexd)
        with open(path, "wb") as fh:
            fh.write(data)
        return "%s:%s" % (algo, hexd), len(data), path

    def image(self, layers, algo="sha256", tag="latest"):
        """Write config, manifest and index.json for layers (a list of
        uncompressed tar bytes), gzip-compressed.  Returns the manifest dict
        and the path of every layer blob so a case can damage them."""
        descs, paths = [], []
        for raw in layers:
            digest, size, path = self.blob(gzip.compress(raw, mtime=0), algo)
            descs.append({"mediaType": MT_LAYER_GZ, "digest": digest, "size": size})
            paths.append(path)
        # diff_ids are always sha256 of the uncompressed tar.
        config = {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers",
                       "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()
                                    for raw in layers]},
        }
        cdigest, csize, cpath = self.blob(json.dumps(config).encode())
        manifest = {
            "schemaVersion": 2,
            "mediaType": MT_MANIFEST,
            "config": {"mediaType": MT_CONFIG, "digest": cdigest, "size": csize},
            "layers": descs,
        }
        self.tag = tag
        self.save(manifest)
        return manifest, paths, cpath

    def save(self, manifest):
        """(Re)write the manifest blob and point index.json's tag at it."""
        digest, size, _ = self.blob(json.dumps(manifest, indent=2).encode())
        index = {"schemaVersion": 2, "manifests": [
            {"mediaType": MT_MANIFEST, "digest": digest, "size": size,
             "annotations": {REF: self.tag}}]}
        self.write("index.json", json.dumps(index, indent=2))


def escape_name(prefix):
    """A fresh absolute path under /tmp for an escape to land in, random so
    that concurrent or leftover test runs cannot mask each other."""
    return "%s/%s-%s" % (TMPDIR, prefix, secrets.token_hex(6))


# --- the cases -----------------------------------------------------------
# Each takes the case directory, writes the layout there, and may leave
# side files (ESCAPE_*) holding the absolute host path the test checks.

def case_dotdot(out):
    Layout(out).image([tar_bytes(base_dirs() + [
        d("a"),
        f("../escape-dotdot", "ESCAPED\n"),
        f("a/../../escape-dotdot2", "ESCAPED\n"),
    ])])


def case_absolute(out):
    target = escape_name("escape-absolute")
    Layout(out).image([tar_bytes(base_dirs() + [f(target, "ESCAPED\n")])])
    write_side(out, "ESCAPE_NAME", target)


def case_symlink_parent(out):
    target = escape_name("ochre-escape-dir")
    Layout(out).image([tar_bytes(base_dirs() + [
        sym("a", target),
        f("a/passwd", "ESCAPED\n"),
    ])])
    write_side(out, "ESCAPE_DIR", target)


def case_symlink_parent_relative(out):
    target = escape_name("ochre-escape-dir2")
    Layout(out).image([tar_bytes(base_dirs() + [
        sym("b", UP.rstrip("/") + target),
        f("b/file", "ESCAPED\n"),
    ])])
    write_side(out, "ESCAPE_DIR", target)


def case_symlink_parent_2layers(out):
    # The classic: the symlink is harmless inside layer 1; the write through
    # it comes from a later layer, extracted into the same tree.
    target = escape_name("ochre-escape-dir3")
    Layout(out).image([
        tar_bytes(base_dirs() + [sym("a", target)]),
        tar_bytes([f("a/passwd", "ESCAPED\n")]),
    ])
    write_side(out, "ESCAPE_DIR", target)


IMAGE_PASSWD = "root:x:0:0:IMAGE-PASSWD:/root:/bin/sh\n"


def case_hardlink_outside(out):
    # The image has its own etc/passwd, so an importer that resolves link
    # targets inside the rootfs links to that one; one that does not links
    # to (and could later chmod/overwrite) the host's /etc/passwd.
    Layout(out).image([tar_bytes(base_dirs() + [
        f("etc/passwd", IMAGE_PASSWD),
        hard("evil", "/etc/passwd"),
        hard("evil2", UP + "etc/passwd"),
    ])])


def case_hardlink_forward(out):
    Layout(out).image([tar_bytes(base_dirs() + [
        hard("early", "late"),
        f("late", "late\n"),
    ])])


def case_hardlink_ok(out):
    Layout(out).image([tar_bytes(base_dirs() + [
        d("data"),
        f("data/orig", "shared inode\n"),
        hard("data/link", "data/orig"),
    ])])


def case_devices(out):
    Layout(out).image([tar_bytes(base_dirs() + [
        d("dev"), d("run"),
        dev("dev/null2", tarfile.CHRTYPE, 1, 3),
        dev("dev/sda9", tarfile.BLKTYPE, 8, 9),
        fifo("run/fifo"),
        f("run/after-devices", "extraction went on\n"),
    ])])


def case_no_owner_rwx(out):
    # Directory modes come before their contents in the tar, as in real
    # images: a naive extractor creates locked/ with 0000 and then cannot
    # create locked/f in it (as non-root).
    Layout(out).image([tar_bytes(base_dirs() + [
        d("locked", 0o000),
        f("locked/f", "in a 0000 dir\n", 0o000),
        d("ro", 0o555),
        f("ro/g", "in a 0555 dir\n", 0o444),
    ])])


def case_whiteouts(out):
    layer1 = base_dirs() + [
        f("keep", "keep\n"), f("gone", "gone\n"),
        d("dir"), f("dir/x", "x\n"), f("dir/y", "y\n"),
        d("opq"), f("opq/old1", "old1\n"),
        d("opq/sub"), f("opq/sub/old2", "old2\n"),
    ]
    # opq/new comes BEFORE the opaque marker: the marker hides only lower
    # layers' content, never entries of its own layer, whatever the order.
    layer2 = [
        f(".wh.gone"),
        d("dir"), f("dir/.wh.x"),
        d("opq"), f("opq/new", "new\n"), f("opq/.wh..wh..opq"),
    ]
    Layout(out).image([tar_bytes(layer1), tar_bytes(layer2)])


def case_opaque_subdir(out):
    # The upper layer writes into a subdirectory of the opaque directory
    # before the marker: lower content of that subdirectory is hidden too.
    Layout(out).image([
        tar_bytes(base_dirs() + [d("opq"), d("opq/sub"), f("opq/sub/old2", "old2\n"),
                                 f("opq/old1", "old1\n")]),
        tar_bytes([d("opq"), d("opq/sub"), f("opq/sub/new", "new\n"), f("opq/.wh..wh..opq")]),
    ])


def case_whiteout_dotdot(out):
    # ".wh..." would be a whiteout of "..": the directory above the rootfs.
    Layout(out).image([tar_bytes(base_dirs() + [f("etc/a", "a\n"), f(".wh...")])])


def case_whiteout_dot(out):
    # "etc/.wh.." would be a whiteout of "etc/." : etc itself.
    Layout(out).image([tar_bytes(base_dirs() + [f("etc/a", "a\n"), f("etc/.wh..")])])


def simple_layer():
    return tar_bytes(base_dirs() + [f("etc/hello", "hello\n")])


def case_bad_layer_digest(out):
    _, paths, _ = Layout(out).image([simple_layer()])
    # Same size, different bytes, yet it still decompresses to the very same
    # tar: change the gzip header's MTIME field (bytes 4-7, not covered by
    # the CRC).  So gunzip and the diff_id check both pass; only checking the
    # blob's own digest catches it.
    with open(paths[0], "r+b") as fh:
        fh.seek(4)
        fh.write(b"\x01\x02\x03\x04")


def case_bad_layer_size(out):
    lay = Layout(out)
    manifest, _, _ = lay.image([simple_layer()])
    # Smaller than the blob: an importer that reads only "size" bytes then
    # hashes a prefix and must still refuse.
    manifest["layers"][0]["size"] -= 1
    lay.save(manifest)


def case_missing_blob(out):
    _, paths, _ = Layout(out).image([simple_layer()])
    os.unlink(paths[0])


def case_truncated_layer(out):
    lay = Layout(out)
    # Incompressible content so that half the gzip stream is mid-data.
    raw = tar_bytes(base_dirs() + [f("etc/random", secrets.token_bytes(65536))])
    manifest, paths, _ = lay.image([raw])
    with open(paths[0], "rb") as fh:
        gz = fh.read()
    os.unlink(paths[0])
    digest, size, _ = lay.blob(gz[:len(gz) // 2])
    # Digest and size match the truncated blob; the diff_id stays the one of
    # the full tar, which no decompression of this blob can produce.
    manifest["layers"][0]["digest"] = digest
    manifest["layers"][0]["size"] = size
    lay.save(manifest)


def case_unknown_mediatype(out):
    lay = Layout(out)
    manifest, _, _ = lay.image([simple_layer()])
    manifest["layers"][0]["mediaType"] = "application/vnd.example.unknown"
    lay.save(manifest)


def case_bad_config_digest(out):
    _, _, cpath = Layout(out).image([simple_layer()])
    with open(cpath, "rb") as fh:
        config = json.load(fh)
    # Still valid JSON of the same shape: only the digest can tell.
    config["config"]["Cmd"] = ["/bin/sh", "-c", "echo tampered"]
    with open(cpath, "w") as fh:
        json.dump(config, fh)


def case_sha512_ok(out):
    # Layers addressed by sha512 (blobs/sha512/...); config, manifest and
    # diff_ids stay sha256, as tools that support sha512 write them.
    Layout(out).image([simple_layer()], algo="sha512")


def write_side(out, name, text):
    with open(os.path.join(out, name), "w") as fh:
        fh.write(text + "\n")


# name, function, expected outcome, what to check.  This table is also the
# README, so the test-writer and the fixtures cannot drift apart.
REFUSED = "refused"
CONTAINED = "contained"
WORKS = "works"
CASES = [
    ("dotdot", case_dotdot, CONTAINED,
     "entries ../escape-dotdot and a/../../escape-dotdot2. Refusing is "
     "preferred. Nothing named escape-dotdot* may appear outside the rootfs "
     "(check the cache dir and its parents)."),
    ("absolute", case_absolute, CONTAINED,
     "entry /tmp/escape-absolute-RANDOM (ESCAPE_NAME holds that absolute "
     "path). It must not exist on the host afterwards; if the import "
     "succeeds, the file is at ROOTFS/tmp/escape-absolute-RANDOM."),
    ("symlink-parent", case_symlink_parent, CONTAINED,
     "symlink a -> /tmp/X, then file a/passwd (ESCAPE_DIR holds /tmp/X; the "
     "test creates it first). /tmp/X must stay empty."),
    ("symlink-parent-relative", case_symlink_parent_relative, CONTAINED,
     "symlink b -> ../../(x24)/tmp/X, then file b/file (ESCAPE_DIR holds "
     "/tmp/X; the test creates it first). /tmp/X must stay empty."),
    ("symlink-parent-2layers", case_symlink_parent_2layers, CONTAINED,
     "layer 1: symlink a -> /tmp/X; layer 2: file a/passwd (ESCAPE_DIR holds "
     "/tmp/X; the test creates it first). /tmp/X must stay empty."),
    ("hardlink-outside", case_hardlink_outside, CONTAINED,
     "etc/passwd (content has IMAGE-PASSWD), then hardlinks evil -> "
     "/etc/passwd and evil2 -> ../(x24)etc/passwd. Host /etc/passwd's link "
     "count and content must not change; if the import succeeds, evil and "
     "evil2 are the image's etc/passwd (same inode, IMAGE-PASSWD)."),
    ("hardlink-forward", case_hardlink_forward, REFUSED,
     "hardlink early -> late, where late comes later in the same tar. "
     "Import fails with an error; nothing left in the cache."),
    ("hardlink-ok", case_hardlink_ok, WORKS,
     "file data/orig, then hardlink data/link -> data/orig. After import "
     "both exist with the same inode."),
    ("devices", case_devices, WORKS,
     "char dev/null2 (1,3), block dev/sda9 (8,9), fifo run/fifo, then "
     "run/after-devices. Import succeeds; as a non-root user no device node "
     "appears in the cache (root creates them: the rootfs is only ever "
     "mounted nodev); run/after-devices exists; the fifo may be created or "
     "skipped."),
    ("no-owner-rwx", case_no_owner_rwx, WORKS,
     "dir locked (0000) with file locked/f (0000); dir ro (0555) with file "
     "ro/g. Import succeeds as an unprivileged user, locked/f and ro/g have "
     "their content, and the cache entry can be removed by its owner."),
    ("whiteouts", case_whiteouts, WORKS,
     "layer 1: keep gone dir/x dir/y opq/old1 opq/sub/old2; layer 2: "
     ".wh.gone dir/.wh.x opq/new opq/.wh..wh..opq (marker AFTER opq/new). "
     "Result: keep dir/y opq/new exist; gone dir/x opq/old1 opq/sub do not; "
     "no .wh.* name anywhere in the rootfs."),
    ("opaque-subdir", case_opaque_subdir, WORKS,
     "layer 1: opq/old1 opq/sub/old2; layer 2: opq/ opq/sub/ opq/sub/new, then "
     "opq/.wh..wh..opq. Result: opq/sub/new exists; opq/old1 and "
     "opq/sub/old2 do not."),
    ("whiteout-dotdot", case_whiteout_dotdot, REFUSED,
     "a whiteout '.wh...' at the layer root (of '..'). Import fails; nothing "
     "outside the rootfs is removed."),
    ("whiteout-dot", case_whiteout_dot, REFUSED,
     "a whiteout 'etc/.wh..' (of 'etc/.'). Import fails."),
    ("bad-layer-digest", case_bad_layer_digest, REFUSED,
     "layer blob changed after its digest was taken (gzip header MTIME, "
     "same size; still gunzips to the same tar, so diff_id matches)."),
    ("bad-layer-size", case_bad_layer_size, REFUSED,
     "layer descriptor size is 1 less than the blob."),
    ("missing-blob", case_missing_blob, REFUSED,
     "layer blob file deleted."),
    ("truncated-layer", case_truncated_layer, REFUSED,
     "gzip layer cut in half; its descriptor digest and size match the cut "
     "blob, so only decompression (or the diff_id check) fails."),
    ("unknown-mediatype", case_unknown_mediatype, REFUSED,
     "layer media type application/vnd.example.unknown (digest correct)."),
    ("bad-config-digest", case_bad_config_digest, REFUSED,
     "config blob rewritten (still valid JSON) after its digest was taken."),
    ("sha512-ok", case_sha512_ok, WORKS,
     "layer descriptor uses a sha512 digest, blob in blobs/sha512/; "
     "config and manifest are sha256. Import succeeds; etc/hello exists."),
]

README_HEAD = """\
Hostile and edge-case OCI image layouts for ochre's import tests, made by
scripts/make-hostile-images.py.  Each directory is an OCI layout with one
manifest, tag "latest" (use oci:DIR:latest).  Digests, sizes and diff_ids
are correct except in the cases that say otherwise.

Outcomes:
  refused    import fails with one error (exit 255) and leaves no cache entry
  contained  import may fail or succeed, but nothing outside the image rootfs
             is created, changed or linked to; refusing is preferred
  works      import succeeds with the stated result

ESCAPE_NAME / ESCAPE_DIR files hold the absolute host path the case would
reach if extraction escaped (random per build).  For ESCAPE_DIR the test
creates that directory before the import and checks it is still empty after.

"""


def main():
    if len(sys.argv) != 2 or not sys.argv[1].strip("/"):
        sys.exit("usage: %s OUTDIR" % sys.argv[0])
    out = sys.argv[1].rstrip("/")
    if os.path.exists(out):
        return
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)   # leftover of an interrupted run
    os.makedirs(tmp)
    try:
        lines = [README_HEAD]
        for name, fn, outcome, what in CASES:
            fn(os.path.join(tmp, name))
            lines.append("%-24s %-10s %s\n" % (name, outcome, what))
        with open(os.path.join(tmp, "README"), "w") as fh:
            fh.writelines(lines)
        # The e2e tests import these as an unprivileged user.
        for root, dirs, files in os.walk(tmp):
            for n in dirs:
                os.chmod(os.path.join(root, n), 0o755)
            for n in files:
                os.chmod(os.path.join(root, n), 0o644)
        os.chmod(tmp, 0o755)
        try:
            os.rename(tmp, out)
        except OSError:
            # A concurrent build won the race; theirs is as good as ours.
            if not os.path.isdir(out):
                raise
            shutil.rmtree(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


if __name__ == "__main__":
    main()
