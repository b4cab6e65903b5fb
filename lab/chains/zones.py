#!/usr/bin/env python3
"""The record-chain lab's authoritative servers, one process, three
addresses: the parent (authoritative for `test`), provider A and provider
B. Names n0 … n{N-1} move from provider A to provider B once each, at
start + warmup + i × stagger (one move per name, so each starts from a
cache in its steady state), in one of two modes:

- cname: the parent answers `n<i>.test` with a CNAME to `n<i>.cdna.test` or
  `n<i>.cdnb.test` (TTL --alias-ttl), and delegates `cdna.test` and
  `cdnb.test` to the providers (a day-long TTL); each provider answers its
  names with its own address (TTL --ttl).
- delegation: the parent delegates the zone `n<i>.test` to provider A
  (`ns.prova.test`) or B (`ns.provb.test`) with NS TTL --parent-ttl; each
  provider answers `n<i>.test` A with its own address (TTL --ttl), its NS
  records (TTL --child-ttl) in the authority section, as BIND does.

Both providers answer for good, whichever the parent points at. Writes
the schedule to flips.csv and every query it receives to queries.csv
(when, which server, name, type), so the analysis can say what Unbound
asked for and when."""

import argparse
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from authoritative import encode_name, parse_question, record  # noqa: E402

QTYPE_A, QTYPE_NS, QTYPE_CNAME, QTYPE_SOA = 1, 2, 5, 6
ADDRESS = {"a": "192.0.2.1", "b": "198.51.100.1"}
LONG = 86400


def soa(zone, ttl):
    rdata = encode_name(("ns",) + zone) + encode_name(("hostmaster",) + zone)
    rdata += struct.pack("!IIIII", 1, 3600, 600, 86400, ttl)
    return record(encode_name(zone), QTYPE_SOA, ttl, rdata)


class Schedule:
    def __init__(self, args, start):
        self.args, self.start = args, start

    def flip(self, i):
        return self.start + self.args.warmup + i * self.args.stagger

    def provider(self, i, now):
        """Which provider name i points at, at `now`."""
        return "a" if now < self.flip(i) else "b"

    def write(self, path):
        with open(path, "w") as f:
            f.write("name,at,from,to\n")
            for i in range(self.args.names):
                f.write(f"n{i}.test,{self.flip(i):.3f},{ADDRESS['a']},{ADDRESS['b']}\n")


def name_index(label, names):
    if label[:1] == "n" and label[1:].isdigit() and int(label[1:]) < names:
        return int(label[1:])
    return None


def reply(qid, flags, question, rcode=0, aa=True, answer=(), authority=(), additional=()):
    bits = 0x8000 | (0x0400 if aa else 0) | (flags & 0x0100) | rcode
    head = struct.pack("!HHHHHH", qid, bits, 1, len(answer), len(authority), len(additional))
    return head + question + b"".join(answer) + b"".join(authority) + b"".join(additional)


def parent(packet, args, schedule):
    """The parent zone `test`: aliases (cname) or delegations (delegation)."""
    qid, flags, labels, qtype, end = parse_question(packet)
    question, qname = packet[12:end], encode_name(labels)
    zone = ("test",)
    if labels[-1:] != ["test"]:
        return reply(qid, flags, question, rcode=5, aa=False)
    # The providers' own names and their zones.
    if labels[:1] == ["ns"] and len(labels) == 3 and labels[1] in ("prova", "provb") and qtype == QTYPE_A:
        glue = socket.inet_aton(args.provider_a if labels[1] == "prova" else args.provider_b)
        return reply(qid, flags, question, answer=[record(qname, QTYPE_A, LONG, glue)])
    if args.mode == "cname" and len(labels) >= 2 and labels[-2] in ("cdna", "cdnb"):
        cut = ("cdna" if labels[-2] == "cdna" else "cdnb", "test")
        ns_name = encode_name(("ns",) + cut)
        glue = socket.inet_aton(args.provider_a if cut[0] == "cdna" else args.provider_b)
        return reply(qid, flags, question, aa=False,
                     authority=[record(encode_name(cut), QTYPE_NS, LONG, ns_name)],
                     additional=[record(ns_name, QTYPE_A, LONG, glue)])
    i = name_index(labels[-2], args.names) if len(labels) >= 2 else None
    if i is None:
        if len(labels) == 1 and qtype == QTYPE_NS:
            return reply(qid, flags, question, answer=[record(qname, QTYPE_NS, LONG, encode_name(("ns",) + zone))])
        return reply(qid, flags, question, rcode=3, authority=[soa(zone, 60)])
    provider = schedule.provider(i, time.time())
    if args.mode == "cname":
        if len(labels) != 2:
            return reply(qid, flags, question, rcode=3, authority=[soa(zone, 60)])
        target = encode_name((labels[0], "cdn" + provider, "test"))
        return reply(qid, flags, question, answer=[record(qname, QTYPE_CNAME, args.alias_ttl, target)])
    # delegation: refer the zone n<i>.test to the provider it points at now.
    cut = encode_name((labels[-2], "test"))
    ns_name = encode_name(("ns", "prov" + provider, "test"))
    glue = socket.inet_aton(args.provider_a if provider == "a" else args.provider_b)
    return reply(qid, flags, question, aa=False,
                 authority=[record(cut, QTYPE_NS, args.parent_ttl, ns_name)],
                 additional=[record(ns_name, QTYPE_A, args.parent_ttl, glue)])


