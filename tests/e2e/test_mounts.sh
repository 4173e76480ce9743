# shellcheck shell=bash
# Commands for the container's shell are single-quoted on purpose:
# shellcheck disable=SC2016
# Mount flags: -B/--bind and --mount (forms, read-only, nesting, missing
# mount points, 'user bind control'), -H/--home and --no-home, -W/--workdir,
# -S/--scratch, --no-mount, and the overlays (-o/--overlay).


# The value of NAME=value lines in $OUT.
_val() {
    printf '%s\n' "$OUT" | sed -n "s/^$1=//p"
}

# ------------------------------------------------------------ binds

test_rt_bind_rw_owned_by_caller() {
    mkdir "$TESTTMP/src"
    echo from-host >"$TESTTMP/src/in"
    assert_status 0 oexec -B "$TESTTMP/src:/mnt/data" "$ROOTFS" /bin/sh -c \
        'cat /mnt/data/in; echo from-container >/mnt/data/out; cat /proc/self/mountinfo'
    assert_eq from-host "$(printf '%s\n' "$OUT" | head -n 1)" "the host file must be visible"
    assert_mounted "$OUT" /mnt/data
    assert_mount_opt "$OUT" /mnt/data rw
    assert_eq from-container "$(cat "$TESTTMP/src/out")" "a file written in the bind must reach the host"
    assert_eq "$(id -u):$(id -g)" "$(stat -c %u:%g "$TESTTMP/src/out")" "the file must belong to the caller on the host"
    [ ! -e "$ROOTFS/mnt/data" ] || fail "the mount point was made in the image"
    assert_nothing_left
}

test_rt_bind_readonly() {
    mkdir "$TESTTMP/src"
    echo from-host >"$TESTTMP/src/in"
    assert_status 0 oexec -B "$TESTTMP/src:/mnt/data:ro" "$ROOTFS" /bin/sh -c \
        'cat /mnt/data/in; touch /mnt/data/out 2>&1; cat /proc/self/mountinfo'
    assert_eq from-host "$(printf '%s\n' "$OUT" | head -n 1)"
    assert_contains "$OUT" "Read-only file system" "a write to a :ro bind must fail with EROFS"
    assert_mount_opt "$OUT" /mnt/data ro
    [ ! -e "$TESTTMP/src/out" ] || fail "a write through a :ro bind reached the host"
    # An explicit :rw is writable.
    assert_status 0 oexec -B "$TESTTMP/src:/mnt/data:rw" "$ROOTFS" /bin/sh -c 'touch /mnt/data/out && echo ok'
    assert_eq ok "$OUT" ":rw must be writable"
    [ -e "$TESTTMP/src/out" ] || fail "a write through a :rw bind did not reach the host"
    assert_nothing_left
}

test_bind_lists_and_repeats() {
    local d
    for d in a b c; do
        mkdir "$TESTTMP/$d"
        echo "$d" >"$TESTTMP/$d/f"
    done
    assert_status 0 oexec -B "$TESTTMP/a:/m/a,$TESTTMP/b:/m/b:ro" --bind "$TESTTMP/c:/m/c" "$ROOTFS" \
        /bin/sh -c 'cat /m/a/f /m/b/f /m/c/f; cat /proc/self/mountinfo'
    assert_eq "a
b
c" "$(printf '%s\n' "$OUT" | head -n 3)" "every bind of the comma list and of each -B"
    assert_mount_opt "$OUT" /m/a rw
    assert_mount_opt "$OUT" /m/b ro
    assert_mount_opt "$OUT" /m/c rw
    assert_nothing_left
}

test_bind_destination_defaults_to_source() {
    mkdir "$TESTTMP/same"
    echo x >"$TESTTMP/same/f"
    assert_status 0 oexec -B "$TESTTMP/same" "$ROOTFS" /bin/sh -c "cat '$TESTTMP/same/f'; cat /proc/self/mountinfo"
    assert_eq x "$(printf '%s\n' "$OUT" | head -n 1)"
    assert_mounted "$OUT" "$TESTTMP/same"
    assert_nothing_left
}

