# shellcheck shell=bash
# Helpers for the attacks on the setuid-root starter (SECURITY.md, "Setuid-root install"),
# sourced by every tests/e2e/test_attacks_*.sh.
#
# Any user may run $OCHRE_SUID_PREFIX/libexec/ochre/ochre-starter by hand,
# with any request on fd 3, any environment and any open fds: that is the
# attack surface. Each case sets things up as root, then attacks as the test
# user, and asserts the attack is refused (exit 255 and the starter's own
# message) or contained. Cases run the request without the attack first (a
# positive control) and assert the specific refusal, so that they fail, not
# pass, if the protection they name were removed: without the check the
# attack request would run (each was checked against a starter built
# without it).
#
# All cases are _rootonly (they need root to build the setting, and to edit
# the setuid install's config, restored when the case ends) and skip
# without a setuid install (OCHRE_SUID_PREFIX).
#
# Request payloads are host programs given by absolute, symlink-free path
# (/usr/bin/cat, ...): the starter execs the payload in the namespaces it
# built, as root of a user namespace that maps the caller, with the host's
# filesystem in view and the overlay on SESSION/rootfs. The starter runs
# only the runtimes and conmon the admin config names (policy.c), so
# _mkreq names each request's payload as the config's 'conmon path' (see
# _conf_payload): the cases' payloads stand in for it, and `ochre exec`
# in a case still finds crun itself.

# ---------------------------------------------------------------- helpers

# The minimal PATH the starter gives its payload (main.c, SAFE_PATH).
_ATK_SAFE_PATH=/usr/sbin:/usr/bin:/sbin:/bin

# The probe programs of tests/helpers (scripts the cases run as the test
# user), beside e2e/ both in the source tree and where tests/run.sh copies
# them.
_ATK_HELPERS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../helpers" && pwd)

# Common setting: STARTER, SUID_CONF, TUID/TGID (the test user), U (a dir the
# user owns), S (a session dir), IMG (a small image dir with a marker
# file), and the default request (see _mkreq).
_atk_init() {
    [ -n "$OCHRE_SUID_PREFIX" ] || skip "no setuid install (OCHRE_SUID_PREFIX)"
    STARTER=$OCHRE_SUID_PREFIX/libexec/ochre/ochre-starter
    SUID_CONF=$OCHRE_SUID_PREFIX/etc/ochre/ochre.conf
    if [ ! -u "$STARTER" ] || [ "$(stat -c %u "$STARTER")" != 0 ]; then
        fail "$STARTER is not setuid root"
    fi
    [ -f "$SUID_CONF" ] || fail "no $SUID_CONF"
    AS=(setpriv --reuid="$OCHRE_TEST_USER" --regid="$OCHRE_TEST_USER" --init-groups
        env -i PATH="$_ATK_SAFE_PATH")
    TUID=$(id -u "$OCHRE_TEST_USER")
    # shellcheck disable=SC2034 # for the test files
    TGID=$(id -g "$OCHRE_TEST_USER")
    U=$TESTTMP/u
    _udir "$U"
    _udir "$U/home"
    S=$U/session
    _session "$S"
    IMG=$U/img
    _udir "$IMG"
    _ufile "$IMG/marker" IMAGE-OK
    _req_defaults
}

# `_udir DIR [MODE]`: a directory owned by the test user.
_udir() { install -d -o "$OCHRE_TEST_USER" -g "$OCHRE_TEST_USER" -m "${2:-0755}" "$1"; }

# `_ufile FILE TEXT`: a file owned by the test user.
_ufile() {
    printf '%s\n' "$2" >"$1"
    chown "$OCHRE_TEST_USER:" "$1"
    chmod 0644 "$1"
}

# `_rdir DIR [MODE]`: a directory owned by root.
_rdir() { install -d -o root -g root -m "${2:-0755}" "$1"; }

# A session dir as the driver makes it: the caller's, 0700, with empty
# rootfs/ and overlay/.
_session() {
    _udir "$1" 0700
    _udir "$1/rootfs"
    _udir "$1/overlay"
}

# `_as [VAR=VALUE...] CMD...`: run as the test user, with only PATH (and
# the given variables) in the environment. AS is the same as an array, for
# background jobs ("${AS[@]}" CMD &: $! is then CMD's pid, as all exec).
_as() { "${AS[@]}" "$@"; }

# The request _mkreq writes, as variables a case may change first.
# The test user's first subordinate uid and gid ("UID GID"), or nothing.
_subid_starts() {
    local u g
    u=$(awk -F: -v n="$OCHRE_TEST_USER" -v u="$TUID" '$1 == n || $1 == u { print $2; exit }' /etc/subuid)
    g=$(awk -F: -v n="$OCHRE_TEST_USER" -v u="$TUID" '$1 == n || $1 == u { print $2; exit }' /etc/subgid)
    [ -n "$u" ] && [ -n "$g" ] && echo "$u $g"
    return 0
}

_req_defaults() {
    R_MODE=
    R_SESSION=$S
    R_LOWERS=("$IMG")
    R_UPPER=
    R_TMPFS=67108864
    R_EXTRA=()
    R_PAYLOAD=/usr/bin/cat
    R_ARGS=(cat "$S/rootfs/marker")
}

