# shellcheck shell=bash
# Real workflow engines with ochre installed as `singularity` on PATH,
# against the loopback registry of test_registry.sh: Snakemake's
# --use-singularity (pull --name HASH.simg, then exec --home CWD IMAGE sh -c)
# and cwltool's --singularity (pull --force --name host:port_repo:tag.sif,
# then exec --contain --ipc --cleanenv --pid --home --bind --pwd --net
# --network none). Both need `ochre pull --name` (issue 20) and running the
# pulled OCI-SIF file (issue 19): until then they fail at that step.

# shellcheck source=tests/e2e/test_registry.sh
. "${BASH_SOURCE[0]%/*}/test_registry.sh"

# ochre as singularity first on PATH; the registry with busybox in it.
_workflow_setup() {
    need_registry
    mkdir -p "$TESTTMP/bin"
    ln -sf "$OCHRE" "$TESTTMP/bin/singularity"
    PATH=$TESTTMP/bin:$PATH
    export PATH
    # Plain HTTP to the loopback registry, as a site's module would say.
    export SINGULARITY_NOHTTPS=1
    _registry_start
    _push busybox-oci:latest acc/busybox:latest
}

test_workflows_snakemake() {
    command -v snakemake >/dev/null || fail "snakemake not installed (scripts/install-deps.sh)"
    _workflow_setup
    local wd=$TESTTMP/smk
    mkdir -p "$wd"
    # The test image is busybox: no bash, which Snakemake runs by default.
    cat >"$wd/Snakefile" <<SMK
shell.executable("/bin/sh")

rule all:
    input: "b.txt"

rule a:
    output: "a.txt"
    container: "docker://$REG/acc/busybox:latest"
    shell: "echo \"a in \$SINGULARITY_NAME\" > {output}"

rule b:
    input: "a.txt"
    output: "b.txt"
    container: "docker://$REG/acc/busybox:latest"
    shell: "cat {input} > {output}; echo \"b sees \$OCHRE_IMAGE_VAR\" >> {output}"
SMK
    assert_status 0 snakemake --use-singularity --singularity-prefix "$TESTTMP/smk-images" \
        --cores 1 --directory "$wd" --snakefile "$wd/Snakefile"
    # The image was pulled with --name into Snakemake's own directory.
    compgen -G "$TESTTMP/smk-images/*.simg" >/dev/null ||
        fail "snakemake's pull left no .simg in its prefix: $ERR"
    assert_contains "$(cat "$wd/b.txt")" "a in " "rule a ran in a container"
    assert_contains "$(cat "$wd/b.txt")" "b sees from-image" "rule b ran in the image's environment"
    assert_nothing_left
}

test_workflows_cwltool() {
    command -v cwltool >/dev/null || fail "cwltool not installed (scripts/install-deps.sh)"
    _workflow_setup
    local wd=$TESTTMP/cwl
    mkdir -p "$wd/out" "$wd/tmp"
    cat >"$wd/tool.cwl" <<CWL
cwlVersion: v1.0
class: CommandLineTool
requirements:
  DockerRequirement:
    dockerPull: $REG/acc/busybox:latest
baseCommand: [sh, -c, 'echo "hello \$OCHRE_IMAGE_VAR" > out.txt']
inputs: []
outputs:
  out:
    type: File
    outputBinding: {glob: out.txt}
CWL
    # cwltool pulls into its working directory, named host:port_repo:tag.sif.
    assert_status 0 bash -c "cd '$wd' && cwltool --singularity --outdir '$wd/out' \
        --tmpdir-prefix '$wd/tmp/' tool.cwl"
    compgen -G "$wd/*:*.sif" >/dev/null || fail "cwltool's pull left no host:port_repo:tag.sif: $ERR"
    assert_eq "hello from-image" "$(cat "$wd/out/out.txt")" "the tool ran in the image"
    assert_nothing_left
}
