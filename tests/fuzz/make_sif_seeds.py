#!/usr/bin/env python3
"""make_sif_seeds.py OUTDIR: the fuzz_sif seed corpus, small enough for
libFuzzer's default -max_len (8192): a bare squashfs, a native SIF and an
OCI-SIF around it (descriptors right after the 128-byte header, which the
format allows, instead of at 4096), and a few broken variants. Laid out as
docs/SIF-FORMAT.md describes; needs mksquashfs. Run by hand when the format
code changes; the output is committed under tests/fuzz/corpus/sif."""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

DESCR_LEN, HDR_LEN = 585, 128
PARTITION, OCI_INDEX, OCI_BLOB = 0x4004, 0x400A, 0x400B


def squashfs():
    with tempfile.TemporaryDirectory() as d:
        root = os.path.join(d, "root")
        os.makedirs(os.path.join(root, "etc"))
        os.makedirs(os.path.join(root, ".singularity.d"))
        with open(os.path.join(root, "etc", "passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\n")
        with open(os.path.join(root, ".singularity.d", "runscript"), "w") as f:
            f.write("#!/bin/sh\necho hi\n")
        os.symlink("../../..", os.path.join(root, "etc", "up"))
        out = os.path.join(d, "fs.sqfs")
        subprocess.run(["mksquashfs", root, out, "-noappend", "-all-root", "-nopad", "-no-xattrs",
                        "-mkfs-time", "0", "-all-time", "0", "-quiet", "-no-progress"],
                       check=True, stdout=subprocess.DEVNULL)
        return open(out, "rb").read()


def sif(objects, spare=1):
    """objects: (type, bytes, extra) in file order."""
    total = len(objects) + spare
    data_off = HDR_LEN + total * DESCR_LEN
    hdr = bytearray(HDR_LEN)
    hdr[32:42] = b"SIF_MAGIC\0"
    hdr[42:45] = b"01\0"
    hdr[45:48] = b"02\0"
    descr, data, off = bytearray(), bytearray(), data_off
    for i, (typ, blob, extra) in enumerate(objects):
        d = bytearray(DESCR_LEN)
        struct.pack_into("<i?II", d, 0, typ, True, i + 1, 0xF0000001)
        struct.pack_into("<qqq", d, 17, off, len(blob), len(blob))
        d[201:201 + len(extra)] = extra
        descr += d
        data += blob
        off += len(blob)
    descr += bytes(DESCR_LEN * spare)
    struct.pack_into("<qqqqqq", hdr, 80, spare, total, HDR_LEN, total * DESCR_LEN, data_off, len(data))
    return bytes(hdr + descr + data)


def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def oci_sif(layer):
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Env": ["A=b"], "Entrypoint": ["/bin/sh"], "WorkingDir": "/"}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": digest(config), "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.sylabs.image.layer.v1.squashfs",
                                       "digest": digest(layer), "size": len(layer)}]}).encode()
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                       "digest": digest(manifest), "size": len(manifest)}]}).encode()
    blobs = [(OCI_BLOB, b, digest(b).encode()) for b in (layer, config, manifest)]
    return sif(blobs + [(OCI_INDEX, index, digest(index).encode())])


def main():
    out = sys.argv[1]
    layer = squashfs()
    part = struct.pack("<ii", 1, 2) + b"02\0"  # squashfs, primary system, amd64
    seeds = {
        "squashfs.sqfs": layer,
        "native.sif": sif([(PARTITION, layer, part)]),
        "oci.sif": oci_sif(layer),
    }
    oci = bytearray(seeds["oci.sif"])
    seeds["oci-truncated.sif"] = bytes(oci[: len(oci) - 40])
    bad = bytearray(oci)
    struct.pack_into("<q", bad, HDR_LEN + 17, HDR_LEN + DESCR_LEN)  # first object over a descriptor
    seeds["oci-overlap.sif"] = bytes(bad)
    bad = bytearray(oci)
    bad[-10] ^= 0xFF  # the root index no longer matches its digest
    seeds["oci-index-digest.sif"] = bytes(bad)
    for name, b in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(b)


main()
