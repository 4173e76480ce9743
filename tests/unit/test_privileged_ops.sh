#!/bin/bash
# Keeps SECURITY.md's "Privileged operations by mode" table true: every
# privileged operation starter/*.c calls, and every enum starter_mode
# value, must be named there (in backquotes), and every mode named there
# must exist. Run from the source tree's root (tests/run.sh does);
# prints "ok - ..." / "not ok - ..." lines like the C unit tests.
set -u
src=${OCHRE_SOURCE_DIR:-.}
failures=0

check() { # check COND-STATUS NAME
    if [ "$1" -eq 0 ]; then echo "ok - $2"; else echo "not ok - $2"; failures=$((failures + 1)); fi
}

if [ ! -f "$src/starter/main.c" ] || [ ! -f "$src/SECURITY.md" ]; then
    echo "not ok - source tree (starter/, SECURITY.md) found in $src"
    exit 1
fi

# The table's section, up to the next heading.
table=$(awk '/^### Privileged operations by mode/ { on = 1; next } on && /^#/ { exit } on' "$src/SECURITY.md")
check "$([ -n "$table" ]; echo $?)" "SECURITY.md has a 'Privileged operations by mode' section"

# The starter's code without its comments.
code=$(cat "$src"/starter/*.c "$src"/starter/*.h | perl -0777 -pe 's{/\*.*?\*/}{}gs; s{//[^\n]*}{}g')

calls='mount|umount2?|fsopen|fsconfig|fsmount|fspick|move_mount|open_tree|mount_setattr|pivot_root|chroot'
calls+='|unshare|setns|clone3?|f?chown|lchown|fchownat|set(res|re|e|fs)?[ug]id|setgroups|capset|cap_set_proc'
calls+='|execve|execveat|execv|execvp|execl|mknod|mknodat'
ops=$({
    grep -oE "\b($calls)[[:space:]]*\(" <<<"$code" | grep -oE '^[a-z_0-9]+'
    grep -oE 'SYS_[a-z_0-9]+' <<<"$code" | sed 's/^SYS_//' | grep -xE "$calls"
    grep -oE 'CLONE_NEW[A-Z]+|PR_CAP_AMBIENT' <<<"$code"
    grep -oE '"(uid_map|gid_map|setgroups)"' <<<"$code" | tr -d '"'
} | sort -u)
check "$([ -n "$ops" ]; echo $?)" "privileged operations found in starter/"
for op in $ops; do
    grep -qF "\`$op\`" <<<"$table"
    check $? "SECURITY.md's table names $op"
done

modes=$(perl -0777 -ne 'print "$1\n" while /enum starter_mode \{(.*?)\};/gs' <<<"$code" | grep -oE '\bSTARTER_[A-Z_]+' | sort -u)
check "$([ -n "$modes" ]; echo $?)" "enum starter_mode found in starter/"
for mode in $modes; do
    grep -qF "\`$mode\`" <<<"$table"
    check $? "SECURITY.md's table has a row for $mode"
done
for named in $(grep -oE '`STARTER_[A-Z_]+`' <<<"$table" | tr -d '`' | sort -u); do
    grep -qx "$named" <<<"$modes"
    check $? "SECURITY.md's mode $named exists in the code"
done
[ "$failures" -eq 0 ]