test_mount_flag_bind() {
    mkdir "$TESTTMP/src"
    echo x >"$TESTTMP/src/f"
    assert_status 0 oexec --mount "type=bind,source=$TESTTMP/src,destination=/mnt/m" "$ROOTFS" \
        /bin/sh -c 'cat /mnt/m/f; touch /mnt/m/w && echo wrote; cat /proc/self/mountinfo'
    assert_contains "$OUT" "x
wrote" "--mount without ro: readable and writable"
    assert_mount_opt "$OUT" /mnt/m rw
    [ -e "$TESTTMP/src/w" ] || fail "a write through --mount did not reach the host"
    assert_status 0 oexec --mount "type=bind,source=$TESTTMP/src,destination=/mnt/m,ro" \
        --mount "type=bind,source=$TESTTMP/src,destination=/mnt/n" "$ROOTFS" \
        /bin/sh -c 'touch /mnt/m/v 2>&1; cat /proc/self/mountinfo'
    assert_contains "$OUT" "Read-only file system" "--mount ...,ro must be read-only"
    assert_mount_opt "$OUT" /mnt/m ro
    assert_mounted "$OUT" /mnt/n
    [ ! -e "$TESTTMP/src/v" ] || fail "a write through a read-only --mount reached the host"
    assert_nothing_left
}

test_bind_missing_source() {
    assert_error "$TESTTMP/nonexistent" oexec -B "$TESTTMP/nonexistent:/mnt/x" "$ROOTFS" true
    assert_error "$TESTTMP/nonexistent" oexec --mount "type=bind,source=$TESTTMP/nonexistent,destination=/mnt/x" \
        "$ROOTFS" true
    assert_nothing_left
}

test_bind_relative_destination() {
    mkdir "$TESTTMP/src"
    assert_error "relative/dst" oexec -B "$TESTTMP/src:relative/dst" "$ROOTFS" true
    assert_error "relative/dst" oexec --mount "type=bind,source=$TESTTMP/src,destination=relative/dst" "$ROOTFS" true
    assert_nothing_left
}

test_bind_nested_either_order() {
    mkdir -p "$TESTTMP/a" "$TESTTMP/b"
    echo fa >"$TESTTMP/a/fa"
    echo fb >"$TESTTMP/b/fb"
    # Outer first, then inner; and inner given first.
    assert_status 0 oexec -B "$TESTTMP/a:/mnt/a" -B "$TESTTMP/b:/mnt/a/b" "$ROOTFS" /bin/sh -c 'cat /mnt/a/fa /mnt/a/b/fb'
    assert_eq "fa
fb" "$OUT" "nested binds, outer first"
    assert_status 0 oexec -B "$TESTTMP/b:/mnt/a/b" -B "$TESTTMP/a:/mnt/a" "$ROOTFS" \
        /bin/sh -c 'cat /mnt/a/fa /mnt/a/b/fb; cat /proc/self/mountinfo'
    assert_eq "fa
fb" "$(printf '%s\n' "$OUT" | head -n 2)" "nested binds, inner first"
    assert_mounted "$OUT" /mnt/a
    assert_mounted "$OUT" /mnt/a/b
    assert_nothing_left
}

test_bind_creates_missing_destination() {
    [ ! -e "$ROOTFS/new" ] || skip "the image already has /new"
    mkdir "$TESTTMP/src"
    echo x >"$TESTTMP/src/f"
    echo file >"$TESTTMP/onefile"
    assert_status 0 oexec -B "$TESTTMP/src:/new/deep/dir" -B "$TESTTMP/onefile:/new/file/here" "$ROOTFS" \
        /bin/sh -c 'cat /new/deep/dir/f /new/file/here'
    assert_eq "x
file" "$OUT" "binds on paths the image lacks (a directory and a file)"
    [ ! -e "$ROOTFS/new" ] || fail "the mount points were created in the image"
    assert_nothing_left
}

