#!/bin/sh
# build-demo-rootfs.sh OUTDIR
#
# Assemble a minimal root filesystem from Debian's busybox-static, for the
# end-to-end tests and demos: OUTDIR/bin/busybox plus one symlink per applet,
# the usual empty mount points, and /etc/passwd + /etc/group with root and
# nobody.  No network, no image format: just a directory ochre can run.
#
# The tree is built in OUTDIR.tmp and renamed into place at the end, so an
# interrupted build never leaves a half-made OUTDIR that a later run would
# mistake for a finished one.  Idempotent: if OUTDIR exists, do nothing.
set -eu

BUSYBOX=${BUSYBOX:-/bin/busybox}

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
# Strip trailing slashes so "OUTDIR.tmp" is a sibling, not a child.
out=$(printf '%s' "$1" | sed 's:/*$::')
[ -n "$out" ] || { echo "$0: refusing to build into /" >&2; exit 2; }

if [ -e "$out" ]; then
    exit 0
fi

if [ ! -x "$BUSYBOX" ]; then
    echo "$0: $BUSYBOX not found (install busybox-static)" >&2
    exit 1
fi
# The rootfs has no shared libraries, so a dynamically linked busybox would
# not run in it.  "file" may be absent; ldd fails on a static binary.
if ldd "$BUSYBOX" >/dev/null 2>&1; then
    echo "$0: $BUSYBOX is dynamically linked; need busybox-static" >&2
    exit 1
fi

tmp="$out.tmp"
# A leftover from an interrupted run: start over.
rm -rf "$tmp"
# Remove the partial tree if we fail or are interrupted.
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

mkdir -p "$tmp"
# Work in a subshell so the final mv runs from the original directory.
(
cd "$tmp"

mkdir -p bin proc sys dev tmp etc root home var/tmp
cp "$BUSYBOX" bin/busybox
chmod 0755 bin/busybox

# One relative symlink per applet, so the tree works wherever it is mounted.
for applet in $("$BUSYBOX" --list); do
    case $applet in
        busybox|*/*|'') continue ;;
    esac
    ln -s busybox "bin/$applet"
done

cat > etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > etc/group <<'EOF'
root:x:0:
nogroup:x:65534:
EOF

# tmp dirs are sticky and world-writable as on any Unix system (the overlay
# upper makes them writable in the container; the image itself stays intact).
chmod 1777 tmp var/tmp
# The image must be usable by any user (the e2e tests run as an unprivileged
# user too), whatever the umask of whoever built it.
chmod -R a+rX .
)

# -T: if OUTDIR appeared meanwhile (a concurrent build won), fail rather than
# moving our tree inside it; theirs is as good as ours.
if ! mv -T "$tmp" "$out" 2>/dev/null; then
    [ -d "$out" ] || { echo "$0: cannot rename $tmp to $out" >&2; exit 1; }
fi
trap - EXIT
