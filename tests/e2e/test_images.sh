# shellcheck shell=bash
# shellcheck disable=SC2016 # '$VAR' in single quotes: expanded in the container
# Images: oci:, oci-archive:, docker-archive: and bare OCI layouts are
# verified, imported once into the cache ($XDG_CACHE_HOME/ochre, per test)
# and launched from there; run/shell honour the image config; `ochre cache`
# lists and cleans; hostile layouts ($OCHRE_HOSTILE/README) are refused or
# contained.  Most cases do not depend on the runtime (default one); only
# the config-to-container ones run with crun and runc ("_rt_").

# The main test image (tags latest, user, numeric, layered).
_busybox() { echo "oci:$IMAGES/busybox-oci:${1:-latest}"; }

# --------------------------------------------------------- the image config

test_rt_run_image_config() {
    need_images
    local img
    img=$(_busybox)
    # Env and WorkingDir apply to exec.
    assert_status 0 oexec "$img" /bin/sh -c 'echo "$OCHRE_IMAGE_VAR $PATH"; pwd'
    assert_eq "from-image /usr/local/bin:/usr/bin:/bin
/srv/work" "$OUT" "image Env or WorkingDir not applied"
    # run: Entrypoint + Cmd, or Entrypoint + the given args (replacing Cmd).
    assert_status 0 "$OCHRE" run --runtime "$OCHRE_RUNTIME" "$img"
    assert_eq "entry default-cmd" "$OUT" "run without args: Entrypoint + Cmd"
    assert_status 0 "$OCHRE" run --runtime "$OCHRE_RUNTIME" "$img" a 'b c'
    assert_eq "entry a b c" "$OUT" "run with args: Entrypoint + args"
    # shell: /bin/sh, reading commands from stdin.
    run "$OCHRE" shell --runtime "$OCHRE_RUNTIME" "$img" <<<'echo "in shell $OCHRE_IMAGE_VAR $(pwd)"; exit 3'
    assert_eq 3 "$STATUS" "shell exit status: $ERR"
    assert_eq "in shell from-image /srv/work" "$OUT" "shell"
    # latest has no User: the container runs as the caller (root or not).
    assert_status 0 oexec "$img" /bin/sh -c 'echo "$(id -u) $(id -g)"'
    assert_eq "$(id -u) $(id -g)" "$OUT" "container identity"
    # The container's exit status is ochre's.
    assert_status 42 oexec "$img" /bin/sh -c 'exit 42'
    assert_nothing_left
}

test_rt_image_user() {
    need_images
    local expect_user expect_numeric
    local warned=false
    if ! setuid_mode || [ "$OCHRE_RUNTIME" = crun ]; then
        # Root, and a user with subordinate ids (a nested mapping: the
        # caller is that user inside), take on the image's User (name or
        # uid:gid).
        expect_user="65534 65534" expect_numeric="1234 5678"
    else
        # runc in setuid mode runs the caller as themselves, with a warning.
        expect_user="$(id -u) $(id -g)" expect_numeric=$expect_user warned=true
    fi
    assert_status 0 oexec "$(_busybox user)" /bin/sh -c 'echo "$(id -u) $(id -g)"'
    assert_eq "$expect_user" "$OUT" "identity for User=nobody"
    assert_status 0 oexec "$(_busybox numeric)" /bin/sh -c 'echo "$(id -u) $(id -g)"'
    assert_eq "$expect_numeric" "$OUT" "identity for User=1234:5678"
    if $warned; then
        assert_contains "$ERR" "is taken in setuid mode only with" "no warning for the image's User"
    elif ! is_root; then
        # What the container writes in a bind stays the caller's.
        mkdir -p "$TESTTMP/w"
        assert_status 0 oexec -B "$TESTTMP/w" "$(_busybox numeric)" touch "$TESTTMP/w/f"
        assert_eq "$(id -u)" "$(stat -c %u "$TESTTMP/w/f")" "a file written as the image's User"
    fi
    # run uses it too (Entrypoint /bin/echo as that user).
    assert_status 0 "$OCHRE" run --runtime "$OCHRE_RUNTIME" "$(_busybox user)" ok
    assert_eq "entry ok" "$OUT"
    assert_nothing_left
}

