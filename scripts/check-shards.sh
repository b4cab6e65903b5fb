#!/bin/bash
# Every shipped scenario at its full size, run whole and in N shards (default
# 5), merged and compared byte for byte (timeseries.csv, addresses.csv,
# report.html, charts; summary.json without its timings). Takes a few
# minutes; the tests do the same at a smaller size.
#   scripts/check-shards.sh [N]
set -euo pipefail
n=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=$root/target/release/cachesim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
for scenario in scenarios/*.toml; do
    name=$(basename "$scenario" .toml)
    "$bin" run "$scenario" --out "$work/$name-single" -q
    for i in $(seq 0 $((n - 1))); do
        "$bin" run "$scenario" --shard "$i/$n" --out "$work/$name-shards" -q
    done
    "$bin" merge "$work/$name-shards" --out "$work/$name-merged" -q
    for f in "$work/$name-single"/*; do
        file=$(basename "$f")
        if [ "$file" = summary.json ]; then
            diff <(grep -v '"wall_time_s"\|"requests_per_s"' "$f") \
                 <(grep -v '"wall_time_s"\|"requests_per_s"' "$work/$name-merged/$file") >/dev/null
        else
            cmp -s "$f" "$work/$name-merged/$file"
        fi || { echo "$name: $file differs"; exit 1; }
    done
    echo "$name: identical in $n shards"
done
