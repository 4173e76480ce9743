# shellcheck shell=bash
# Multi-node MPI under Slurm, on a real cluster on this one machine: one
# slurmctld and three slurmd (n1..n3) in network namespaces of their own on a
# private bridge (tests/cluster/cluster.sh says how). Each case starts its own
# cluster (about 0.5 s; 0.4 s to stop) and tears it down when it ends, however
# it ends; a case takes 2 s (5 s with a batch job). Every
# job runs tests/cluster/mpi_hello.c, built here with mpicc, and is checked
# for being ONE job: world size N, every rank 0..N-1 reported once, the
# allreduce's sum right, ranks on three distinct hosts; a job of singletons
# (each rank "0/1", as when the MPI stack's environment is lost) fails that.
#
# Root only (the cluster needs root); jobs run as root and as the test user.
# Skipped when the packages are missing (scripts/install-deps.sh installs
# slurm-wlm, munge, openmpi-bin, libopenmpi-dev). tests/run.sh copies
# tests/cluster/ next to this file's directory. By hand:
#     /work/bin/quick-e2e test_cluster            (or: make check)
#     tests/cluster/cluster.sh shell              (a cluster to play with)

# shellcheck source=tests/cluster/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../cluster/cluster.sh"
_CLUSTER_FILES=$(cd "$(dirname "${BASH_SOURCE[0]}")/../cluster" && pwd)

# Start a cluster for this case (skip without the packages); it is stopped
# when the case ends (lib.sh's at_exit runs after a failure or a timeout too).
# Builds mpi_hello into $CLUSTER_SHARED, which every node sees (each node's
# /tmp, and so $TESTTMP, is its own), and cds there.
_cluster_up() {
    local missing
    missing=$(cluster_missing)
    [ -z "$missing" ] || skip "package $missing not installed (scripts/install-deps.sh)"
    at_exit bash "$_CLUSTER_FILES/cluster.sh" stop
    # The nodes' /tmp is their own: they see an ochre installed under /tmp
    # through this.
    case $OCHRE_PREFIX in /tmp/?*) export CLUSTER_TMP_PATHS=$OCHRE_PREFIX ;; esac
    cluster_start || fail "the cluster did not start"
    mpicc -O2 -o "$CLUSTER_SHARED/mpi_hello" "$_CLUSTER_FILES/mpi_hello.c" || fail "mpicc failed"
    cd "$CLUSTER_SHARED" || fail "cd $CLUSTER_SHARED"
}

# A directory in $CLUSTER_SHARED owned by the test user, with mpi_hello: the
# user's jobs run there.
_cluster_user_dir() {
    local dir=$CLUSTER_SHARED/$OCHRE_TEST_USER
    if ! { mkdir -p "$dir" && cp "$CLUSTER_SHARED/mpi_hello" "$dir/" && chown -R "$OCHRE_TEST_USER:" "$dir"; }; then
        fail "cannot make $dir"
    fi
    echo "$dir"
}

# CMD... as the test user, with the cluster's environment (as_user passes
# almost none), in the current directory.
_cluster_as_user() {
    local envs=()
    mapfile -t envs < <(cluster_env)
    as_user env "${envs[@]}" "$@"
}

# `_assert_one_job OUTPUT SIZE HOSTS`: OUTPUT (mpi_hello's) is one MPI job of
# SIZE ranks on HOSTS distinct hosts: exactly SIZE lines "rank R/SIZE on H
# sum S", R = 0..SIZE-1 each once, S = SIZE*(SIZE+1)/2 (the allreduce of
# rank+1). Prints why not and fails otherwise.
_assert_one_job() {
    local out=$1 size=$2 hosts=$3 why
    why=$(awk -v n="$size" -v h="$hosts" '
        /^rank [0-9]+\/[0-9]+ on [^ ]+ sum [0-9]+$/ {
            split($2, rs, "/"); lines++
            if (rs[2] != n) { print "world size " rs[2] ", expected " n ": " $0; bad = 1 }
            if ($6 != n * (n + 1) / 2) { print "allreduce sum " $6 ", expected " n * (n + 1) / 2 ": " $0; bad = 1 }
            if (seen[rs[1]]++) { print "rank " rs[1] " reported twice"; bad = 1 }
            if (!(($4) in host)) { host[$4] = 1; nhosts++ }
        }
        END {
            if (lines != n) print lines + 0 " rank lines, expected " n
            for (r = 0; r < n; r++) if (!(r in seen)) print "rank " r " did not report"
            if (nhosts != h) print nhosts + 0 " distinct hosts, expected " h
        }' <<<"$out")
    [ -z "$why" ] && return 0
    echo "FAIL ($(_where)): not one MPI job of $size ranks on $hosts hosts:" >&2
    printf '%s\n' "$why" | sed 's/^/  /' >&2
    printf '%s\n' "$out" | sed 's/^/    | /' >&2
    [ -n "${ERR:-}" ] && printf '%s\n' "$ERR" | sed 's/^/  stderr| /' >&2
    exit 1
}

# True once batch job ID has ended (the controller keeps ended jobs for
# MinJobAge, 300 s).
_job_ended() {
    case $(scontrol -o show job "$1" 2>/dev/null) in
        *JobState=PENDING* | *JobState=RUNNING* | *JobState=CONFIGURING* | *JobState=COMPLETING* | "") return 1 ;;
    esac
}

