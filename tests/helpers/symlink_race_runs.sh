# shellcheck shell=bash
# symlink_race_runs.sh STARTER DIR: run STARTER 210 times on the requests
# DIR/req.0, req.1 and req.2 in turn, and print one line per run: "SHAPE
# STATUS STDOUT | STDERR" (newlines as spaces). For test_attack_symlink_race
# (tests/e2e/test_attacks_paths.sh), run as the test user while
# symlink_race_flip.py swaps the requests' paths. Test code only.
starter=$1 t=$2
i=0
while [ $i -lt 210 ]; do
    n=$((i % 3))
    "$starter" 3<"$t/req.$n" >"$t/out" 2>"$t/err"
    rc=$?
    printf '%s %s %s | %s\n' "$n" "$rc" "$(tr '\n' ' ' <"$t/out")" "$(tr '\n' ' ' <"$t/err")"
    i=$((i + 1))
done
