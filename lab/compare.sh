#!/bin/bash
# Sets cachesim beside the lab's committed data: for each configuration,
# runs lab/lab.toml with its TTL and keep-alive timeout, prints the stale
# seconds per flip of both (every client, then each kind of client alone),
# and writes the comparison charts docs/lab.md shows (docs/lab/CONFIG/).
#
#   lab/compare.sh [cachesim binary]     (default: target/release/cachesim)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/cachesim}
[ -x "$bin" ] || cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kinds=(chromium java curl curl-nscd)
stale() { # stale seconds per flip: the old share integrated over the window
    awk -F, 'NR == 1 { next } { s += $3 * 10 } END { printf "%.1f", s }' "$1/timeseries.csv"
}
echo "| configuration | clients | lab: stale s per flip | cachesim | gap |"
echo "|---|---|---|---|---|"
for config in ttl20-ka75 ttl20-ka10 ttl60-ka75 ttl60-ka10; do
    ttl=${config#ttl}; ttl=${ttl%%-*}; keepalive=${config#*-ka}
    set_config=(--set "record.ttl=${ttl}s" --set "server.idle_timeout=${keepalive}s")
    "$bin" run lab/lab.toml "${set_config[@]}" --quiet --out "$work/$config"
    mkdir -p "docs/lab/$config"
    "$bin" compare "$work/$config" --observed "lab/data/$config/observed.csv" --quiet --out "$work/compare-$config"
    cp "$work/compare-$config/compare.png" "$work/compare-$config/compare_log.png" "docs/lab/$config/"
    for i in -1 0 1 2 3; do
        if [ "$i" = -1 ]; then
            kind=all dir=$work/$config
        else
            # this kind of client alone, 16 to a name
            kind=${kinds[$i]} dir=$work/$config-$kind
            shares=()
            for j in 0 1 2 3; do shares+=(--set "device.$j.share=$([ "$j" = "$i" ] && echo 1 || echo 0)"); done
            "$bin" run lab/lab.toml "${set_config[@]}" "${shares[@]}" --quiet --out "$dir"
        fi
        lab=$(python3 -c "import json,sys; s=json.load(open('lab/data/$config/summary.json'))['stale_s']['$kind']; print(f\"{s['mean']:.1f} ± {s['se']:.1f}\")")
        sim=$(stale "$dir")
        gap=$(python3 -c "l=float('$lab'.split()[0]); s=float('$sim'); print(f'{s - l:+.1f} s ({100 * (s - l) / l:+.0f} %)')")
        echo "| $config | $kind | $lab | $sim | $gap |"
    done
done