# ------------------------------------------------------------------ formats

# Each transport and compression imports and runs; each is its own entry.
test_formats() {
    need_images
    local ref n=0
    for ref in "oci:$IMAGES/busybox-oci:latest" \
        "oci-archive:$IMAGES/busybox.oci-archive.tar:latest" \
        "oci-archive:$IMAGES/busybox.oci-archive.tar" \
        "docker-archive:$IMAGES/busybox.docker-archive.tar:busybox:latest" \
        "docker-archive:$IMAGES/busybox.docker-archive.tar" \
        "oci:$IMAGES/busybox-zstd-oci:latest" \
        "oci:$IMAGES/busybox-uncompressed-oci:latest" \
        "$IMAGES/busybox-zstd-oci" \
        "oci:$IMAGES/busybox-uncompressed-oci"; do
            run oexec "$ref" /bin/sh -c 'echo "$OCHRE_IMAGE_VAR"; cat /etc/passwd >/dev/null && echo ok'
        [ "$STATUS" = 0 ] || { _show_run "$ref"; fail "$ref did not run"; }
        assert_eq "from-image
ok" "$OUT" "$ref: image Env or content"
        n=$((n + 1))
    done
    # Every launch after an import is served by a cache entry; the same
    # image in another transport may share one (the key is its manifest or,
    # for docker-archive, config digest), so only bounds are certain.
    local count
    count=$(cache_count)
    if [ "$count" -lt 3 ] || [ "$count" -gt "$n" ]; then
        fail "$count cache entries for $n references"
    fi
    assert_eq "" "$(ls -A "$(cache_root)/tmp")" "tmp/ not empty after imports"
    assert_nothing_left
}

