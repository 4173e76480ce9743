# shellcheck shell=bash
# `ochre inspect`: every image kind ochre runs is described (format, path or
# reference, digest, layers, config), --json is one JSON object with stable
# keys, --verify hashes every layer and names the first bad one, and a
# hostile or truncated file is one error line.  The single-file fixtures
# (busybox.sqfs, busybox.sif, busybox-oci.sif, busybox-layers-oci.sif) come
# from scripts/build-sif-images.sh; the SIF layout is checked here against a
# small independent reader (_sif_objects), not against ochre's own.

_need_sif_images() {
    need_images
    [ -e "$IMAGES/busybox-layers-oci.sif" ] ||
        skip "no single-file fixtures in $IMAGES (make test-images)"
}

# The used descriptors of SIF file $1, one per line: "TYPE OFFSET SIZE"
# (TYPE in hex), read with the layout of docs/SIF-FORMAT.md.
_sif_objects() {
    python3 - "$1" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
total, off = struct.unpack_from("<qq", data, 88)
for i in range(total):
    d = off + i * 585
    dtype, used = struct.unpack_from("<i?", data, d)
    if used:
        o, s = struct.unpack_from("<qq", data, d + 17)
        print("%x %d %d" % (dtype, o, s))
PY
}

# A value out of the last command's JSON output: $1 is a Python expression
# over d (the parsed object).
_json() {
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
r = eval(sys.argv[2])
print(" ".join(map(str, r)) if isinstance(r, tuple) else r)' \
        "$TESTTMP/run.out" "$1"
}

# Flip one byte of file $1 at offset $2.
_flip_byte() {
    python3 - "$1" "$2" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]))
    b = f.read(1)
    f.seek(int(sys.argv[2]))
    f.write(bytes([b[0] ^ 0xff]))
PY
}

# -------------------------------------------------------- single-file images

test_inspect_oci_sif() {
    _need_sif_images
    local f=$IMAGES/busybox-oci.sif
    assert_status 0 "$OCHRE" inspect "$f"
    assert_contains "$OUT" "Format:      OCI-SIF"
    assert_contains "$OUT" "Path:        $(realpath "$f")"
    assert_contains "$OUT" "media type application/vnd.sylabs.image.layer.v1.squashfs"
    assert_contains "$OUT" 'Entrypoint:  ["/bin/echo","entry:"]'
    assert_contains "$OUT" 'Cmd:         ["default-cmd"]'
    assert_contains "$OUT" "WorkingDir:  /srv"
    assert_contains "$OUT" "  OCI_SIF_VAR=hello"
    assert_contains "$OUT" "  org.example.test=sif"
    assert_not_contains "$OUT" "Verified"

    assert_status 0 "$OCHRE" inspect --json "$f"
    assert_eq "OCI-SIF $(realpath "$f") $(stat -c %s "$f")" "$(_json 'd["format"], d["path"], d["size"]')" \
        "format, path, size"
    assert_eq "['/bin/echo', 'entry:'] ['default-cmd'] /srv None sif" \
        "$(_json 'd["config"]["Entrypoint"], d["config"]["Cmd"], d["config"]["WorkingDir"], d["config"]["User"], d["config"]["Labels"]["org.example.test"]')" \
        "config fields"
    assert_eq True "$(_json '"OCI_SIF_VAR=hello" in d["config"]["Env"]')" "Env"
    # The digest is the manifest the root index names, and the layer is
    # the blob it names, at the offset and size its descriptor gives.
    local index_line index_off index_size manifest layer_line
    index_line=$(_sif_objects "$f" | awk '$1 == "400a"')
    read -r _ index_off index_size <<<"$index_line"
    manifest=$(python3 -c 'import json, sys; f = open(sys.argv[1], "rb"); f.seek(int(sys.argv[2]))
print(json.loads(f.read(int(sys.argv[3])))["manifests"][0]["digest"])' "$f" "$index_off" "$index_size")
    assert_eq "$manifest" "$(_json 'd["digest"]')" "digest: the root index's manifest"
    layer_line=$(_sif_objects "$f" | awk '$1 == "400b"' | head -n 1)
    assert_eq "400b $(_json '"%d %d" % (d["layers"][0]["offset"], d["layers"][0]["size"])')" "$layer_line" \
        "layer offset and size: the first blob's descriptor"
    assert_eq "1 application/vnd.sylabs.image.layer.v1.squashfs" \
        "$(_json 'len(d["layers"]), d["layers"][0]["mediaType"]')" "one squashfs layer"
    assert_eq "sha256:$(tail -c +"$(($(_json 'd["layers"][0]["offset"]') + 1))" "$f" |
        head -c "$(_json 'd["layers"][0]["size"]')" | sha256sum | cut -d' ' -f1)" \
        "$(_json 'd["layers"][0]["digest"]')" "the layer's digest is that of its bytes"
}

