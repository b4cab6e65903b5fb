#!/bin/bash
# Runs a scenario as SHARDS Kubernetes pods and merges them:
#   deploy/k8s/run.sh SCENARIO.toml SHARDS [IMAGE]
# Needs kubectl pointed at your cluster, the image pushed where it pulls
# from, and a ReadWriteMany storage class (volume.yaml). The results end up
# in the volume's results/ folder; the last step copies them here.
set -euo pipefail
scenario=$1 shards=$2 image=${3:-cachesim:latest}
here=$(dirname "$0")
kubectl create configmap cachesim-scenario --from-file=scenario.toml="$scenario" \
  --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -f "$here/volume.yaml"
kubectl delete job cachesim-shards cachesim-merge --ignore-not-found
sed -e "s/completions: 8/completions: $shards/" -e "s/parallelism: 8/parallelism: $shards/" \
    -e "s/value: \"8\"/value: \"$shards\"/" -e "s|image: cachesim:latest|image: $image|" \
    "$here/shards-job.yaml" | kubectl apply -f -
kubectl wait --for=condition=complete --timeout=24h job/cachesim-shards
sed -e "s|image: cachesim:latest|image: $image|" "$here/merge-job.yaml" | kubectl apply -f -
kubectl wait --for=condition=complete --timeout=1h job/cachesim-merge
kubectl logs job/cachesim-merge
