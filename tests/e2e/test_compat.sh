# shellcheck shell=bash
# Commands for the container's shell are single-quoted on purpose:
# shellcheck disable=SC2016
# The container by default (SingularityCE's OCI-mode "compat" semantics):
# /proc, /sys, /dev, private /tmp and /var/tmp, a tmpfs home, the caller's
# /etc/passwd and /etc/group entries, /etc/resolv.conf and /etc/hosts from
# the host (--dns, --hostname), umask 0022; and --no-compat, SingularityCE's
# native mode: host $HOME, /tmp, /var/tmp, the current directory and the
# admin's 'bind path's bound, the host environment, a read-only root, the
# caller's umask.  (The host environment not crossing by default and the
# ephemeral root are in test_env.sh and test_exec.sh.)

# The value of NAME in `env` output in $OUT (empty if unset).
_env_of() {
    printf '%s\n' "$OUT" | sed -n "s/^$1=//p"
}


# The caller's passwd entry on the host, field N (1-based).
_pw_field() { getent passwd "$(id -u)" | cut -d: -f"$1"; }

# ------------------------------------------------------------ compat mounts

test_compat_proc_mounted() {
    assert_status 0 oexec "$ROOTFS" cat /proc/self/mountinfo
    assert_mounted "$OUT" /proc proc
    # It is the container's own pid namespace: pid 1 is the command.
    assert_status 0 oexec "$ROOTFS" cat /proc/1/cmdline
    assert_eq "cat/proc/1/cmdline" "$(printf '%s' "$OUT" | tr -d '\0')" "/proc/1 is not the container's first process"
    assert_nothing_left
}

test_compat_sys_readonly() {
    # As root a sysfs of its own; rootless (no network namespace of its
    # own to own a new sysfs) a read-only bind of the host's. Both are a
    # sysfs, read-only, in mountinfo.
    assert_status 0 oexec "$ROOTFS" cat /proc/self/mountinfo
    assert_mounted "$OUT" /sys sysfs
    assert_mount_opt "$OUT" /sys ro
    assert_status 0 oexec "$ROOTFS" /bin/sh -c 'ls /sys/kernel >/dev/null && echo readable; mkdir /sys/ochre-x 2>&1; echo done'
    assert_contains "$OUT" readable "/sys must be readable"
    assert_contains "$OUT" "Read-only file system" "a write to /sys must fail with EROFS"
    assert_nothing_left
}

test_compat_dev_fresh_tmpfs() {
    assert_status 0 oexec "$ROOTFS" cat /proc/self/mountinfo
    assert_mounted "$OUT" /dev tmpfs
    assert_mounted "$OUT" /dev/pts devpts
    assert_mounted "$OUT" /dev/shm tmpfs
    assert_mounted "$OUT" /dev/mqueue mqueue
    # The standard devices, as character devices; no other device nodes
    # directly in /dev (symlinks such as /dev/stdin aside).
    local d
    for d in null zero full random urandom tty; do
        assert_status 0 oexec "$ROOTFS" test -c "/dev/$d"
    done
    assert_status 0 oexec "$ROOTFS" /bin/sh -c \
        'for f in /dev/*; do if [ ! -L "$f" ] && { [ -c "$f" ] || [ -b "$f" ]; }; then echo "${f#/dev/}"; fi; done'
    local extra
    extra=$(printf '%s\n' "$OUT" | grep -vxE 'null|zero|full|random|urandom|tty|ptmx' || true)
    assert_eq "" "$extra" "device nodes in /dev besides the standard ones"
    assert_nothing_left
}

test_compat_private_tmp_hides_host() {
    local name=ochre-e2e-compat-$$
    echo host >"/tmp/$name"
    echo host >"/var/tmp/$name"
    remove_at_exit "/tmp/$name" "/var/tmp/$name"
    assert_status 0 oexec "$ROOTFS" cat /proc/self/mountinfo
    assert_mounted "$OUT" /tmp tmpfs
    assert_mounted "$OUT" /var/tmp tmpfs
    assert_status 0 oexec "$ROOTFS" /bin/sh -c "ls -A /tmp /var/tmp; [ ! -e /tmp/$name ] && [ ! -e /var/tmp/$name ] && echo hidden"
    assert_not_contains "$OUT" "$name" "a host file in /tmp or /var/tmp is visible"
    assert_contains "$OUT" hidden
    assert_nothing_left
}

