#!/usr/bin/python3
"""Make the golden pcaps of the fwd function (tests/golden/cases/fwd-*).

fwd is a bump in the wire: every well-formed frame that enters port 0 leaves
port 1 byte for byte with its timestamp, and the other way round.  Malformed
frames are dropped and counted by reason before the function sees them.

Run from the repository root:  /usr/bin/python3 tests/gen/make_fwd_golden.py
Output is deterministic (fixed timestamps), so the committed files only change
when this script does.
"""
import os

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether, ICMPv6EchoRequest,
                       IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrRouting, Raw, wrpcap)

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "cases")

A = "02:00:00:00:00:0a"
B = "02:00:00:00:00:0b"


def frames(src, dst, base):
    """One of each kind of frame fwd must carry unchanged."""
    e = Ether(src=src, dst=dst)
    fs = [
        e / IP(src="10.0.0.1", dst="192.0.2.1") / TCP(sport=40000, dport=80, flags="S"),
        e / IP(src="10.0.0.1", dst="192.0.2.1") / UDP(sport=5353, dport=53) / Raw(b"q" * 20),
        e / IP(src="10.0.0.1", dst="192.0.2.1") / ICMP(type=8, id=7, seq=1),
        e / IP(src="10.0.0.1", dst="192.0.2.1", options=b"\x94\x04\x00\x00") / UDP(),
        e / IP(src="10.0.0.1", dst="192.0.2.1", flags="MF", frag=0) / UDP() / Raw(b"x" * 64),
        e / IP(src="10.0.0.1", dst="192.0.2.1", frag=10) / Raw(b"y" * 40),
        e / IPv6(src="2001:db8::1", dst="2001:db8::2") / TCP(sport=1234, dport=443, flags="PA") / Raw(b"h" * 100),
        e / IPv6(src="2001:db8::1", dst="2001:db8::2") / ICMPv6EchoRequest(id=1, seq=2),
        e / IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / UDP(sport=1, dport=2),
        e / IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrRouting(addresses=["2001:db8::3"]) / UDP(),
        e / IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrFragment(offset=0, m=1, id=9) / UDP() / Raw(b"z" * 32),
        e / ARP(op=1, psrc="10.0.0.1", pdst="10.0.0.2", hwsrc=src),
        Ether(src=src, dst=dst) / Dot1Q(vlan=10) / IP(src="10.1.0.1", dst="10.2.0.1") / UDP(),
        Ether(src=src, dst=dst) / Dot1AD(vlan=100) / Dot1Q(vlan=20) / IP(src="10.1.0.1", dst="10.2.0.1") / TCP(),
        Ether(src=src, dst=dst, type=0x88cc) / Raw(b"\x02\x07\x04" + b"\x00" * 40),  # LLDP: not ours to judge
        e / IP(src="10.0.0.1", dst="192.0.2.1") / UDP() / Raw(b"p" * 1400),  # near-MTU
    ]
    for i, f in enumerate(fs):
        f.time = base + i * 0.001
    return fs


def malformed(src, dst, base):
    """Frames that must be dropped and counted, never forwarded."""
    e = Ether(src=src, dst=dst)
    bad_ihl = e / IP(src="10.0.0.1", dst="192.0.2.1", ihl=4) / UDP()
    bad_len = e / IP(src="10.0.0.1", dst="192.0.2.1", len=1000) / UDP()
    short_tcp = (e / IP(src="10.0.0.1", dst="192.0.2.1") / TCP())
    short_tcp = Ether(bytes(short_tcp)[:14 + 20 + 10])  # TCP header cut at 10 bytes
    fs = [bad_ihl, bad_len, short_tcp]
    for i, f in enumerate(fs):
        f.time = base + i * 0.001
    return fs


def write(case, name, pkts):
    d = os.path.join(HERE, case)
    os.makedirs(d, exist_ok=True)
    wrpcap(os.path.join(d, name), pkts)


def main():
    # Interleaved in time: port 0 at t=1000.000.., port 1 at t=1000.0005..
    p0 = frames(A, B, 1000.0)
    p1 = frames(B, A, 1000.0005)
    bad0 = malformed(A, B, 1000.5)
    write("fwd-basic", "in0.pcap", p0 + bad0)
    write("fwd-basic", "in1.pcap", p1)
    write("fwd-basic", "expect-out1.pcap", p0)
    write("fwd-basic", "expect-out0.pcap", p1)


if __name__ == "__main__":
    main()


def negative_cases():
    """Inputs that must be refused with a clear message."""
    d = os.path.join(HERE, "fwd-not-ethernet")
    os.makedirs(d, exist_ok=True)
    raw = IP(src="10.0.0.1", dst="192.0.2.1") / UDP()
    raw.time = 1000.0
    wrpcap(os.path.join(d, "raw-ip.pcap"), [raw], linktype=101)  # LINKTYPE_RAW
    # Named ports: the config names them, the command line uses the names.
    p0 = frames(A, B, 2000.0)[:4]
    write("fwd-named-ports", "in-west.pcap", p0)
    write("fwd-named-ports", "expect-out1.pcap", p0)


if __name__ == "__main__":
    negative_cases()


def malformed_corpus_case():
    """The malformed corpus through fwd: only the `ok` frames come out, every
    other one is counted under its reason.  Frames larger than a packet
    buffer never reach the parser: the port counts them as rx_errors."""
    from collections import Counter

    from scapy.all import rdpcap
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "malformed")
    pkts = rdpcap(os.path.join(root, "corpus.pcap"))
    reasons = open(os.path.join(root, "expected.txt")).read().split()
    assert len(pkts) == len(reasons)
    buffer_room = 2048 - 64 - 128
    ok = [p for p, r in zip(pkts, reasons) if r == "ok" and len(bytes(p)) <= buffer_room]
    too_big = sum(1 for p in pkts if len(bytes(p)) > buffer_room)
    counts = Counter(r for p, r in zip(pkts, reasons) if r != "ok" and len(bytes(p)) <= buffer_room)
    d = os.path.join(HERE, "fwd-malformed-corpus")
    os.makedirs(d, exist_ok=True)
    wrpcap(os.path.join(d, "expect-out1.pcap"), ok)
    with open(os.path.join(d, "cmd"), "w") as f:
        f.write("fwd --in 0=../../../data/malformed/corpus.pcap\n")
    with open(os.path.join(d, "expect-stats"), "w") as f:
        f.write(f"port0.rx_errors {too_big}\n")
        f.write(f"port1.tx_pkts {len(ok)}\n")
        f.write(f"malformed.total {sum(counts.values())}\n")
        for r, n in sorted(counts.items()):
            f.write(f"malformed.{r} {n}\n")


if __name__ == "__main__":
    malformed_corpus_case()
