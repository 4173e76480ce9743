# shellcheck shell=bash
# Attacks on the setuid starter's policy: what it runs (the payload and the
# helpers a request names) and whom it gives a user namespace on hosts that
# let users create none (issue 17, findings 3, 9 and 10).
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