test_inspect_layers_verify() {
    _need_sif_images
    local f=$IMAGES/busybox-layers-oci.sif bad=$TESTTMP/bad.sif off digest
    assert_status 0 "$OCHRE" inspect --json "$f"
    assert_eq "3 True" \
        "$(_json 'len(d["layers"]), all(l["mediaType"] == "application/vnd.sylabs.image.layer.v1.squashfs" for l in d["layers"])')" \
        "three squashfs layers"
    # Bottom-most first, in the order of the file's blobs.
    assert_eq "$(_sif_objects "$f" | awk '$1 == "400b" { print $2 }' | head -n 3 | tr '\n' ' ')" \
        "$(_json '" ".join(str(l["offset"]) for l in d["layers"]) + " "')" "layer order"
    assert_status 0 "$OCHRE" inspect --verify "$f"
    assert_contains "$OUT" "Verified:    every layer matches its digest"
    assert_status 0 "$OCHRE" inspect --verify --json "$f"
    assert_eq True "$(_json 'd["verified"]')"

    # One byte of the middle layer flipped: open still succeeds (layers are
    # not hashed at open), --verify names that layer.
    cp "$f" "$bad"
    off=$(_json 'd["layers"][1]["offset"] + d["layers"][1]["size"] // 2')
    digest=$(_json 'd["layers"][1]["digest"]')
    _flip_byte "$bad" "$off"
    assert_status 0 "$OCHRE" inspect "$bad"
    assert_error "layer $digest does not match its digest" "$OCHRE" inspect --verify "$bad"
    assert_error "layer $digest does not match its digest" "$OCHRE" inspect --verify --json "$bad"
}

test_inspect_native_sif() {
    _need_sif_images
    local f=$IMAGES/busybox.sif prim
    assert_status 0 "$OCHRE" inspect "$f"
    assert_contains "$OUT" "Format:      SIF"
    assert_contains "$OUT" "Partitions:  1"
    assert_contains "$OUT" "primary-system, squashfs"
    assert_contains "$OUT" "Runscript:   /.singularity.d/runscript"
    assert_contains "$OUT" "Digest:      (none)"
    assert_status 0 "$OCHRE" inspect --json "$f"
    prim=$(_sif_objects "$f" | awk '$1 == "4004" { print $2, $3 }')
    assert_eq "$prim" "$(_json '"%d %d" % (d["partitions"][0]["offset"], d["partitions"][0]["size"])')" \
        "partition offset and size"
    assert_eq "$prim" "$(_json '"%d %d" % (d["layers"][0]["offset"], d["layers"][0]["size"])')" \
        "the root layer is the primary partition"
    assert_eq "SIF None True primary-system squashfs None" \
        "$(_json 'd["format"], d["digest"], d["runscript"], d["partitions"][0]["parttype"], d["partitions"][0]["fstype"], d["config"]["Entrypoint"]')"
    # Nothing to hash, and said so.
    assert_status 0 "$OCHRE" inspect --verify "$f"
    assert_contains "$OUT" "nothing to verify"
}

test_inspect_squashfs() {
    _need_sif_images
    local f=$IMAGES/busybox.sqfs
    assert_status 0 "$OCHRE" inspect "$f"
    assert_contains "$OUT" "Format:      squashfs"
    assert_status 0 "$OCHRE" inspect --json "$f"
    assert_eq "squashfs 0 $(stat -c %s "$f") False" \
        "$(_json 'd["format"], d["layers"][0]["offset"], d["layers"][0]["size"], "partitions" in d')"
}

# ------------------------------------------------------- hostile single files

