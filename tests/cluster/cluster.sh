#!/bin/bash
# tests/cluster/cluster.sh — a real Slurm cluster on this one machine, for
# the multi-node tests (tests/e2e/test_cluster.sh, run by `make check`).
#
# One munged (a key and socket of its own), one slurmctld (hostname "ctl") and
# three slurmd ("n1".."n3"). Each daemon but munged runs in a network
# namespace of its own, entered with `nsenter --net` + `unshare --uts --mount`
# (not `ip netns exec`, which remounts /sys and so hides /sys/fs/cgroup, which
# real nodes have), with its own hostname, /tmp and /dev/shm (PMIx and Open
# MPI put their rendezvous sockets and segments there; a shared /tmp breaks
# PMIx). They sit on a private bridge with addresses from 198.51.100.0/24 (a
# documentation range, routed nowhere): ctl .10, nodes .11-.13, the host .1
# (for clients: srun, salloc, sbatch run here). No default route anywhere:
# no traffic leaves the bridge, and slurmctld listens on no host interface.
# Nothing is made in the host's cgroups (proctrack/linuxproc, task/none).
# Everything else lives under /run/ochre-cluster (config, logs, state, the
# munge key); jobs must run in $CLUSTER_SHARED, which every node sees (/tmp is
# the node's own).
#
# By hand, as root, after `scripts/install-deps.sh` (slurm-wlm, munge,
# openmpi-bin, libopenmpi-dev):
#     tests/cluster/cluster.sh shell        a shell with SLURM_CONF and the
#                                           Open MPI settings; the cluster
#                                           goes away when the shell exits
#     tests/cluster/cluster.sh run CMD...   the same around one command, e.g.
#         tests/cluster/cluster.sh run sh -c 'cd "$CLUSTER_SHARED" &&
#             mpicc -o hello /path/to/tests/cluster/mpi_hello.c &&
#             srun -N3 -n6 ./hello'
#     tests/cluster/cluster.sh start        start it and leave it running
#                                           (prints the environment to use)
#     tests/cluster/cluster.sh stop         tear it down, or what a killed
#                                           run left behind
#     tests/cluster/cluster.sh leftovers    what of a cluster is there now
# Start-up takes about 0.5 s, teardown about 0.4 s.
# Or source this file and call cluster_start / cluster_stop (the tests do).
#
# One cluster at a time: it belongs to the process that started it (for
# `start`, the calling shell) until cluster_stop; a start waits while that
# process lives, then removes whatever it left: processes by pid (all in the
# members' network namespaces, the daemons whose command line names the
# cluster's directory, and clients such as srun whose SLURM_CONF is the
# cluster's), the namespaces, the bridge, the /run/netns mount if the run made
# it, its firewall rules and the directory. /run/ochre-cluster.lock
# serializes starts and stops.
#
# What it changes on the host, all removed by cluster_stop: the bridge
# ochre-br0 (198.51.100.1/24, IPv6 off) and its veths ochre-v*; network
# namespaces ochre-ctl and ochre-n1..3 under /run/netns (and /run/netns
# itself, if it was not there); two iptables ACCEPT rules for traffic on the
# bridge (commented "ochre-cluster", for hosts whose INPUT or FORWARD policy
# drops); /run/ochre-cluster. The lock file stays. No /etc/hosts lines: every
# address is in the config. CLUSTER_START_TIMEOUT [30]: seconds to wait for
# the daemons.

CLUSTER_DIR=/run/ochre-cluster
CLUSTER_LOCK=/run/ochre-cluster.lock
CLUSTER_SHARED=$CLUSTER_DIR/shared
CLUSTER_NODES=(n1 n2 n3)
CLUSTER_SUBNET=198.51.100.0/24
# The host's end of the bridge, where clients (srun, salloc) run.
CLUSTER_HOST_ADDR=198.51.100.1
CLUSTER_BRIDGE=ochre-br0
CLUSTER_CPUS_PER_NODE=4
# Marks what the cluster adds to shared tables (iptables comments).
_CL_MARK=ochre-cluster
# Seconds to wait for all nodes to be idle.
_CL_START_TIMEOUT=${CLUSTER_START_TIMEOUT:-30}