test_bind_user_bind_control_no() {
    need_config_override
    mkdir "$TESTTMP/src"
    echo 'user bind control = no' >"$TESTTMP/ochre.conf"
    assert_status 0 oexec_conf "$TESTTMP/ochre.conf" -B "$TESTTMP/src:/mnt/ub" \
        --mount "type=bind,source=$TESTTMP/src,destination=/mnt/um" "$ROOTFS" \
        /bin/sh -c '[ ! -e /mnt/ub ] && [ ! -e /mnt/um ] && echo absent; cat /proc/self/mountinfo'
    assert_eq absent "$(printf '%s\n' "$OUT" | head -n 1)" "user binds must be ignored"
    assert_not_mounted "$OUT" /mnt/ub
    assert_not_mounted "$OUT" /mnt/um
    assert_contains "$ERR" "warning" "ignoring the binds must be warned about"
    assert_contains "$ERR" "user bind control" "the warning names the directive"
    assert_nothing_left
}

# ------------------------------------------------------------ home

test_home_flag_src_dst() {
    mkdir "$TESTTMP/h"
    echo mine >"$TESTTMP/h/f"
    assert_status 0 oexec -H "$TESTTMP/h:/home/e2e-me" "$ROOTFS" /bin/sh -c \
        'echo "HOME=$HOME"; echo "PWD=$(pwd)"; echo "F=$(cat "$HOME/f")"; echo new >"$HOME/g"; cat /proc/self/mountinfo'
    assert_eq /home/e2e-me "$(_val HOME)" "-H SRC:DST: HOME=DST"
    assert_eq /home/e2e-me "$(_val PWD)" "the home is the cwd"
    assert_eq mine "$(_val F)" "SRC is bound at DST"
    assert_mounted "$OUT" /home/e2e-me
    [ "$(passwd_home)" = /home/e2e-me ] || assert_not_mounted "$OUT" "$(passwd_home)"
    assert_eq new "$(cat "$TESTTMP/h/g")" "the home is the host's SRC, writable"
    assert_nothing_left
}

test_home_flag_src_only() {
    mkdir "$TESTTMP/h"
    assert_status 0 oexec -H "$TESTTMP/h" "$ROOTFS" /bin/sh -c 'echo "HOME=$HOME"; cat /proc/self/mountinfo'
    assert_eq "$TESTTMP/h" "$(_val HOME)" "-H SRC: HOME=SRC"
    assert_mounted "$OUT" "$TESTTMP/h"
    assert_nothing_left
}

test_no_home() {
    local home
    home=$(passwd_home)
    assert_status 0 oexec --no-home "$ROOTFS" /bin/sh -c 'pwd; cat /proc/self/mountinfo'
    assert_not_mounted "$OUT" "$home"
    assert_eq / "$(printf '%s\n' "$OUT" | head -n 1)" "--no-home: the cwd is / (the image has no WorkingDir)"
    assert_error "--no-home" oexec --no-home -H "$TESTTMP" "$ROOTFS" true
    assert_nothing_left
}

# ------------------------------------------------------------ workdir, scratch

test_workdir_holds_tmp_vartmp_home() {
    local wd=$TESTTMP/wd home
    home=$(passwd_home)
    mkdir "$wd"
    assert_status 0 oexec -W "$wd" "$ROOTFS" /bin/sh -c \
        'echo t >/tmp/t && echo v >/var/tmp/v && echo h >"$HOME/h" && cat /proc/self/mountinfo'
    assert_mounted "$OUT" /tmp
    assert_mounted "$OUT" /var/tmp
    assert_mounted "$OUT" "$home"
    assert_eq t "$(cat "$wd/tmp/t")" "/tmp is WORKDIR/tmp"
    assert_eq v "$(cat "$wd/var_tmp/v")" "/var/tmp is WORKDIR/var_tmp"
    assert_eq h "$(cat "$wd/home/h")" "the compat home is WORKDIR/home"
    # And they persist into the next run with the same workdir.
    assert_status 0 oexec -W "$wd" "$ROOTFS" /bin/sh -c 'cat /tmp/t /var/tmp/v "$HOME/h"'
    assert_eq "t
v
h" "$OUT"
    assert_error "$TESTTMP/missing" oexec -W "$TESTTMP/missing" "$ROOTFS" true
    assert_nothing_left
}