test_inspect_hostile_files() {
    _need_sif_images
    local f=$IMAGES/busybox-oci.sif t=$TESTTMP
    head -c 5000 "$f" >"$t/truncated.sif"
    assert_error "truncated.sif" "$OCHRE" inspect "$t/truncated.sif"
    head -c 100 "$f" >"$t/short.sif"
    assert_error "short.sif" "$OCHRE" inspect --json "$t/short.sif"
    printf 'not an image at all\n' >"$t/junk"
    assert_error "not a SIF or squashfs image" "$OCHRE" inspect "$t/junk"
    # A descriptor count far beyond the file.
    cp "$f" "$t/count.sif"
    python3 -c 'import struct, sys
f = open(sys.argv[1], "r+b"); f.seek(88); f.write(struct.pack("<q", 1 << 40))' "$t/count.sif"
    assert_error "count.sif" "$OCHRE" inspect "$t/count.sif"
    # The root index changed by one byte: it no longer matches its digest.
    cp "$f" "$t/index.sif"
    _flip_byte "$t/index.sif" "$(_sif_objects "$f" | awk '$1 == "400a" { print $2 + 2 }')"
    assert_error "index.sif" "$OCHRE" inspect "$t/index.sif"
    assert_error "inspect: give exactly one image" "$OCHRE" inspect
    assert_error "inspect: unknown option '--nope'" "$OCHRE" inspect --nope "$f"
    assert_status 0 "$OCHRE" inspect --help
    assert_contains "$OUT" "Usage: ochre inspect"
    assert_nothing_left
}

# ------------------------------------------------- the images ochre imports

test_inspect_oci_layout() {
    need_images
    local layout=$TESTTMP/layout digest layer
    assert_status 0 "$OCHRE" inspect "oci:$IMAGES/busybox-oci:latest"
    assert_contains "$OUT" "Format:      OCI image"
    assert_contains "$OUT" "Reference:   oci:$(realpath "$IMAGES/busybox-oci"):latest"
    assert_contains "$OUT" "  OCHRE_IMAGE_VAR=from-image"
    assert_contains "$OUT" "WorkingDir:  /srv/work"
    assert_status 0 "$OCHRE" inspect --json "oci:$IMAGES/busybox-oci:latest"
    # The digest is the manifest the layout's tag names; the layers are its.
    assert_eq "$("$OCHRE" pull --cache-only "oci:$IMAGES/busybox-oci:latest" 2>/dev/null)" "$(_json 'd["digest"]')"
    digest=$(_json 'd["digest"]')
    assert_eq "$(python3 -c 'import json, sys; m = json.load(open(sys.argv[1]))
print([(l["digest"], l["mediaType"], l["size"]) for l in m["layers"]])' \
        "$IMAGES/busybox-oci/blobs/sha256/${digest#sha256:}")" \
        "$(_json '[(l["digest"], l["mediaType"], l["size"]) for l in d["layers"]]')" "layers"
    assert_eq "['/bin/echo', 'entry'] ['default-cmd']" "$(_json 'd["config"]["Entrypoint"], d["config"]["Cmd"]')"
    layer=$(_json 'd["layers"][0]["digest"]')

    # --verify hashes the layout's layer blobs.
    assert_status 0 "$OCHRE" inspect --verify "oci:$IMAGES/busybox-oci:latest"
    assert_contains "$OUT" "Verified:    every layer matches its digest"
    cp -a "$IMAGES/busybox-oci" "$layout"
    chmod u+w "$layout/blobs/sha256/${layer#sha256:}"
    _flip_byte "$layout/blobs/sha256/${layer#sha256:}" 100
    assert_error "layer $layer does not match its digest" "$OCHRE" inspect --verify "oci:$layout:latest"
}

test_inspect_archives_and_dirs() {
    need_images
    assert_status 0 "$OCHRE" inspect --json "docker-archive:$IMAGES/busybox.docker-archive.tar"
    assert_eq "OCI image None from-image" \
        "$(_json 'd["format"], d["layers"], [e.split("=")[1] for e in d["config"]["Env"] if e.startswith("OCHRE_IMAGE_VAR=")][0]')"
    assert_status 0 "$OCHRE" inspect "oci-archive:$IMAGES/busybox.oci-archive.tar:latest"
    assert_contains "$OUT" "Format:      OCI image"
    assert_contains "$OUT" "Layers:      (not kept"
    assert_status 0 "$OCHRE" inspect --json "$ROOTFS"
    assert_eq "rootfs dir $(realpath "$ROOTFS") None []" "$(_json 'd["format"], d["path"], d["digest"], d["layers"]')"
    assert_error "image '$TESTTMP/none'" "$OCHRE" inspect "$TESTTMP/none"
    assert_error "holds several images" "$OCHRE" inspect "oci:$IMAGES/busybox-oci"
}
