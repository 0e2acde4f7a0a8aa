#!/usr/bin/python3
# pcapeq.py [--per-flow] EXPECTED GOT... - frames equal, in order (the GOT
# files one after the other).  With
# --per-flow, frames are grouped by (IP version, addresses, protocol, ports)
# and only the order within each group counts (OVS batches per datapath
# flow, so across flows it may reorder).  Prints one line saying why not.
import sys
from scapy.all import rdpcap, IP, IPv6, TCP, UDP

args = sys.argv[1:]
per_flow = args and args[0] == "--per-flow"
if per_flow:
    args = args[1:]
exp = [bytes(p) for p in rdpcap(args[0])]
got = [bytes(p) for f in args[1:] for p in rdpcap(f)]

def key(b):
    from scapy.all import Ether
    p = Ether(b)
    l3 = p[IP] if IP in p else (p[IPv6] if IPv6 in p else None)
    l4 = p[TCP] if TCP in p else (p[UDP] if UDP in p else None)
    return (type(l3).__name__, l3.src if l3 else "", l3.dst if l3 else "",
            l4.sport if l4 else 0, l4.dport if l4 else 0)

if per_flow:
    def groups(fr):
        g = {}
        for b in fr:
            g.setdefault(key(b), []).append(b)
        return g
    ge, gg = groups(exp), groups(got)
    if ge != gg:
        diff = [k for k in set(ge) | set(gg) if ge.get(k) != gg.get(k)]
        print("%d expected, %d got; flows differing: %s" % (len(exp), len(got), diff[:3]))
        sys.exit(1)
    sys.exit(0)
if exp != got:
    first = next((i for i, (a, b) in enumerate(zip(exp, got)) if a != b), min(len(exp), len(got)))
    print("%d expected, %d got; first difference at frame %d" % (len(exp), len(got), first + 1))
    sys.exit(1)