test_compat_home_tmpfs() {
    local home
    home=$(passwd_home)
    if [ -z "$home" ] || [ "$home" = / ]; then skip "the caller has no home directory in passwd"; fi
    assert_status 0 oexec "$ROOTFS" /bin/sh -c \
        'echo "HOME=$HOME"; echo "PWD=$(pwd)"; echo "STAT=$(stat -c "%u:%g %a" "$HOME")"; cat /proc/self/mountinfo'
    assert_eq "$home" "$(_env_of HOME)" "HOME must be the caller's passwd home"
    assert_eq "$home" "$(_env_of PWD)" "the home is the cwd when the image has no WorkingDir"
    assert_eq "$(id -u):$(id -g) 700" "$(_env_of STAT)" "the home must be the caller's, mode 0700"
    assert_mounted "$OUT" "$home" tmpfs
    # It is private: nothing of the host's home shows.
    assert_status 0 oexec "$ROOTFS" /bin/sh -c 'ls -A "$HOME"'
    assert_eq "" "$OUT" "the tmpfs home must start empty"
    assert_nothing_left
}

test_compat_image_workdir_wins_over_home() {
    need_images
    local img="oci:$IMAGES/busybox-oci:latest" home
    home=$(passwd_home)
    assert_status 0 oexec "$img" /bin/sh -c 'pwd; cat /proc/self/mountinfo'
    assert_eq /srv/work "$(printf '%s\n' "$OUT" | head -n 1)" "the image's WorkingDir must be the cwd"
    assert_mounted "$OUT" "$home" tmpfs
    assert_nothing_left
}

test_compat_pwd_wins() {
    assert_status 0 oexec --pwd /etc "$ROOTFS" pwd
    assert_eq /etc "$OUT" "--pwd over the home"
    need_images
    assert_status 0 oexec --pwd /etc "oci:$IMAGES/busybox-oci:latest" pwd
    assert_eq /etc "$OUT" "--pwd over the image's WorkingDir"
    assert_nothing_left
}

# ------------------------------------------------------------ /etc files

test_compat_etc_passwd() {
    if is_root; then
        # Root uses the image's files unchanged, not bound over.
        assert_status 0 oexec "$ROOTFS" cat /etc/passwd
        assert_eq "$(cat "$ROOTFS/etc/passwd")" "$OUT" "root must see the image's /etc/passwd"
        assert_status 0 oexec "$ROOTFS" cat /proc/self/mountinfo
        assert_not_mounted "$OUT" /etc/passwd
        assert_nothing_left
        return
    fi
    local name uid gid gecos home shell
    IFS=: read -r name _ uid gid gecos home shell < <(getent passwd "$(id -u)")
    # The host's shell where the image has it, else /bin/sh.
    if [ ! -e "$ROOTFS$shell" ] && [ ! -L "$ROOTFS$shell" ]; then shell=/bin/sh; fi
    assert_status 0 oexec "$ROOTFS" cat /etc/passwd
    assert_contains "$OUT" "$name:x:$uid:$gid:$gecos:$home:$shell" "the caller's passwd line"
    assert_eq 1 "$(printf '%s\n' "$OUT" | grep -c "^$name:")" "exactly one line for the caller"
    # The image's other users stay.
    assert_contains "$OUT" "$(grep '^root:' "$ROOTFS/etc/passwd")" "the image's root line"
    assert_status 0 oexec "$ROOTFS" cat /proc/self/mountinfo
    assert_mounted "$OUT" /etc/passwd
    # The image is not changed.
    assert_not_contains "$(cat "$ROOTFS/etc/passwd")" "$name:x:$uid:" "the image's passwd was written"
    assert_nothing_left
}

