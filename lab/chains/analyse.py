#!/usr/bin/env python3
"""Figures of one record-chain lab run (lab/chains/run.sh): for each name's
move, the stale seconds (the window after the move times the share of the
client's answers in it that were still the old address: an estimate of the
old share integrated over the window), their mean and standard error over
the moves, the old share per 10 s after the move, and what the
authoritative servers' logs show Unbound did: how often it asked the parent
and the providers before the move, and how long after it asked the old
provider."""

import argparse
import csv
import json
import math
import os
import statistics


def read(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def intervals(times):
    times = sorted(times)
    return [b - a for a, b in zip(times, times[1:])]


def summary_of(values):
    if not values:
        return None
    values = sorted(values)
    return {
        "n": len(values),
        "median_s": round(statistics.median(values), 3),
        "p10_s": round(values[len(values) // 10], 3),
        "p90_s": round(values[(len(values) * 9) // 10], 3),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--run", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--window", type=float, required=True)
    p.add_argument("--mode", required=True)
    p.add_argument("--ttl", type=int, required=True)
    p.add_argument("--alias-ttl", type=int, default=0)
    p.add_argument("--parent-ttl", type=int, default=0)
    p.add_argument("--child-ttl", type=int, default=0)
    p.add_argument("--gap", type=float, required=True)
    a = p.parse_args()
    flips = {row["name"]: (float(row["at"]), row["from"]) for row in read(os.path.join(a.run, "flips.csv"))}
    answers = {}
    failed = 0
    for row in read(os.path.join(a.run, "answers.csv")):
        if not row["address"] or row["address"] == "None":
            failed += 1
            continue
        answers.setdefault(row["name"], []).append((float(row["at"]), row["address"]))
    bucket, buckets = 10.0, int(math.ceil(a.window / 10.0))
    requests, old_requests = [0] * buckets, [0] * buckets
    stale = []
    for name, (at, old) in flips.items():
        inside = [(t - at, address) for t, address in answers.get(name, []) if at <= t < at + a.window]
        if not inside:
            continue
        stale.append(a.window * sum(addr == old for _, addr in inside) / len(inside))
        for since, addr in inside:
            b = int(since // bucket)
            requests[b] += 1
            old_requests[b] += addr == old
    queries = read(os.path.join(a.run, "queries.csv"))
    before, after_old = {}, {}
    for q in queries:
        t, server, qname = float(q["at"]), q["server"], q["name"]
        labels = qname.split(".")
        name = next((f"{l}.test" for l in labels if l[:1] == "n" and l[1:].isdigit()), None)
        if name not in flips:
            continue
        at = flips[name][0]
        if t < at:
            before.setdefault((server, name), []).append(t)
        elif server == "a":
            after_old.setdefault(name, []).append(t - at)
    seen = {
        server: summary_of([g for (s, _), ts in before.items() if s == server for g in intervals(ts)])
        for server in ("parent", "a")
    }
    last_old = [max(ts) for ts in after_old.values()]
    mean = statistics.fmean(stale)
    se = statistics.stdev(stale) / math.sqrt(len(stale))
    version_file = os.path.join(a.run, "unbound-version.txt")
    version = open(version_file).read().strip() if os.path.exists(version_file) else None
    out = {
        "mode": a.mode,
        "ttl_s": a.ttl,
        "alias_ttl_s": a.alias_ttl,
        "parent_ttl_s": a.parent_ttl,
        "child_ttl_s": a.child_ttl,
        "gap_s": a.gap,
        "window_s": a.window,
        "moves": len(stale),
        "answers_failed": failed,
        "stale_seconds_mean": round(mean, 3),
        "stale_seconds_se": round(se, 3),
        "unbound": version,
        "before_the_move": {
            "parent_query_intervals": seen["parent"],
            "old_provider_query_intervals": seen["a"],
        },
        "after_the_move": {
            "names_asking_the_old_provider": len(after_old),
            "last_old_provider_query": summary_of(last_old),
        },
    }
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    with open(os.path.join(a.out, "old_share.csv"), "w") as f:
        f.write("time_s,requests,old_requests\n")
        for b in range(buckets):
            f.write(f"{b * bucket:g},{requests[b]},{old_requests[b]}\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