# True once a job's `sleep $SLEEP_SECS` runs (slurmstepd execs it by its full
# path, so lib.sh's container_sleeping does not see it).
_job_sleeping() { pgrep -f "^[^ ]*sleep $SLEEP_SECS\$" >/dev/null; }

# Slurm made nothing in the host's cgroups (proctrack/linuxproc, task/none).
_assert_no_slurm_cgroups() {
    local found
    found=$(find /sys/fs/cgroup -name '*slurm*' 2>/dev/null | head -n 5)
    [ -z "$found" ] || fail "Slurm made cgroups on the host: $found"
}

# The bare-metal jobs below keep ranks on one node on TCP, as ochre's
# containers in a step are (driver/container/mpi.h): Open MPI's
# shared-memory transport between the ranks of this one-machine cluster's
# nodes failed now and then at start-up (a segfault after "A system call
# failed during shared memory initialization ... open(2) ... No such file or
# directory"), which is not what these tests are about.
_TCP=(env "OMPI_MCA_btl=tcp,self")

# Direct launch: srun starts the ranks, the PMIx server in slurmstepd wires
# them up. 6 ranks over 3 nodes.
test_cluster_srun_pmix_rootonly() {
    _cluster_up
    assert_status 0 "${_TCP[@]}" timeout 60 srun -N3 -n6 --mpi=pmix ./mpi_hello
    _assert_one_job "$OUT" 6 3
    _assert_no_slurm_cgroups
}

test_cluster_srun_pmix_as_user_rootonly() {
    _cluster_up
    cd "$(_cluster_user_dir)" || fail "cd"
    assert_status 0 _cluster_as_user "${_TCP[@]}" timeout 60 srun -N3 -n6 --mpi=pmix ./mpi_hello
    _assert_one_job "$OUT" 6 3
    # The ranks ran as the user.
    assert_status 0 _cluster_as_user timeout 60 srun -N3 -n3 id -un
    assert_eq "$OCHRE_TEST_USER $OCHRE_TEST_USER $OCHRE_TEST_USER " "$(tr '\n' ' ' <<<"$OUT")"
}

# The check above is what catches the failure the cluster tests are for: a
# step whose ranks lost the MPI stack's environment (here by `env -i`) exits 0
# with every rank a singleton.
test_cluster_singletons_are_caught_rootonly() {
    _cluster_up
    # shellcheck disable=SC2016 # $PATH expands on the node
    assert_status 0 timeout 60 srun -N3 -n6 --mpi=none sh -c 'exec env -i PATH="$PATH" ./mpi_hello'
    assert_contains "$OUT" "rank 0/1 on"
    if (_assert_one_job "$OUT" 6 3) 2>/dev/null; then
        fail "a job of singletons passed as one job: $OUT"
    fi
}

# mpirun inside an allocation: salloc on this host (mpirun starts its daemons
# on the nodes with srun), and a batch job (mpirun on the first node), the
# latter as the test user.
test_cluster_mpirun_in_salloc_rootonly() {
    _cluster_up
    assert_status 0 "${_TCP[@]}" timeout 60 salloc -N3 -n6 mpirun ./mpi_hello
    _assert_one_job "$OUT" 6 3
}

test_cluster_mpirun_in_sbatch_as_user_rootonly() {
    _cluster_up
    cd "$(_cluster_user_dir)" || fail "cd"
    printf '#!/bin/sh\nexport OMPI_MCA_btl=tcp,self\nexec mpirun ./mpi_hello\n' >job.sh
    chown "$OCHRE_TEST_USER:" job.sh
    # (Not sbatch --wait: it polls at intervals of seconds.)
    assert_status 0 _cluster_as_user sbatch --parsable -N3 -n6 -o job.out job.sh
    local id=$OUT state
    wait_until 60 _job_ended "$id" || fail "batch job $id did not end: $(scontrol -o show job "$id")"
    state=$(scontrol -o show job "$id" | grep -o 'JobState=[^ ]* .*ExitCode=[^ ]*' | sed 's/ .* / /')
    assert_eq "JobState=COMPLETED ExitCode=0:0" "$state" "batch job $id: $(cat job.out 2>&1)"
    _assert_one_job "$(cat job.out)" 6 3
}

# ---------------------------------------------------- ochre in a Slurm step

# An image with the host's Open MPI and PMIx and mpi_hello in
# /usr/local/bin, as $CLUSTER_SHARED/img (tests/cluster/mpi-rootfs.sh).
_cluster_image() {
    bash "$_CLUSTER_FILES/mpi-rootfs.sh" "$CLUSTER_SHARED/img" "$CLUSTER_SHARED/mpi_hello" ||
        fail "cannot build the MPI image"
    echo "$CLUSTER_SHARED/img"
}