test_compat_etc_group() {
    if is_root; then
        assert_status 0 oexec "$ROOTFS" cat /etc/group
        assert_eq "$(cat "$ROOTFS/etc/group")" "$OUT" "root must see the image's /etc/group"
        assert_status 0 oexec "$ROOTFS" cat /proc/self/mountinfo
        assert_not_mounted "$OUT" /etc/group
        assert_nothing_left
        return
    fi
    local me gid gname line members
    me=$(id -un)
    assert_status 0 oexec "$ROOTFS" cat /etc/group
    local groupfile=$OUT
    for gid in $(id -G); do
        gname=$(getent group "$gid" | cut -d: -f1)
        line=$(printf '%s\n' "$groupfile" | awk -F: -v g="$gid" '$3 == g')
        [ -n "$line" ] || fail "no /etc/group line for the caller's group $gid ($gname)"
        assert_eq 1 "$(printf '%s\n' "$line" | wc -l)" "one line for group $gid"
        [ -z "$gname" ] || assert_eq "$gname" "${line%%:*}" "group $gid has the host's name"
        members=$(printf '%s' "$line" | cut -d: -f4)
        case ,$members, in
            *,"$me",*) ;;
            *) fail "group $gid ($line) does not list the caller $me as a member" ;;
        esac
    done
    assert_status 0 oexec "$ROOTFS" cat /proc/self/mountinfo
    assert_mounted "$OUT" /etc/group
    assert_nothing_left
}

test_compat_resolv_conf_from_host() {
    local host
    host=$(grep '^nameserver' /etc/resolv.conf 2>/dev/null || true)
    [ -n "$host" ] || skip "the host's /etc/resolv.conf has no nameserver"
    assert_status 0 oexec "$ROOTFS" cat /etc/resolv.conf
    assert_eq "$host" "$(printf '%s\n' "$OUT" | grep '^nameserver')" "the host's nameservers"
    assert_nothing_left
}

test_compat_dns_flag() {
    assert_status 0 oexec --dns 1.2.3.4,2001:db8::1 "$ROOTFS" cat /etc/resolv.conf
    assert_eq "nameserver 1.2.3.4
nameserver 2001:db8::1" "$(printf '%s\n' "$OUT" | grep '^nameserver')" \
        "--dns must give exactly its nameservers, and none of the host's"
    assert_error "1.2.3.999" oexec --dns 1.2.3.999 "$ROOTFS" true
    assert_error "not-an-ip" oexec --dns 1.2.3.4,not-an-ip "$ROOTFS" true
    assert_nothing_left
}

test_compat_etc_hosts() {
    [ -r /etc/hosts ] || skip "the host has no /etc/hosts"
    assert_status 0 oexec "$ROOTFS" cat /etc/hosts
    assert_eq "$(cat /etc/hosts)" "$OUT" "/etc/hosts must be the host's"
    assert_status 0 oexec --hostname node-e2e-7 "$ROOTFS" cat /etc/hosts
    assert_contains "$OUT" "$(cat /etc/hosts)" "--hostname keeps the host's lines"
    assert_eq "127.0.1.1 node-e2e-7" "$(printf '%s\n' "$OUT" | awk '$1 == "127.0.1.1" { print $1, $2 }')" \
        "--hostname adds '127.0.1.1 NAME'"
    assert_nothing_left
}

test_compat_umask_0022() {
    umask 0077
    assert_status 0 oexec "$ROOTFS" /bin/sh -c 'umask; touch /tmp/f; stat -c %a /tmp/f'
    assert_eq "0022
644" "$OUT" "the container's umask must be 0022 whatever the caller's"
    assert_nothing_left
}

# ------------------------------------------------------------ --no-compat

test_nocompat_binds_home() {
    local home name
    home=$(passwd_home)
    if [ -z "$home" ] || [ "$home" = / ] || [ ! -d "$home" ]; then
        skip "the caller's passwd home '$home' does not exist"
    fi
    [ -w "$home" ] || skip "the caller's home $home is not writable"
    name=.ochre-e2e-nocompat-$$
    remove_at_exit "$home/$name"
    assert_status 0 oexec --no-compat "$ROOTFS" /bin/sh -c \
        "echo \"HOME=\$HOME\"; echo written >\"\$HOME/$name\"; cat /proc/self/mountinfo"
    assert_eq "$home" "$(_env_of HOME)"
    assert_mounted "$OUT" "$home"
    [ "$(mount_field "$OUT" "$home" fstype)" != tmpfs ] || fail "--no-compat: the home must be the host's, not a tmpfs"
    [ -f "$home/$name" ] || fail "a file written to \$HOME in the container is not in $home on the host"
    assert_eq written "$(cat "$home/$name")"
    assert_eq "$(id -u)" "$(stat -c %u "$home/$name")" "the file must belong to the caller"
    assert_nothing_left
}

