#!/usr/bin/env python3
"""The record-chain lab's client: asks the resolver for n0.test …
n{N-1}.test, each name at Poisson times (mean gap --gap s), and logs every
answer's address: what a user behind the resolver would have reached."""

import argparse
import heapq
import random
import socket
import struct
import time


def query(qid, name):
    labels = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + labels + struct.pack("!HH", 1, 1)


def skip_name(packet, at):
    while True:
        length = packet[at]
        if length == 0:
            return at + 1
        if length & 0xC0 == 0xC0:
            return at + 2
        at += 1 + length


def first_address(packet):
    """The first A record's address in the answer section, and its TTL."""
    _, _, qd, an = struct.unpack("!HHHH", packet[:8])
    at = 12
    for _ in range(qd):
        at = skip_name(packet, at) + 4
    for _ in range(an):
        at = skip_name(packet, at)
        rtype, _, ttl, length = struct.unpack("!HHIH", packet[at:at + 10])
        at += 10
        if rtype == 1 and length == 4:
            return socket.inet_ntoa(packet[at:at + 4]), ttl
        at += length
    return None, None


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--resolver", default="127.0.0.53")
    p.add_argument("--names", type=int, required=True)
    p.add_argument("--gap", type=float, required=True)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    rng = random.Random(args.seed)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(2.0)
    start = time.time()
    due = [(start + rng.expovariate(1 / args.gap), i) for i in range(args.names)]
    heapq.heapify(due)
    with open(args.out, "w", buffering=1) as log:
        log.write("at,name,address,ttl\n")
        qid = 0
        while due[0][0] < start + args.duration:
            at, i = heapq.heappop(due)
            time.sleep(max(0.0, at - time.time()))
            qid = (qid + 1) & 0xFFFF
            name = f"n{i}.test"
            sent = time.time()
            try:
                sock.sendto(query(qid, name), (args.resolver, 53))
                while True:
                    packet, _ = sock.recvfrom(4096)
                    if struct.unpack("!H", packet[:2])[0] == qid:
                        break
                address, ttl = first_address(packet)
                log.write(f"{sent:.3f},{name},{address},{ttl}\n")
            except socket.timeout:
                log.write(f"{sent:.3f},{name},,\n")
            heapq.heappush(due, (at + rng.expovariate(1 / args.gap), i))


if __name__ == "__main__":
    main()