# srun starts ochre on each node; ochre sees the step (SLURM_STEP_ID,
# PMIX_RANK) and passes the PMIx wire-up and the PMIx server's directory:
# one job of 6 ranks on 3 nodes, no flag needed.
test_cluster_srun_ochre_exec_rootonly() {
    _cluster_up
    local img
    img=$(_cluster_image)
    assert_status 0 timeout 60 srun -N3 -n6 --mpi=pmix "$OCHRE" exec "$img" mpi_hello
    _assert_one_job "$OUT" 6 3
}

test_cluster_srun_ochre_exec_as_user_rootonly() {
    _cluster_up
    local img
    img=$(_cluster_image)
    cd "$(_cluster_user_dir)" || fail "cd"
    assert_status 0 _cluster_as_user timeout 60 srun -N3 -n6 --mpi=pmix "$OCHRE" exec "$img" mpi_hello
    _assert_one_job "$OUT" 6 3
    assert_status 0 _cluster_as_user timeout 60 srun -N3 -n3 "$OCHRE" exec "$img" id -un
    assert_eq "$OCHRE_TEST_USER $OCHRE_TEST_USER $OCHRE_TEST_USER " "$(tr '\n' ' ' <<<"$OUT")"
}

# What ochre passes in a step, and that --no-mpi passes none of it.
test_cluster_srun_ochre_env_and_no_mpi_rootonly() {
    _cluster_up
    local img
    img=$(_cluster_image)
    # shellcheck disable=SC2016 # expands in the container
    assert_status 0 timeout 60 srun -N1 -n1 --mpi=pmix "$OCHRE" exec "$img" \
        sh -c 'echo "$SLURM_STEP_ID $PMIX_RANK $OMPI_MCA_btl"; test -d "$PMIX_SERVER_TMPDIR" && echo dir'
    assert_eq "0 0 ^vader,sm
dir" "$OUT"
    # shellcheck disable=SC2016 # expands in the container
    assert_status 0 timeout 60 srun -N1 -n1 --mpi=pmix "$OCHRE" exec --no-mpi "$img" \
        sh -c 'echo "[$SLURM_STEP_ID $PMIX_RANK $OMPI_MCA_btl]"'
    assert_eq "[  ]" "$OUT"
    # The user's own OMPI_MCA_btl wins (OCHREENV_ as in SingularityCE).
    # shellcheck disable=SC2016 # expands in the container
    assert_status 0 timeout 60 srun -N1 -n1 --mpi=pmix env OCHREENV_OMPI_MCA_btl=self,tcp \
        "$OCHRE" exec "$img" sh -c 'echo "$OMPI_MCA_btl"'
    assert_eq "self,tcp" "$OUT"
}

# Teardown removes everything, even with a job still running, and a start
# removes what a killed run left (here: a `cluster.sh run` killed with
# SIGKILL, which had no chance to clean up).
test_cluster_teardown_leaves_nothing_rootonly() {
    local missing netns_before hosts_before left pid
    missing=$(cluster_missing)
    [ -z "$missing" ] || skip "package $missing not installed (scripts/install-deps.sh)"
    netns_before=$(findmnt -rn -o TARGET --mountpoint /run/netns || true)
    hosts_before=$(cat /etc/hosts)

    # A run killed while its cluster is up, with a job running. Its process
    # group is killed when the case ends, before the cluster is stopped, if
    # the case fails before killing it: it holds the cluster's lock.
    # shellcheck disable=SC2016 # $CLUSTER_SHARED expands in the inner sh
    setsid bash "$_CLUSTER_FILES/cluster.sh" run sh -c \
        'cd "$CLUSTER_SHARED" && srun -N3 -n3 sleep "$1"' sh "$SLEEP_SECS" >"$TESTTMP/killed.log" 2>&1 &
    pid=$!
    at_exit kill -KILL -- -"$pid"
    at_exit bash "$_CLUSTER_FILES/cluster.sh" stop
    wait_until 30 _job_sleeping ||
        fail "the job did not start: $(cat "$TESTTMP/killed.log")"
    # The whole group: the script and the srun it started.
    kill -KILL -- -"$pid"
    wait "$pid" 2>/dev/null || true
    [ -n "$(cluster_leftovers)" ] || fail "the killed run left nothing to clean (was it killed?)"

    cluster_start || fail "a start after a killed run failed"
    # A job still running at teardown.
    (cd "$CLUSTER_SHARED" && exec srun -N3 -n3 sleep "$SLEEP_SECS" >/dev/null 2>&1) &
    track $!
    wait_until 30 _job_sleeping || fail "the second job did not start"
    # No cgroups for a running step either.
    _assert_no_slurm_cgroups
    cluster_stop || fail "cluster_stop failed"

    left=$(cluster_leftovers)
    [ -z "$left" ] || fail "left behind: $left"
    _job_sleeping && fail "a job's process survived the teardown"
    assert_eq "$netns_before" "$(findmnt -rn -o TARGET --mountpoint /run/netns || true)" "/run/netns mount"
    assert_eq "$hosts_before" "$(cat /etc/hosts)" "/etc/hosts"
    _assert_no_slurm_cgroups
}
