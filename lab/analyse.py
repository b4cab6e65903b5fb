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
  summary.json              the run's shape and each kind's mean stale seconds per flip
Requests are per flip (mean); stale seconds of one flip are its old
requests over its request rate, the integral of its old share over time."""

import argparse
import csv
import json
import math
import os
from collections import defaultdict

KINDS = ("chromium", "java", "curl", "curl-nscd")


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
    for flip in flips:
        at = float(flip["at"])
        counts = {k: [0, 0] for k in kinds}
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
    for k in kinds:
        values = [float(r[f"stale_s_{k}"]) for r in rows if r[f"stale_s_{k}"]]
        if not values:
            summary["stale_s"][k] = None  # this kind made no request in any window
            continue
        mean = sum(values) / len(values)
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
        summary["stale_s"][k] = {"mean": round(mean, 3), "se": round(sd / math.sqrt(len(values)), 3)}
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    print(f"lab: {args.out}: {len(rows)} flips; stale seconds per flip: "
          + ", ".join(f"{k} {v['mean']:.1f} ± {v['se']:.1f}" for k, v in summary["stale_s"].items() if v))


if __name__ == "__main__":
    main()
