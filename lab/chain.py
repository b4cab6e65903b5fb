#!/usr/bin/env python3
"""What the chain (Unbound behind dnsmasq) held at each flip, read from the
authoritative's log of the A answers it gave (queries.csv, one line per
fetch by Unbound). cachesim models Unbound's entry for a name as a renewal:
fetched, kept for the TTL, then idle until the next lookup reaches it. Then
at a flip it still holds the old answer with probability
TTL / (TTL + mean idle), and what remains of its TTL is uniform on
[0, TTL]; a client with no cache of its own is old for the remaining time.
This compares those with what the lab's chain did.

  lab/chain.py --ttl 20 --out lab/data/CONFIG/chain.json lab/runs/CONFIG/*"""

import argparse
import csv
import json
import os
from collections import defaultdict


def read_fetches(runs):
    """Per name, the times Unbound fetched it, in order."""
    fetches = defaultdict(list)
    with open(os.path.join(runs, "queries.csv")) as f:
        for row in csv.DictReader(f):
            fetches[row["name"]].append(float(row["at"]))
    return fetches


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--ttl", type=float, required=True)
    p.add_argument("--period", type=float, default=900)
    p.add_argument("--out", required=True)
    p.add_argument("runs", nargs="+", help="sittings; those without queries.csv are skipped")
    args = p.parse_args()
    ttl = args.ttl
    idles, early, held, remaining, flips = [], 0, 0, [], 0
    sittings = [r for r in args.runs if os.path.exists(os.path.join(r, "queries.csv"))]
    for runs in sittings:
        fetches = read_fetches(runs)
        for times in fetches.values():
            for before, after in zip(times, times[1:]):
                if after - before < ttl:
                    early += 1  # fetched again before the entry ran out
                else:
                    idles.append(after - before - ttl)
        end = max(t for times in fetches.values() for t in times)
        with open(os.path.join(runs, "flips.csv")) as f:
            for flip in csv.DictReader(f):
                at = float(flip["at"])
                if at + args.period > end:
                    continue
                flips += 1
                last = max((t for t in fetches[flip["name"]] if t <= at), default=None)
                if last is not None and at - last < ttl:
                    held += 1
                    remaining.append(last + ttl - at)
    if not flips:
        print("lab: no sitting logged the authoritative's answers; nothing to read")
        return
    mean_idle = sum(idles) / len(idles)
    share = held / flips
    # per flip: the remaining time it was held (0 when not), for its spread
    per_flip = remaining + [0.0] * (flips - held)
    stale = sum(per_flip) / flips
    stale_se = (sum((x - stale) ** 2 for x in per_flip) / (flips - 1) / flips) ** 0.5
    summary = {
        "sittings": len(sittings),
        "flips": flips,
        "fetches_apart": len(idles) + early,
        "fetched_before_expiry": early,
        "mean_idle_s": round(mean_idle, 2),
        "held_at_flip": round(share, 3),
        "held_at_flip_se": round((share * (1 - share) / flips) ** 0.5, 3),
        "held_at_flip_renewal": round(ttl / (ttl + mean_idle), 3),
        "mean_remaining_s": round(sum(remaining) / held, 2) if held else None,
        "mean_remaining_renewal_s": ttl / 2,
        "uncached_stale_s": round(stale, 2),
        "uncached_stale_se": round(stale_se, 2),
        "uncached_stale_renewal_s": round(ttl / (ttl + mean_idle) * ttl / 2, 2),
    }
    with open(args.out, "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    print(f"lab: {args.out}: {summary}")


if __name__ == "__main__":
    main()