# `_mkreq FILE`: write the request the R_* variables describe, and name
# its payload in the setuid install's config.
_mkreq() {
    local l
    _conf_payload "$R_PAYLOAD"
    {
        echo "OCHRE-STARTER-REQUEST 1"
        [ -z "$R_MODE" ] || echo "mode $R_MODE"
        [ -z "$R_SESSION" ] || echo "session $R_SESSION"
        for l in "${R_LOWERS[@]}"; do echo "lower $l"; done
        [ -z "$R_TMPFS" ] || echo "tmpfs-size $R_TMPFS"
        [ -z "$R_UPPER" ] || echo "upper $R_UPPER"
        # A setuid starter stacks only the image itself; overlays go through
        # user-namespace mode, as ochre asks for them (SECURITY.md).
        # Or as root of the namespace with 'caller-ids self'.
        if [ -n "$R_UPPER" ] || [ "${#R_LOWERS[@]}" -gt 1 ]; then
            case " ${R_EXTRA[*]} " in *" userns yes "* | *" caller-ids self "*) ;; *) echo "userns yes" ;; esac
        fi
        for l in "${R_EXTRA[@]}"; do echo "$l"; done
        echo "payload $R_PAYLOAD"
        for l in "${R_ARGS[@]}"; do echo "arg $l"; done
        echo "end"
    } >"$1"
}

# `_start REQFILE`: run the setuid starter as the user on that request;
# sets STATUS, OUT, ERR (see run in lib.sh).
_start() {
    local req=$1
    shift
    run _as "$@" "$STARTER" 3<"$req"
}

# `_try [VAR=VALUE...]`: write the R_* request and run it.
_try() {
    _mkreq "$TESTTMP/req"
    _start "$TESTTMP/req" "$@"
}

# The request ran and its payload printed EXPECTED.
_assert_ran() {
    if [ "$STATUS" != 0 ] || [ "$OUT" != "$1" ]; then
        echo "FAIL ($(_where)): ${2:-the request should have run} (expected output: $1)" >&2
        _show_run "$STARTER" "3<$TESTTMP/req"
        sed 's/^/  request| /' "$TESTTMP/req" >&2 2>/dev/null || true
        exit 1
    fi
}

# The starter refused: exit 255, nothing on stdout (no payload ran), and
# its error message contains NEEDLE.
_assert_refused() {
    local needle=$1 what=${2:-the attack}
    if [ "$STATUS" != 255 ] || [ -n "$OUT" ] || [ "${ERR#*ochre: error: }" = "$ERR" ]; then
        echo "FAIL ($(_where)): $what was not refused (expected exit 255 and an error)" >&2
        _show_run "$STARTER" "3<$TESTTMP/req"
        sed 's/^/  request| /' "$TESTTMP/req" >&2 2>/dev/null || true
        exit 1
    fi
    case $ERR in *"$needle"*) return 0 ;; esac
    echo "FAIL ($(_where)): $what: the refusal lacks: $needle" >&2
    _show_run "$STARTER" "3<$TESTTMP/req"
    exit 1
}

# The setuid install's config: saved once (the first call of a case),
# restored (contents, owner, mode, and the modes of its directories) when
# the case ends, however it ends.
_conf_save() {
    local d
    [ ! -e "$TESTTMP/conf.saved" ] || return 0
    cp -p "$SUID_CONF" "$TESTTMP/conf.saved"
    {
        d=$(dirname "$SUID_CONF")
        while [ "$d" != / ]; do
            printf 'chown %s %q && chmod %s %q\n' "$(stat -c %u:%g "$d")" "$d" "$(stat -c %a "$d")" "$d"
            d=$(dirname "$d")
        done
        printf 'rm -f %q && cp -p %q %q\n' "$SUID_CONF" "$TESTTMP/conf.saved" "$SUID_CONF"
    } >"$TESTTMP/conf-restore.sh"
    at_exit bash "$TESTTMP/conf-restore.sh"
}

# The saved config back, with the payload line of _conf_payload.
_conf_restore_now() {
    bash -e "$TESTTMP/conf-restore.sh"
    _conf_apply_payload
}

# `_conf_payload PATH`: 'conmon path = PATH' in the setuid install's config,
# kept there by _conf_set and _conf_restore_now, so that the starter takes
# PATH as a payload (policy.c, check_payload). A config a case made a
# symlink or removed is left as it is, and so is one that has the line.
_conf_payload() {
    _ATK_PAYLOAD=$1
    _conf_save
    _conf_apply_payload
}

_conf_apply_payload() {
    case ${_ATK_PAYLOAD:-} in /*) ;; *) return 0 ;; esac
    [ -f "$SUID_CONF" ] && [ ! -L "$SUID_CONF" ] || return 0
    ! grep -qxF "conmon path = $_ATK_PAYLOAD" "$SUID_CONF" || return 0
    sed -i '/^[[:space:]]*conmon path[[:space:]]*=/d' "$SUID_CONF"
    printf 'conmon path = %s\n' "$_ATK_PAYLOAD" >>"$SUID_CONF"
}

# `_conf_set LINE...`: the saved config (and payload line) with these
# directives ("NAME = VALUE") in place of any it sets itself.
_conf_set() {
    local line name
    _conf_restore_now
    for line in "$@"; do
        name=${line%%=*}
        name=${name%"${name##*[! ]}"}
        sed -i "/^[[:space:]]*${name}[[:space:]]*=/d" "$SUID_CONF"
        printf '%s\n' "$line" >>"$SUID_CONF"
    done
}

# ---------------------------------------------------------------- cases