# An index of platforms: the host's is chosen.
test_multiarch_picks_host_platform() {
    need_images
    [ "$(uname -m)" = x86_64 ] || skip "the multiarch image has a real image only for amd64"
    local idx expected
    # The inner index (tag latest) and the digest of its amd64 manifest.
    idx=$(grep -oE 'sha256:[0-9a-f]{64}' "$IMAGES/multiarch-oci/index.json" | head -n 1)
    expected=$(tr '{' '\n' <"$IMAGES/multiarch-oci/blobs/sha256/${idx#sha256:}" |
        awk '/"digest"/ { match($0, /sha256:[0-9a-f]+/); d = substr($0, RSTART, RLENGTH) }
             /"architecture" *: *"amd64"/ { print d }')
    [ -n "$expected" ] || fail "no amd64 manifest in the multiarch index"
    assert_status 0 "$OCHRE" --debug exec "oci:$IMAGES/multiarch-oci:latest" /bin/sh -c 'echo "$OCHRE_IMAGE_VAR"'
    assert_eq from-image "$OUT"
    assert_contains "$ERR" "key $expected" "the amd64 manifest was not chosen"
    assert_eq "$(cache_root)/images/sha256-${expected#sha256:}" "$(cache_entries)" "cache entry"
    assert_nothing_left
}

test_otherarch_refused() {
    need_images
    assert_error "no image for this host's platform" "$OCHRE" exec "oci:$IMAGES/otherarch-oci:latest" true
    assert_contains "$ERR" "linux/arm64/v8" "offered platforms not listed"
    assert_contains "$ERR" "linux/ppc64le" "offered platforms not listed"
    assert_cache_clean
    assert_nothing_left
}

# Layer 2 deletes /etc/motd-old (.wh.) and makes /opaque-dir opaque.
test_layered_whiteouts() {
    need_images
    assert_status 0 oexec "$(_busybox layered)" /bin/sh -c \
        'if [ -e /etc/motd-old ]; then echo motd-old-present; fi; ls -A /opaque-dir'
    assert_eq c "$OUT" "whiteouts not applied"
    local rootfs
    rootfs=$(cache_rootfs)
    assert_eq "" "$(find "$rootfs" -name '.wh.*')" "whiteout files left in the cache entry"
    [ -x "$rootfs/bin/busybox" ] || fail "layer 1 content missing from the cache entry"
    # Cmd is /bin/sh: run without args gives a shell on stdin.
    run "$OCHRE" run "$(_busybox layered)" <<<'echo from-sh'
    assert_eq "0 from-sh" "$STATUS $OUT" "run of the layered image: $ERR"
    assert_nothing_left
}

# ------------------------------------------------- references and the CLI

test_image_ref_errors() {
    need_images
    assert_status 0 "$OCHRE" exec --help
    assert_contains "$OUT" "oci-archive:" "exec --help does not document image references"
    assert_contains "$OUT" "docker-archive:" "exec --help does not document image references"
    assert_error "/nonexistent" "$OCHRE" exec oci:/nonexistent true
    assert_error "/nonexistent" "$OCHRE" exec oci-archive:/nonexistent.tar true
    # A bare layout path works only for a single image; busybox-oci has 4.
    assert_error "holds several images" "$OCHRE" exec "$IMAGES/busybox-oci" true
    assert_error "no image tagged 'nosuchtag'" "$OCHRE" exec "oci:$IMAGES/busybox-oci:nosuchtag" true
    assert_error "" "$OCHRE" exec "docker-archive:$IMAGES/busybox.docker-archive.tar:nosuch:tag" true
    # An archive transport on a directory, and oci: on a file.
    assert_error "" "$OCHRE" exec "oci-archive:$IMAGES/busybox-oci" true
    assert_error "" "$OCHRE" exec "oci:$IMAGES/busybox.oci-archive.tar" true
    # A file without a transport is not guessed at.
    assert_error "oci-archive:" "$OCHRE" exec "$IMAGES/busybox.oci-archive.tar" true
    # Not an OCI layout at all: a directory holding no index.json.
    mkdir "$TESTTMP/empty"
    assert_error "" "$OCHRE" exec "oci:$TESTTMP/empty" true
    assert_cache_clean
    # run and shell refuse what exec refuses.
    assert_error "holds several images" "$OCHRE" run "$IMAGES/busybox-oci"
    assert_error "holds several images" "$OCHRE" shell "$IMAGES/busybox-oci"
    assert_error "shell: unexpected argument" "$OCHRE" shell "$(_busybox)" ls
    assert_nothing_left
}

# ----------------------------------------------------------------- the cache

# The same image twice: imported once, then used as it is.
test_cache_reused() {
    need_images
    local img entry before after
    img=$(_busybox)
    assert_status 0 "$OCHRE" --debug exec "$img" true
    assert_contains "$ERR" "extract layer" "first launch did not import"
    entry=$(cache_entries)
    assert_eq 1 "$(cache_count)" "cache entries after the first launch"
    case ${entry##*/} in sha256-[0-9a-f]*) ;; *) fail "entry name ${entry##*/}" ;; esac
    if [ ! -d "$entry/rootfs" ] || [ ! -f "$entry/image.json" ] || [ ! -e "$entry/last-use" ]; then
        fail "entry lacks rootfs/, image.json or last-use: $(ls -A "$entry")"
    fi
    before=$(stat -c '%i %Y' "$entry" "$entry/rootfs" "$entry/rootfs/bin/busybox")
    assert_status 0 "$OCHRE" --debug exec "$img" /bin/sh -c 'echo "$OCHRE_IMAGE_VAR"'
    assert_eq from-image "$OUT"
    assert_not_contains "$ERR" "extract layer" "second launch imported again"
    after=$(stat -c '%i %Y' "$entry" "$entry/rootfs" "$entry/rootfs/bin/busybox")
    assert_eq "$before" "$after" "the cache entry was rebuilt"
    assert_eq "$entry" "$(cache_entries)" "a second entry appeared"
    # cache list: header, then the entry with its ref and digest.
    local digest
    digest=sha256:${entry##*/sha256-}
    assert_status 0 "$OCHRE" cache list
    assert_eq "" "$ERR" "cache list wrote to stderr"
    [[ $(head -n 1 <<<"$OUT") =~ ^REF\ +DIGEST\ +SIZE\ +LAST\ USE$ ]] ||
        fail "cache list header: $(head -n 1 <<<"$OUT")"
    assert_eq 2 "$(awk 'END { print NR }' <<<"$OUT")" "cache list: one line per entry"
    local line
    line=$(sed -n 2p <<<"$OUT")
    assert_eq "oci:$IMAGES/busybox-oci:latest" "$(awk '{ print $1 }' <<<"$line")" "cache list ref"
    # The digest column may be shortened, but must be a prefix of the digest.
    local shown
    shown=$(awk '{ print $2 }' <<<"$line")
    case $shown in sha256:?????*) ;; *) fail "cache list digest column: $shown" ;; esac
    case $digest in "$shown"*) ;; *) fail "cache list digest $shown is not a prefix of $digest" ;; esac
    assert_nothing_left
}

