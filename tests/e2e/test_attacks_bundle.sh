# shellcheck shell=bash
# Attacks that skip the driver: a bundle (config.json) written by hand and
# run through the setuid install (SECURITY.md, "Policy the driver applies";
# audit finding 5). 'user bind control', 'bind path' and 'security' are
# applied while the driver writes config.json; a caller who writes their own
# gets none of them, by design, because the runtime that reads it never has
# more than the caller's own rights. This case holds ochre to that.
# shellcheck source=tests/e2e/attack_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/attack_lib.sh"

# With 'user bind control = no', the driver drops a user's binds; a
# hand-made bundle that binds the host's /etc runs (the directive is the
# driver's, not a boundary) but the bind gives only what the caller had:
# /etc/shadow stays unreadable and /etc unwritable through it.
test_attack_handmade_bundle_binds_with_callers_rights_only_rootonly() {
    _atk_init
    command -v runc >/dev/null || skip "runc not installed (its rootless spec is the template)"
    _conf_save
    _conf_set "user bind control = no"
    local b=$U/bundle ochre=$OCHRE_SUID_PREFIX/bin/ochre
    _udir "$b"
    cp -a "$ROOTFS" "$b/rootfs"
    chown -R "$OCHRE_TEST_USER:" "$b/rootfs"
    (cd "$b" && runc spec --rootless)
    python3 "$_ATK_HELPERS/handmade_bundle_config.py" "$b/config.json" "$TUID" "$TGID"
    chown -R "$OCHRE_TEST_USER:" "$b"
    # Through the driver, the user's bind is dropped (test_mounts.sh checks
    # the warning); through a bundle of their own, it is made.
    run _as HOME="$U/home" XDG_RUNTIME_DIR="$U/run" "$ochre" oci run --runtime "$OCHRE_RUNTIME" -b "$b" "atk$$"
    _as HOME="$U/home" XDG_RUNTIME_DIR="$U/run" "$ochre" oci delete --force "atk$$" >/dev/null 2>&1 || true
    [ "$STATUS" = 0 ] || { _show_run oci run; fail "the hand-made bundle did not run"; }
    assert_contains "$OUT" BOUND "the hand-made bundle's bind of /etc (the control)"
    assert_not_contains "$OUT" READ-SHADOW "/etc/shadow read through a hand-made bind"
    assert_not_contains "$OUT" WROTE-ETC "/etc written through a hand-made bind"
    [ ! -e /etc/ochre-attack ] || { rm -f /etc/ochre-attack; fail "a file was made in the host's /etc"; }
}
