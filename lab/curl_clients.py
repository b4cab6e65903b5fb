#!/usr/bin/env python3
"""The lab's plain clients: each device is a loop per name that runs `curl`
after exponential gaps. A new process per request keeps no cache and no
connection: every request asks the system resolver (glibc, then whatever
/etc/resolv.conf and nsswitch.conf name)."""

import random
import subprocess
import sys
import threading
import time


def loop(client, name, gap):
    k = 0
    while True:
        time.sleep(random.expovariate(1 / gap))
        url = f"http://n{name}.lab.test/ping?c={client}&k={k}"
        subprocess.run(["curl", "-s", "-o", "/dev/null", "--max-time", "5", url], check=False)
        k += 1


def main():
    prefix, devices, names, gap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    for d in range(devices):
        for i in range(names):
            threading.Thread(target=loop, args=(f"{prefix}-{d}", i, gap)).start()


if __name__ == "__main__":
    main()