def provider(packet, args, which):
    """Provider `which` (a or b): its own address for every lab name, for good."""
    qid, flags, labels, qtype, end = parse_question(packet)
    question, qname = packet[12:end], encode_name(labels)
    address = socket.inet_aton(ADDRESS[which])
    if args.mode == "cname":
        cut = ("cdn" + which, "test")
        if tuple(labels[-2:]) != cut:
            return reply(qid, flags, question, rcode=5, aa=False)
        ns = record(encode_name(cut), QTYPE_NS, LONG, encode_name(("ns",) + cut))
        if len(labels) == 3 and name_index(labels[0], args.names) is not None and qtype == QTYPE_A:
            return reply(qid, flags, question, answer=[record(qname, QTYPE_A, args.ttl, address)], authority=[ns])
        if len(labels) == 2 and qtype == QTYPE_NS:
            return reply(qid, flags, question, answer=[ns])
        return reply(qid, flags, question, authority=[soa(cut, 60)])
    if len(labels) < 2 or labels[-1] != "test" or name_index(labels[-2], args.names) is None:
        return reply(qid, flags, question, rcode=5, aa=False)
    zone = (labels[-2], "test")
    ns = record(encode_name(zone), QTYPE_NS, args.child_ttl, encode_name(("ns", "prov" + which, "test")))
    if len(labels) == 2 and qtype == QTYPE_A:
        return reply(qid, flags, question, answer=[record(qname, QTYPE_A, args.ttl, address)], authority=[ns])
    if len(labels) == 2 and qtype == QTYPE_NS:
        return reply(qid, flags, question, answer=[ns])
    return reply(qid, flags, question, authority=[soa(zone, 60)])


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--mode", choices=["cname", "delegation"], required=True)
    p.add_argument("--parent", default="127.0.1.1")
    p.add_argument("--provider-a", default="127.0.1.2")
    p.add_argument("--provider-b", default="127.0.1.3")
    p.add_argument("--ttl", type=int, required=True)
    p.add_argument("--alias-ttl", type=int, default=0)
    p.add_argument("--parent-ttl", type=int, default=0)
    p.add_argument("--child-ttl", type=int, default=0)
    p.add_argument("--names", type=int, required=True)
    p.add_argument("--warmup", type=float, required=True)
    p.add_argument("--stagger", type=float, required=True)
    p.add_argument("--flips", required=True)
    p.add_argument("--queries", required=True)
    args = p.parse_args()
    servers = {}
    for role, address in (("parent", args.parent), ("a", args.provider_a), ("b", args.provider_b)):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((address, 53))
        servers[sock] = role
    schedule = Schedule(args, time.time())
    schedule.write(args.flips)
    log = open(args.queries, "w", buffering=1)
    log.write("at,server,name,type\n")
    while True:
        ready, _, _ = select.select(list(servers), [], [])
        for sock in ready:
            packet, client = sock.recvfrom(4096)
            role = servers[sock]
            try:
                _, _, labels, qtype, _ = parse_question(packet)
                log.write(f"{time.time():.3f},{role},{'.'.join(labels)},{qtype}\n")
                out = parent(packet, args, schedule) if role == "parent" else provider(packet, args, role)
                sock.sendto(out, client)
            except (ValueError, IndexError, UnicodeDecodeError):
                pass


if __name__ == "__main__":
    main()
