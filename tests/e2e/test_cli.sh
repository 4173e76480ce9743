# shellcheck shell=bash
# CLI contract: --version/--help, and ochre's own errors (exit 255, exactly
# one "ochre: error: " line on stderr, nothing on stdout).  None of these
# start a container, so they are runtime-independent (no _rt_ in the names),
# but each still checks that a failed launch leaves nothing behind.

test_version() {
    assert_status 0 "$OCHRE" --version
    # "ochre VERSION", one line, on stdout; nothing on stderr.
    [[ $OUT =~ ^ochre\ [^[:space:]]+$ ]] || fail "--version printed '$OUT'"
    assert_eq "" "$ERR" "--version wrote to stderr"
}

test_help() {
    local opt
    for opt in --help -h; do
        assert_status 0 "$OCHRE" "$opt"
        [ -n "$OUT" ] || fail "ochre $opt printed nothing on stdout"
        assert_contains "$OUT" exec "ochre $opt does not mention the exec command"
        assert_eq "" "$ERR" "ochre $opt wrote to stderr"
    done
    assert_status 0 "$OCHRE" exec --help
    [ -n "$OUT" ] || fail "ochre exec --help printed nothing on stdout"
    assert_contains "$OUT" exec "ochre exec --help does not mention exec"
    assert_eq "" "$ERR" "ochre exec --help wrote to stderr"
}

test_error_missing_args() {
    assert_error "ochre: error: exec: missing image and command (see 'ochre exec --help')" \
        "$OCHRE" exec
    assert_error "ochre: error: exec: missing command to run in the container" \
        "$OCHRE" exec "$ROOTFS"
    assert_nothing_left
}

test_error_bad_image() {
    assert_error "ochre: error: image '/nope': No such file or directory" \
        "$OCHRE" exec /nope true
    # A regular file the test owns (rather than /etc/hostname, which a
    # minimal CI container may lack).
    echo x >"$TESTTMP/file"
    assert_error "ochre: error: image '$TESTTMP/file': not a directory" \
        "$OCHRE" exec "$TESTTMP/file" true
    assert_nothing_left
}

test_error_unknown_option() {
    assert_error "ochre: error: exec: unknown option '--bogus'" \
        "$OCHRE" exec --bogus "$ROOTFS" true
    assert_error "ochre: error: unknown option '--bogus'" \
        "$OCHRE" --bogus exec "$ROOTFS" true
    assert_nothing_left
}

test_error_unknown_runtime() {
    assert_error "ochre: error: unknown runtime 'bogus' (known: crun, runc)" \
        "$OCHRE" exec --runtime bogus "$ROOTFS" true
    assert_nothing_left
}

# --quiet hides everything but errors: errors must still be reported.
test_error_quiet_still_reports() {
    assert_error "ochre: error: image '/nope': No such file or directory" \
        "$OCHRE" --quiet exec /nope true
}

# --config is for root and non-setuid installs; as the test user against a
# setuid-root starter the driver may rightly refuse it, so skip then.
_need_config_option() {
    if ! is_root && [ -u "$OCHRE_PREFIX/libexec/ochre/ochre-starter" ]; then
        skip "setuid install: --config is root-only"
    fi
}

test_error_config_unreadable() {
    _need_config_option
    # A directory cannot be read as a config file, even by root.
    mkdir "$TESTTMP/confdir"
    assert_error "ochre: error: config '$TESTTMP/confdir': " \
        "$OCHRE" --config "$TESTTMP/confdir" exec "$ROOTFS" true
    # Mode 000 only stops non-root users (root has CAP_DAC_OVERRIDE).
    if ! is_root; then
        echo "runtime = crun, runc" >"$TESTTMP/noperm.conf"
        chmod 000 "$TESTTMP/noperm.conf"
        assert_error "ochre: error: config '$TESTTMP/noperm.conf': Permission denied" \
            "$OCHRE" --config "$TESTTMP/noperm.conf" exec "$ROOTFS" true
    fi
    assert_error "ochre: error: config '$TESTTMP/missing.conf': No such file or directory" \
        "$OCHRE" --config "$TESTTMP/missing.conf" exec "$ROOTFS" true
    assert_nothing_left
}

test_error_config_unknown_directive() {
    _need_config_option
    # The bad directive is on line 3, after a comment and a blank line, to
    # check that the reported line number counts those too.
    cat >"$TESTTMP/bad.conf" <<'EOF'
# a comment

foo = bar
runtime = crun, runc
EOF
    assert_error "ochre: error: config '$TESTTMP/bad.conf' line 3: unknown directive 'foo'" \
        "$OCHRE" --config "$TESTTMP/bad.conf" exec "$ROOTFS" true
    assert_nothing_left
}

test_error_no_runtime() {
    _need_config_option
    cat >"$TESTTMP/none.conf" <<'EOF'
runtime = crun, runc
crun path = /nonexistent/crun
runc path = /nonexistent/runc
EOF
    assert_error "ochre: error: no OCI runtime found (tried: crun, runc)" \
        "$OCHRE" --config "$TESTTMP/none.conf" exec "$ROOTFS" true
    assert_nothing_left
}

# A valid --config is honoured (and a good config is not an error).
test_config_valid() {
    _need_config_option
    cat >"$TESTTMP/good.conf" <<'EOF'
# comments and blank lines are fine

runtime = crun, runc
tmpfs size = 64M
EOF
    assert_status 0 "$OCHRE" --config "$TESTTMP/good.conf" exec "$ROOTFS" true
    assert_nothing_left
}

# ochre must never run with more privilege than its caller: a setuid-root,
# setgid or file-capability copy must refuse to start, before doing anything
# (so even --version fails).  Root makes the copies, the test user runs them.
test_refuses_elevated_privileges_rootonly() {
    local dir=$TESTTMP/priv
    mkdir -m 0755 "$dir"
    if findmnt -no OPTIONS -T "$dir" | grep -qw nosuid; then
        skip "$dir is on a nosuid filesystem"
    fi
    local msg="ochre: error: refusing to run with elevated privileges (setuid, setgid or file capabilities)"

    cp "$OCHRE" "$dir/ochre-suid"
    chown root:root "$dir/ochre-suid"
    chmod 4755 "$dir/ochre-suid"
    assert_error "$msg" as_user "$dir/ochre-suid" --version

    cp "$OCHRE" "$dir/ochre-sgid"
    chown root:root "$dir/ochre-sgid"
    chmod 2755 "$dir/ochre-sgid"
    assert_error "$msg" as_user "$dir/ochre-sgid" --version

    # File capabilities, where setcap exists (libcap2-bin).
    if command -v setcap >/dev/null; then
        cp "$OCHRE" "$dir/ochre-fcap"
        chmod 0755 "$dir/ochre-fcap"
        setcap cap_dac_override+ep "$dir/ochre-fcap"
        assert_error "$msg" as_user "$dir/ochre-fcap" --version
    fi

    # The unmodified binary, run the same way, works: the refusals above are
    # due to the privilege bits, not to running from a copy.
    cp "$OCHRE" "$dir/ochre-plain"
    chmod 0755 "$dir/ochre-plain"
    assert_status 0 as_user "$dir/ochre-plain" --version
}
