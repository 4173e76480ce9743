#!/bin/bash
# check-layering.sh: the include rules of README.md's "Code layout", checked.
# Every `#include "..."` in driver/, starter/ and common/ is resolved to the
# folder it names, and that folder must be one the including folder may
# use. Prints each violation and exits 1 if there is any.
set -euo pipefail
cd "$(dirname "$0")/.."

# FOLDER: the folders its files may include (itself always).
declare -A may=(
    [common]=""
    [starter]="common"
    [driver/util]="common"
    [driver/image]="common driver/util"
    [driver/devices]="common driver/util"
    [driver/launch]="common driver/util driver/image"
    [driver/container]="common driver/util driver/image driver/launch driver/devices"
    [driver/oci]="common driver/util driver/image driver/launch"
    [driver/cli]="common driver/util driver/image driver/launch driver/container driver/devices driver/oci"
    [driver/import/unpack]="common driver/util driver/image"
    [driver/import/registry]="common driver/util driver/image driver/import/unpack"
    [driver/import/sif]="common driver/util driver/image driver/import/unpack"
    [driver/import]="common driver/util driver/image driver/import/unpack driver/import/registry driver/import/sif"
)

bad=0
while IFS= read -r file; do
    dir=$(dirname "$file")
    if [ -z "${may[$dir]+set}" ]; then
        echo "layering: $file is in $dir, a folder README.md's Code layout does not name"
        bad=1
        continue
    fi
    while IFS= read -r inc; do
        target=$(realpath -m --relative-to=. "$dir/$inc")
        tdir=$(dirname "$target")
        [ "$tdir" = "$dir" ] && continue
        case " ${may[$dir]} " in *" $tdir "*) continue ;; esac
        echo "layering: $file includes $inc ($tdir), which $dir may not use"
        bad=1
    done < <(sed -n 's/^#include "\(.*\)"/\1/p' "$file")
done < <(find common starter driver -name '*.[ch]' | sort)
[ "$bad" = 0 ] && echo "lint: layering: includes follow README.md's Code layout"
exit "$bad"