test_scratch_tmpfs() {
    assert_status 0 oexec -S /scratch,/s2 --scratch /s3 "$ROOTFS" /bin/sh -c \
        'for d in /scratch /s2 /s3; do echo "$d:$(ls -A $d | wc -l):$(stat -c %u $d)"; touch $d/w || exit 1; done; cat /proc/self/mountinfo'
    assert_eq "/scratch:0:$(id -u)
/s2:0:$(id -u)
/s3:0:$(id -u)" "$(printf '%s\n' "$OUT" | head -n 3)" "each scratch dir is empty and the caller's"
    assert_mounted "$OUT" /scratch tmpfs
    assert_mounted "$OUT" /s2 tmpfs
    assert_mounted "$OUT" /s3 tmpfs
    # Private to the run.
    assert_status 0 oexec -S /scratch "$ROOTFS" /bin/sh -c 'ls -A /scratch'
    assert_eq "" "$OUT" "a scratch tmpfs must start empty"
    assert_nothing_left
}

test_scratch_in_workdir() {
    local wd=$TESTTMP/wd
    mkdir "$wd"
    assert_status 0 oexec -W "$wd" -S /scratch "$ROOTFS" /bin/sh -c 'echo s >/scratch/f && cat /proc/self/mountinfo'
    assert_mounted "$OUT" /scratch
    [ "$(mount_field "$OUT" /scratch fstype)" != tmpfs ] || fail "-W -S: the scratch dir must be in the workdir, not a tmpfs"
    assert_eq s "$(cat "$wd/scratch/scratch/f")" "-W DIR -S /scratch is DIR/scratch/scratch"
    assert_nothing_left
}

# ------------------------------------------------------------ --no-mount

test_no_mount_proc() {
    assert_status 0 oexec --no-mount proc "$ROOTFS" /bin/sh -c '[ ! -e /proc/self ] && echo none; ls -A /proc | wc -l'
    assert_eq "none
0" "$OUT" "--no-mount proc: no /proc"
    assert_nothing_left
}

test_no_mount_sys() {
    assert_status 0 oexec --no-mount sys "$ROOTFS" cat /proc/self/mountinfo
    assert_not_mounted "$OUT" /sys
    assert_status 0 oexec --no-mount sys "$ROOTFS" /bin/sh -c 'ls -A /sys | wc -l'
    assert_eq 0 "$OUT" "--no-mount sys: /sys is the image's empty dir"
    assert_nothing_left
}

test_no_mount_tmp() {
    assert_status 0 oexec --no-mount tmp "$ROOTFS" cat /proc/self/mountinfo
    assert_not_mounted "$OUT" /tmp
    assert_not_mounted "$OUT" /var/tmp
    assert_nothing_left
}

test_no_mount_home() {
    local home
    home=$(passwd_home)
    assert_status 0 oexec --no-mount home "$ROOTFS" cat /proc/self/mountinfo
    assert_not_mounted "$OUT" "$home"
    assert_nothing_left
}

# --no-compat binds the cwd unless the host's /tmp (which holds $TESTTMP)
# shows it anyway; with /tmp dropped, the cwd is bound on its own, unless
# cwd is dropped too.
test_no_mount_cwd() {
    mkdir "$TESTTMP/cwd"
    echo here >"$TESTTMP/cwd/f"
    cd "$TESTTMP/cwd" || fail "cd"
    assert_status 0 oexec --no-compat --no-mount tmp "$ROOTFS" /bin/sh -c 'cat f; cat /proc/self/mountinfo'
    assert_eq here "$(printf '%s\n' "$OUT" | head -n 1)" "--no-compat binds the cwd"
    assert_mounted "$OUT" "$TESTTMP/cwd"
    assert_status 0 oexec --no-compat --no-mount tmp,cwd "$ROOTFS" /bin/sh -c "pwd; cat /proc/self/mountinfo"
    assert_not_mounted "$OUT" "$TESTTMP/cwd"
    [ "$(printf '%s\n' "$OUT" | head -n 1)" != "$TESTTMP/cwd" ] || fail "--no-mount cwd: the cwd must not be the host's"
    cd "$TESTTMP" || fail "cd"
    assert_nothing_left
}