# The machines: the controller and the nodes, each in network namespaces of
# its own.
_CL_MEMBERS=(ctl "${CLUSTER_NODES[@]}")
# Member M's address (ctl -> 198.51.100.10, n1 -> .11), network namespace and
# host-side veth.
_cl_addr() {
    case $1 in
        ctl) echo 198.51.100.10 ;;
        *) echo "198.51.100.1${1#n}" ;;
    esac
}
_cl_netns() { echo "ochre-$1"; }
_cl_veth() { echo "ochre-v$1"; }

_cl_say() { echo "cluster: $*" >&2; }

# The packages the cluster needs, as the first missing command's package, or
# nothing when all are there.
cluster_missing() {
    local pair
    for pair in slurmctld:slurmctld slurmd:slurmd srun:slurm-client munged:munge \
        mungekey:munge mpicc:libopenmpi-dev mpirun:openmpi-bin nsenter:util-linux \
        unshare:util-linux ip:iproute2 flock:util-linux; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || { echo "${pair#*:}"; return 0; }
    done
    [ -e /usr/lib/x86_64-linux-gnu/slurm-wlm/mpi_pmix.so ] ||
        [ -n "$(find /usr/lib -name mpi_pmix.so -path '*slurm*' -print -quit 2>/dev/null)" ] ||
        echo slurm-wlm-basic-plugins
}

# ------------------------------------------------------- locking and owner

# The lock is held only while a start or stop works (not while the cluster
# runs: whatever inherited it, a stray srun say, would keep it for good).
# Between the two, the cluster belongs to its owner: the process that
# started it, as "PID STARTTIME" in $CLUSTER_DIR/owner; a start waits for the
# owner to end, then removes what it left.
_cl_lock() {
    exec {_CL_LOCK_FD}>>"$CLUSTER_LOCK" || return 1
    if ! flock -w 120 "$_CL_LOCK_FD"; then
        _cl_say "another start or stop holds $CLUSTER_LOCK (waited 120 s)"
        _cl_unlock
        return 1
    fi
}

_cl_unlock() {
    [ -n "${_CL_LOCK_FD:-}" ] || return 0
    exec {_CL_LOCK_FD}>&-
    unset _CL_LOCK_FD
}

# PID's start time (field 22 of its stat), to tell it from a later process
# with the same pid. The command name, field 2, may hold spaces: skip past it.
_cl_starttime() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    # shellcheck disable=SC2086 # split into fields on purpose
    set -- $stat
    echo "${20}"
}

# True while the cluster's owner runs.
_cl_owner_alive() {
    local pid start
    read -r pid start 2>/dev/null <"$CLUSTER_DIR/owner" || return 1
    [ "$(_cl_starttime "$pid")" = "$start" ]
}

# Take the lock once the cluster has no live owner (waiting up to 120 s,
# without the lock: the owner needs it to stop its cluster).
_cl_lock_unowned() {
    local tries=600
    while :; do
        _cl_lock || return 1
        _cl_owner_alive || return 0
        _cl_unlock
        tries=$((tries - 1))
        if [ "$tries" -le 0 ]; then
            _cl_say "the cluster is still in use by pid $(cut -d' ' -f1 "$CLUSTER_DIR/owner");" \
                "'cluster.sh stop' removes it anyway"
            return 1
        fi
        sleep 0.2
    done
}

# -------------------------------------------------------------------- set-up

