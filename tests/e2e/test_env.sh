# shellcheck shell=bash
# The container's environment and the small launch flags of issue 4:
# what crosses from the host, the precedence of image Env, OCHREENV_ (and
# the SINGULARITYENV_/APPTAINERENV_ spellings), --env-file and --env,
# PATH extension, name checks; --hostname, --no-pid, --pwd.

# The value of NAME in the container's environment (empty line if unset).
_env_of() {
    printf '%s\n' "$OUT" | sed -n "s/^$1=//p"
}

test_env_host_not_passed() {
    export OCHRE_TEST_SECRET=host-only TERM=xterm-test http_proxy=http://proxy.invalid:3128
    assert_status 0 "$OCHRE" exec "$ROOTFS" /bin/env
    assert_eq "" "$(_env_of OCHRE_TEST_SECRET)" "a host variable leaked into the container"
    assert_eq xterm-test "$(_env_of TERM)" "TERM must be passed"
    assert_eq http://proxy.invalid:3128 "$(_env_of http_proxy)" "proxy variables must be passed"
    assert_status 0 "$OCHRE" exec --cleanenv "$ROOTFS" /bin/env
    assert_eq "" "$(_env_of TERM)" "--cleanenv must not pass TERM"
    assert_eq "" "$(_env_of http_proxy)" "--cleanenv must not pass proxies"
    [ -n "$(_env_of PATH)" ] || fail "PATH must have a default"
    [ -n "$(_env_of HOME)" ] || fail "HOME must have a default"
    assert_nothing_left
}

test_env_precedence() {
    need_images
    local img="oci:$IMAGES/busybox-oci:latest"
    # image Env alone
    assert_status 0 "$OCHRE" exec "$img" /bin/env
    assert_eq from-image "$(_env_of OCHRE_IMAGE_VAR)" "image Env"
    # SINGULARITYENV_ < APPTAINERENV_ < OCHREENV_, all over the image
    assert_status 0 env SINGULARITYENV_OCHRE_IMAGE_VAR=sing "$OCHRE" exec "$img" /bin/env
    assert_eq sing "$(_env_of OCHRE_IMAGE_VAR)" "SINGULARITYENV_ over image Env"
    assert_status 0 env SINGULARITYENV_OCHRE_IMAGE_VAR=sing APPTAINERENV_OCHRE_IMAGE_VAR=app \
        "$OCHRE" exec "$img" /bin/env
    assert_eq app "$(_env_of OCHRE_IMAGE_VAR)" "APPTAINERENV_ over SINGULARITYENV_"
    assert_status 0 env APPTAINERENV_OCHRE_IMAGE_VAR=app OCHREENV_OCHRE_IMAGE_VAR=ochre \
        "$OCHRE" exec "$img" /bin/env
    assert_eq ochre "$(_env_of OCHRE_IMAGE_VAR)" "OCHREENV_ over APPTAINERENV_"
    # --env-file over OCHREENV_, --env over --env-file
    printf 'OCHRE_IMAGE_VAR=file\nONLY_FILE=f\n' >"$TESTTMP/envfile"
    assert_status 0 env OCHREENV_OCHRE_IMAGE_VAR=ochre "$OCHRE" exec --env-file "$TESTTMP/envfile" "$img" /bin/env
    assert_eq file "$(_env_of OCHRE_IMAGE_VAR)" "--env-file over OCHREENV_"
    assert_status 0 env OCHREENV_OCHRE_IMAGE_VAR=ochre "$OCHRE" exec --env-file "$TESTTMP/envfile" \
        -e OCHRE_IMAGE_VAR=flag "$img" /bin/env
    assert_eq flag "$(_env_of OCHRE_IMAGE_VAR)" "--env over --env-file"
    assert_eq f "$(_env_of ONLY_FILE)" "other --env-file variables stay"
    assert_nothing_left
}

test_env_flag_forms() {
    # comma lists, repeats, a comma inside a value, no evaluation
    assert_status 0 "$OCHRE" exec -e A=1,B=2 --env C=3,with,comma -e 'D=$HOME' "$ROOTFS" /bin/env
    assert_eq 1 "$(_env_of A)"
    assert_eq 2 "$(_env_of B)"
    assert_eq 3,with,comma "$(_env_of C)" "a piece without '=' continues the value"
    assert_eq '$HOME' "$(_env_of D)" "--env values must never be evaluated"
    assert_status 0 env 'OCHREENV_E=$HOME' "$OCHRE" exec "$ROOTFS" /bin/env
    assert_eq '$HOME' "$(_env_of E)" "OCHREENV_ values must never be evaluated"
    assert_nothing_left
}

