# shellcheck shell=bash
# `ochre pull` to a single file: an OCI-SIF as SingularityCE writes them,
# from oci:, oci-archive:, docker-archive: and docker:// (the loopback
# registry of test_registry.sh, anonymous and with basic auth). The file is
# read back here without ochre: its SIF descriptors by a few lines of
# python, its squashfs layers by unsquashfs at their offsets. Same input,
# same bytes; hostile layers are refused or contained as the unpacker does;
# an interrupted pull leaves nothing that looks like an image. Every case
# runs as root, as the test user and through the setuid starter's install.

# The registry helpers (need_registry, _registry_start, _push, REG_*).
# shellcheck source=tests/e2e/test_registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/test_registry.sh"

_busybox() { echo "oci:$IMAGES/busybox-oci:${1:-latest}"; }

# `_sif_layers FILE`: "OFFSET SIZE MEDIATYPE" of each layer, in manifest
# order, found the way a reader must: root index -> manifest -> blobs by
# digest (the descriptor's Extra), each digest checked. Fails on anything
# malformed.
_sif_layers() {
    python3 - "$1" <<'PYEOF'
import hashlib, json, struct, sys
data = open(sys.argv[1], "rb").read()
assert data[32:42] == b"SIF_MAGIC\0", "no SIF magic"
free, total, doff, dsize, dataoff, datasize = struct.unpack("<6q", data[80:128])
blobs, index = {}, None
for i in range(total):
    d = data[doff + 585 * i: doff + 585 * (i + 1)]
    dtype, used, _id, _g, _l, off, size = struct.unpack("<iBIIIqq", d[:33])
    if not used:
        continue
    digest = d[201:].rstrip(b"\0").decode()
    blob = data[off:off + size]
    assert "sha256:" + hashlib.sha256(blob).hexdigest() == digest, "bad digest " + digest
    blobs[digest] = (off, size)
    if dtype == 0x400A:
        index = json.loads(blob)
manifest_desc = index["manifests"][0]
off, size = blobs[manifest_desc["digest"]]
manifest = json.loads(data[off:off + size])
for layer in manifest["layers"]:
    off, size = blobs[layer["digest"]]
    print(off, size, layer["mediaType"])
PYEOF
}

# `_sif_list FILE [N]`: unsquashfs -lln of layer N (1: the first).
_sif_list() {
    local off
    off=$(_sif_layers "$1" | sed -n "${2:-1}p" | cut -d' ' -f1)
    [ -n "$off" ] || fail "$1 has no layer ${2:-1}"
    unsquashfs -o "$off" -lln "$1" || fail "unsquashfs cannot read layer ${2:-1} of $1"
}

