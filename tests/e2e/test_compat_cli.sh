# shellcheck shell=bash
# Container commands are single-quoted on purpose:
# shellcheck disable=SC2016
# ochre under the names `singularity` and `apptainer` (links as `make
# install COMPAT_LINKS=yes` makes them, here in the test's own bin/): their
# --version forms as workflow engines parse them, their flags, their
# variables in the invoked name's order, SINGULARITY_/APPTAINER_ CONTAINER
# and NAME in the container, an image path with colons, and one clear
# error (exit 255) for what ochre does not do.

# $TESTTMP/bin/{singularity,apptainer} -> the installed ochre.
_links() {
    mkdir -p "$TESTTMP/bin"
    ln -sf "$OCHRE" "$TESTTMP/bin/singularity"
    ln -sf "$OCHRE" "$TESTTMP/bin/apptainer"
    SING=$TESTTMP/bin/singularity
    APPT=$TESTTMP/bin/apptainer
}

# The value of NAME in `env` output in $OUT (empty if unset).
_env_of() { printf '%s\n' "$OUT" | sed -n "s/^$1=//p"; }

test_compat_cli_versions() {
    _links
    assert_status 0 "$SING" --version
    assert_contains "$OUT" "singularity-ce version 4." "SingularityCE's form"
    local v=${OUT##* }
    assert_contains "$v" "-ochre." "ochre's version attached to the last word"
    assert_status 0 "$SING" version
    assert_eq "$v" "$OUT" "'singularity version' prints the version alone"
    assert_status 0 "$APPT" --version
    assert_contains "$OUT" "apptainer version 1." "Apptainer's form"
    # cwltool: re.match(r"(.+) version ([0-9\.]+)") and int() of each part;
    # Snakemake: the last word, "v" stripped, LooseVersion >= 2.4.1.
    assert_status 0 python3 -c '
import re, subprocess, sys
out = subprocess.check_output([sys.argv[1], "--version"], text=True).strip()
m = re.match(r"(.+) version ([0-9\.]+)", out)
parts = [int(i) for i in m.group(2).split(".")]
assert m.group(1) in ("singularity-ce", "apptainer"), m.group(1)
last = [int(x) for x in re.findall(r"\d+", out.rsplit(" ", 1)[-1])[:3]]
assert last >= [2, 4, 1], last
print(m.group(1), parts)' "$SING"
    assert_contains "$OUT" "singularity-ce [4, 1, 0]"
    assert_status 0 "$OCHRE" --version
    assert_contains "$OUT" "ochre "
}

test_compat_cli_flags() {
    _links
    # cwltool's and job scripts' flags: accepted, the container runs.
    assert_status 0 "$SING" --quiet exec --contain --ipc --cleanenv --pid --uts --oci --no-init \
        --writable-tmpfs --no-eval "$ROOTFS" /bin/sh -c 'echo ran'
    assert_eq ran "$OUT"
    assert_status 0 "$APPT" -s exec -cei "$ROOTFS" /bin/true
    # -C: no host environment at all (not even TERM).
    assert_status 0 env TERM=xterm "$SING" exec -C "$ROOTFS" /bin/env
    assert_eq "" "$(_env_of TERM)" "-C (containall) cleans the environment"
    # --home SRC:DST and --pwd, as cwltool passes them.
    mkdir -p "$TESTTMP/out"
    assert_status 0 "$SING" exec --home "$TESTTMP/out:/cwlhome" --pwd /cwlhome "$ROOTFS" \
        /bin/sh -c 'echo "$HOME $(pwd)"; touch x'
    assert_eq "/cwlhome /cwlhome" "$OUT"
    [ -e "$TESTTMP/out/x" ] || fail "--home SRC:DST is SRC, writable"
    # Repeated and comma-separated --env-file; --no-eval keeps $X.
    printf 'A=1\nB=$A\n' >"$TESTTMP/e1"
    printf 'C=3\n' >"$TESTTMP/e2"
    printf 'D=4\n' >"$TESTTMP/e3"
    assert_status 0 "$SING" exec --env-file "$TESTTMP/e1,$TESTTMP/e2" --env-file "$TESTTMP/e3" "$ROOTFS" /bin/env
    assert_eq "1 1 3 4" "$(_env_of A) $(_env_of B) $(_env_of C) $(_env_of D)" "every --env-file read"
    assert_status 0 "$SING" exec --no-eval --env-file "$TESTTMP/e1" "$ROOTFS" /bin/env
    assert_eq '$A' "$(_env_of B)" "--no-eval: no expansion"
    assert_nothing_left
}

test_compat_cli_env_precedence() {
    _links
    local h='cat /proc/sys/kernel/hostname'
    assert_status 0 env SINGULARITY_HOSTNAME=sing APPTAINER_HOSTNAME=appt OCHRE_HOSTNAME=och \
        "$SING" exec "$ROOTFS" /bin/sh -c "$h"
    assert_eq sing "$OUT" "singularity: SINGULARITY_"
    assert_status 0 env SINGULARITY_HOSTNAME=sing APPTAINER_HOSTNAME=appt OCHRE_HOSTNAME=och \
        "$APPT" exec "$ROOTFS" /bin/sh -c "$h"
    assert_eq appt "$OUT" "apptainer: APPTAINER_ before SINGULARITY_"
    assert_status 0 env SINGULARITY_HOSTNAME=sing "$APPT" exec "$ROOTFS" /bin/sh -c "$h"
    assert_eq sing "$OUT" "apptainer: then SINGULARITY_"
    assert_status 0 env SINGULARITY_HOSTNAME=sing APPTAINER_HOSTNAME=appt OCHRE_HOSTNAME=och \
        "$OCHRE" exec "$ROOTFS" /bin/sh -c "$h"
    assert_eq och "$OUT" "ochre: OCHRE_ first"
    assert_status 0 env SINGULARITY_HOSTNAME=sing "$SING" exec --hostname cli "$ROOTFS" /bin/sh -c "$h"
    assert_eq cli "$OUT" "the command line wins"
    # *_BIND adds to -B; *_CLEANENV, *_HOME, *_PWD.
    mkdir -p "$TESTTMP/b1" "$TESTTMP/b2" "$TESTTMP/hm"
    echo one >"$TESTTMP/b1/f"
    echo two >"$TESTTMP/b2/f"
    assert_status 0 env SINGULARITY_BIND="$TESTTMP/b1:/b1" SINGULARITY_HOME="$TESTTMP/hm:/h" \
        SINGULARITY_PWD=/b1 SINGULARITY_CLEANENV=true TERM=xterm \
        "$SING" exec -B "$TESTTMP/b2:/b2" "$ROOTFS" /bin/sh -c 'cat /b1/f /b2/f; echo "$HOME $(pwd) T=$TERM"'
    assert_eq "one
two
/h /b1 T=" "$OUT" "SINGULARITY_BIND with -B, _HOME, _PWD, _CLEANENV"
    assert_error "is not a boolean" env SINGULARITY_NV=sometimes "$SING" exec "$ROOTFS" /bin/true
    assert_nothing_left
}

test_compat_cli_container_vars() {
    _links
    ln -s "$ROOTFS" "$TESTTMP/my-image"
    assert_status 0 "$SING" exec "$TESTTMP/my-image" /bin/env
    local real
    real=$(realpath "$ROOTFS")
    assert_eq "$real" "$(_env_of SINGULARITY_CONTAINER)" "SINGULARITY_CONTAINER: the image's absolute path"
    assert_eq "${real##*/}" "$(_env_of SINGULARITY_NAME)" "SINGULARITY_NAME: its last component"
    assert_eq "$real" "$(_env_of APPTAINER_CONTAINER)" "APPTAINER_CONTAINER"
    assert_eq "${real##*/}" "$(_env_of APPTAINER_NAME)" "APPTAINER_NAME"
}

test_compat_cli_path_with_colons() {
    _links
    # cwltool's names ('host:port_repo:tag.sif'); and one that starts like
    # a transport: an existing path is that path, under every name.
    ln -s "$ROOTFS" "$TESTTMP/localhost:5000_acc_busybox:latest"
    ln -s "$ROOTFS" "$TESTTMP/oci:odd"
    local name
    for name in "$SING" "$APPT" "$OCHRE"; do
        assert_status 0 "$name" exec "$TESTTMP/localhost:5000_acc_busybox:latest" /bin/true
        (cd "$TESTTMP" && "$name" exec oci:odd /bin/true) || fail "$name: 'oci:odd' is an existing directory"
    done
    assert_nothing_left
}

test_compat_cli_errors() {
    _links
    assert_error "singularity exec: --boot is not supported" "$SING" exec --boot "$ROOTFS" /bin/true
    assert_error "apptainer exec: unknown or unsupported flag --frobnicate" "$APPT" exec --frobnicate "$ROOTFS" /bin/true
    assert_error "singularity exec: unknown or unsupported flag -Z" "$SING" exec -Z "$ROOTFS" /bin/true
    assert_error "singularity build: not supported by ochre" "$SING" build x.sif docker://busybox
    assert_error "--writable is not supported" "$SING" exec -w "$ROOTFS" /bin/true
    assert_error "singularity.conf" "$SING" -c /etc/singularity.conf exec "$ROOTFS" /bin/true
    assert_error "contradict" "$SING" exec --contain --no-compat "$ROOTFS" /bin/true
    # A refused flag's variable (a module's setting) is a warning only.
    assert_status 0 env SINGULARITY_BOOT=1 "$SING" exec "$ROOTFS" /bin/true
    assert_contains "$ERR" "ignoring \$SINGULARITY_BOOT"
    assert_nothing_left
}
