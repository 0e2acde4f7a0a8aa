#!/usr/bin/python3
"""mkpcaps DIR N - input pcaps for the vhost forwarding test.

DIR/in0.pcap (for NIC 0) and DIR/in1.pcap (for NIC 1), N frames each: UDP,
TCP, IPv6, ICMP, 802.1Q-tagged and ARP frames of 60 to 1514 bytes, each
carrying its sequence number, all well formed (the fwd function forwards
every one).  Deterministic.
"""
import random
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPv6, Raw, wrpcap


def make(seed, n, src, dst):
    r = random.Random(seed)
    out = []
    for i in range(n):
        tag = b"seq%06d" % i
        pay = bytes((i * 7 + j) & 0xFF for j in range(r.choice([0, 10, 100, 500, 1400, 1450])))
        e = Ether(src=src, dst=dst)
        k = i % 6
        if k == 0:
            p = e / IP(src="10.0.0.1", dst="10.0.1.%d" % (i % 250 + 1)) / UDP(sport=1000 + i % 5000, dport=53) / Raw(tag + pay)
        elif k == 1:
            p = e / IP(src="10.0.0.2", dst="10.0.2.1") / TCP(sport=2000 + i % 5000, dport=80, flags="S") / Raw(tag + pay)
        elif k == 2:
            p = e / IPv6(src="fd00::1", dst="fd00::2") / UDP(sport=3000 + i % 5000, dport=4789) / Raw(tag + pay[:1400])
        elif k == 3:
            p = e / IP(src="10.0.0.3", dst="10.0.3.1") / ICMP(id=i & 0xFFFF, seq=i & 0xFFFF) / Raw(tag)
        elif k == 4:
            p = e / Dot1Q(vlan=100 + i % 10) / IP(src="10.0.0.4", dst="10.0.4.1") / UDP(sport=5000, dport=5001) / Raw(tag + pay[:200])
        else:
            p = Ether(src=src, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, psrc="10.0.0.5", pdst="10.0.0.%d" % (i % 250 + 1))
        b = bytes(p)[:1514]
        if len(b) < 60:
            b += bytes(60 - len(b))
        out.append(Ether(b))
    return out


def main():
    d, n = sys.argv[1], int(sys.argv[2])
    wrpcap(f"{d}/in0.pcap", make(1, n, "02:00:00:00:00:01", "02:00:00:00:00:02"))
    wrpcap(f"{d}/in1.pcap", make(2, n, "02:00:00:00:00:02", "02:00:00:00:00:01"))


main()