# `_sif_to_layout FILE DIR`: the OCI-SIF's blobs as an OCI layout (tag
# latest), the way `singularity push` puts them in a registry.
_sif_to_layout() {
    python3 - "$1" "$2" <<'PYEOF'
import json, os, struct, sys
data = open(sys.argv[1], "rb").read()
out = sys.argv[2]
os.makedirs(out + "/blobs/sha256")
free, total, doff, dsize, dataoff, datasize = struct.unpack("<6q", data[80:128])
for i in range(total):
    d = data[doff + 585 * i: doff + 585 * (i + 1)]
    dtype, used, _id, _g, _l, off, size = struct.unpack("<iBIIIqq", d[:33])
    if not used:
        continue
    blob = data[off:off + size]
    if dtype == 0x400A:
        index = json.loads(blob)
        continue
    open(out + "/blobs/sha256/" + d[201:].rstrip(b"\0").decode()[7:], "wb").write(blob)
index["manifests"][0]["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
json.dump(index, open(out + "/index.json", "w"))
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PYEOF
}

# No image file and no temporary file of ours here.
_assert_no_file() {
    local left
    left=$(find . -maxdepth 1 \( -name '*.sif' -o -name '.ochre-pull-tmp.*' \))
    assert_eq "" "$left" "files left behind"
}

need_sif_tools() {
    need_images
    for t in mksquashfs unsquashfs tar2sqfs python3; do
        command -v "$t" >/dev/null || skip "$t not installed (scripts/install-deps.sh)"
    done
}

# ------------------------------------------------------------------ the tests

# An archive to NAME_TAG.sif in the current directory, quiet, readable
# without ochre, the same bytes twice; --name, --dir, --force.
test_pull_sif_archive() {
    need_sif_tools
    assert_status 0 "$OCHRE" pull "docker-archive:$IMAGES/busybox.docker-archive.tar"
    assert_eq "" "$OUT" "pull to a file prints nothing"
    assert_eq "" "$ERR" "pull is quiet when stderr is not a terminal"
    [ -f busybox.docker-archive_latest.sif ] || fail "no default-named file: $(ls)"
    local layers
    layers=$(_sif_layers busybox.docker-archive_latest.sif)
    assert_eq 1 "$(echo "$layers" | wc -l)" "one squashed layer"
    assert_contains "$layers" "application/vnd.sylabs.image.layer.v1.squashfs"
    assert_contains "$(_sif_list busybox.docker-archive_latest.sif)" "squashfs-root/bin/busybox"
    # The image config is the source's.
    assert_contains "$(strings busybox.docker-archive_latest.sif | grep OCHRE_IMAGE_VAR)" "from-image"
    # Deterministic: another pull gives the same bytes.
    assert_status 0 "$OCHRE" pull --name again.sif "oci-archive:$IMAGES/busybox.oci-archive.tar"
    assert_status 0 "$OCHRE" pull --name again2.sif "oci-archive:$IMAGES/busybox.oci-archive.tar"
    cmp again.sif again2.sif || fail "two pulls of one image differ"
    # An existing file needs --force; with it, the same image leaves the
    # file as it was (same inode), another one replaces it.
    local ino
    ino=$(stat -c %i again.sif)
    assert_error "already exists" "$OCHRE" pull --name again.sif "oci-archive:$IMAGES/busybox.oci-archive.tar"
    assert_status 0 "$OCHRE" pull --force --name again.sif "oci-archive:$IMAGES/busybox.oci-archive.tar"
    assert_eq "$ino" "$(stat -c %i again.sif)" "a pull of the same image replaced its file"
    assert_status 0 "$OCHRE" pull --force --name again.sif "$(_busybox layered)"
    [ "$ino" != "$(stat -c %i again.sif)" ] || fail "--force did not replace the file"
    # --dir: the default name there.
    mkdir out
    assert_status 0 "$OCHRE" pull --dir out "$(_busybox user)"
    [ -f out/busybox-oci_user.sif ] || fail "--dir: $(ls out)"
    # Usage errors.
    assert_error "exclude each other" "$OCHRE" pull --name a.sif --dir out "$(_busybox)"
    assert_error "goes with --cache-only" "$OCHRE" pull --no-pull "$(_busybox)"
    assert_error "is a directory" "$OCHRE" pull --name out "$(_busybox)"
    assert_error "cannot write into" "$OCHRE" pull --name missing/x.sif "$(_busybox)"
    assert_error "root filesystem directory" "$OCHRE" pull --name r.sif "$ROOTFS"
    # Pulls to files build in the cache's tmp/ and leave no entry there.
    assert_eq 0 "$(cache_count)" "pull to a file made cache entries"
    assert_eq "" "$(ls -A "$(cache_root)/tmp")" "pull left builds in the cache"
    [ ! -e missing ] || fail "--name missing/x.sif made its directory"
    assert_nothing_left
}

# --keep-layers: one squashfs per layer, whiteouts as SingularityCE writes
# them (character device 0/0; the opaque dir's xattr shows in -lln only as
# the directory itself, so its listing is checked for the lower content
# being absent from the layer).
test_pull_sif_keep_layers() {
    need_sif_tools
    assert_status 0 "$OCHRE" pull --keep-layers --name k.sif "$(_busybox layered)"
    assert_eq 2 "$(_sif_layers k.sif | wc -l)" "--keep-layers: one squashfs per layer"
    local top
    top=$(_sif_list k.sif 2)
    assert_contains "$top" "c--------- 0/0"
    assert_contains "$top" "squashfs-root/etc/motd-old"
    assert_contains "$top" "squashfs-root/opaque-dir/c"
    assert_contains "$(_sif_list k.sif 1)" "squashfs-root/bin/busybox"
    # Squashed by default: one layer, the whiteout applied.
    assert_status 0 "$OCHRE" pull --name s.sif "$(_busybox layered)"
    assert_eq 1 "$(_sif_layers s.sif | wc -l)"
    assert_not_contains "$(_sif_list s.sif)" "motd-old"
    assert_nothing_left
}

# docker:// from the loopback registry: anonymous, then with basic auth
# (the same credentials as a cache pull); a refused login writes nothing.
test_pull_sif_registry() {
    need_registry
    need_sif_tools
    _registry_start
    _push busybox-oci:latest acc/busybox:latest
    assert_status 0 "$OCHRE" pull --no-https "docker://$REG/acc/busybox:latest"
    [ -f busybox_latest.sif ] || fail "no busybox_latest.sif: $(ls)"
    assert_contains "$(_sif_list busybox_latest.sif)" "squashfs-root/bin/busybox"
    # The same image from its layout gives the same file.
    assert_status 0 "$OCHRE" pull --name layout.sif "$(_busybox)"
    cmp busybox_latest.sif layout.sif || fail "registry and layout pulls of one image differ"
    # A second pull (blobs cached) makes the same file again.
    assert_status 0 "$OCHRE" pull --no-https --name second.sif "docker://$REG/acc/busybox:latest"
    cmp busybox_latest.sif second.sif || fail "a second registry pull differs"
    kill "$REG_PID"
    wait "$REG_PID" 2>/dev/null || true
    rm -rf "$TESTTMP/registry"
    _registry_start basic
    _push busybox-oci:latest acc/busybox:latest --dest-creds "$REG_USER:$REG_PASS"
    assert_error "needs a login" "$OCHRE" pull --no-https --name auth.sif "docker://$REG/acc/busybox:latest"
    [ ! -e auth.sif ] || fail "a refused pull wrote its file"
    assert_status 0 env OCHRE_DOCKER_USERNAME="$REG_USER" OCHRE_DOCKER_PASSWORD="$REG_PASS" \
        "$OCHRE" pull --no-https --name auth.sif "docker://$REG/acc/busybox:latest"
    cmp busybox_latest.sif auth.sif || fail "the authenticated pull differs"
    assert_nothing_left
}

# Hostile layers through the converter: refused exactly as the unpacker
# refuses them, or contained (nothing written outside, the file readable).
test_pull_sif_hostile() {
    need_hostile
    need_sif_tools
    local spec name needle
    for spec in "bad-layer-digest:does not match its digest" \
        "missing-blob:missing" \
        "hardlink-forward:hardlink" \
        "whiteout-dotdot:names no file"; do
        name=${spec%%:*} needle=${spec#*:}
        assert_error "$needle" "$OCHRE" pull --name "$name.sif" "oci:$HOSTILE/$name:latest"
        _assert_no_file
    done
    local escape dir
    escape=$(cat "$HOSTILE/absolute/ESCAPE_NAME")
    [ ! -e "$escape" ] || fail "$escape exists before the pull (left over? remove it)"
    remove_at_exit "$escape"
    for name in dotdot absolute hardlink-outside symlink-parent symlink-parent-2layers; do
        dir=
        if [ -e "$HOSTILE/$name/ESCAPE_DIR" ]; then
            dir=$(cat "$HOSTILE/$name/ESCAPE_DIR")
            mkdir "$dir" || fail "cannot create $dir (left over? remove it)"
            remove_at_exit "$dir"
        fi
        for keep in "" --keep-layers; do
            run "$OCHRE" pull $keep --name "$name.sif" "oci:$HOSTILE/$name:latest"
            if [ "$STATUS" = 0 ]; then
                _sif_list "$name.sif" >/dev/null
                rm "$name.sif"
            else
                assert_eq 255 "$STATUS" "$name: $ERR"
                _assert_no_file
            fi
        done
        [ -z "$dir" ] || assert_eq "" "$(ls -A "$dir")" "$name: a file was written through a symlink"
    done
    [ ! -e "$escape" ] || fail "absolute entry written on the host: $escape"
    assert_eq "" "$(find "$TESTTMP" /tmp -maxdepth 1 -name 'escape-dotdot*')" "an entry escaped"
    assert_nothing_left
}

# kill -9 of the importer during the conversion (a mksquashfs on PATH
# that does it) leaves neither an image file nor a temporary one; a
# temporary file that no pull holds (an older kill) goes at the next pull
# into that directory, one a live pull holds stays.
test_pull_sif_interrupted() {
    need_sif_tools
    mkdir bin
    cat >bin/mksquashfs <<'SHEOF'
#!/bin/sh
kill -9 "$PPID"
SHEOF
    chmod +x bin/mksquashfs
    run env PATH="$TESTTMP/bin:$PATH" "$OCHRE" pull --name k.sif "$(_busybox)"
    assert_eq 255 "$STATUS" "a killed pull: $ERR"
    assert_contains "$ERR" "killed by signal 9"
    _assert_no_file
    # A stale temporary file, and one held by a live (here: flock) holder.
    echo stale >.ochre-pull-tmp.stale1
    echo held >.ochre-pull-tmp.held1
    (
        exec 9<.ochre-pull-tmp.held1
        flock 9
        exec sleep 600
    ) &
    local holder=$!
    track "$holder"
    wait_until 10 sh -c "! flock -n .ochre-pull-tmp.held1 true"
    assert_status 0 "$OCHRE" pull --name k.sif "$(_busybox)"
    [ ! -e .ochre-pull-tmp.stale1 ] || fail "a stale temporary file was left"
    [ -e .ochre-pull-tmp.held1 ] || fail "a held temporary file was removed"
    kill "$holder"
    wait "$holder" 2>/dev/null || true
    rm -f .ochre-pull-tmp.held1
    _sif_list k.sif >/dev/null
    assert_eq "" "$(ls -A "$(cache_root)/tmp")" "builds left in the cache"
    assert_nothing_left
}

# `_http_start DIR [tls]`: python3's http.server on 127.0.0.1 serving DIR,
# at HTTP_URL; with tls, HTTPS with a self-signed certificate (which a
# pull must refuse: TLS is checked).
_http_start() {
    local dir=$1 tls=${2:-} port
    port=$(_free_port)
    if [ -n "$tls" ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TESTTMP/key.pem" -out "$TESTTMP/cert.pem" \
            -days 2 -subj /CN=127.0.0.1 >/dev/null 2>&1 || fail "openssl could not make a key"
        python3 - "$dir" "$port" "$TESTTMP/cert.pem" "$TESTTMP/key.pem" >"$TESTTMP/https.log" 2>&1 <<'PYEOF' &
import functools, http.server, ssl, sys
d, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=d)
srv = http.server.HTTPServer(("127.0.0.1", port), h)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PYEOF
        HTTP_URL=https://127.0.0.1:$port
    else
        python3 -m http.server --bind 127.0.0.1 --directory "$dir" "$port" >"$TESTTMP/http.log" 2>&1 &
        HTTP_URL=http://127.0.0.1:$port
    fi
    HTTP_PID=$!
    track "$HTTP_PID"
    wait_until 20 _http_up -k "$HTTP_URL/" || fail "the HTTP server did not start"
}

_http_stop() {
    kill "$HTTP_PID"
    wait "$HTTP_PID" 2>/dev/null || true
}

# http(s):// URLs of SIF files: downloaded as they are, under the URL's
# file name; a 404, a file that is no SIF and an untrusted certificate
# leave nothing.
test_pull_sif_http() {
    need_sif_tools
    command -v openssl >/dev/null || skip "openssl not installed"
    mkdir www dl
    assert_status 0 "$OCHRE" pull --name www/img.sif "$(_busybox)"
    echo "not a sif" >www/bad.sif
    _http_start "$TESTTMP/www"
    cd dl || fail "cd dl"
    assert_status 0 "$OCHRE" pull "$HTTP_URL/img.sif?x=1"
    cmp img.sif ../www/img.sif || fail "the download differs"
    assert_eq "" "$ERR" "a download is quiet without a terminal"
    assert_error "already exists" "$OCHRE" pull "$HTTP_URL/img.sif"
    assert_status 0 "$OCHRE" pull --force "$HTTP_URL/img.sif"
    assert_error "answered 404" "$OCHRE" pull --name none.sif "$HTTP_URL/none.sif"
    assert_error "is not a SIF file" "$OCHRE" pull "$HTTP_URL/bad.sif"
    assert_error "give --name" "$OCHRE" pull "$HTTP_URL/"
    # Launched directly: downloaded once into the cache, run in place.
    assert_status 0 oexec "$HTTP_URL/img.sif" /bin/echo from-http
    assert_eq "from-http" "$OUT" "http:// launched directly"
    assert_status 0 oexec --no-pull "$HTTP_URL/img.sif" /bin/echo again
    assert_error "is not a SIF file" oexec "$HTTP_URL/bad.sif" /bin/true
    rm img.sif
    _assert_no_file
    _http_stop
    _http_start "$TESTTMP/www" tls
    assert_error "certificate" "$OCHRE" pull "$HTTP_URL/img.sif"
    _assert_no_file
    _http_stop
    cd .. || fail "cd .."
    assert_nothing_left
}

# Images whose layers are squashfs already (what `singularity push` puts in
# a registry) are pulled as they are: no conversion, the same blobs, so
# the OCI-SIF they came from comes back byte for byte. Launching one from
# the cache (which unpacks tars) says what to do instead.
test_pull_sif_squashfs_layers() {
    need_registry
    need_sif_tools
    assert_status 0 "$OCHRE" pull --keep-layers --name orig.sif "$(_busybox layered)"
    _sif_to_layout orig.sif "$TESTTMP/sq-layout"
    assert_status 0 "$OCHRE" --debug pull --name from-layout.sif "oci:$TESTTMP/sq-layout:latest"
    assert_contains "$ERR" "kept as they are"
    assert_not_contains "$ERR" "tar2sqfs" "squashfs layers converted"
    cmp orig.sif from-layout.sif || fail "the squashfs layers' image changed on the way"
    assert_error "is a squashfs, not a tar" oexec "oci:$TESTTMP/sq-layout:latest" /bin/true
    _registry_start
    skopeo copy -q --dest-tls-verify=false "oci:$TESTTMP/sq-layout:latest" "docker://$REG/acc/sq:latest" ||
        fail "skopeo could not push the squashfs image"
    assert_status 0 "$OCHRE" pull --no-https --name from-registry.sif "docker://$REG/acc/sq:latest"
    cmp orig.sif from-registry.sif || fail "the registry's squashfs image changed on the way"
    assert_nothing_left
}

# `_oras_push FILE REPO:TAG [CURL_OPTS]`: FILE into the registry as an
# ORAS SIF artifact, as `singularity push FILE oras://...` stores it (an
# OCI manifest, a "{}" config, one layer of the SIF media type), by the
# distribution API with curl (monolithic uploads).
_oras_push() {
    local file=$1 repo=${2%:*} tag=${2##*:} base=http://127.0.0.1:$REG_PORT
    shift 2
    printf '{}' >"$TESTTMP/oras-config.json"
    local f digest size loc sep cdigest csize ldigest lsize
    for f in "$TESTTMP/oras-config.json" "$file"; do
        digest=sha256:$(sha256sum <"$f" | cut -d' ' -f1)
        size=$(stat -c %s "$f")
        loc=$(curl -s "$@" -D - -o /dev/null -X POST "$base/v2/$repo/blobs/uploads/" |
            tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
        case $loc in http*) ;; *) loc=$base$loc ;; esac
        sep='?'
        case $loc in *\?*) sep='&' ;; esac
        curl -sf "$@" -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$f" \
            "$loc${sep}digest=$digest" >/dev/null || fail "upload of $f failed"
        if [ "$f" = "$file" ]; then ldigest=$digest lsize=$size; else cdigest=$digest csize=$size; fi
    done
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",%s%s}' \
        "\"config\":{\"mediaType\":\"application/vnd.sylabs.sif.config.v1+json\",\"digest\":\"$cdigest\",\"size\":$csize}," \
        "\"layers\":[{\"mediaType\":\"application/vnd.sylabs.sif.layer.v1.sif\",\"digest\":\"$ldigest\",\"size\":$lsize,\"annotations\":{\"org.opencontainers.image.title\":\"${file##*/}\"}}]" \
        >"$TESTTMP/oras-manifest.json"
    curl -sf "$@" -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
        --data-binary @"$TESTTMP/oras-manifest.json" "$base/v2/$repo/manifests/$tag" >/dev/null ||
        fail "manifest upload failed"
}

# oras:// SIF artifacts: the file comes back byte for byte under NAME_TAG.sif,
# anonymous and with basic auth; a layer that is no SIF, an image that is
# no SIF artifact and a launch from the cache are refused, leaving nothing.
test_pull_sif_oras() {
    need_registry
    need_sif_tools
    assert_status 0 "$OCHRE" pull --name img.sif "$(_busybox)"
    echo "not a sif" >bad.bin
    _registry_start
    _oras_push img.sif acc/sif:1.0
    local manifest_digest
    manifest_digest=sha256:$(sha256sum <"$TESTTMP/oras-manifest.json" | cut -d' ' -f1)
    _oras_push bad.bin acc/bad:1.0
    _push busybox-oci:latest acc/busybox:latest
    mkdir dl
    cd dl || fail "cd dl"
    assert_status 0 "$OCHRE" pull --no-https "oras://$REG/acc/sif:1.0"
    cmp sif_1.0.sif ../img.sif || fail "the oras:// download differs"
    assert_eq "" "$ERR" "an oras:// pull is quiet without a terminal"
    assert_status 0 "$OCHRE" pull --no-https --name by-digest.sif "oras://$REG/acc/sif@$manifest_digest"
    cmp by-digest.sif ../img.sif || fail "the oras:// download by digest differs"
    assert_error "is not a SIF file" "$OCHRE" pull --no-https --name bad.sif "oras://$REG/acc/bad:1.0"
    assert_error "not a SIF artifact" "$OCHRE" pull --no-https --name not.sif "oras://$REG/acc/busybox:latest"
    # Launched directly: fetched once into the cache as a file, run in place.
    assert_status 0 oexec --no-https "oras://$REG/acc/sif:1.0" /bin/echo from-oras
    assert_eq "from-oras" "$OUT" "oras:// launched directly"
    assert_eq 1 "$(find "$(cache_root)/files" -name '*.sif' | wc -l)" "the oras:// SIF is not in the cache"
    assert_status 0 oexec --no-pull "oras://$REG/acc/sif:1.0" /bin/true
    assert_status 0 "$OCHRE" cache list
    assert_contains "$OUT" "single file" "cache list does not show the fetched SIF"
    assert_status 0 "$OCHRE" cache clean --all
    assert_eq 0 "$(find "$(cache_root)/files" -name '*.sif' 2>/dev/null | wc -l)" "cache clean --all left the SIF"
    assert_error "not a SIF artifact" oexec --no-https "oras://$REG/acc/busybox:latest" /bin/true
    assert_error "no manifest for tag" "$OCHRE" pull --no-https --name none.sif "oras://$REG/acc/none:1.0"
    rm sif_1.0.sif by-digest.sif
    _assert_no_file
    cd .. || fail "cd .."
    kill "$REG_PID"
    wait "$REG_PID" 2>/dev/null || true
    rm -rf "$TESTTMP/registry"
    _registry_start basic
    _oras_push img.sif acc/sif:1.0 -u "$REG_USER:$REG_PASS"
    assert_error "needs a login" "$OCHRE" pull --no-https --name auth.sif "oras://$REG/acc/sif:1.0"
    assert_status 0 env OCHRE_DOCKER_USERNAME="$REG_USER" OCHRE_DOCKER_PASSWORD="$REG_PASS" \
        "$OCHRE" pull --no-https --name auth.sif "oras://$REG/acc/sif:1.0"
    cmp auth.sif img.sif || fail "the authenticated oras:// download differs"
    assert_nothing_left
}

# ochre push: a SIF to oras:// and an OCI-SIF's image to docker://, each
# pulled back byte for byte; basic auth as for pulls; what is not a SIF (or
# not an OCI-SIF, for docker://) is refused before any upload.
test_push_sif() {
    need_registry
    need_sif_tools
    assert_status 0 "$OCHRE" pull --keep-layers --name img.sif "$(_busybox layered)"
    echo "not a sif" >bad.bin
    _registry_start basic
    local -x OCHRE_DOCKER_USERNAME=$REG_USER OCHRE_DOCKER_PASSWORD=$REG_PASS
    assert_status 0 "$OCHRE" push --no-https img.sif "oras://$REG/acc/sif:1"
    assert_status 0 "$OCHRE" pull --no-https --name oras.sif "oras://$REG/acc/sif:1"
    cmp oras.sif img.sif || fail "oras:// push and pull changed the file"
    assert_status 0 "$OCHRE" push --no-https img.sif "docker://$REG/acc/img:1"
    assert_status 0 "$OCHRE" pull --no-https --name docker.sif "docker://$REG/acc/img:1"
    cmp docker.sif img.sif || fail "docker:// push and pull changed the image"
    # skopeo sees an ordinary image with squashfs layers.
    assert_contains "$(skopeo inspect --raw --tls-verify=false --creds "$REG_USER:$REG_PASS" \
        "docker://$REG/acc/img:1")" "application/vnd.sylabs.image.layer.v1.squashfs"
    assert_error "is not a SIF file" "$OCHRE" push --no-https bad.bin "oras://$REG/acc/bad:1"
    assert_error "is not a SIF file" "$OCHRE" push --no-https bad.bin "docker://$REG/acc/bad:1"
    assert_error "names no tag" "$OCHRE" push --no-https img.sif "oras://$REG/acc/sif@sha256:$(printf '%064d' 0)"
    assert_error "neither oras:// nor docker://" "$OCHRE" push img.sif "oci:$TESTTMP/x"
    unset OCHRE_DOCKER_USERNAME OCHRE_DOCKER_PASSWORD
    assert_error "needs a login" "$OCHRE" push --no-https img.sif "oras://$REG/acc/sif:2"
    assert_nothing_left
}