_cl_write_config() {
    local d=$CLUSTER_DIR n
    {
        echo "# Generated by tests/cluster/cluster.sh; removed with the cluster."
        echo "ClusterName=ochre"
        echo "SlurmctldHost=ctl($(_cl_addr ctl))"
        echo "SlurmUser=root"
        echo "SlurmdUser=root"
        echo "AuthType=auth/munge"
        echo "CredType=cred/munge"
        echo "AuthInfo=socket=$d/munge/munge.socket.2"
        echo "SlurmctldPort=6817"
        echo "SlurmdPort=6818"
        echo "StateSaveLocation=$d/ctl/state"
        echo "SlurmctldPidFile=$d/ctl/slurmctld.pid"
        echo "SlurmctldLogFile=$d/ctl/slurmctld.log"
        echo "SlurmdSpoolDir=$d/%n/spool"
        echo "SlurmdPidFile=$d/%n/slurmd.pid"
        echo "SlurmdLogFile=$d/%n/slurmd.log"
        echo "SlurmctldDebug=info"
        echo "SlurmdDebug=info"
        # The nodes are what this file says, not what the machine has.
        echo "SlurmdParameters=config_overrides"
        # Nothing in the host's cgroups: processes tracked by parentage.
        echo "ProctrackType=proctrack/linuxproc"
        echo "TaskPlugin=task/none"
        echo "JobAcctGatherType=jobacct_gather/none"
        echo "AccountingStorageType=accounting_storage/none"
        echo "JobCompType=jobcomp/none"
        echo "SwitchType=switch/none"
        # Debian's Open MPI speaks PMIx only (no PMI-1/2).
        echo "MpiDefault=pmix"
        echo "PlugStackConfig=$d/etc/plugstack.conf"
        echo "SchedulerType=sched/builtin"
        echo "SelectType=select/cons_tres"
        echo "SelectTypeParameters=CR_CPU"
        echo "ReturnToService=2"
        echo "KillWait=2"
        echo "MailProg=/bin/true"
        echo "TmpFS=/tmp"
        for n in "${CLUSTER_NODES[@]}"; do
            echo "NodeName=$n NodeAddr=$(_cl_addr "$n") CPUs=$CLUSTER_CPUS_PER_NODE State=UNKNOWN"
        done
        echo "PartitionName=all Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
    } >"$d/etc/slurm.conf"
    # Read by slurmd and slurmstepd; with the plugins above nothing uses it.
    echo "CgroupPlugin=cgroup/v1" >"$d/etc/cgroup.conf"
    # No SPANK plugins but the tests' own (not the host's /etc/slurm ones).
    : >"$d/etc/plugstack.conf"
}

_cl_make_dirs() {
    local d=$CLUSTER_DIR m
    # 0755 all the way: the test user reads the config and the munge socket.
    mkdir -m 0755 "$d" "$d/etc" "$d/munge" || return 1
    # Jobs' working directories: the same path on every node.
    mkdir -m 1777 "$d/shared" || return 1
    for m in "${_CL_MEMBERS[@]}"; do
        mkdir -m 0755 "$d/$m" "$d/$m/spool" "$d/$m/state" || return 1
        mkdir -m 1777 "$d/$m/tmp" || return 1
    done
}

# Wait until FILE exists (0.02 s steps, SECONDS at most).
_cl_wait_for_file() {
    local file=$1 tries=$(($2 * 50))
    while [ ! -e "$file" ]; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || return 1
        sleep 0.02
    done
}

_cl_start_munge() {
    local m=$CLUSTER_DIR/munge
    mungekey --create --keyfile="$m/munge.key" --bits=1024 || return 1
    # cd /: no daemon keeps the caller's directory (a test's) busy. setsid:
    # see _cl_start_member.
    (cd / && exec setsid munged --foreground --socket="$m/munge.socket.2" --key-file="$m/munge.key" \
        --pid-file="$m/munged.pid" --log-file="$m/munged.log" --seed-file="$m/munged.seed" \
        >"$m/munged.out" 2>&1 </dev/null {_CL_LOCK_FD}>&-) &
    disown
    _cl_wait_for_file "$m/munge.socket.2" 10 || { _cl_say "munged did not start"; return 1; }
}

# Whether /run/netns is a mount point now (`ip netns add` makes it one).
_cl_run_netns_mounted() { findmnt -rn -o TARGET --mountpoint /run/netns >/dev/null 2>&1; }

