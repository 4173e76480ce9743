# shellcheck shell=bash
# Attacks on the setuid-root starter through ids and owners: images in
# shared or user-controlled directories under 'limit container owners',
# /etc/passwd lines with empty fields, and supplementary groups shed in the
# namespace with 'caller-ids self' (issue 17, findings 4, 11 and 13); id
# ranges that are not the caller's, and who may be the namespace's root
# with 'caller-ids self'.
# shellcheck disable=SC2119 # _try's arguments (VAR=VALUE...) are optional
# shellcheck source=tests/e2e/attack_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/attack_lib.sh"

# `_rimg DIR MARKER`: a root-owned image dir (0755) with a marker file.
_rimg() {
    _rdir "$1"
    printf '%s\n' "$2" >"$1/marker"
}

# 'limit container owners = root': a root-owned but shared image root
# (1777, as /tmp or /scratch) filled by the user is refused, as is one
# that is only group-writable; a root-owned image is still allowed.
# Protection: policy_check_image_path -> check_image_root (policy.c), on
# the directory open_lowers then opens (main.c, same st_dev/st_ino).
test_attack_shared_image_root_rootonly() {
    _atk_init
    local shared=$TESTTMP/shared
    _rdir "$shared" 1777
    _ufile "$shared/marker" USER-FILLED
    _rimg "$TESTTMP/rimg" ROOT-IMAGE
    _conf_save
    R_LOWERS=("$shared")
    _try
    _assert_ran USER-FILLED "control: no limit"
    _conf_set "limit container owners = root"
    R_LOWERS=("$TESTTMP/rimg")
    _try
    _assert_ran ROOT-IMAGE "control: a root-owned image"
    R_LOWERS=("$shared")
    _try
    _assert_refused "image '$shared' is writable by group or others, or sticky" "a root-owned 1777 image root"
    chmod 1755 "$shared"
    _try
    _assert_refused "image '$shared' is writable by group or others, or sticky" "a sticky image root"
    chmod 0775 "$shared"
    chgrp "$(id -g "$OCHRE_TEST_USER")" "$shared"
    _try
    _assert_refused "image '$shared' is writable by group or others, or sticky" "a group-writable image root"
}

# 'limit container owners = root' with 'limit container paths = P': a
# root-owned image inside a user's directory, or inside a world-writable
# one, below P is refused (the user could have put it, or what it is
# named, there); a root-owned image under root's directories below P runs.
# P itself may be shared (/scratch is often 1777).
# Protection: policy_check_image_path -> check_image_parent (policy.c).
test_attack_image_below_untrusted_dir_rootonly() {
    _atk_init
    local p=$TESTTMP/scratch
    _rdir "$p" 1777
    _rdir "$p/apps"
    _rimg "$p/apps/img" ROOT-IMAGE
    _udir "$p/user"
    _rimg "$p/user/img" ROOT-IN-USER-DIR
    _rdir "$p/ww" 0777
    _rimg "$p/ww/img" ROOT-IN-SHARED-DIR
    _rdir "$p/ww/deep"
    _rimg "$p/ww/deep/img" ROOT-DEEP
    _conf_save
    _conf_set "limit container paths = $p"
    R_LOWERS=("$p/user/img")
    _try
    _assert_ran ROOT-IN-USER-DIR "control: 'limit container paths' alone"
    _conf_set "limit container paths = $p" "limit container owners = root"
    R_LOWERS=("$p/apps/img")
    _try
    _assert_ran ROOT-IMAGE "control: a root-owned image in root's dir below the prefix"
    R_LOWERS=("$p/user/img")
    _try
    _assert_refused "image '$p/user/img': directory '$p/user' above it is owned by uid $TUID" \
        "a root-owned image in the user's dir"
    R_LOWERS=("$p/ww/img")
    _try
    _assert_refused "image '$p/ww/img': directory '$p/ww' above it is writable by group or others" \
        "a root-owned image in a world-writable dir"
    R_LOWERS=("$p/ww/deep/img")
    _try
    _assert_refused "directory '$p/ww' above it is writable by group or others" \
        "a world-writable dir two levels up"
    # The user as an allowed owner: their own dir and image are fine.
    _conf_set "limit container paths = $p" "limit container owners = root, $OCHRE_TEST_USER"
    R_LOWERS=("$p/user/img")
    _try
    _assert_ran ROOT-IN-USER-DIR "control: the dir's owner is an allowed one"
}

