#!/bin/bash
# Runs a scenario as SHARDS Kubernetes pods, merges them and copies the
# results here:
#   deploy/k8s/run.sh SCENARIO.toml SHARDS [IMAGE] [OUT]
# Needs kubectl pointed at your cluster, the image pushed where it pulls
# from, and a ReadWriteMany storage class (volume.yaml). Each submission
# writes into a folder of its own on the volume, /data/runs/RUN/ (RUN: the
# time it started), so an earlier run's shards never reach this merge; the
# results end up in OUT (default: results-RUN) on this machine.
# It stops at the first failed shard or merge, with the failed pods' logs,
# rather than waiting out the timeout. CACHESIM_POLL sets how often (seconds)
# it asks for the jobs' state (default 30); CACHESIM_RUN names the submission
# (default: the time).
set -euo pipefail
scenario=$1 shards=$2 image=${3:-cachesim:latest}
run=${CACHESIM_RUN:-$(date -u +%Y%m%dT%H%M%SZ)}
out=${4:-results-$run}
poll=${CACHESIM_POLL:-30}
here=$(dirname "$0")

# wait_for JOB TIMEOUT_S: until the job completes (0) or fails (1, with the
# logs of its failed pods).
wait_for() {
  local job=$1 deadline=$((SECONDS + $2)) state
  while ((SECONDS < deadline)); do
    state=$(kubectl get "job/$job" -o jsonpath='{.status.conditions[?(@.status=="True")].type}' 2>/dev/null || true)
    case " $state " in
      *" Complete "*) return 0 ;;
      *" Failed "*)
        echo "run.sh: job $job failed; logs of its failed pods:" >&2
        kubectl logs --selector="job-name=$job" --tail=20 --prefix >&2 || true
        return 1 ;;
    esac
    sleep "$poll"
  done
  echo "run.sh: job $job neither completed nor failed within $2 s" >&2
  return 1
}

kubectl create configmap cachesim-scenario --from-file=scenario.toml="$scenario" \
  --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -f "$here/volume.yaml"
kubectl delete job cachesim-shards cachesim-merge --ignore-not-found
sed -e "s/completions: 8/completions: $shards/" -e "s/parallelism: 8/parallelism: $shards/" \
    -e "s/value: \"8\"/value: \"$shards\"/" -e "s/value: run-id/value: \"$run\"/" \
    -e "s|image: cachesim:latest|image: $image|" \
    "$here/shards-job.yaml" | kubectl apply -f -
wait_for cachesim-shards 86400
sed -e "s/value: run-id/value: \"$run\"/" -e "s|image: cachesim:latest|image: $image|" \
    "$here/merge-job.yaml" | kubectl apply -f -
wait_for cachesim-merge 3600
kubectl logs job/cachesim-merge

# Copy the results back through a short-lived pod that mounts the volume.
kubectl delete pod cachesim-fetch --ignore-not-found
kubectl run cachesim-fetch --image="$image" --restart=Never --command \
  --overrides='{"spec":{"volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"cachesim-data"}}],
    "containers":[{"name":"cachesim-fetch","image":"'"$image"'","command":["sleep","3600"],
    "volumeMounts":[{"name":"data","mountPath":"/data"}]}]}}' -- sleep 3600
kubectl wait --for=condition=Ready --timeout=600s pod/cachesim-fetch
kubectl cp "cachesim-fetch:/data/runs/$run/results" "$out"
kubectl delete pod cachesim-fetch --wait=false
echo "run.sh: results in $out (and on the volume in /data/runs/$run/results)"
