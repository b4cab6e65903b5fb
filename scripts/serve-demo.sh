#!/usr/bin/env bash
# The live view of `cachesim serve`, on a migration played back faster than
# real time: a "true" world (5 % of households behind resolvers that pin
# answers 6 h) is simulated once and written out as the old and new
# servers' access logs, five minutes of log per PACE seconds, while serve
# follows them with the team's belief (pins of 3 h, as the scenario file
# says), refits the pin's lifetime every 10 s and projects when the old
# server can go. Open the address it prints; Ctrl-C ends it.
#
#   scripts/serve-demo.sh [PORT] [PACE]     (defaults: 8750, 1)
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-8750}
pace=${2:-1}
cachesim=${CACHESIM:-target/release/cachesim}
[ -x "$cachesim" ] || cargo build --release --quiet
dir=$(mktemp -d)
change=1700000000

"$cachesim" run scenarios/fit-example.toml --quiet --runs 1 --seed 801 --out "$dir/truth" \
  --set population.households=12000 --set resolver.0.share=0.95 --set resolver.1.share=0.05 \
  --set resolver.1.instances=30 --set resolver.1.policy.fixed_ttl=6h --set simulation.duration=8h || true
: >"$dir/old.log"
: >"$dir/new.log"

"$cachesim" serve scenarios/fit-example.toml --port "$port" \
  --set population.households=8000 --set resolver.0.share=0.95 --set resolver.1.share=0.05 \
  --watch-old "$dir/old.log" --watch-new "$dir/new.log" --change-at "$change" --bucket 5m \
  --free resolver.1.policy.fixed_ttl=1h..12h --refit-every 10s &
serve=$!
playback=
# On the way out: the server, and the playback with the loop it runs.
trap 'kill "$serve" 2>/dev/null; [ -n "$playback" ] && pkill -P "$playback"; kill $playback 2>/dev/null; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM

# Each bucket's requests as JSON lines spread over its five minutes, the old
# server's share of them to old.log; in the background, so that a signal
# ends the demo at once.
play() {
  tail -n +2 "$dir/truth/timeseries.csv" | while IFS=, read -r t n share _; do
    awk -v t="$t" -v n="$n" -v share="$share" -v change="$change" \
      -v old="$dir/old.log" -v new="$dir/new.log" 'BEGIN {
      n = int(n + 0.5); k = int(n * share + 0.5)
      for (j = 0; j < n; j++) {
        line = sprintf("{\"time\": %.3f}", change + t + 300 * (j + 0.5) / n)
        if (j < k) print line >> old; else print line >> new
      }
    }'
    sleep "$pace"
  done
  echo "serve-demo: the whole migration is in the logs; Ctrl-C ends the demo"
}
play &
playback=$!
wait "$playback"
wait "$serve"
