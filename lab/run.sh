#!/bin/bash
# cachesim's lab: real resolvers, servers and clients on one Linux machine,
# measuring how fast requests leave an address after a DNS change.
#
#   sudo lab/run.sh [--minutes M] [CONFIG...]    (default: all four, 35 min each, in parallel)
#
# CONFIG is ttl<T>-ka<K>: the record's TTL T seconds, nginx keepalive_timeout
# K seconds (ttl20-ka75 ttl20-ka10 ttl60-ka75 ttl60-ka10). Each runs in its
# own network namespace holding only 127.0.0.0/8 addresses, with a private
# mount namespace (its /etc/resolv.conf names the lab's dnsmasq) and PID
# namespace. Raw logs go to lab/runs/CONFIG/N/ (N counts the sittings), the
# data cachesim is checked against, from every sitting, to lab/data/CONFIG/,
# with what Chromium's NetLog and the authoritative's log of Unbound's
# fetches say (see docs/lab.md).
set -euo pipefail
LAB=$(cd "$(dirname "$0")" && pwd)
minutes=35
configs=()
while [ $# -gt 0 ]; do
    case $1 in
        --minutes) minutes=$2; shift 2 ;;
        ttl*-ka*) configs+=("$1"); shift ;;
        *) echo "usage: lab/run.sh [--minutes M] [ttl<T>-ka<K>...]" >&2; exit 2 ;;
    esac
done
[ ${#configs[@]} -gt 0 ] || configs=(ttl20-ka75 ttl20-ka10 ttl60-ka75 ttl60-ka10)
[ "$(id -u)" = 0 ] || { echo "lab/run.sh needs root (namespaces, packages)" >&2; exit 2; }

need=()
for pair in unbound:unbound dnsmasq:dnsmasq-base nginx:nginx-light nscd:nscd chromium:chromium \
    java:default-jdk-headless javac:default-jdk-headless curl:curl python3:python3; do
    command -v "${pair%%:*}" > /dev/null || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# The lab's shape: names flipped, per-device mean gap between requests,
# warm-up before the first flip, stagger between names, time between flips.
export NAMES=${LAB_NAMES:-16} GAP=${LAB_GAP:-60} WARMUP=${LAB_WARMUP:-180} STAGGER=${LAB_STAGGER:-56} PERIOD=${LAB_PERIOD:-900}
export CHROMIUM=8 JAVA=4 CURL=2 NSCD=2
export DURATION=$((minutes * 60)) LAB

run_config() {
    local config=$1 ns=cachesim-lab-$1
    local ttl=${config#ttl}; ttl=${ttl%%-*}
    local keepalive=${config#*-ka}
    # Each sitting adds a numbered run; the data is made from all of them.
    local sitting=1
    while [ -e "$LAB/runs/$config/$sitting" ]; do sitting=$((sitting + 1)); done
    local out=$LAB/runs/$config/$sitting
    mkdir -p "$out"
    ip netns del "$ns" 2>/dev/null || true
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # Addresses of their own (not only 127.0.0.1) so that lookups with
    # AI_ADDRCONFIG see a configured IPv4 address.
    for address in 127.0.0.2 127.0.0.3 127.0.0.53 127.0.1.1 127.0.1.2 127.0.1.9; do
        ip -n "$ns" addr add "$address/8" dev lo
    done
    echo "lab: $config running for $minutes min (logs in $out)"
    local status=0
    OUT=$out TTL=$ttl KEEPALIVE=$keepalive \
        nsenter --net="/var/run/netns/$ns" unshare --mount --pid --fork --mount-proc \
        "$LAB/inside.sh" > "$out/inside.log" 2>&1 || status=$?
    ip netns del "$ns"
    [ $status = 0 ] || { echo "lab: $config failed ($status); see $out/inside.log" >&2; return 1; }
    python3 "$LAB/analyse.py" --runs "$LAB/runs/$config"/* --out "$LAB/data/$config" --period "$PERIOD" \
        --ttl "$ttl" --keepalive "$keepalive" --gap "$GAP" --names "$NAMES"
    python3 "$LAB/netlog.py" --out "$LAB/data/$config/chromium-netlog.json" \
        "$LAB/runs/$config"/*/netlog-chromium-0.json
    python3 "$LAB/chain.py" --ttl "$ttl" --period "$PERIOD" --out "$LAB/data/$config/chain.json" \
        "$LAB/runs/$config"/*
}

pids=()
for config in "${configs[@]}"; do
    run_config "$config" &
    pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit $failed