# The bridge on the host (198.51.100.1, for clients) and a network namespace
# per member with a veth into it; no default route anywhere.
_cl_make_network() {
    local m ns veth
    # Record, before touching it, whether /run/netns is ours to remove.
    [ -d /run/netns ] || echo "made_run_netns_dir" >>"$CLUSTER_DIR/state"
    _cl_run_netns_mounted || echo "made_run_netns_mount" >>"$CLUSTER_DIR/state"
    ip link add "$CLUSTER_BRIDGE" type bridge || return 1
    _cl_no_ipv6 "$CLUSTER_BRIDGE"
    ip addr add "$CLUSTER_HOST_ADDR/24" dev "$CLUSTER_BRIDGE" || return 1
    ip link set "$CLUSTER_BRIDGE" up || return 1
    for m in "${_CL_MEMBERS[@]}"; do
        ns=$(_cl_netns "$m") veth=$(_cl_veth "$m")
        ip netns add "$ns" || return 1
        ip link add "$veth" type veth peer name eth0 netns "$ns" || return 1
        _cl_no_ipv6 "$veth"
        ip link set "$veth" master "$CLUSTER_BRIDGE" up || return 1
        nsenter --net="/run/netns/$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/eth0/disable_ipv6' 2>/dev/null
        ip -n "$ns" addr add "$(_cl_addr "$m")/24" dev eth0 || return 1
        ip -n "$ns" link set eth0 up || return 1
        ip -n "$ns" link set lo up || return 1
    done
}

# IPv6 off on a host interface of ours: no link-local addresses for Open MPI
# or PMIx to wander onto, nothing sent but IPv4 on the bridge.
_cl_no_ipv6() {
    local f=/proc/sys/net/ipv6/conf/$1/disable_ipv6
    [ -w "$f" ] && echo 1 >"$f"
    return 0
}

