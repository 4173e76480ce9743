#!/bin/bash
# bench.sh: `make bench`. Measures ochre against the tools it replaces and
# prints a table of medians (min, max) with each figure's ratio to its
# reference; the same table goes to $BENCH_OUT/results.txt.
#
# Import: the Debian minbase OCI layout (scripts/build-bench-images.sh) is
# imported into an empty cache by `ochre pull`, next to `tar -xzf` of the
# same layer blobs and `umoci unpack` of the same layout. The commands are
# alternated round by round so machine noise hits all of them alike.
#
# Environment: OCHRE (the ochre binary), BENCH_IMAGES (dir holding
# minbase-oci), BENCH_OUT (results dir), BENCH_ROUNDS (default 7).
set -euo pipefail

OCHRE=${OCHRE:?set OCHRE to the ochre binary}
IMAGES=${BENCH_IMAGES:?set BENCH_IMAGES}
OUT=${BENCH_OUT:-build/bench}
ROUNDS=${BENCH_ROUNDS:-7}
LAYOUT=$IMAGES/minbase-oci
mkdir -p "$OUT"
work=$(mktemp -d /tmp/ochre-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

now_ns() { date +%s%N; }

# time_cmd NAME CMD...: run once, append the wall time in ms to $work/NAME.
time_cmd() {
    local name=$1 t0 t1
    shift
    t0=$(now_ns)
    "$@" >/dev/null 2>"$work/last.err" || { cat "$work/last.err" >&2; echo "bench: $name failed" >&2; exit 1; }
    t1=$(now_ns)
    echo "$(( (t1 - t0) / 1000 ))" >>"$work/$name.us"
}

# The layer blobs of the layout's manifest, in order.
layer_blobs() {
    python3 - "$LAYOUT" <<'PY'
import json, sys, os
d = sys.argv[1]
idx = json.load(open(os.path.join(d, "index.json")))
m = idx["manifests"][0]["digest"].split(":")
man = json.load(open(os.path.join(d, "blobs", m[0], m[1])))
for l in man["layers"]:
    a, h = l["digest"].split(":")
    print(os.path.join(d, "blobs", a, h))
PY
}
mapfile -t blobs < <(layer_blobs)

import_tar() {
    rm -rf "$work/tar" && mkdir "$work/tar"
    for b in "${blobs[@]}"; do tar -xzf "$b" -C "$work/tar"; done
}
import_umoci() {
    rm -rf "$work/umoci"
    umoci unpack --image "$LAYOUT:latest" "$work/umoci"
}
import_ochre() {
    rm -rf "$work/cache"
    XDG_CACHE_HOME=$work/cache "$OCHRE" pull "oci:$LAYOUT:latest"
}

echo "bench: import of $LAYOUT, $ROUNDS rounds" >&2
for ((i = 0; i < ROUNDS; i++)); do
    time_cmd tar import_tar
    time_cmd umoci import_umoci
    time_cmd ochre_pull import_ochre
done

# stats NAME: "median min max" in ms.
stats() {
    sort -n "$work/$1.us" | awk '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.1f %.1f %.1f\n", m / 1000, v[1] / 1000, v[NR] / 1000 }'
}

{
    printf '%-36s %10s %10s %10s %8s\n' "measure" "median ms" "min ms" "max ms" "ratio"
    read -r ref _ _ < <(stats tar)
    for name in tar umoci ochre_pull; do
        read -r med min max < <(stats "$name")
        label=$name
        case $name in
            tar) label="import: tar -xzf of the layers" ;;
            umoci) label="import: umoci unpack" ;;
            ochre_pull) label="import: ochre pull (verify+extract)" ;;
        esac
        printf '%-36s %10s %10s %10s %7.2fx\n' "$label" "$med" "$min" "$max" \
            "$(awk -v a="$med" -v b="$ref" 'BEGIN { print a / b }')"
    done
    echo "(ratios: to tar -xzf; goal: ochre pull <= 1.2x, and below umoci)"
} | tee "$OUT/results.txt"