# A cached launch reads no layer: remove the layer blobs of a copy of the
# layout after its first launch, and launch again.
test_cache_launch_reads_no_layer() {
    need_images
    local copy=$TESTTMP/layout blob n=0
    cp -r "$IMAGES/busybox-oci" "$copy"
    assert_status 0 oexec "oci:$copy:latest" true
    # Layer digests: those listed after "layers" in any manifest.
    for blob in $(grep -l '"layers"' "$copy"/blobs/sha256/* |
        xargs sed 's/.*"layers"//' | grep -oE 'sha256:[0-9a-f]{64}' | sort -u); do
        rm -f "$copy/blobs/sha256/${blob#sha256:}"
        n=$((n + 1))
    done
    [ "$n" -gt 0 ] || fail "found no layer blobs to remove"
    assert_status 0 oexec "oci:$copy:latest" /bin/sh -c 'echo "$OCHRE_IMAGE_VAR"'
    assert_eq from-image "$OUT" "the cached launch needed a layer blob"
    # The layers really are gone: an uncached tag of the copy cannot import,
    # and its failure leaves the good entry alone and nothing else.
    local entry
    entry=$(cache_entries)
    assert_error "" "$OCHRE" exec "oci:$copy:user" true
    assert_eq "$entry" "$(cache_entries)" "a failed import changed images/"
    assert_eq "" "$(ls -A "$(cache_root)/tmp")" "a failed import left a build dir"
    assert_nothing_left
}

test_cache_clean() {
    need_images
    assert_status 0 oexec "$(_busybox latest)" true
    assert_status 0 oexec "$(_busybox layered)" true
    assert_eq 2 "$(cache_count)" "two images, two entries"
    assert_status 0 "$OCHRE" cache list
    assert_eq 3 "$(awk 'END { print NR }' <<<"$OUT")" "cache list: header + 2 entries"
    assert_contains "$OUT" "oci:$IMAGES/busybox-oci:latest"
    assert_contains "$OUT" "oci:$IMAGES/busybox-oci:layered"

    local latest layered hex
    latest=$(sed -n 's/^.*key \(sha256:[0-9a-f]*\).*$/\1/p' < <("$OCHRE" --debug exec "$(_busybox latest)" true 2>&1 >/dev/null))
    [ -n "$latest" ] || fail "no key in --debug output"
    layered=$(cache_entries | grep -v "${latest#sha256:}")
    # Unknown digests and options are errors, and remove nothing.
    assert_error "no cached image matches" "$OCHRE" cache clean sha256:0000000000
    assert_error "" "$OCHRE" cache clean --bogus
    assert_error "" "$OCHRE" cache clean
    assert_eq 2 "$(cache_count)" "a failed clean removed something"
    # By a prefix of the hex digest: only that entry goes.
    hex=${latest#sha256:}
    assert_status 0 "$OCHRE" cache clean "${hex:0:12}"
    assert_eq "$layered" "$(cache_entries)" "clean by prefix removed the wrong entries"
    # The next launch imports it again.
    assert_status 0 "$OCHRE" --debug exec "$(_busybox latest)" true
    assert_contains "$ERR" "extract layer" "a cleaned image was not imported again"
    # By the full digest, "sha256:" form.
    assert_status 0 "$OCHRE" cache clean "$latest"
    assert_eq "$layered" "$(cache_entries)" "clean by digest removed the wrong entries"
    # --all empties images/ and leaves nothing in tmp/.
    assert_status 0 oexec "$(_busybox latest)" true
    assert_status 0 "$OCHRE" cache clean --all
    assert_cache_clean
    assert_status 0 "$OCHRE" cache list
    assert_eq 1 "$(awk 'END { print NR }' <<<"$OUT")" "cache list after clean --all: header only"
    # Cleaning an empty cache is fine; naming an image in it is not.
    assert_status 0 "$OCHRE" cache clean --all
    assert_error "no cached image matches" "$OCHRE" cache clean "${hex:0:12}"
    assert_nothing_left
}

# A killed import leaves a build dir in tmp/ (SIGKILL is hard to time on a
# small image, so make one): the next import removes it.  A failed import
# leaves no entry and no build dir.
test_cache_interrupted_and_failed_import() {
    need_images
    local tmp
    tmp=$(cache_root)/tmp
    mkdir -p "$tmp/build.stale/rootfs/etc" "$(cache_root)/images"
    echo junk >"$tmp/build.stale/rootfs/etc/junk"
    chmod 0500 "$tmp/build.stale/rootfs/etc" # even one without owner w
    assert_status 0 oexec "$(_busybox)" true
    assert_eq "" "$(ls -A "$tmp")" "the interrupted import's build dir was not removed"
    assert_eq 1 "$(cache_count)"

    # A layout whose only layer is corrupt (same size, one byte changed).
    local copy=$TESTTMP/corrupt layer
    cp -r "$IMAGES/busybox-uncompressed-oci" "$copy"
    layer=$(grep -l '"layers"' "$copy"/blobs/sha256/* | xargs sed 's/.*"layers"//' |
        grep -oE 'sha256:[0-9a-f]{64}' | head -n 1)
    [ -n "$layer" ] || fail "no layer in $copy"
    layer=$copy/blobs/sha256/${layer#sha256:}
    chmod u+w "$layer"
    printf 'X' | dd of="$layer" bs=1 seek=$(($(stat -c %s "$layer") / 2)) conv=notrunc status=none
    mkdir "$tmp/build.stale2"
    # (The change is in the data, or in a header: refused either way.)
    assert_error "layer sha256:" "$OCHRE" exec "oci:$copy:latest" true
    assert_eq 1 "$(cache_count)" "the failed import left an entry"
    assert_eq "" "$(ls -A "$tmp")" "the failed import left a build dir"
    assert_nothing_left
}

# Many first launches of one image at once: all succeed, one imports, the
# others wait for it and use its entry.
test_cache_concurrent_first_launches() {
    need_images
    local copy=$TESTTMP/layout i pids=() rc failed=0 importers=0
    # A private copy: its cache entry cannot exist yet.
    cp -r "$IMAGES/busybox-oci" "$copy"
    for i in $(seq 1 20); do
            "$OCHRE" --debug exec "oci:$copy:latest" /bin/sh -c 'echo "$OCHRE_IMAGE_VAR"' \
            >"$TESTTMP/out.$i" 2>"$TESTTMP/err.$i" </dev/null &
        pids+=($!)
        track $!
    done
    for i in $(seq 1 20); do
        rc=0
        wait "${pids[$((i - 1))]}" || rc=$?
        if [ "$rc" != 0 ] || [ "$(cat "$TESTTMP/out.$i")" != from-image ]; then
            echo "launch $i: status $rc, stdout '$(cat "$TESTTMP/out.$i")'" >&2
            grep -v 'debug: ' "$TESTTMP/err.$i" | sed 's/^/  | /' >&2 || true
            failed=$((failed + 1))
        fi
        grep -q "extract layer" "$TESTTMP/err.$i" && importers=$((importers + 1))
    done
    assert_eq 0 "$failed" "concurrent launches failed"
    assert_eq 1 "$importers" "launches that extracted layers"
    assert_eq 1 "$(cache_count)" "cache entries"
    assert_eq "" "$(ls -A "$(cache_root)/tmp")" "build dirs left in tmp/"
    assert_nothing_left
}

# pull imports without running and prints the digest; a launch then finds
# the entry ready.
test_pull() {
    need_images
    local digest
    assert_status 0 "$OCHRE" --debug pull --cache-only "$(_busybox)"
    digest=$(cat "$TESTTMP/run.out")
    [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || fail "pull printed '$digest', not a digest"
    assert_contains "$ERR" "extract layer" "pull did not import"
    assert_eq "$(cache_root)/images/sha256-${digest#sha256:}" "$(cache_entries)" "pull's cache entry"
    # Again: nothing to do, same digest.
    assert_status 0 "$OCHRE" --debug pull --cache-only "$(_busybox)"
    assert_eq "$digest" "$OUT" "second pull"
    assert_not_contains "$ERR" "extract layer" "second pull imported again"
    assert_status 0 "$OCHRE" --debug exec "$(_busybox)" true
    assert_not_contains "$ERR" "extract layer" "launch after pull imported again"
    # Without a terminal, pull prints only the digest.
    assert_status 0 "$OCHRE" pull --cache-only "oci-archive:$IMAGES/busybox.oci-archive.tar"
    [[ $OUT =~ ^sha256:[0-9a-f]{64}$ ]] || fail "pull printed '$OUT', not a digest"
    assert_eq "" "$ERR" "pull wrote to stderr"
    # Errors.
    assert_error "" "$OCHRE" pull
    assert_error "" "$OCHRE" pull --cache-only "$(_busybox)" "$(_busybox layered)"
    # shellcheck disable=SC2153 # ROOTFS comes from lib.sh
    assert_error "root filesystem directory" "$OCHRE" pull --cache-only "$ROOTFS"
    assert_error "holds several images" "$OCHRE" pull --cache-only "$IMAGES/busybox-oci"
    assert_status 0 "$OCHRE" pull --cache-only --help
    assert_contains "$OUT" "Usage: ochre pull"
    assert_nothing_left
}

# Progress goes to a terminal only.
test_import_progress() {
    need_images
    assert_status 0 oexec "$(_busybox)" /bin/sh -c 'echo ok'
    assert_eq ok "$OUT"
    assert_eq "" "$ERR" "an import with stderr not a terminal printed something"
    command -v script >/dev/null || skip "no script(1) to give ochre a terminal"
    local cmd
    # The layered image is not cached yet; script's pty is ochre's stderr.
    cmd=$(printf '%q ' "$OCHRE" exec "$(_busybox layered)" true)
    run script -qec "$cmd" /dev/null
    assert_eq 0 "$STATUS" "script -c ochre: $OUT $ERR"
    assert_contains "$OUT" "Importing" "no progress on a terminal"
    # The second, cached, launch has nothing to import.
    run script -qec "$cmd" /dev/null
    assert_not_contains "$OUT" "Importing" "progress shown for a cached image"
    assert_nothing_left
}

# ------------------------------------------------------- hostile layouts
#
# See $OCHRE_HOSTILE/README.  The images hold no programs, so they are only
# imported (ochre pull), never run.

_hostile_import() {
    need_hostile
    run "$OCHRE" pull --cache-only "oci:$HOSTILE/$1:latest"
}

# The import succeeded: status 0, the digest on stdout, its entry the only
# one, tmp/ empty.  (stderr may hold warnings, e.g. for skipped devices.)
_assert_imported() {
    if [ "$STATUS" != 0 ] || [[ ! $OUT =~ ^sha256:[0-9a-f]{64}$ ]] ||
        [ "$(cache_entries)" != "$(cache_root)/images/sha256-${OUT#sha256:}" ] ||
        [ -n "$(ls -A "$(cache_root)/tmp")" ]; then
        echo "FAIL ($(_where)): import of $1 did not succeed cleanly" >&2
        _show_run "$OCHRE" pull --cache-only "oci:$HOSTILE/$1:latest"
        find "$(cache_root)" -maxdepth 2 | sed 's/^/  cache: /' >&2
        exit 1
    fi
}

# Refused: exit 255, one error line, nothing in the cache.  The contained
# cases may end this way too (preferred).
_assert_refused() {
    local lines needle=${2:-}
    lines=$(awk 'END { print NR }' "$TESTTMP/run.err")
    if [ "$STATUS" != 255 ] || [ "$lines" != 1 ] || [ -n "$OUT" ] || [[ $ERR != "ochre: error: "*"$needle"* ]]; then
        echo "FAIL ($(_where)): $1 was not refused with one error${needle:+ mentioning: $needle}" >&2
        _show_run "$OCHRE" pull --cache-only "oci:$HOSTILE/$1:latest"
        exit 1
    fi
    assert_cache_clean
}

test_hostile_refused() {
    need_hostile
    local spec name needle
    for spec in "bad-layer-digest:does not match its digest" \
        "bad-layer-size:descriptor says" \
        "missing-blob:missing" \
        "truncated-layer:layer sha256:" \
        "unknown-mediatype:unsupported media type" \
        "bad-config-digest:does not match its digest" \
        "hardlink-forward:hardlink" \
        "whiteout-dotdot:names no file" \
        "whiteout-dot:names no file"; do
        name=${spec%%:*} needle=${spec#*:}
        _hostile_import "$name"
        _assert_refused "$name" "$needle"
    done
    assert_nothing_left
}

test_hostile_dotdot() {
    _hostile_import dotdot
    if [ "$STATUS" = 255 ]; then
        _assert_refused dotdot
    else
        _assert_imported dotdot
    fi
    # Relative to the rootfs, .. is the build dir, then tmp/, the cache...
    local found
    found=$(find "$TESTTMP" -name 'escape-dotdot*' -not -path '*/rootfs/*')
    assert_eq "" "$found" "an entry escaped the rootfs"
    found=$(find "$(dirname "$TESTTMP")" /tmp -maxdepth 1 -name 'escape-dotdot*')
    assert_eq "" "$found" "an entry escaped the rootfs"
    assert_nothing_left
}

test_hostile_absolute() {
    need_hostile
    local escape
    escape=$(cat "$HOSTILE/absolute/ESCAPE_NAME")
    [ ! -e "$escape" ] || fail "$escape exists before the import (left over? remove it)"
    remove_at_exit "$escape"
    _hostile_import absolute
    [ ! -e "$escape" ] || fail "absolute entry written on the host: $escape"
    if [ "$STATUS" = 255 ]; then
        _assert_refused absolute
    else
        _assert_imported absolute
        [ -f "$(cache_rootfs)$escape" ] || fail "absolute entry not at ROOTFS$escape"
    fi
    assert_nothing_left
}

_hostile_symlink_parent() {
    need_hostile
    local name=$1 dir
    # A cache of its own: the checks count the entries.
    local -x XDG_CACHE_HOME=$TESTTMP/cache-$name
    dir=$(cat "$HOSTILE/$name/ESCAPE_DIR")
    mkdir "$dir" || fail "cannot create $dir (left over? remove it)"
    remove_at_exit "$dir"
    _hostile_import "$name"
    assert_eq "" "$(ls -A "$dir")" "$name: a file was written through a symlink to $dir"
    if [ "$STATUS" = 255 ]; then
        _assert_refused "$name"
    else
        _assert_imported "$name"
    fi
    rmdir "$dir"
}

test_hostile_symlink_parent() {
    _hostile_symlink_parent symlink-parent
    _hostile_symlink_parent symlink-parent-relative
    _hostile_symlink_parent symlink-parent-2layers
    assert_nothing_left
}

test_hostile_hardlink_outside() {
    need_hostile
    local before after rootfs
    before=$(stat -c '%h %i %s %Y %a %u' /etc/passwd; cksum </etc/passwd)
    _hostile_import hardlink-outside
    after=$(stat -c '%h %i %s %Y %a %u' /etc/passwd; cksum </etc/passwd)
    assert_eq "$before" "$after" "host /etc/passwd changed (links, inode, size, time, mode or content)"
    if [ "$STATUS" = 255 ]; then
        _assert_refused hardlink-outside
    else
        _assert_imported hardlink-outside
        rootfs=$(cache_rootfs)
        assert_eq "$(stat -c %i "$rootfs/etc/passwd") $(stat -c %i "$rootfs/etc/passwd")" \
            "$(stat -c %i "$rootfs/evil") $(stat -c %i "$rootfs/evil2")" \
            "evil/evil2 are not the image's etc/passwd"
        assert_contains "$(cat "$rootfs/evil")" IMAGE-PASSWD
    fi
    assert_nothing_left
}

test_hostile_hardlink_ok() {
    _hostile_import hardlink-ok
    _assert_imported hardlink-ok
    local rootfs
    rootfs=$(cache_rootfs)
    [ -f "$rootfs/data/orig" ] || fail "data/orig missing"
    [ -f "$rootfs/data/link" ] || fail "data/link missing"
    assert_eq "$(stat -c %i "$rootfs/data/orig")" "$(stat -c %i "$rootfs/data/link")" "not one inode"
    assert_nothing_left
}

test_hostile_devices() {
    _hostile_import devices
    _assert_imported devices
    local rootfs
    rootfs=$(cache_rootfs)
    [ -f "$rootfs/run/after-devices" ] || fail "extraction stopped at the device nodes"
    # The README asks for no device node in the cache at all.  As root,
    # ochre creates them (see the report of this test's author); check the
    # unprivileged case, where creating one would need privilege anyway.
    if ! is_root; then
        assert_eq "" "$(find "$rootfs" \( -type b -o -type c \))" "device node in the cache"
    fi
    assert_nothing_left
}

test_hostile_no_owner_rwx() {
    _hostile_import no-owner-rwx
    _assert_imported no-owner-rwx
    local rootfs
    rootfs=$(cache_rootfs)
    # locked/f keeps its mode 0000 (the dirs get owner rwx): read it after
    # giving it back owner r, as its owner may.
    assert_eq 14 "$(stat -c %s "$rootfs/locked/f")" "locked/f size"
    chmod u+r "$rootfs/locked/f"
    assert_eq "in a 0000 dir" "$(cat "$rootfs/locked/f")" "locked/f content"
    assert_eq "in a 0555 dir" "$(cat "$rootfs/ro/g")" "ro/g content"
    chmod u-r "$rootfs/locked/f"
    # Its owner can remove it.
    assert_status 0 "$OCHRE" cache clean --all
    assert_cache_clean
    assert_nothing_left
}

test_hostile_whiteouts() {
    _hostile_import whiteouts
    _assert_imported whiteouts
    local rootfs p
    rootfs=$(cache_rootfs)
    for p in keep dir/y opq/new; do
        [ -e "$rootfs/$p" ] || fail "$p missing"
    done
    for p in gone dir/x opq/old1 opq/sub; do
        [ ! -e "$rootfs/$p" ] || fail "$p not whited out"
    done
    assert_eq "" "$(find "$rootfs" -name '.wh.*')" "whiteout names in the rootfs"
    assert_nothing_left
}

# The opaque marker comes after the layer's own writes into a subdirectory:
# the lower layer's files there are hidden all the same.
test_hostile_opaque_subdir() {
    _hostile_import opaque-subdir
    _assert_imported opaque-subdir
    local rootfs
    rootfs=$(cache_rootfs)
    [ -e "$rootfs/opq/sub/new" ] || fail "opq/sub/new (this layer's) missing"
    for p in opq/old1 opq/sub/old2; do
        [ ! -e "$rootfs/$p" ] || fail "$p of the lower layer survived the opaque marker"
    done
    assert_nothing_left
}

test_hostile_sha512() {
    _hostile_import sha512-ok
    _assert_imported sha512-ok
    [ -f "$(cache_rootfs)/etc/hello" ] || fail "etc/hello missing"
    assert_nothing_left
}
