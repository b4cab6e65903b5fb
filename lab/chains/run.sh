#!/bin/bash
# cachesim's record-chain lab: a real Unbound behind which names that are
# aliases (a CDN switch) or whole zones (a move to a new DNS provider) move
# once each, with a parent zone and two providers as authoritative servers,
# and a client asking for every name at Poisson times.
#
#   sudo lab/chains/run.sh [CONFIG...]    (default: all four, in parallel)
#
# CONFIG is one of alias60-ttl20, alias20-ttl300 (alias TTL, addresses'
# TTL) and parent120-child600, parent600-child120 (NS TTLs at the parent
# and at the provider; addresses' TTL 20 s). Each runs in its own network
# namespace holding only 127.0.0.0/8 addresses. Raw logs go to
# lab/chains/runs/CONFIG/, the figures cachesim is checked against to
# lab/chains/data/CONFIG/summary.json (see docs/lab.md).
set -euo pipefail
LAB=$(cd "$(dirname "$0")" && pwd)
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(alias60-ttl20 alias20-ttl300 parent120-child600 parent600-child120)
[ "$(id -u)" = 0 ] || { echo "lab/chains/run.sh needs root (namespaces, packages)" >&2; exit 2; }
command -v unbound > /dev/null || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends unbound
}
GAP=5

run_config() {
    local config=$1 ns=cachesim-chains-$1 out=$LAB/runs/$1
    local mode ttl alias_ttl=0 parent_ttl=0 child_ttl=0 names warmup stagger window
    case $config in
        alias*-ttl*) mode=cname; alias_ttl=${config#alias}; alias_ttl=${alias_ttl%%-*}; ttl=${config#*-ttl}
            names=256; warmup=300; stagger=1; window=150 ;;
        parent*-child*) mode=delegation; ttl=20; parent_ttl=${config#parent}; parent_ttl=${parent_ttl%%-*}
            child_ttl=${config#*-child}; names=512; warmup=700; stagger=2.34375; window=700 ;;
        *) echo "unknown configuration $config" >&2; return 2 ;;
    esac
    local duration
    duration=$(python3 -c "print(int($warmup + $names * $stagger + $window))")
    rm -rf "$out"; mkdir -p "$out"
    ip netns del "$ns" 2>/dev/null || true
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    for address in 127.0.0.53 127.0.1.1 127.0.1.2 127.0.1.3; do
        ip -n "$ns" addr add "$address/8" dev lo
    done
    cat > "$out/unbound.conf" <<CONF
server:
    interface: 127.0.0.53
    port: 53
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$out"
    pidfile: "$out/unbound.pid"
    use-syslog: no
    logfile: "$out/unbound.log"
    access-control: 127.0.0.0/8 allow
    do-ip6: no
    do-not-query-localhost: no
    local-zone: "test." nodefault
    module-config: "iterator"
    qname-minimisation: no
    num-threads: 1
stub-zone:
    name: "test"
    stub-addr: 127.0.1.1
remote-control:
    control-enable: no
CONF
    echo "chains lab: $config running for $duration s (logs in $out)"
    local inside="python3 $LAB/zones.py --mode $mode --ttl $ttl --alias-ttl $alias_ttl --parent-ttl $parent_ttl \
        --child-ttl $child_ttl --names $names --warmup $warmup --stagger $stagger \
        --flips $out/flips.csv --queries $out/queries.csv & zones=\$!; \
        unbound -d -c $out/unbound.conf > $out/unbound.out 2>&1 & resolver=\$!; sleep 1; \
        python3 $LAB/client.py --names $names --gap $GAP --duration $(( duration - 1 )) --out $out/answers.csv; \
        kill \$resolver \$zones; wait"
    ip netns exec "$ns" bash -c "$inside" > "$out/inside.log" 2>&1 || true
    ip netns del "$ns"
    unbound -V | head -1 > "$out/unbound-version.txt"
    python3 "$LAB/analyse.py" --run "$out" --out "$LAB/data/$config" --window "$window" \
        --mode "$mode" --ttl "$ttl" --alias-ttl "$alias_ttl" --parent-ttl "$parent_ttl" --child-ttl "$child_ttl" --gap "$GAP"
}

pids=()
for config in "${configs[@]}"; do
    run_config "$config" &
    pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit $failed
