#!/usr/bin/python3
"""mknfpcaps nat|lb DIR - input pcaps for the NAT and LB image tests
(tests/vhost/nf.sh), in phases (tests/vhost/phases.py), and DIR/counts:
"PHASE PORT FRAMES" that must come out, so a mistake in these packets
(a reply to a port the NAT never gave) cannot pass as "image == replay,
both dropped it".

nat (tests/vhost/nat.conf; the image reloads tests/vhost/nat-reload.conf
after phase 1, which must keep every session):
  1 inside:  40 UDP sessions from 8 hosts, 2 TCP SYNs on one inside port
             (the second gets another external port), ICMP echo and
             timestamp, a source no rule covers (dropped)
  2 outside: a reply to each, an ICMP error quoting a UDP session's
             packet, an unsolicited datagram (dropped)
  3 inside:  TCP ACK and data; two hosts reaching each other through
             their external endpoints (filtered once, then hairpinned)
  4 outside: TCP data and FIN from the servers

lb (tests/vhost/lb.conf; the reload, tests/vhost/lb-reload.conf, adds a
backend to the web VIP: established connections must keep theirs):
  1 clients: 64 TCP SYNs to the web VIP, 8 DNS queries to the dns VIP
  2 servers: the DNS answers from its one backend (sent on as the VIP)
  3 clients: ACK and data of every web connection
Deterministic.
"""
import sys

from scapy.all import ICMP, IP, TCP, UDP, Ether, Raw

import phases
from phases import NIC0, NIC1

IN_MAC, OUT_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
EXT = "198.51.100.1"
VIP = "203.0.113.10"


def p0(l3):
    return Ether(src=IN_MAC, dst=NIC0) / l3


def p1(l3):
    return Ether(src=OUT_MAC, dst=NIC1) / l3


def nat():
    hosts = [f"10.0.0.{1 + i % 8}" for i in range(40)]
    servers = [f"192.0.2.{1 + i % 4}" for i in range(40)]
    A, A2, B = "10.0.0.1", "10.0.0.2", "192.0.2.80"
    udp_out = [p0(IP(src=hosts[i], dst=servers[i]) / UDP(sport=40000 + i, dport=53) / Raw(b"q%03d" % i))
               for i in range(40)]
    ph1 = udp_out + [
        p0(IP(src=A, dst=B) / TCP(sport=41000, dport=80, flags="S", seq=100)),
        p0(IP(src=A2, dst=B) / TCP(sport=41000, dport=80, flags="S", seq=200)),
        p0(IP(src=A, dst=B) / ICMP(type=8, id=7000, seq=1) / Raw(b"ping")),
        p0(IP(src=A, dst=B) / ICMP(type=13, id=7001, seq=1, ts_ori=1000, ts_rx=0, ts_tx=0)),
        p0(IP(src="192.168.1.1", dst=B) / UDP(sport=1000, dport=53)),   # no rule
    ]
    ph2 = [p1(IP(src=servers[i], dst=EXT) / UDP(sport=53, dport=40000 + i) / Raw(b"a%03d" % i))
           for i in range(40)]
    quoted = IP(bytes(udp_out[5][IP]))
    quoted.src = EXT
    del quoted.chksum
    ph2 += [
        p1(IP(src=B, dst=EXT) / TCP(sport=80, dport=41000, flags="SA", seq=900, ack=101)),
        p1(IP(src=B, dst=EXT) / TCP(sport=80, dport=1024, flags="SA", seq=950, ack=201)),
        p1(IP(src=B, dst=EXT) / ICMP(type=0, id=7000, seq=1) / Raw(b"ping")),
        p1(IP(src=B, dst=EXT) / ICMP(type=14, id=7001, seq=1, ts_ori=1000, ts_rx=2000, ts_tx=2001)),
        p1(IP(src="192.0.2.9", dst=EXT) / ICMP(type=3, code=3) / Raw(bytes(IP(bytes(quoted))))),
        p1(IP(src=B, dst=EXT) / UDP(sport=53, dport=2222)),             # unsolicited
    ]
    ph3 = [
        p0(IP(src=A, dst=B) / TCP(sport=41000, dport=80, flags="A", seq=101, ack=901)),
        p0(IP(src=A, dst=B) / TCP(sport=41000, dport=80, flags="PA", seq=101, ack=901) / Raw(b"GET /")),
        p0(IP(src=A2, dst=B) / TCP(sport=41000, dport=80, flags="A", seq=201, ack=951)),
        # 10.0.0.9 and 10.0.0.2:40001 through each other's external
        # endpoints: the first is filtered (10.0.0.2 never sent to
        # EXT:5555), the next two are hairpinned back inside.
        p0(IP(src="10.0.0.9", dst=EXT) / UDP(sport=5555, dport=40001) / Raw(b"hairpin1")),
        p0(IP(src="10.0.0.2", dst=EXT) / UDP(sport=40001, dport=5555) / Raw(b"hairpin2")),
        p0(IP(src="10.0.0.9", dst=EXT) / UDP(sport=5555, dport=40001) / Raw(b"hairpin3")),
    ]
    ph4 = [
        p1(IP(src=B, dst=EXT) / TCP(sport=80, dport=41000, flags="PA", seq=901, ack=106) / Raw(b"200 OK")),
        p1(IP(src=B, dst=EXT) / TCP(sport=80, dport=1024, flags="FA", seq=951, ack=201)),
    ]
    counts = [(1, 1, 44), (2, 0, 45), (3, 1, 3), (3, 0, 2), (4, 0, 2)]
    return [(0, ph1), (1, ph2), (0, ph3), (1, ph4)], counts


def lb():
    clients = [(f"198.18.{i // 200}.{1 + i % 200}", 20000 + i) for i in range(64)]
    ph1 = [p0(IP(src=c, dst=VIP) / TCP(sport=cp, dport=80, flags="S", seq=1000 + i))
           for i, (c, cp) in enumerate(clients)]
    dns = [(f"198.19.0.{1 + i}", 30000 + i) for i in range(8)]
    ph1 += [p0(IP(src=c, dst=VIP) / UDP(sport=cp, dport=53) / Raw(b"query")) for c, cp in dns]
    ph2 = [p1(IP(src="10.0.2.1", dst=c) / UDP(sport=53, dport=cp) / Raw(b"answer")) for c, cp in dns]
    ph3 = []
    for i, (c, cp) in enumerate(clients):
        ph3.append(p0(IP(src=c, dst=VIP) / TCP(sport=cp, dport=80, flags="A", seq=1001 + i, ack=1)))
        ph3.append(p0(IP(src=c, dst=VIP) / TCP(sport=cp, dport=80, flags="PA", seq=1001 + i, ack=1) /
                      Raw(b"GET /%d" % i)))
    counts = [(1, 1, 72), (2, 0, 8), (3, 1, 128)]
    return [(0, ph1), (1, ph2), (0, ph3)], counts


def main():
    func, d = sys.argv[1], sys.argv[2]
    ph, counts = {"nat": nat, "lb": lb}[func]()
    phases.write(d, ph)
    with open(f"{d}/counts", "w") as f:
        for c in counts:
            f.write("%d %d %d\n" % c)


main()