test_no_mount_refused_names() {
    assert_error "dev" oexec --no-mount dev "$ROOTFS" true
    assert_error "devpts" oexec --no-mount devpts "$ROOTFS" true
    assert_error "bogus" oexec --no-mount proc,bogus "$ROOTFS" true
    assert_nothing_left
}

# ------------------------------------------------------------ overlays

test_overlay_writable_persists() {
    local ov=$TESTTMP/ov
    mkdir "$ov"
    assert_status 0 oexec -o "$ov" "$ROOTFS" /bin/sh -c 'echo kept >/ochre-ov-file && mkdir -p /ov-dir && echo deep >/ov-dir/g'
    assert_status 0 oexec --overlay "$ov" "$ROOTFS" /bin/sh -c 'cat /ochre-ov-file /ov-dir/g'
    assert_eq "kept
deep" "$OUT" "a write to / must persist into the next run with the same overlay"
    if [ ! -d "$ov/upper" ] || [ ! -d "$ov/work" ]; then
        fail "the overlay dir must hold upper/ and work/ (it has: $(find "$ov" -mindepth 1 -maxdepth 1 -printf '%f '))"
    fi
    assert_eq kept "$(cat "$ov/upper/ochre-ov-file")" "the change is in DIR/upper"
    [ ! -e "$ROOTFS/ochre-ov-file" ] || fail "a write reached the image"
    # Without the overlay the change is not there.
    assert_status 0 oexec "$ROOTFS" /bin/sh -c '[ ! -e /ochre-ov-file ] && echo absent'
    assert_eq absent "$OUT"
    assert_nothing_left
}

test_overlay_readonly_stack() {
    mkdir "$TESTTMP/A" "$TESTTMP/B"
    echo from-a >"$TESTTMP/A/same"
    echo from-b >"$TESTTMP/B/same"
    echo only-a >"$TESTTMP/A/only-a"
    echo only-b >"$TESTTMP/B/only-b"
    assert_status 0 oexec -o "$TESTTMP/A:ro" -o "$TESTTMP/B:ro" "$ROOTFS" /bin/sh -c 'cat /same /only-a /only-b'
    assert_eq "from-a
only-a
only-b" "$OUT" "both read-only overlays visible, the first given on top"
    assert_status 0 oexec -o "$TESTTMP/B:ro" -o "$TESTTMP/A:ro" "$ROOTFS" cat /same
    assert_eq from-b "$OUT" "the first given wins"
    # Read-only overlays keep the root writable but ephemeral, and unchanged.
    assert_status 0 oexec -o "$TESTTMP/A:ro" "$ROOTFS" /bin/sh -c 'echo x >/same && cat /same'
    assert_eq x "$OUT"
    assert_eq from-a "$(cat "$TESTTMP/A/same")" "a read-only overlay was written"
    assert_nothing_left
}

test_overlay_missing_dir() {
    assert_error "$TESTTMP/nope" oexec -o "$TESTTMP/nope" "$ROOTFS" true
    assert_error "$TESTTMP/nope" oexec -o "$TESTTMP/nope:ro" "$ROOTFS" true
    assert_nothing_left
}

test_overlay_two_writable() {
    mkdir "$TESTTMP/A" "$TESTTMP/B"
    assert_error "overlay" oexec -o "$TESTTMP/A" -o "$TESTTMP/B" "$ROOTFS" true
    assert_eq "" "$(find "$TESTTMP/A" "$TESTTMP/B" -mindepth 1)" "a refused overlay dir was written to"
    assert_nothing_left
}

test_overlay_not_owned() {
    local dir
    if is_root; then
        dir=$TESTTMP/theirs
        mkdir "$dir"
        chown "$OCHRE_TEST_USER:" "$dir"
    else
        dir=$ROOTFS
        [ "$(stat -c %u "$dir")" != "$(id -u)" ] || skip "$dir is the caller's"
    fi
    assert_error "$dir" oexec -o "$dir" "$ROOTFS" true
    [ ! -e "$dir/upper" ] || fail "a refused overlay dir was written to"
    assert_nothing_left
}