test_env_file_evaluated() {
    cat >"$TESTTMP/envfile" <<'EOT'
# a comment
FIRST=one
export SECOND="$FIRST two"
THIRD='$FIRST'
FOURTH=${FIRST}4
FIFTH=\$FIRST
EOT
    assert_status 0 "$OCHRE" exec --env-file "$TESTTMP/envfile" "$ROOTFS" /bin/env
    assert_eq one "$(_env_of FIRST)"
    assert_eq "one two" "$(_env_of SECOND)" "double quotes expand"
    assert_eq '$FIRST' "$(_env_of THIRD)" "single quotes do not"
    assert_eq one4 "$(_env_of FOURTH)" "\${X} expands"
    assert_eq '$FIRST' "$(_env_of FIFTH)" "backslash escapes"
    assert_error "--env-file" "$OCHRE" exec --env-file "$TESTTMP/nonexistent" "$ROOTFS" /bin/true
    assert_nothing_left
}

test_env_path_and_names() {
    assert_status 0 env OCHREENV_APPEND_PATH=/opt/after SINGULARITYENV_PREPEND_PATH=/opt/before \
        "$OCHRE" exec -e PATH=/bin "$ROOTFS" /bin/env
    assert_eq /opt/before:/bin:/opt/after "$(_env_of PATH)" "APPEND_PATH / PREPEND_PATH"
    [ -z "$(_env_of APPEND_PATH)" ] || fail "APPEND_PATH itself must not be set"
    assert_status 0 "$OCHRE" exec -e BAD-NAME=1,GOOD=2 "$ROOTFS" /bin/env
    assert_eq 2 "$(_env_of GOOD)"
    assert_contains "$ERR" "not a valid variable name" "a warning for a bad name"
    assert_not_contains "$OUT" "BAD-NAME" "a bad name must be dropped"
    assert_nothing_left
}

test_rt_hostname_pid_pwd() {
    assert_status 0 oexec --hostname node-x1.cluster "$ROOTFS" /bin/hostname
    assert_eq node-x1.cluster "$OUT" "--hostname"
    assert_error "invalid hostname" oexec --hostname 'bad name' "$ROOTFS" /bin/true
    assert_status 0 oexec "$ROOTFS" /bin/sh -c 'echo $$'
    assert_eq 1 "$OUT" "by default the container is pid 1"
    assert_status 0 oexec --no-pid "$ROOTFS" /bin/sh -c 'echo $$'
    [ "$OUT" != 1 ] || fail "--no-pid: echo \$\$ must not be 1"
    assert_status 0 oexec --pwd /etc "$ROOTFS" /bin/pwd
    assert_eq /etc "$OUT" "--pwd"
    assert_status 0 oexec --cwd /tmp "$ROOTFS" /bin/pwd
    assert_eq /tmp "$OUT" "--cwd"
    assert_error "absolute path" oexec --pwd relative "$ROOTFS" /bin/true
    assert_nothing_left
}

# /tmp and /var/tmp are private tmpfs mounts: writable for any caller
# (even over a root-owned rootfs), and gone with the container.
test_rt_private_tmp() {
    assert_status 0 oexec "$ROOTFS" /bin/sh -c \
        'grep -E " /tmp | /var/tmp " /proc/self/mounts; echo x >/tmp/f && echo y >/var/tmp/g && echo written'
    assert_contains "$OUT" "tmpfs /tmp tmpfs" "/tmp must be a tmpfs"
    assert_contains "$OUT" "tmpfs /var/tmp tmpfs" "/var/tmp must be a tmpfs"
    assert_contains "$OUT" "written" "/tmp and /var/tmp must be writable"
    assert_status 0 oexec "$ROOTFS" /bin/sh -c '! [ -e /tmp/f ] && ! [ -e /var/tmp/g ]'
    [ ! -e "$ROOTFS/tmp/f" ] || fail "a /tmp write reached the image"
    assert_nothing_left
}