test_nocompat_binds_tmp() {
    local name=ochre-e2e-nocompat-$$
    echo host-tmp >"/tmp/$name"
    echo host-vartmp >"/var/tmp/$name"
    remove_at_exit "/tmp/$name" "/var/tmp/$name" "/tmp/$name.back"
    assert_status 0 oexec --no-compat "$ROOTFS" /bin/sh -c \
        "cat /tmp/$name /var/tmp/$name; echo back >/tmp/$name.back"
    assert_eq "host-tmp
host-vartmp" "$OUT" "host files in /tmp and /var/tmp must be visible"
    assert_eq back "$(cat "/tmp/$name.back")" "a file written to /tmp must reach the host's /tmp"
    assert_nothing_left
}

test_nocompat_cwd_is_host_cwd() {
    mkdir "$TESTTMP/work dir"
    echo here >"$TESTTMP/work dir/f"
    cd "$TESTTMP/work dir" || fail "cd"
    assert_status 0 oexec --no-compat "$ROOTFS" /bin/sh -c 'pwd; cat f'
    assert_eq "$TESTTMP/work dir
here" "$OUT" "the cwd must be the host's"
    cd "$TESTTMP" || fail "cd"
    assert_nothing_left
}

# A cwd outside /tmp and the home is bound on its own.  (Only root can make
# a directory in /.)
test_nocompat_cwd_outside_tmp_rootonly() {
    local dir=/ochre-e2e-cwd-$$
    mkdir "$dir"
    remove_at_exit "$dir"
    echo here >"$dir/f"
    cd "$dir" || fail "cd"
    assert_status 0 oexec --no-compat "$ROOTFS" /bin/sh -c 'pwd; cat f; echo back >g; cat /proc/self/mountinfo'
    assert_eq "$dir" "$(printf '%s\n' "$OUT" | sed -n 1p)" "the cwd must be the host's"
    assert_eq here "$(printf '%s\n' "$OUT" | sed -n 2p)"
    assert_mounted "$OUT" "$dir"
    assert_eq back "$(cat "$dir/g")" "the cwd is the host's directory, writable"
    cd "$TESTTMP" || fail "cd"
    [ ! -e "$ROOTFS$dir" ] || fail "the mount point was made in the image"
    assert_nothing_left
}

test_nocompat_system_cwd_not_bound() {
    local home
    home=$(passwd_home)
    cd /usr || fail "cd"
    assert_status 0 oexec --no-compat "$ROOTFS" /bin/sh -c 'pwd; cat /proc/self/mountinfo'
    cd "$TESTTMP" || fail "cd"
    assert_not_mounted "$OUT" /usr
    local cwd
    cwd=$(printf '%s\n' "$OUT" | head -n 1)
    [ "$cwd" != /usr ] || fail "--no-compat from /usr: the cwd must not be /usr"
    [ ! -d "$home" ] || assert_eq "$home" "$cwd" "the cwd falls back to the home"
    assert_nothing_left
}

test_nocompat_passes_host_env() {
    need_images
    export OCHRE_E2E_HOSTVAR=from-host
    PATH=/ochre-e2e-host-only:$PATH assert_status 0 oexec --no-compat "oci:$IMAGES/busybox-oci:latest" env
    assert_eq from-host "$(_env_of OCHRE_E2E_HOSTVAR)" "--no-compat must pass the host environment"
    assert_eq /usr/local/bin:/usr/bin:/bin "$(_env_of PATH)" "PATH must be the image's"
    assert_status 0 oexec "oci:$IMAGES/busybox-oci:latest" env
    assert_eq "" "$(_env_of OCHRE_E2E_HOSTVAR)" "without --no-compat the host variable must not pass"
    assert_nothing_left
}

