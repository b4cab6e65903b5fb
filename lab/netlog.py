#!/usr/bin/env python3
"""What Chromium's NetLog says about its DNS cache, for the presets: which
resolver path it took for the lab's names (its built-in DNS client, or the
system's getaddrinfo), how long each host cache entry lived, and the TTLs it
was handed. Reads the NetLog of the first Chromium of every sitting and
writes one JSON summary.

  lab/netlog.py --out lab/data/CONFIG/chromium-netlog.json lab/runs/CONFIG/*/netlog-chromium-0.json"""

import argparse
import json

# base::Time counts microseconds from 1601; Unix time from 1970.
WINDOWS_EPOCH_MS = 11_644_473_600_000


def events(path):
    """The NetLog's constants and its events (a log cut short at the end,
    as a stopped browser leaves it, still reads)."""
    text = open(path).read()
    head = text.index('"events"')
    constants = json.loads(text[:head].rstrip().rstrip(",") + "}")["constants"]
    found = []
    for line in text[head:].splitlines():
        line = line.strip().rstrip(",")
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return constants, found


def quantiles(values, qs=(0.0, 0.25, 0.5, 0.75, 1.0)):
    values = sorted(values)
    return [round(values[min(len(values) - 1, int(q * len(values)))], 1) for q in qs]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", required=True)
    p.add_argument("netlogs", nargs="+")
    args = p.parse_args()
    paths = {"dns": 0, "system": 0}
    lifetimes, handed = [], []
    for path in args.netlogs:
        constants, log = events(path)
        kinds = {v: k for k, v in constants["logEventTypes"].items()}
        offset = int(constants["timeTickOffset"])  # Unix ms at tick 0
        fetched = {}
        for e in log:
            kind, params = kinds[e["type"]], e.get("params", {})
            if kind == "HOST_RESOLVER_MANAGER_JOB" and ".lab.test" in params.get("host", ""):
                # tasks: 1 is the built-in DNS client, 0 the system resolver
                paths["dns" if params.get("tasks", [None])[0] == 1 else "system"] += 1
            if kind == "HOST_RESOLVER_DNS_TASK":
                for r in params.get("results", []):
                    if r.get("query_type") == "A" and r.get("type") == "data" and r["domain_name"].endswith(".lab.test"):
                        now = int(e["time"]) + offset
                        handed.append((int(r["timed_expiration"]) / 1000 - WINDOWS_EPOCH_MS - now) / 1000)
                        fetched[r["domain_name"]] = now
            if kind == "HOST_RESOLVER_MANAGER_CACHE_HIT":
                host = (params.get("results", {}).get("aliases") or [None])[0]
                if host in fetched:
                    expires = int(params["results"]["expiration"]) / 1000 - WINDOWS_EPOCH_MS
                    lifetimes.append((expires - fetched.pop(host)) / 1000)
    summary = {
        "resolver_jobs": paths,
        "cache_entries": len(lifetimes),
        "cache_lifetime_s": dict(zip(("min", "q1", "median", "q3", "max"), quantiles(lifetimes))),
        "ttl_handed_s": dict(zip(("min", "q1", "median", "q3", "max"), quantiles(handed))),
    }
    with open(args.out, "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    print(f"lab: {args.out}: {summary}")


if __name__ == "__main__":
    main()
