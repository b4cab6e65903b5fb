#!/bin/bash
# Written by `cachesim slurm` for @NAME@: @ARRAY@ array tasks (@COMBOS@ value(s) x @TASKS@ shard(s)),
# then one merge job that runs only if every task succeeded.
# Each task asks for @CPUS@ CPU(s), @MEM@ of memory and @TIME@ minute(s) (estimated; override
# with --time and --mem when writing this script).
# Usage: bash submit.sh [--wait]   (--wait: block until the results are in OUT; exit 1 if a task failed)
@WARNING@set -euo pipefail
# The jobs inherit these (sbatch exports the environment by default).
export CACHESIM=${CACHESIM:-@EXE@}
export OUT=@OUT@
WORKDIR=@WORKDIR@
# Shards and logs of an earlier submission would mix with these: start clean.
rm -rf "$OUT/shards" "$OUT/logs" "$OUT/.merged"
mkdir -p "$OUT/shards" "$OUT/logs"

array=$(sbatch --parsable --job-name=cachesim-shards --array=0-@LAST@ --ntasks=1 --cpus-per-task=@CPUS@ --mem=@MEM@ --time=@TIME@@PARTITION@ --chdir="$WORKDIR" --output="$OUT/logs/task-%a.out" <<'TASK'
#!/bin/bash
set -euo pipefail
value=$((SLURM_ARRAY_TASK_ID / @TASKS@))
shard=$((SLURM_ARRAY_TASK_ID % @TASKS@))
sets=()
case $value in
@CASES@esac
# ${sets[@]+...}: an empty array under set -u on bash 4.3 and older.
"$CACHESIM" run @SCENARIO@ @COMMON@ ${sets[@]+"${sets[@]}"} --shard "$shard/@TASKS@" --threads @CPUS@ --out "@SHARD_DIR@" --quiet
TASK
)
merge=$(sbatch --parsable --job-name=cachesim-merge --dependency=afterok:$array --kill-on-invalid-dep=yes --ntasks=1 --cpus-per-task=1 --mem=@MEM@ --time=@TIME@@PARTITION@ --chdir="$WORKDIR" --output="$OUT/logs/merge.out" <<'MERGE'
#!/bin/bash
set -euo pipefail
# Exit 4 (no answer within the horizon) wrote the results all the same.
@MERGE@ || [ $? -eq 4 ]
touch "$OUT/.merged"
MERGE
)
echo "submitted array job $array (@ARRAY@ tasks) and merge job $merge; results will be in $OUT"

if [ "${1:-}" = "--wait" ]; then
  # Ask squeue every CACHESIM_POLL seconds (30 by default: many sites ask
  # users not to poll faster). An answer that lists neither job means both
  # are done; squeue failing now and then does not, unless it says the jobs
  # are gone from its memory.
  poll=${CACHESIM_POLL:-30}
  failures=0
  while true; do
    if listed=$(squeue -h -j "$array,$merge" 2>&1); then
      failures=0
      [ -z "$listed" ] && break
    elif [[ $listed == *"Invalid job id"* ]]; then
      break
    else
      failures=$((failures + 1))
      if [ "$failures" -ge 10 ]; then
        echo "cachesim: squeue failed 10 times in a row ($listed); the jobs may still run: check squeue -j $array,$merge" >&2
        exit 2
      fi
    fi
    sleep "$poll"
  done
  if [ -f "$OUT/.merged" ]; then
    echo "merged results: $OUT"
  else
    echo "cachesim: a task or the merge failed; see $OUT/logs/" >&2
    exit 1
  fi
fi