test_nocompat_readonly_root() {
    assert_status 0 oexec --no-compat "$ROOTFS" /bin/sh -c 'touch /ochre-x 2>&1; cat /proc/self/mountinfo'
    assert_contains "$OUT" "Read-only file system" "--no-compat: writing to / must fail with EROFS"
    assert_mount_opt "$OUT" / ro
    [ ! -e "$ROOTFS/ochre-x" ] || fail "a write reached the image"
    assert_nothing_left
}

test_nocompat_writable_tmpfs() {
    assert_status 0 oexec --no-compat --writable-tmpfs "$ROOTFS" /bin/sh -c 'echo data >/ochre-x && cat /ochre-x'
    assert_eq data "$OUT" "--writable-tmpfs: / must be writable"
    assert_status 0 oexec --no-compat --writable-tmpfs "$ROOTFS" /bin/sh -c '[ ! -e /ochre-x ] && echo gone'
    assert_eq gone "$OUT" "--writable-tmpfs: the changes must vanish"
    [ ! -e "$ROOTFS/ochre-x" ] || fail "a write reached the image"
    assert_nothing_left
}

test_nocompat_keeps_umask() {
    umask 0077
    assert_status 0 oexec --no-compat "$ROOTFS" /bin/sh -c umask
    assert_eq 0077 "$OUT" "--no-compat must keep the caller's umask"
    assert_status 0 oexec --no-compat --no-umask "$ROOTFS" /bin/sh -c umask
    assert_eq 0022 "$OUT" "--no-umask: umask 0022"
    assert_nothing_left
}

test_nocompat_admin_bind_paths() {
    need_config_override
    mkdir "$TESTTMP/admin" "$TESTTMP/admin-same"
    echo admin >"$TESTTMP/admin/f"
    echo same >"$TESTTMP/admin-same/f"
    printf 'bind path = %s:/ochre-admin\nbind path = %s\n' "$TESTTMP/admin" "$TESTTMP/admin-same" \
        >"$TESTTMP/ochre.conf"
    assert_status 0 oexec_conf "$TESTTMP/ochre.conf" --no-compat "$ROOTFS" \
        /bin/sh -c "cat /ochre-admin/f; cat /proc/self/mountinfo"
    assert_eq admin "$(printf '%s\n' "$OUT" | head -n 1)" "'bind path = SRC:DST' with --no-compat"
    assert_mounted "$OUT" /ochre-admin
    assert_mounted "$OUT" "$TESTTMP/admin-same"
    # Not in compat mode ...
    assert_status 0 oexec_conf "$TESTTMP/ochre.conf" "$ROOTFS" \
        /bin/sh -c '[ ! -e /ochre-admin ] && echo absent; cat /proc/self/mountinfo'
    assert_eq absent "$(printf '%s\n' "$OUT" | head -n 1)" "'bind path' must not apply without --no-compat"
    assert_not_mounted "$OUT" /ochre-admin
    assert_not_mounted "$OUT" "$TESTTMP/admin-same"
    # ... nor with --no-mount bind-paths.
    assert_status 0 oexec_conf "$TESTTMP/ochre.conf" --no-compat --no-mount bind-paths "$ROOTFS" \
        /bin/sh -c '[ ! -e /ochre-admin ] && echo absent; cat /proc/self/mountinfo'
    assert_eq absent "$(printf '%s\n' "$OUT" | head -n 1)" "--no-mount bind-paths"
    assert_not_mounted "$OUT" /ochre-admin
    assert_not_mounted "$OUT" "$TESTTMP/admin-same"
    assert_nothing_left
}

# ------------------------------------------------------------ help

test_compat_help_lists_flags() {
    assert_status 0 "$OCHRE" exec --help
    local opt
    for opt in --bind --mount --home --no-home --pwd --workdir --scratch --no-mount --writable-tmpfs \
        --overlay --dns --no-compat --no-umask --hostname --net --network --no-pid --fakeroot \
        --no-setgroups --add-caps --drop-caps --keep-privs --no-privs --security; do
        printf '%s\n' "$OUT" | grep -qE -- "(^|[ ,])$opt([ =,]|\$)" || fail "ochre exec --help does not mention $opt"
    done
    assert_nothing_left
}
