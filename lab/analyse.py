#!/usr/bin/env python3
"""Turns one lab run's logs into the data cachesim is checked against.

For every flip of a name whose window (until the next flip) the run holds
whole, each request to that name in the window is placed by the second after
the flip and counted as old when it reached the address the flip replaced.

Writes to --out:
  timeseries.csv            every client: time_s,requests,old_requests,old_share
  timeseries-KIND.csv       the same per kind of client (chromium, java, curl, curl-nscd)
  observed.csv              every client in 10 s buckets, as `cachesim observe` writes
                            it (for `cachesim compare DIR --observed`)
  flips.csv                 per flip and kind: requests, old requests, stale seconds
  summary.json              the run's shape and each kind's stale seconds per flip
Requests are per flip (mean); stale seconds of one flip are its old
requests over its request rate, the integral of its old share over time.

summary.json's `stale_s` is that integral taken over the pooled flips, as
cachesim reports it: the old share of each 10 s bucket after the flip (old
requests over requests, every flip together) times 10 s, summed. Its
standard error is the ratio estimator's (linearised per flip). Unlike the
mean of the flips' own figures (`stale_s_per_flip`), it is not moved by how
many requests happen to fall in the first seconds, where nearly all are old."""

import argparse
import csv
import json
import math
import os
from collections import defaultdict

KINDS = ("chromium", "java", "curl", "curl-nscd")
BUCKET = 10  # seconds, as lab/lab.toml's cachesim buckets


def mean(values):
    return sum(values) / len(values)


def standard_error(values):
    if len(values) < 2:
        return 0.0
    m = mean(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1) / len(values))


def pooled_share_integral(flips):
    """Stale seconds from per-flip bucket counts [[requests, old], ...]:
    the pooled old share of each bucket times its width, summed; with the
    ratio estimator's standard error, each flip's linearised contribution
    sum over buckets of width * (old - share * requests) / mean requests."""
    count = len(flips)
    requests = [sum(f[b][0] for f in flips) for b in range(len(flips[0]))]
    old = [sum(f[b][1] for f in flips) for b in range(len(flips[0]))]
    share = [o / n if n else 0.0 for o, n in zip(old, requests)]
    estimate = BUCKET * sum(share)
    contributions = [
        sum(BUCKET * (f[b][1] - share[b] * f[b][0]) / (requests[b] / count) for b in range(len(f)) if requests[b])
        for f in flips
    ]
    return {"mean": round(estimate, 3), "se": round(standard_error(contributions), 3)}


def kind_of(client):
    """chromium-3 → chromium, curl-nscd-1-0 → curl-nscd."""
    return next(k for k in sorted(KINDS, key=len, reverse=True) if client.startswith(k + "-"))


def read_requests(runs):
    """(time, server address, host, client) of every logged request."""
    requests = []
    for side in ("old", "new"):
        with open(os.path.join(runs, f"requests-{side}.log")) as f:
            for line in f:
                msec, address, host, _conn, _n, client = line.split()
                requests.append((float(msec), address, host, client))
    requests.sort()
    return requests


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", required=True, nargs="+", help="one folder per sitting")
    p.add_argument("--out", required=True)
    for key in ("period", "ttl", "keepalive", "gap", "names"):
        p.add_argument(f"--{key}", type=float, required=True)
    args = p.parse_args()
    window = int(args.period)
    # Sittings never overlap in time, so their requests and flips pool.
    requests, flips = [], []
    for runs in args.runs:
        sitting = read_requests(runs)
        end = sitting[-1][0]
        with open(os.path.join(runs, "flips.csv")) as f:
            flips += [row for row in csv.DictReader(f) if float(row["at"]) + window <= end]
        requests += sitting
    by_host = defaultdict(list)
    for r in requests:
        by_host[r[2]].append(r)
    devices = defaultdict(set)
    for _, _, _, client in requests:
        devices[kind_of(client)].add(client)
    kinds = ["all"] + [k for k in KINDS if devices[k]]
    # per kind: per second [requests, old]; per flip rows
    seconds = {k: [[0, 0] for _ in range(window)] for k in kinds}
    rows = []
    # per kind, per flip, per bucket: [requests, old]
    per_flip_buckets = {k: [] for k in kinds}
    for flip in flips:
        at = float(flip["at"])
        counts = {k: [0, 0] for k in kinds}
        buckets = {k: [[0, 0] for _ in range(0, window, BUCKET)] for k in kinds}
        for t, address, _, client in by_host[flip["name"]]:
            if not at <= t < at + window:
                continue
            old = address == flip["from"]
            s = int(t - at)
            for k in ("all", kind_of(client)):
                seconds[k][s][0] += 1
                seconds[k][s][1] += old
                counts[k][0] += 1
                counts[k][1] += old
                buckets[k][s // BUCKET][0] += 1
                buckets[k][s // BUCKET][1] += old
        for k in kinds:
            per_flip_buckets[k].append(buckets[k])
        row = {"name": flip["name"], "at": f"{at:.3f}"}
        for k in kinds:
            n, old = counts[k]
            row[f"requests_{k}"] = n
            row[f"old_requests_{k}"] = old
            row[f"stale_s_{k}"] = f"{old / (n / window):.3f}" if n else ""
        rows.append(row)
    os.makedirs(args.out, exist_ok=True)
    for k in kinds:
        name = "timeseries.csv" if k == "all" else f"timeseries-{k}.csv"
        with open(os.path.join(args.out, name), "w") as f:
            f.write("time_s,requests,old_requests,old_share\n")
            for s, (n, old) in enumerate(seconds[k]):
                share = f"{old / n:.6f}" if n else ""
                f.write(f"{s},{n / len(flips):.4f},{old / len(flips):.4f},{share}\n")
    with open(os.path.join(args.out, "observed.csv"), "w") as f:
        f.write("time_s,requests,old_requests\n")
        for b in range(0, window, 10):
            n = sum(seconds["all"][s][0] for s in range(b, min(b + 10, window)))
            old = sum(seconds["all"][s][1] for s in range(b, min(b + 10, window)))
            f.write(f"{b},{n},{old}\n")
    with open(os.path.join(args.out, "flips.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    summary = {
        "ttl_s": args.ttl,
        "keepalive_timeout_s": args.keepalive,
        "mean_gap_s": args.gap,
        "names": int(args.names),
        "window_s": window,
        "flips": len(rows),
        "devices_per_name": {k: len(devices[k]) for k in kinds[1:]},
        "stale_s": {},
    }
    summary["stale_s_per_flip"] = {}
    for k in kinds:
        values = [float(r[f"stale_s_{k}"]) for r in rows if r[f"stale_s_{k}"]]
        if not values:
            # this kind made no request in any window
            summary["stale_s"][k] = summary["stale_s_per_flip"][k] = None
            continue
        summary["stale_s"][k] = pooled_share_integral(per_flip_buckets[k])
        summary["stale_s_per_flip"][k] = {"mean": round(mean(values), 3), "se": round(standard_error(values), 3)}
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    print(f"lab: {args.out}: {len(rows)} flips; stale seconds per flip: "
          + ", ".join(f"{k} {v['mean']:.1f} ± {v['se']:.1f}" for k, v in summary["stale_s"].items() if v))


if __name__ == "__main__":
    main()
