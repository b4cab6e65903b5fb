#!/bin/bash
# A single-node Slurm cluster on this machine, for testing cachesim's Slurm
# path for real: slurmctld and slurmd run inside a network namespace of their
# own (it has only a loopback), munge authenticates them. Needs root; installs
# Debian's slurmctld, slurmd, slurm-client and munge if they are missing.
#
#   scripts/slurm-local.sh start        # about 5 s; prints the node's state
#   scripts/slurm-local.sh exec CMD...  # run a command against the cluster
#   scripts/slurm-local.sh stop         # stops what start started, by PID
#
# Everything lives in $CACHESIM_SLURM_STATE (default /tmp/cachesim-slurm):
# the configuration, the daemons' logs, PID files and spool.
set -euo pipefail

STATE=${CACHESIM_SLURM_STATE:-/tmp/cachesim-slurm}
NS=cachesim-slurm
export SLURM_CONF=$STATE/slurm.conf
HOST=$(hostname -s)

# nsenter, not `ip netns exec`: that remounts /sys, hiding the cgroup
# filesystem slurmd needs.
in_ns() { nsenter --net=/run/netns/"$NS" env SLURM_CONF="$SLURM_CONF" "$@"; }

install_packages() {
    if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            slurmctld slurmd slurm-client munge >/dev/null
    fi
}

write_config() {
    mkdir -p "$STATE/ctld" "$STATE/slurmd"
    # RealMemory must stay below the machine's memory, or the node is INVAL.
    local mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))
    cat > "$SLURM_CONF" <<CONF
ClusterName=cachesim
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MailProg=/bin/true
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
}

# munge authenticates over a Unix socket (no network). A munged already
# running is used as it is and left running by stop.
start_munge() {
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    if ! munge -n >/dev/null 2>&1; then
        su -s /bin/sh munge -c /usr/sbin/munged
        for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
        cp /run/munge/munged.pid "$STATE/munged.pid"
    fi
}

# The namespace has its loopback and one end of a veth pair with a private
# address: Slurm resolves names with AI_ADDRCONFIG, which finds nothing
# while loopback is the only interface. The other end stays down, with no
# address, in the machine's namespace: nothing leaves.
make_namespace() {
    ip netns add "$NS"
    ip link add cslurm0 type veth peer name cslurm1 netns "$NS"
    ip -n "$NS" addr add 10.213.0.2/30 dev cslurm1
    ip -n "$NS" link set cslurm1 up
    ip -n "$NS" link set lo up
}

start() {
    install_packages
    mkdir -p "$STATE"
    chmod 777 "$STATE"
    write_config
    ip netns list | grep -qw "$NS" || make_namespace
    start_munge
    in_ns /usr/sbin/slurmctld
    in_ns /usr/sbin/slurmd -N "$HOST"
    # slurmctld schedules a few seconds after it starts; wait for an idle node.
    for _ in $(seq 60); do
        state=$(in_ns sinfo -h -o %T 2>/dev/null | head -1 || true)
        case "$state" in
            idle*) echo "slurm: node $HOST idle"; return 0 ;;
            down*|drain*|inval*) in_ns scontrol update nodename="$HOST" state=resume 2>/dev/null || true ;;
        esac
        sleep 0.5
    done
    echo "slurm: the node did not become idle (state: ${state:-none}); see $STATE/*.log" >&2
    return 1
}

stop() {
    for daemon in slurmd slurmctld munged; do
        if [ -s "$STATE/$daemon.pid" ]; then
            pid=$(cat "$STATE/$daemon.pid")
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            rm -f "$STATE/$daemon.pid"
        fi
    done
    ip link del cslurm0 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    exec) shift; in_ns "$@" ;;
    *) echo "usage: $0 start|stop|exec CMD..." >&2; exit 2 ;;
esac
