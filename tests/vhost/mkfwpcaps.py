#!/usr/bin/python3
"""mkfwpcaps DIR - input pcaps for the firewall image test (tests/vhost/fw.sh).

Four phases, each feeding ONE port of the image (tests/vhost/phases.py):

  DIR/phase1.pcap  inside  (port 0): requests out, some dropped
  DIR/phase2.pcap  outside (port 1): replies (pass by state), the same
                   shapes without state (dropped), new inbound flows,
                   blocked sources, rejects (TCP RST, ICMP/ICMPv6 unreachable)
  DIR/phase3.pcap  inside  (port 0): handshakes completed, replies to
                   inbound flows
  DIR/phase4.pcap  outside (port 1): data on established flows, a SYN on
                   an established flow (invalid), a RST
  DIR/in0.pcap, DIR/in1.pcap, DIR/phases   as phases.write makes them

Each frame carries a tag "fwt:NAME" in its payload so tests can find it;
names ending in -drop or -reject must not come out of the image.
Deterministic.
"""
import sys

from scapy.all import ICMP, IP, TCP, UDP, Ether, ICMPv6EchoReply, ICMPv6EchoRequest, IPv6, Raw

import phases
from phases import NIC0, NIC1

IN_MAC, OUT_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"


def tag(name):
    return Raw(b"fwt:" + name.encode())


def inside(l3, name):
    return Ether(src=IN_MAC, dst=NIC0) / l3 / tag(name)


def outside(l3, name):
    return Ether(src=OUT_MAC, dst=NIC1) / l3 / tag(name)


def v4(s, d):
    return IP(src=s, dst=d, ttl=64)


def v6(s, d):
    return IPv6(src=s, dst=d, hlim=64)


H4, H6 = "10.0.0.1", "fd00::1"          # inside hosts
S4, S6 = "10.0.0.80", "fd00::80"        # inside servers
R4, R6 = "192.0.2.10", "2001:db8::10"   # outside hosts
BAD4, BAD6 = "198.51.100.5", "2001:db8:bad::5"

PHASES = [
    (0, [  # inside -> outside: requests
        inside(v4(H4, R4) / TCP(sport=40000, dport=80, flags="S", seq=1000), "a-syn4"),
        inside(v6(H6, R6) / TCP(sport=40001, dport=443, flags="S", seq=2000), "a-syn6"),
        inside(v4(H4, R4) / UDP(sport=5353, dport=53), "a-dns4"),
        inside(v6(H6, R6) / UDP(sport=5354, dport=53), "a-dns6"),
        inside(v4(H4, R4) / ICMP(type=8, id=7, seq=1), "a-ping4"),
        inside(v6(H6, R6) / ICMPv6EchoRequest(id=8, seq=1), "a-ping6"),
        inside(v4(H4, R4) / TCP(sport=40002, dport=25, flags="S", seq=3000), "a-smtp4-drop"),
        inside(v6(H6, R6) / UDP(sport=5355, dport=123), "a-ntp6-drop"),
    ]),
    (1, [  # outside -> inside: replies, look-alikes without state, new flows, rejects
        outside(v4(R4, H4) / TCP(sport=80, dport=40000, flags="SA", seq=9000, ack=1001), "b-synack4"),
        outside(v6(R6, H6) / TCP(sport=443, dport=40001, flags="SA", seq=9100, ack=2001), "b-synack6"),
        outside(v4(R4, H4) / UDP(sport=53, dport=5353), "b-dns4"),
        outside(v6(R6, H6) / UDP(sport=53, dport=5354), "b-dns6"),
        outside(v4(R4, H4) / ICMP(type=0, id=7, seq=1), "b-pong4"),
        outside(v6(R6, H6) / ICMPv6EchoReply(id=8, seq=1), "b-pong6"),
        outside(v4(R4, H4) / UDP(sport=53, dport=5999), "b-dns4-nostate-drop"),
        outside(v4(R4, H4) / TCP(sport=25, dport=40002, flags="SA", seq=9200, ack=3001), "b-smtp4-nostate-drop"),
        outside(v6(R6, H6) / ICMPv6EchoReply(id=99, seq=1), "b-pong6-nostate-drop"),
        outside(v4(R4, H4) / ICMP(type=8, id=9, seq=1), "b-ping4-in-drop"),
        outside(v4(R4, S4) / TCP(sport=50000, dport=80, flags="S", seq=5000), "b-syn4-in"),
        outside(v6(R6, S6) / TCP(sport=50001, dport=80, flags="S", seq=6000), "b-syn6-in"),
        outside(v4(BAD4, S4) / TCP(sport=50002, dport=80, flags="S", seq=7000), "b-blocked4-drop"),
        outside(v6(BAD6, S6) / TCP(sport=50003, dport=80, flags="S", seq=7100), "b-blocked6-drop"),
        outside(v4(R4, S4) / TCP(sport=50004, dport=23, flags="S", seq=7200), "b-telnet4-reject"),
        outside(v6(R6, S6) / TCP(sport=50005, dport=23, flags="S", seq=7300), "b-telnet6-reject"),
        outside(v4(R4, S4) / UDP(sport=50006, dport=69), "b-tftp4-reject"),
        outside(v6(R6, S6) / UDP(sport=50007, dport=69), "b-tftp6-reject"),
    ]),
    (0, [  # inside: handshakes completed, replies to the inbound flows
        inside(v4(H4, R4) / TCP(sport=40000, dport=80, flags="A", seq=1001, ack=9001), "c-ack4"),
        inside(v4(H4, R4) / TCP(sport=40000, dport=80, flags="PA", seq=1001, ack=9001) / Raw(b"GET /"), "c-data4"),
        inside(v6(H6, R6) / TCP(sport=40001, dport=443, flags="A", seq=2001, ack=9101), "c-ack6"),
        inside(v4(S4, R4) / TCP(sport=80, dport=50000, flags="SA", seq=8000, ack=5001), "c-synack4-in"),
        inside(v6(S6, R6) / TCP(sport=80, dport=50001, flags="SA", seq=8100, ack=6001), "c-synack6-in"),
        inside(v4(S4, R4) / TCP(sport=80, dport=50009, flags="SA", seq=8200, ack=1), "c-synack4-nostate-drop"),
    ]),
    (1, [  # outside: data on established flows, teardown
        outside(v4(R4, H4) / TCP(sport=80, dport=40000, flags="PA", seq=9001, ack=1006) / Raw(b"200 OK"), "d-data4"),
        outside(v4(R4, S4) / TCP(sport=50000, dport=80, flags="A", seq=5001, ack=8001), "d-ack4-in"),
        outside(v6(R6, S6) / TCP(sport=50001, dport=80, flags="A", seq=6001, ack=8101), "d-ack6-in"),
        outside(v4(R4, H4) / TCP(sport=80, dport=40000, flags="S", seq=9500), "d-syn-on-est4-invalid-drop"),
        outside(v6(R6, H6) / TCP(sport=443, dport=40001, flags="R", seq=9101), "d-rst6"),
    ]),
]


def main():
    phases.write(sys.argv[1], PHASES)


main()