# The iptables rules that let traffic on the bridge through on hosts whose
# INPUT or FORWARD policy drops (bridged packets traverse FORWARD when
# br_netfilter is loaded). Without a working iptables there is nothing to open.
_CL_FW_RULES=("INPUT -i $CLUSTER_BRIDGE" "FORWARD -i $CLUSTER_BRIDGE -o $CLUSTER_BRIDGE")
_cl_firewall_open() {
    local rule
    command -v iptables >/dev/null 2>&1 && iptables -w -S INPUT >/dev/null 2>&1 || return 0
    for rule in "${_CL_FW_RULES[@]}"; do
        # shellcheck disable=SC2086 # the rule is split into words on purpose
        iptables -w -I ${rule%% *} 1 ${rule#* } -m comment --comment "$_CL_MARK" -j ACCEPT || return 1
    done
}

_cl_firewall_close() {
    local rule
    command -v iptables >/dev/null 2>&1 || return 0
    for rule in "${_CL_FW_RULES[@]}"; do
        # shellcheck disable=SC2086
        while iptables -w -D ${rule%% *} ${rule#* } -m comment --comment "$_CL_MARK" -j ACCEPT 2>/dev/null; do :; done
    done
}

# Member M (ctl or a node) runs CMD... in its network namespace, with a UTS
# and mount namespace of its own (mounts private: nothing reaches the host)
# for its hostname, /tmp and /dev/shm, as a real machine has. Its pid is the
# command's (setsid, nsenter and unshare exec), and it is disowned: the
# caller's shell does not report its death at teardown. In a session of its
# own, so that a signal to the caller's process group (a test's timeout)
# leaves the cluster up for srun to end its step and the caller to stop it;
# if the caller is killed outright, the next start removes it.
# CLUSTER_TMP_PATHS (space-separated paths under /tmp, e.g. an ochre install
# in a test's temporary prefix): the members see these host paths, bound over
# their own /tmp, at the same places.
_cl_start_member() {
    local m=$1 dir=$CLUSTER_DIR/$1
    shift
    # shellcheck disable=SC2016 # $1.. expand in the inner sh
    (cd / && exec setsid nsenter --net="/run/netns/$(_cl_netns "$m")" \
        unshare --uts --mount --propagation private sh -c '
            hostname "$1" || exit 1
            for p in ${CLUSTER_TMP_PATHS:-}; do
                case $p in /tmp/?*) ;; *) echo "CLUSTER_TMP_PATHS: $p is not under /tmp" >&2; exit 1 ;; esac
                mkdir -p "$2/${p#/tmp/}" && mount --bind "$p" "$2/${p#/tmp/}" || exit 1
            done
            mount --rbind "$2" /tmp &&
            mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm &&
            shift 2 && exec "$@"' sh "$m" "$dir/tmp" "$@" \
        >"$dir/daemon.out" 2>&1 </dev/null {_CL_LOCK_FD}>&-) &
    disown
}

# True once slurmctld accepts connections (refused at once before: its
# namespace is there). Slurm's clients and slurmd back off for a second or
# more after a refused connection, so they come only after this.
_cl_ctl_listening() { (exec 3<>"/dev/tcp/$(_cl_addr ctl)/6817") 2>/dev/null; }

_cl_wait_ctl() {
    local tries=$((_CL_START_TIMEOUT * 50))
    until _cl_ctl_listening; do
        tries=$((tries - 1))
        if [ "$tries" -le 0 ]; then
            _cl_say "slurmctld does not listen after ${_CL_START_TIMEOUT}s:"
            _cl_show_logs
            return 1
        fi
        sleep 0.02
    done
}

# True when every node is idle (registered, nothing running).
_cl_all_idle() {
    local states
    states=$(sinfo -h -N -o '%N %T' 2>/dev/null) || return 1
    [ "$(grep -c ' idle$' <<<"$states")" -eq "${#CLUSTER_NODES[@]}" ]
}

_cl_wait_idle() {
    local deadline=$((SECONDS + _CL_START_TIMEOUT))
    until _cl_all_idle; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            _cl_say "the nodes are not idle after ${_CL_START_TIMEOUT}s:"
            sinfo -N 2>&1 | sed 's/^/    /' >&2
            _cl_show_logs
            return 1
        fi
        sleep 0.02
    done
}

# The tails of the daemons' logs, for a failed start.
_cl_show_logs() {
    local f
    for f in "$CLUSTER_DIR"/munge/munged.out "$CLUSTER_DIR"/*/daemon.out "$CLUSTER_DIR"/*/*.log; do
        [ -s "$f" ] || continue
        echo "  --- $f" >&2
        tail -n 15 "$f" | sed 's/^/    /' >&2
    done
}

# The environment for clients and jobs: Slurm's config, and Open MPI and
# PMIx kept on the bridge (CIDR, so the same on the host and on the nodes).
# Root may run mpirun (it refuses by default).
_CL_ENV=(
    "SLURM_CONF=$CLUSTER_DIR/etc/slurm.conf"
    "CLUSTER_SHARED=$CLUSTER_SHARED"
    "OMPI_MCA_btl_tcp_if_include=$CLUSTER_SUBNET"
    "OMPI_MCA_oob_tcp_if_include=$CLUSTER_SUBNET"
    "PMIX_MCA_ptl_tcp_if_include=$CLUSTER_SUBNET"
    "OMPI_ALLOW_RUN_AS_ROOT=1"
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
)

# The environment, NAME=VALUE a line (for `env`, or to hand to another user).
cluster_env() { printf '%s\n' "${_CL_ENV[@]}"; }

cluster_export_env() {
    local v
    for v in "${_CL_ENV[@]}"; do
        export "${v?}"
    done
}

# Refuse a host that already uses our range: the bridge would shadow it.
_cl_subnet_free() {
    if ip -4 -o addr show | grep -q ' inet 198\.51\.100\.' ||
        [ -n "$(ip -4 route show | awk '$1 ~ /^198\.51\.100\./')" ]; then
        _cl_say "198.51.100.0/24 is already in use on this host; not starting"
        return 1
    fi
}

# Start the cluster for OWNER [the caller] (removing what a killed run left
# first) and export its environment into the caller.
cluster_start() {
    local owner=${1:-$$} missing n
    if [ "$(id -u)" -ne 0 ]; then
        _cl_say "must run as root"
        return 1
    fi
    missing=$(cluster_missing)
    if [ -n "$missing" ]; then
        _cl_say "package $missing is not installed (scripts/install-deps.sh)"
        return 1
    fi
    _cl_lock_unowned || return 1
    _cl_teardown
    if ! { _cl_subnet_free && _cl_make_dirs && _cl_write_config && _cl_start_munge &&
        _cl_make_network && _cl_firewall_open; }; then
        _cl_say "set-up failed"
        _cl_teardown
        _cl_unlock
        return 1
    fi
    _cl_start_member ctl slurmctld -D -f "$CLUSTER_DIR/etc/slurm.conf"
    if ! _cl_wait_ctl; then
        _cl_teardown
        _cl_unlock
        return 1
    fi
    for n in "${CLUSTER_NODES[@]}"; do
        _cl_start_member "$n" slurmd -D -N "$n" -f "$CLUSTER_DIR/etc/slurm.conf"
    done
    cluster_export_env
    if ! _cl_wait_idle; then
        _cl_teardown
        _cl_unlock
        return 1
    fi
    echo "$owner $(_cl_starttime "$owner")" >"$CLUSTER_DIR/owner"
    _cl_unlock
}

# ------------------------------------------------------------------ teardown

# Pids of the cluster's daemons: those whose command line names its directory.
_cl_daemon_pids() {
    pgrep -f -- "^[^ ]*(slurmctld|slurmd|munged) .*$CLUSTER_DIR/" || true
}

# Pids of everything in the members' network namespaces: the daemons,
# slurmstepd and the jobs' tasks (slurmstepd daemonizes, so parentage does not
# find them).
_cl_member_pids() {
    local m
    for m in "${_CL_MEMBERS[@]}"; do
        [ -e "/run/netns/$(_cl_netns "$m")" ] && ip netns pids "$(_cl_netns "$m")" 2>/dev/null
    done
    return 0
}

# Pids of the cluster's clients left running (srun, salloc, mpirun...): they
# would wait for the cluster forever. Found by name, then kept only if their
# environment names this cluster's config.
_cl_client_pids() {
    local p
    for p in $(ps -e -o pid=,comm= | awk '$2 ~ /^(srun|salloc|sbatch|scontrol|sinfo|squeue|scancel|mpirun|orterun)$/ { print $1 }'); do
        [ "$p" != $$ ] && grep -qzx "SLURM_CONF=$CLUSTER_DIR/etc/slurm.conf" "/proc/$p/environ" 2>/dev/null &&
            echo "$p"
    done
    return 0
}

# True while PID runs (a zombie has released its namespaces and files).
_cl_alive() {
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

_cl_kill_all() {
    local pids=() p deadline=$((SECONDS + 10))
    mapfile -t pids < <(_cl_member_pids; _cl_daemon_pids; _cl_client_pids)
    [ ${#pids[@]} -gt 0 ] || return 0
    for p in "${pids[@]}"; do
        kill -KILL "$p" 2>/dev/null
    done
    for p in "${pids[@]}"; do
        while _cl_alive "$p"; do
            [ "$SECONDS" -lt "$deadline" ] || { _cl_say "pid $p survives SIGKILL"; break; }
            sleep 0.02
        done
    done
}

_cl_remove_network() {
    local m state=$CLUSTER_DIR/state
    for m in "${_CL_MEMBERS[@]}"; do
        [ -e "/run/netns/$(_cl_netns "$m")" ] && ip netns delete "$(_cl_netns "$m")"
        # Gone with its peer in the namespace, perhaps not yet.
        ip link delete "$(_cl_veth "$m")" 2>/dev/null
    done
    ip link delete "$CLUSTER_BRIDGE" 2>/dev/null
    # /run/netns as it was: unmounted and removed if this cluster made it so
    # and no one else has put a namespace there since.
    [ -f "$state" ] || return 0
    if [ -d /run/netns ] && [ -z "$(ls -A /run/netns)" ]; then
        if grep -qx made_run_netns_mount "$state" && _cl_run_netns_mounted; then
            umount /run/netns
        fi
        grep -qx made_run_netns_dir "$state" && ! _cl_run_netns_mounted && rmdir /run/netns
    fi
    return 0
}

# Remove every trace of a cluster, whether this process started it or a
# killed run left it. Idempotent.
_cl_teardown() {
    _cl_kill_all
    _cl_remove_network
    _cl_firewall_close
    [ -d "$CLUSTER_DIR" ] && rm -rf --one-file-system "$CLUSTER_DIR"
    return 0
}

cluster_stop() {
    _cl_lock || return 1
    _cl_teardown
    _cl_unlock
}

# What of a cluster is there now, one line each (empty when nothing is):
# for tests that check a teardown.
cluster_leftovers() {
    local m
    [ -e "$CLUSTER_DIR" ] && echo "dir $CLUSTER_DIR"
    for m in "${_CL_MEMBERS[@]}"; do
        [ -e "/run/netns/$(_cl_netns "$m")" ] && echo "netns $(_cl_netns "$m")"
        ip link show "$(_cl_veth "$m")" >/dev/null 2>&1 && echo "link $(_cl_veth "$m")"
    done
    ip link show "$CLUSTER_BRIDGE" >/dev/null 2>&1 && echo "link $CLUSTER_BRIDGE"
    _cl_daemon_pids | sed 's/^/pid /'
    command -v iptables >/dev/null 2>&1 && iptables -w -S 2>/dev/null | grep -F -- "$_CL_MARK" | sed 's/^/rule /'
    return 0
}

# SIGTERM to PID and all its descendants (srun, say), from one snapshot of
# the process table, so that none escapes by being reparented.
_cl_kill_tree() {
    local p
    ps -e -o pid=,ppid= | awk -v root="$1" '
        { parent[$1] = $2; pids[++n] = $1 }
        END {
            keep[root] = 1
            do {
                changed = 0
                for (i = 1; i <= n; i++)
                    if (!(pids[i] in keep) && (parent[pids[i]] in keep)) { keep[pids[i]] = 1; changed = 1 }
            } while (changed)
            for (p in keep) print p
        }' | while read -r p; do
        kill -TERM "$p" 2>/dev/null
    done
}

# ---------------------------------------------------------------------- main

_cl_main() {
    local rc=0
    case ${1:-} in
        run | shell)
            local what=$1
            shift
            [ "$what" = shell ] && set -- "${SHELL:-/bin/bash}"
            [ $# -gt 0 ] || { echo "usage: $0 run CMD..." >&2; return 2; }
            trap 'cluster_stop' EXIT
            trap 'exit 130' INT TERM HUP
            cluster_start || return 1
            if [ "$what" = shell ]; then
                "$@" || rc=$?
                return "$rc"
            fi
            # In the background, so that a signal to this script is handled
            # at once (bash runs traps only between foreground commands),
            # with the caller's stdin (not /dev/null, the default for &).
            local cmd
            "$@" <&0 &
            cmd=$!
            trap '_cl_kill_tree "$cmd"; exit 130' INT TERM HUP
            wait "$cmd" || rc=$?
            return "$rc"
            ;;
        start)
            # Owned by the shell that ran this.
            cluster_start "$PPID" || return 1
            local v
            cluster_env | while IFS= read -r v; do
                printf 'export %q\n' "$v"
            done
            ;;
        stop) cluster_stop ;;
        leftovers) cluster_leftovers ;;
        *)
            sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
            return 2
            ;;
    esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    _cl_main "$@"
    exit
fi