# An /etc/passwd line with an empty password field (name::uid:gid:...)
# must not give its gid as a uid: a parser that collapsed empty fields
# read 'victim::4242:UID:' as victim's line for UID, so the caller got
# victim's subordinate range. Shown with a crafted passwd and subuid bound
# over the real ones in a mount namespace of root's, where the user then
# runs the setuid starter. Protection: common/subid.c split_fields (via
# subid_range_allowed, policy.c check_ranges).
test_attack_passwd_empty_fields_rootonly() {
    _atk_init
    local ustart pw=$TESTTMP/passwd sub=$TESTTMP/subuid
    read -r ustart _ < <(_subid_starts)
    [ -n "$ustart" ] || skip "$OCHRE_TEST_USER has no /etc/subuid range"
    command -v unshare >/dev/null || skip "no unshare"
    { echo "ochrevictim::4242:$TUID::/nonexistent:/bin/sh"; cat /etc/passwd; } >"$pw"
    { echo "ochrevictim:300000:65536"; cat /etc/subuid; } >"$sub"
    chmod 0644 "$pw" "$sub"
    # shellcheck disable=SC2016 # $1.. expand in the inner sh
    _start_ns() {
        _mkreq "$TESTTMP/req"
        run unshare -m -- sh -c 'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/subuid && shift 2 &&
            exec "$@"' sh "$pw" "$sub" "${AS[@]}" "$STARTER" 3<"$TESTTMP/req"
    }
    R_PAYLOAD=/usr/bin/cat R_ARGS=(cat /proc/self/uid_map)
    _start_ns
    assert_eq "0:0 $TUID 1" "$STATUS:$(awk '{ $1 = $1 } 1' <<<"$OUT")" \
        "control: the starter runs with the crafted files: $ERR"
    R_EXTRA=("uid-range 1 300000 1" "newuidmap /usr/bin/newuidmap" "newgidmap /usr/bin/newgidmap")
    _start_ns
    _assert_refused "id range 1 300000 1 is not yours in /etc/subuid; refusing" "another user's range"
    R_EXTRA=("uid-range 1 $ustart 1" "newuidmap /usr/bin/newuidmap" "newgidmap /usr/bin/newgidmap")
    _start_ns
    assert_eq 0 "$STATUS" "the user's own range with the crafted files: $ERR"
    assert_eq "0 $TUID 1|1 $ustart 1" "$(printf '%s\n' "$OUT" | awk '{ $1 = $1 } 1' | paste -sd '|')" \
        "the user's own range is mapped"
}

# 'caller-ids self': the namespace's root (the runtime) must not shed the
# caller's supplementary groups, or a file whose group is denied (0604,
# group ochretest-extra) opens to it as to others. setgroups is denied in
# that namespace, so setpriv --clear-groups fails and the groups stay.
# Protection: userns_write_maps_as_root (userns.c) writes 'deny'.
test_attack_setgroups_caller_ids_self_rootonly() {
    _atk_init
    local ustart gstart extra f=$TESTTMP/gdenied
    read -r ustart gstart < <(_subid_starts)
    if [ -z "$ustart" ] || [ -z "$gstart" ]; then
        skip "$OCHRE_TEST_USER has no /etc/subuid or /etc/subgid range"
    fi
    extra=$(getent group "$OCHRE_TEST_USER-extra" | cut -d: -f3)
    if [ -z "$extra" ] || ! id -G "$OCHRE_TEST_USER" | tr ' ' '\n' | grep -qx "$extra"; then
        skip "$OCHRE_TEST_USER has no supplementary group $OCHRE_TEST_USER-extra (tests/run.sh adds it)"
    fi
    printf 'GROUP-DENIED\n' >"$f"
    chown "root:$extra" "$f"
    chmod 0604 "$f"
    run _as cat "$f"
    [ "$STATUS" != 0 ] || fail "control: the user reads a file their group is denied"
    R_EXTRA=("caller-ids self" "uid-range 0 $ustart 1" "gid-range 0 $gstart 1"
        "newuidmap /usr/bin/newuidmap" "newgidmap /usr/bin/newgidmap")
    R_ARGS=(cat "$S/rootfs/marker")
    _try
    _assert_ran IMAGE-OK "control: caller-ids self runs"
    R_ARGS=(cat /proc/self/setgroups)
    _try
    _assert_ran deny "setgroups in the namespace"
    R_ARGS=(cat "$f")
    _try
    if [ "$STATUS" = 0 ] || [ -n "$OUT" ]; then
        fail "the namespace's root reads the group-denied file: $OUT"
    fi
    R_PAYLOAD=/usr/bin/setpriv R_ARGS=(setpriv --clear-groups cat "$f")
    _try
    if [ "$STATUS" = 0 ] || [ -n "$OUT" ]; then
        fail "the namespace's root shed the caller's groups and read the group-denied file: $OUT"
    fi
    assert_contains "$ERR" "setgroups"
}

