# shellcheck shell=bash
# Attacks on the setuid starter's policy: what it runs (the payload and the
# helpers a request names) and whom it gives a user namespace on hosts that
# let users create none (issue 17, findings 3, 9 and 10); the directives
# that limit images, overlays and the setuid mode ('limit container paths',
# 'limit container owners', 'allow user overlay', 'allow setuid'), the
# trust in the config itself, and the tmpfs size cap.
# shellcheck source=tests/e2e/attack_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/attack_lib.sh"

# `_payload_only PATH`: the request _mkreq wrote, with PATH as its payload
# but not in the config: a payload the administrator did not name.
_payload_only() { sed -i "s|^payload .*|payload $1|" "$TESTTMP/req"; }

# `_try_unnamed PATH`: the R_* request with an unnamed payload PATH.
_try_unnamed() {
    _mkreq "$TESTTMP/req"
    _payload_only "$1"
    _start "$TESTTMP/req"
}

# The payload must be one of the config's runtimes or conmon (given, or
# found in the system directories as the driver finds them), compared by
# name: any other root-owned program (/usr/bin/dash gave a shell with every
# capability in the namespace) is refused. The id-map helpers a request
# names must be the system's. Protection: policy.c check_payload
# (payload_configured), check_idmap_helpers.
test_attack_payload_not_configured_rootonly() {
    _atk_init
    R_PAYLOAD=/usr/bin/id R_ARGS=(id -u)
    _try
    _assert_ran 0 "control: a payload the config names ('conmon path')"
    local crun
    crun=$(command -v crun) || skip "crun not installed"
    crun=$(realpath "$crun")
    R_ARGS=(crun --version)
    _try_unnamed "$crun"
    assert_eq 0 "$STATUS" "control: crun, found in the system directories, runs: $ERR"
    assert_contains "$OUT" "crun version"
    local p
    for p in /usr/bin/dash /usr/bin/cat "$(realpath /usr/bin/env)"; do
        R_ARGS=(sh -c 'grep CapEff /proc/self/status')
        _try_unnamed "$p"
        _assert_refused "payload '$p' is not a runtime or conmon the administrator configured" \
            "a root-owned program the config does not name ($p)"
    done

    # newuidmap/newgidmap of the caller's own ('userns yes': they run after
    # the drop, but the request names no helper but the system's).
    local ustart gstart ran=$U/helper-ran
    read -r ustart gstart < <(_subid_starts)
    [ -n "$ustart" ] || return 0
    printf '#!/bin/sh\ntouch %s\nexec /usr/bin/newuidmap "$@"\n' "$ran" >"$U/newuidmap"
    chown "$OCHRE_TEST_USER:" "$U/newuidmap"
    chmod 0755 "$U/newuidmap"
    R_PAYLOAD=/usr/bin/cat R_ARGS=(cat "$S/rootfs/marker")
    R_EXTRA=("userns yes" "uid-range 1 $ustart 1" "newuidmap /usr/bin/newuidmap")
    _try
    _assert_ran IMAGE-OK "control: 'userns yes' with the system's newuidmap"
    R_EXTRA=("userns yes" "uid-range 1 $ustart 1" "newuidmap $U/newuidmap")
    _try
    _assert_refused "newuidmap '$U/newuidmap' is not the system's" "a newuidmap of the caller's"
    R_EXTRA=("userns yes" "gid-range 1 $gstart 1" "newgidmap /usr/bin/newuidmap")
    _try
    _assert_refused "newgidmap '/usr/bin/newuidmap' is not the system's" "newuidmap as newgidmap"
    [ ! -e "$ran" ] || fail "the caller's newuidmap ran"
}

