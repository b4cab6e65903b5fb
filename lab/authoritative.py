#!/usr/bin/env python3
"""The lab's authoritative server for `lab.test`: names n0 … n{N-1}.lab.test
answer with one A record each, flipping between two addresses on a fixed
schedule (name i first flips at start + warmup + i × stagger, then every
period). Writes the schedule to flips.csv before serving, so the analysis
knows each flip's moment, and logs every A answer for a lab name to
queries.csv (when Unbound fetched which address), so the chain's state at
each flip can be read. Plain UDP DNS, enough for Unbound's iterator."""

import argparse
import socket
import struct
import time

ZONE = ("lab", "test")
QTYPE_A, QTYPE_NS, QTYPE_SOA = 1, 2, 6


def parse_question(packet):
    """(id, flags, labels, qtype, end offset) of a query's first question."""
    qid, flags, qdcount = struct.unpack("!HHH", packet[:6])
    if qdcount != 1:
        raise ValueError("one question expected")
    labels, at = [], 12
    while packet[at]:
        length = packet[at]
        labels.append(packet[at + 1 : at + 1 + length].decode("ascii").lower())
        at += 1 + length
    qtype, _qclass = struct.unpack("!HH", packet[at + 1 : at + 5])
    return qid, flags, labels, qtype, at + 5


def encode_name(labels):
    return b"".join(bytes([len(l)]) + l.encode() for l in labels) + b"\0"


def soa_rdata(ttl):
    mname, rname = encode_name(("ns",) + ZONE), encode_name(("lab",) + ZONE)
    # serial, refresh, retry, expire, minimum (negative answers live `ttl`)
    return mname + rname + struct.pack("!IIIII", 1, 3600, 600, 86400, ttl)


def record(name, rtype, ttl, rdata):
    return name + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


class Schedule:
    def __init__(self, args, start):
        self.args, self.start = args, start

    def first_flip(self, i):
        return self.start + self.args.warmup + i * self.args.stagger

    def address(self, i, now):
        """Which of the two addresses name i answers with at `now`."""
        since = now - self.first_flip(i)
        flips = 0 if since < 0 else int(since // self.args.period) + 1
        return (self.args.first, self.args.second)[flips % 2]

    def write(self, path, until):
        with open(path, "w") as f:
            f.write("name,at,from,to\n")
            for i in range(self.args.names):
                at, k = self.first_flip(i), 0
                while at <= until:
                    before = (self.args.first, self.args.second)[k % 2]
                    after = (self.args.first, self.args.second)[(k + 1) % 2]
                    f.write(f"n{i}.lab.test,{at:.3f},{before},{after}\n")
                    at, k = at + self.args.period, k + 1


def answer(packet, schedule, ttl, log):
    qid, flags, labels, qtype, end = parse_question(packet)
    question = packet[12:end]
    rd = flags & 0x0100
    header = lambda rcode, an, ns: struct.pack("!HHHHHH", qid, 0x8400 | rd | rcode, 1, an, ns, 0)
    if tuple(labels[-2:]) != ZONE:
        return struct.pack("!HHHHHH", qid, 0x8000 | rd | 5, 1, 0, 0, 0) + question  # REFUSED
    soa = record(encode_name(ZONE), QTYPE_SOA, ttl, soa_rdata(ttl))
    if len(labels) == 2:
        if qtype == QTYPE_SOA:
            return header(0, 1, 0) + question + soa
        if qtype == QTYPE_NS:
            ns = record(b"\xc0\x0c", QTYPE_NS, 3600, encode_name(("ns",) + ZONE))
            return header(0, 1, 0) + question + ns
        return header(0, 0, 1) + question + soa
    name = labels[0]
    if len(labels) == 3 and name[:1] == "n" and name[1:].isdigit() and int(name[1:]) < schedule.args.names:
        if qtype != QTYPE_A:
            return header(0, 0, 1) + question + soa  # NODATA
        now = time.time()
        address = schedule.address(int(name[1:]), now)
        log.write(f"{now:.3f},{'.'.join(labels)},{address}\n")
        return header(0, 1, 0) + question + record(b"\xc0\x0c", QTYPE_A, ttl, socket.inet_aton(address))
    return header(3, 0, 1) + question + soa  # NXDOMAIN


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--listen", default="127.0.0.53")
    p.add_argument("--ttl", type=int, required=True)
    p.add_argument("--names", type=int, required=True)
    p.add_argument("--first", required=True)
    p.add_argument("--second", required=True)
    p.add_argument("--warmup", type=float, required=True)
    p.add_argument("--stagger", type=float, required=True)
    p.add_argument("--period", type=float, required=True)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--flips", required=True, help="where to write the schedule")
    p.add_argument("--queries", required=True, help="where to log the A answers")
    args = p.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.listen, 53))
    schedule = Schedule(args, time.time())
    schedule.write(args.flips, schedule.start + args.duration)
    log = open(args.queries, "w", buffering=1)  # a line at a time: the lab stops it by signal
    log.write("at,name,address\n")
    while True:
        packet, client = sock.recvfrom(4096)
        try:
            sock.sendto(answer(packet, schedule, args.ttl, log), client)
        except (ValueError, IndexError, UnicodeDecodeError):
            pass  # not a query this server answers


if __name__ == "__main__":
    main()