# 13. Subordinate id ranges must be the caller's own (/etc/subuid,
# /etc/subgid): mapping host root (1 0 1), a range beyond or straddling
# the caller's, or another id range, is refused; the caller's own range is
# mapped. Protection: policy.c check_ranges / subid_range_allowed.
test_attack_id_ranges_rootonly() {
    _atk_init
    local ustart ucount gstart gcount
    read -r ustart ucount < <(awk -F: -v n="$OCHRE_TEST_USER" -v u="$TUID" '$1 == n || $1 == u { print $2, $3; exit }' /etc/subuid)
    read -r gstart gcount < <(awk -F: -v n="$OCHRE_TEST_USER" -v u="$TUID" '$1 == n || $1 == u { print $2, $3; exit }' /etc/subgid)
    if [ -z "$ustart" ] || [ -z "$gstart" ]; then
        skip "$OCHRE_TEST_USER has no /etc/subuid or /etc/subgid range"
    fi
    _ranges() { R_EXTRA=("$@" "newuidmap /usr/bin/newuidmap" "newgidmap /usr/bin/newgidmap"); }
    R_ARGS=(cat /proc/self/uid_map /proc/self/gid_map)
    _ranges "uid-range 1 $ustart $ucount" "gid-range 1 $gstart $gcount"
    _try
    assert_eq 0 "$STATUS" "control: the caller's own ranges: $ERR"
    assert_eq "0 $TUID 1|1 $ustart $ucount|0 $TGID 1|1 $gstart $gcount" \
        "$(printf '%s\n' "$OUT" | awk '{ $1 = $1 } 1' | paste -sd '|')" "the caller's own ranges are mapped"

    local r
    for r in "uid-range 1 0 1" "uid-range 1 0 $ucount" "uid-range 1 $((ustart + ucount)) 1" \
        "uid-range 1 $((ustart + ucount - 1)) 2" "uid-range 1 $((ustart - 1)) 2" "uid-range 1 $TUID 1" \
        "uid-range 1 $ustart $((ucount + 1))"; do
        _ranges "$r"
        _try
        _assert_refused "id range ${r#uid-range } is not yours in /etc/subuid; refusing" "$r"
    done
    for r in "gid-range 1 0 1" "gid-range 1 $((gstart + gcount)) 1"; do
        _ranges "uid-range 1 $ustart 1" "$r"
        _try
        _assert_refused "id range ${r#gid-range } is not yours in /etc/subgid; refusing" "$r"
    done
    # A good range, then a bad one: still refused.
    _ranges "uid-range 1 $ustart 1" "uid-range 2 0 1"
    _try
    _assert_refused "id range 2 0 1 is not yours in /etc/subuid" "a bad second range"
}

# 'caller-ids self' (setuid mode, the container's namespace is the
# starter's): the caller keeps their ids and a range gives the namespace
# its root, which runs the payload with every capability there. That root
# must be one of the caller's subordinate ids (never host root, another
# user, or the caller twice), and a plain starter refuses the key.
# Protection: check_ranges (policy.c), request_parse, main().
test_attack_caller_ids_self_rootonly() {
    _atk_init
    local ustart gstart
    read -r ustart gstart < <(_subid_starts)
    [ -n "$ustart" ] && [ -n "$gstart" ] || skip "$OCHRE_TEST_USER has no /etc/subuid or /etc/subgid range"
    _self() { R_EXTRA=("caller-ids self" "$@" "newuidmap /usr/bin/newuidmap" "newgidmap /usr/bin/newgidmap"); }
    R_PAYLOAD=/usr/bin/cat
    R_ARGS=(cat /proc/self/uid_map /proc/self/gid_map /proc/self/status)
    _self "uid-range 0 $ustart 1" "gid-range 0 $gstart 1"
    _try
    assert_eq 0 "$STATUS" "control: the caller's first subordinate ids as root: $ERR"
    assert_eq "$TUID $TUID 1|0 $ustart 1|$TGID $TGID 1|0 $gstart 1" \
        "$(printf '%s\n' "$OUT" | head -n 4 | awk '{ $1 = $1 } 1' | paste -sd '|')" "the maps"
    # The payload runs as root of the namespace, all ids (so its exec is
    # not a secure one, which would clear PDEATHSIG): the map above says
    # that is the caller's subordinate uid on the host.
    assert_eq "0 0 0 0" "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' <<<"$OUT")" "the payload's ids in the namespace"
    local r
    for r in "uid-range 0 0 1" "uid-range 0 $TUID 1" "uid-range 0 1 1"; do
        _self "$r" "gid-range 0 $gstart 1"
        _try
        _assert_refused "id range ${r#uid-range } is not yours in /etc/subuid; refusing" "$r"
    done
    # A range over the caller's own id inside the namespace.
    _self "uid-range 0 $ustart $((TUID + 1))" "gid-range 0 $gstart 1"
    _try
    _assert_refused "is not yours in /etc/subuid; refusing" "a range over the caller's own id"
    _self "uid-range 0 $ustart 1" "gid-range 0 0 1"
    _try
    _assert_refused "id range 0 0 1 is not yours in /etc/subgid; refusing" "host group 0 as the namespace's"
    # No root for the namespace; and --userns (no privilege) with the key.
    _self "uid-range 5 $ustart 1" "gid-range 0 $gstart 1"
    _try
    _assert_refused "caller-ids self needs a uid-range and a gid-range for 0"
    _self "uid-range 0 $ustart 1" "gid-range 0 $gstart 1" "userns yes"
    _try
    _assert_refused "caller-ids self needs the setuid starter"
}