# The payload check must not tell the caller what exists where they cannot
# look: it ran as host root, so '/root/FILE' answered "No such file" for a
# missing file and something else (or ran it) for one that exists. Now a
# payload the config does not name is refused by name, before any lookup.
# Protection: policy.c check_payload (payload_configured first).
test_attack_payload_oracle_rootonly() {
    _atk_init
    [ "$(stat -c %a /root)" = 700 ] || skip "/root is not 0700 here"
    local secret=/root/ochre-atk-exists.$$ none=/root/ochre-atk-none.$$
    cp /usr/bin/id "$secret"
    remove_at_exit "$secret"
    run _as /usr/bin/test -e "$secret"
    assert_eq 1 "$STATUS" "control: the caller cannot see into /root"
    R_ARGS=(id -u)
    _try_unnamed "$secret"
    _assert_refused "payload '$secret' is not a runtime or conmon" "a payload under /root that exists"
    local err_exists=${ERR//$secret/PAYLOAD}
    _try_unnamed "$none"
    _assert_refused "payload '$none' is not a runtime or conmon" "a payload under /root that does not exist"
    assert_eq "$err_exists" "${ERR//$none/PAYLOAD}" "the refusals of an existing and a missing file under /root"
}

# The request's fuse-overlayfs ran inside the starter, as root of the
# namespace, where the setuid starter mounts the caller's layers as that
# root ('caller-ids self' with an upper): a program of the caller's there.
# A setuid starter mounts with kernel overlay only; the keys are refused.
# Protection: policy.c check_privileged_run.
test_attack_fuse_overlayfs_path_rootonly() {
    _atk_init
    local ustart gstart drop=$U/drop
    read -r ustart gstart < <(_subid_starts)
    [ -n "$ustart" ] && [ -n "$gstart" ] || skip "$OCHRE_TEST_USER has no /etc/subuid or /etc/subgid range"
    _udir "$drop" 0777
    printf '#!/bin/sh\ntouch %s/evil-ran\nexit 0\n' "$drop" >"$U/evil"
    chown "$OCHRE_TEST_USER:" "$U/evil"
    chmod 0755 "$U/evil"
    _udir "$U/ov"
    local self=("caller-ids self" "uid-range 0 $ustart 1" "gid-range 0 $gstart 1"
        "newuidmap /usr/bin/newuidmap" "newgidmap /usr/bin/newgidmap")
    R_UPPER=$U/ov R_EXTRA=("${self[@]}")
    _try
    _assert_ran IMAGE-OK "control: an upper mounted by the namespace's root, kernel overlay"
    local o
    for o in fuse auto; do
        R_EXTRA=("${self[@]}" "overlay $o" "fuse-overlayfs $U/evil")
        _try
        _assert_refused "fuse-overlayfs is for user-namespace mode" "'overlay $o' with the caller's fuse-overlayfs"
        [ ! -e "$drop/evil-ran" ] || fail "the caller's fuse-overlayfs ran in the starter ('overlay $o')"
    done
    # Without an upper, and without 'caller-ids self': refused the same.
    R_UPPER='' R_EXTRA=("overlay fuse" "fuse-overlayfs $U/evil")
    _try
    _assert_refused "fuse-overlayfs is for user-namespace mode" "'overlay fuse', plain setuid request"
    [ ! -e "$drop/evil-ran" ] || fail "the caller's fuse-overlayfs ran"
}

# `_try_restricted`: _try on a host that lets users create no user
# namespace (tests/helpers/userns_restrict.c); setpriv's options after
# the command's own, e.g. --groups=GID in place of --init-groups.
_try_restricted() {
    _mkreq "$TESTTMP/req"
    run "$OCHRE_USERNS_RESTRICT" setpriv --reuid="$OCHRE_TEST_USER" --regid="$OCHRE_TEST_USER" \
        "${1:---init-groups}" env -i PATH="$_ATK_SAFE_PATH" "$STARTER" 3<"$TESTTMP/req"
}

# The test user without /etc/subuid and /etc/subgid entries, until the
# case ends.
_drop_subids() {
    local f
    for f in /etc/subuid /etc/subgid; do
        [ -e "$TESTTMP/${f##*/}.saved" ] || {
            cp -p "$f" "$TESTTMP/${f##*/}.saved"
            at_exit cp -p "$TESTTMP/${f##*/}.saved" "$f"
        }
        grep -vE "^($OCHRE_TEST_USER|$TUID):" "$TESTTMP/${f##*/}.saved" >"$f" || true
    done
}

# Where the host lets users create no user namespace, the setuid starter
# made one for anyone: /usr/bin/dash as payload (before the payload rule)
# had every capability there, a network namespace it could configure,
# mounts. 'allow setuid userns' says who gets one: by default users with
# subordinate ids; 'group NAME', its members (real or supplementary
# group); 'no', nobody; 'yes', anyone. Where users may make their own, it
# changes nothing. Protection: policy.c check_setuid_userns.
test_attack_setuid_userns_rule_rootonly() {
    _atk_init
    [ -n "$OCHRE_USERNS_RESTRICT" ] && [ -x "$OCHRE_USERNS_RESTRICT" ] ||
        skip "no userns-restrict helper (OCHRE_USERNS_RESTRICT)"
    local ustart
    read -r ustart _ < <(_subid_starts)
    [ -n "$ustart" ] || skip "$OCHRE_TEST_USER has no /etc/subuid or /etc/subgid range"
    local refused="this host lets users create no user namespace, and the administrator gives one"
    R_PAYLOAD=/usr/bin/id R_ARGS=(id -u)
    _conf_save
    _try_restricted
    _assert_ran 0 "control: restricted host, a user with subordinate ids, the default rule"
    _drop_subids
    _try
    _assert_ran 0 "control: no subordinate ids, where users may create user namespaces themselves"
    _try_restricted
    _assert_refused "$refused through the setuid starter only to users with subordinate ids" \
        "restricted host, no subordinate ids, the default rule"
    _conf_set "allow setuid userns = subid-users"
    _try_restricted
    _assert_refused "('allow setuid userns' in $SUID_CONF)" "the same, said in the config"
    _conf_set "allow setuid userns = yes"
    _try_restricted
    _assert_ran 0 "'allow setuid userns = yes': anyone"

    # group NAME: a group the user is not in, then as their real group,
    # then as a supplementary one (setpriv --groups).
    local other ogid mine
    mine=$(id -gn "$OCHRE_TEST_USER")
    other=$(awk -F: -v u="$OCHRE_TEST_USER" -v g="$TGID" \
        '$1 != "root" && $3 != g && $3 != 0 && ("," $4 ",") !~ ("," u ",") { print $1; exit }' /etc/group)
    [ -n "$other" ] || fail "no group in /etc/group without $OCHRE_TEST_USER"
    ogid=$(awk -F: -v n="$other" '$1 == n { print $3; exit }' /etc/group)
    _conf_set "allow setuid userns = group $other"
    _try_restricted
    _assert_refused "$refused through the setuid starter only to members of group '$other'" "a group not the user's"
    _try_restricted --groups="$ogid"
    _assert_ran 0 "'group $other' with $other as a supplementary group"
    _conf_set "allow setuid userns = group $mine"
    _try_restricted
    _assert_ran 0 "'group $mine': the user's own group"
    _conf_set "allow setuid userns = group nosuch-group-$$"
    _try_restricted
    _assert_refused "only to members of group 'nosuch-group-$$'" "a group that does not exist"

    # no: nobody, subordinate ids or not; 'userns yes' (no privilege) is
    # not the setuid starter's namespace, and the host refuses it.
    _conf_restore_now
    cp -p "$TESTTMP/subuid.saved" /etc/subuid
    cp -p "$TESTTMP/subgid.saved" /etc/subgid
    _conf_set "allow setuid userns = no"
    _try_restricted
    _assert_refused "$refused through the setuid starter to nobody" "'no', a user with subordinate ids"
    _try
    _assert_ran 0 "'no' changes nothing where users may create user namespaces"
    R_EXTRA=("userns yes")
    _try_restricted
    _assert_refused "this host does not let users create them" "'userns yes' on the restricted host"
}

# 3. 'limit container paths = DIR': a lower (or overlay dir) outside DIR is
# refused, matched by whole components (DIR2 is outside DIR); inside DIR is
# allowed; a symlink inside DIR pointing out of it is refused too.
# Protection: policy.c check_limit_paths/path_within, then
# RESOLVE_NO_SYMLINKS for the escape through a link.
test_attack_limit_container_paths_rootonly() {
    _atk_init
    local in=$TESTTMP/scratch out=$TESTTMP/scratch2
    _rdir "$in"
    _rdir "$out"
    _udir "$in/img"
    _ufile "$in/img/marker" IMAGE-OK
    _udir "$in/ov"
    _udir "$out/img"
    _ufile "$out/img/marker" IMAGE-OK
    _udir "$out/ov"
    ln -s "$out/img" "$in/link"
    chown -h "$OCHRE_TEST_USER:" "$in/link"

    # Without the limit, all of them run.
    R_LOWERS=("$out/img")
    _try
    _assert_ran IMAGE-OK "control: no limit"
    _conf_save
    _conf_set "limit container paths = $in"
    R_LOWERS=("$in/img")
    _try
    _assert_ran IMAGE-OK "an image inside the allowed path"
    R_UPPER=$in/ov
    _try
    _assert_ran IMAGE-OK "an overlay dir inside the allowed path"
    R_UPPER=
    R_LOWERS=("$out/img")
    _try
    _assert_refused "image '$out/img' is outside the paths the administrator allows ('limit container paths')" \
        "an image in a sibling whose name extends the allowed one"
    R_LOWERS=("$in/img" "$out/img")
    _try
    _assert_refused "image '$out/img' is outside" "a second lower outside the allowed path"
    R_LOWERS=("$in/img") R_UPPER=$out/ov
    _try
    _assert_refused "overlay '$out/ov' is outside the paths the administrator allows" \
        "an overlay dir outside the allowed path"
    R_UPPER=
    R_LOWERS=("$in/link")
    _try
    _assert_refused "image rootfs '$in/link': a path component is a symbolic link" \
        "a symlink inside the allowed path pointing out of it"
    R_LOWERS=("$in/../scratch2/img")
    _try
    _assert_refused "is not a clean absolute path" "a '..' out of the allowed path"
}

# The same limits through `ochre exec`, the way users meet them: an image
# inside the allowed path (root's, for 'limit container owners = root')
# runs; one outside (or the user's own) is refused. ochre adds a lower of
# its own (SESSION/mountpoints, the caller's, in the session dir), which
# the limits must not refuse, or they refuse every launch.
test_attack_policy_limits_via_ochre_exec_rootonly() {
    _atk_init
    local in=$TESTTMP/scratch out=$TESTTMP/scratch2 problems=()
    _rdir "$in"
    _rdir "$out"
    cp -a "$ROOTFS" "$in/img"
    cp -a "$ROOTFS" "$out/img"
    chown -R root:root "$in/img" "$out/img"
    cp -a "$ROOTFS" "$in/uimg"
    chown -R "$OCHRE_TEST_USER:" "$in/uimg"
    chmod 0755 "$in/img" "$out/img" "$in/uimg"
    cd "$U" || fail "cd $U"
    local -a ox=(_as HOME="$U/home" XDG_RUNTIME_DIR="$U/run" "$OCHRE_SUID_PREFIX/bin/ochre" exec --runtime crun)
    _conf_save
    _conf_set "limit container paths = $in"
    run "${ox[@]}" "$in/img" echo ok
    [ "$STATUS" = 0 ] && [ "$OUT" = ok ] ||
        problems+=("'limit container paths = $in': an image inside it does not run: $ERR")
    run "${ox[@]}" "$out/img" echo ok
    [ "$STATUS" = 255 ] && [[ $ERR == *"image '$out/img' is outside"* ]] ||
        problems+=("'limit container paths = $in': an image in $out is not refused by name: $ERR")
    _conf_set "limit container owners = root"
    run "${ox[@]}" "$in/img" echo ok
    [ "$STATUS" = 0 ] && [ "$OUT" = ok ] ||
        problems+=("'limit container owners = root': a root-owned image does not run: $ERR")
    run "${ox[@]}" "$in/uimg" echo ok
    [ "$STATUS" = 255 ] && [[ $ERR == *"image '$in/uimg' is owned by uid $TUID"* ]] ||
        problems+=("'limit container owners = root': the user's own image is not refused by name: $ERR")
    [ ${#problems[@]} -eq 0 ] || fail "$(printf '\n  %s' "${problems[@]}")"
}

# 'limit container owners = root': an image dir the caller owns is
# refused; a root-owned one is allowed. Protection: policy_check_owner on
# the opened fd (main.c open_lowers).
test_attack_limit_container_owners_rootonly() {
    _atk_init
    _rdir "$TESTTMP/rimg"
    printf 'ROOT-IMAGE\n' >"$TESTTMP/rimg/marker"
    _conf_save
    _try
    _assert_ran IMAGE-OK "control: no limit"
    _conf_set "limit container owners = root"
    _try
    _assert_refused "image '$IMG' is owned by uid $TUID, not by an owner the administrator allows ('limit container owners')"
    R_LOWERS=("$TESTTMP/rimg")
    _try
    _assert_ran ROOT-IMAGE "a root-owned image"
    # With the caller's own layers, mounted inside the namespace (caller-ids
    # self), the root-owned image's owner cannot be told there: refused.
    local ustart gstart
    read -r ustart gstart < <(_subid_starts)
    if [ -n "$ustart" ] && [ -n "$gstart" ]; then
        _udir "$U/ov"
        R_UPPER=$U/ov
        R_EXTRA=("caller-ids self" "uid-range 0 $ustart 1" "gid-range 0 $gstart 1"
            "newuidmap /usr/bin/newuidmap" "newgidmap /usr/bin/newgidmap")
        _try
        _assert_refused "with --overlay, 'limit container owners' allows only your own images"
    fi
}

# 'allow user overlay = no' refuses a writable overlay dir.
test_attack_allow_user_overlay_no_rootonly() {
    _atk_init
    _udir "$U/ov"
    R_UPPER=$U/ov
    _try
    _assert_ran IMAGE-OK "control: an overlay dir"
    _conf_save
    _conf_set "allow user overlay = no"
    _udir "$U/ov2"
    R_UPPER=$U/ov2
    _try
    _assert_refused "writable overlays are disabled by the administrator ('allow user overlay = no')"
    assert_eq "" "$(ls -A "$U/ov2")" "the refused overlay dir was left alone"
}

# 4. The config is trusted only if it and every directory above it are
# root-owned and not group/other-writable; the refusal names the path.
# Protection: policy.c policy_open_trusted (an O_NOFOLLOW walk from /).
test_attack_config_trust_rootonly() {
    _atk_init
    _conf_save
    local dir prefix_dir
    dir=$(dirname "$SUID_CONF")
    prefix_dir=$(dirname "$dir")
    _try
    _assert_ran IMAGE-OK "control: the installed config"

    chmod g+w "$SUID_CONF"
    _try
    _assert_refused "admin config: '$SUID_CONF' is writable by group or others; refusing" "a group-writable config"
    _conf_restore_now
    chmod o+w "$SUID_CONF"
    _try
    _assert_refused "admin config: '$SUID_CONF' is writable by group or others; refusing" "a world-writable config"
    _conf_restore_now
    chmod g+w "$dir"
    _try
    _assert_refused "admin config: '$dir' is writable by group or others; refusing" "a group-writable config dir"
    _conf_restore_now
    chmod g+w "$prefix_dir"
    _try
    _assert_refused "admin config: '$prefix_dir' is writable by group or others; refusing" \
        "a group-writable directory further up"
    _conf_restore_now
    chown "$OCHRE_TEST_USER:" "$SUID_CONF"
    _try
    _assert_refused "admin config: '$SUID_CONF' is not owned by root; refusing" "a config the user owns"
    _conf_restore_now
    # A symlink to a good copy, both root's: still refused.
    cp -p "$TESTTMP/conf.saved" "$dir/ochre.conf.real"
    remove_at_exit "$dir/ochre.conf.real"
    rm -f "$SUID_CONF"
    ln -s ochre.conf.real "$SUID_CONF"
    _try
    _assert_refused "admin config: '$SUID_CONF': a path component is a symbolic link" "a config that is a symlink"
    rm -f "$dir/ochre.conf.real"
    _conf_restore_now
    _try
    _assert_ran IMAGE-OK "the restored config"
}

# 12. 'allow setuid = no' refuses, naming the directive, the starter run by
# hand and through ochre (which may not pick the setuid mode either way).
test_attack_allow_setuid_no_rootonly() {
    _atk_init
    _conf_save
    _try
    _assert_ran IMAGE-OK "control"
    _conf_set "allow setuid = no"
    _try
    _assert_refused "the administrator disabled the setuid starter ('allow setuid = no' in $SUID_CONF)"
    # userns yes (drop at once) still goes through the policy.
    R_EXTRA=("userns yes")
    _try
    _assert_refused "'allow setuid = no'" "a --userns request"
    # A config of the user's own (-c) does not lift it.
    printf 'allow setuid = yes\n' >"$U/my.conf"
    chmod 0644 "$U/my.conf"
    cd "$U" || fail "cd $U"
    run _as HOME="$U/home" XDG_RUNTIME_DIR="$U/run" "$OCHRE_SUID_PREFIX/bin/ochre" -c "$U/my.conf" -d \
        exec "$ROOTFS" id -u
    if [ "$STATUS" = 0 ]; then
        assert_not_contains "$ERR" "starter mode: setuid" "the user's config chose setuid mode"
        assert_not_contains "$ERR" "[starter] setuid mode"
    else
        case $ERR in
            *"allow setuid = no"* | *"--config is not allowed with a setuid ochre-starter"*) ;;
            *) fail "ochre -c with 'allow setuid = no' in the admin config: $ERR" ;;
        esac
    fi
}

# The payload must be a root-owned executable reached without a symlink
# through root-owned, not group/other-writable directories (it runs in the
# namespaces built with privilege). Protection: policy_check_request ->
# policy_open_trusted.
test_attack_untrusted_payload_rootonly() {
    _atk_init
    # A trusted dir (root's all the way up: not below /tmp) for root's copy.
    local rbin=$OCHRE_SUID_PREFIX/attack-test.$$
    remove_at_exit "$rbin"
    _rdir "$rbin"
    cp /usr/bin/id "$rbin/id"
    R_PAYLOAD=$rbin/id R_ARGS=(id -u)
    _try
    _assert_ran 0 "control: a root-owned copy of id"
    _udir "$rbin/udir"
    cp /usr/bin/id "$rbin/udir/id"
    R_PAYLOAD=$rbin/udir/id
    _try
    _assert_refused "payload: '$rbin/udir' is not owned by root; refusing" "a payload in the caller's dir"
    cp /usr/bin/id "$rbin/uid"
    chown "$OCHRE_TEST_USER:" "$rbin/uid"
    R_PAYLOAD=$rbin/uid
    _try
    _assert_refused "payload: '$rbin/uid' is not owned by root; refusing" "a payload the caller owns"
    chmod g+w "$rbin"
    R_PAYLOAD=$rbin/id
    _try
    _assert_refused "payload: '$rbin' is writable by group or others; refusing" "a payload in a group-writable dir"
    chmod g-w "$rbin"
    ln -s id "$rbin/link"
    R_PAYLOAD=$rbin/link
    _try
    _assert_refused "payload: '$rbin/link' is a symlink; refusing" "a payload that is a symlink"
    if [ -L /bin ]; then
        R_PAYLOAD=/bin/true R_ARGS=(true)
        _try
        _assert_refused "payload: '/bin' is a symlink; refusing" "a payload below a symlinked dir"
    fi
    R_PAYLOAD=$rbin
    _try
    _assert_refused "payload '$rbin' is not an executable file" "a directory as payload"
}

# The tmpfs for the container's writes is capped by the config, whatever
# the request asks for. Protection: policy_check_request (tmpfs size).
test_attack_tmpfs_size_capped_rootonly() {
    _atk_init
    R_TMPFS=1099511627776
    R_ARGS=(cat /proc/self/mountinfo)
    _try
    assert_eq 0 "$STATUS" "a 1 TiB tmpfs request: $ERR"
    local super
    super=$(mount_field "$OUT" "$S/overlay" super)
    assert_contains "$super" "size=65536k" "the tmpfs is capped at the config's 64M"
}
