#!/bin/bash
# The README's speed table: every shipped scenario run three times, one
# after another in this sitting, with 2 threads, keeping each one's fastest
# run; prints one Markdown row each. Speeds drift 20-30 % between sittings
# on shared machines, and within one by a few seconds: compare the ratio to
# bench-1m (same sitting), not the speeds.
#
#   scripts/speed-table.sh [cachesim binary]     (default: target/release/cachesim)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/cachesim}
[ -x "$bin" ] || cargo build --release --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rows=()
for scenario in scenarios/*.toml; do
    name=$(basename "$scenario" .toml)
    for try in 1 2 3; do
        /usr/bin/time -f %M -o "$out/rss" "$bin" run "$scenario" --threads 2 --json --out "$out/$name" \
            > "$out/$name.$try.json"
    done
    # the fastest of the three
    best=$(python3 -c 'import json, sys; print(min(sys.argv[1:], key=lambda f: json.load(open(f))["wall_time_s"]))' \
        "$out/$name".[123].json)
    cp "$best" "$out/$name.json"
    rows+=("$name $(cat "$out/rss")")
done
python3 - "$out" "${rows[@]}" <<'PY'
import json, sys
out, rows = sys.argv[1], [r.split() for r in sys.argv[2:]]
data = {name: (json.load(open(f"{out}/{name}.json")), int(kib)) for name, kib in rows}
bench = data["bench-1m"][0]["requests_simulated"] / data["bench-1m"][0]["wall_time_s"]
print("| scenario | devices | runs | requests simulated | wall time | requests/s | / bench-1m | peak memory |")
print("|---|---|---|---|---|---|---|---|")
for name, (s, kib) in data.items():
    speed = s["requests_simulated"] / s["wall_time_s"]
    print(f"| `{name}` | {int(s['devices']):,} | {s['runs']} | {s['requests_simulated'] / 1e6:.1f} M | "
          f"{s['wall_time_s']:.2f} s | {speed / 1e6:.1f} M | {speed / bench:.2f} | {kib / 1024:.1f} MiB |")
PY
