#!/usr/bin/python3
# mkweb.py - make web.pcap, the example chains' source: what an inside
# network sends out (TCP opens to web ports, DNS, ping, IPv6 ping) plus some
# the example firewall (config/examples/firewall.conf) refuses (telnet, DNS
# to an outside resolver, a TCP port it does not list).  One direction only,
# timestamps 1 ms apart.  Run with Debian's python3 (scapy):
#   /usr/bin/python3 topology/examples/mkweb.py [OUT.pcap]
import sys
from scapy.all import Ether, IP, IPv6, TCP, UDP, ICMP, ICMPv6EchoRequest, DNS, DNSQR, Raw, wrpcap

out = sys.argv[1] if len(sys.argv) > 1 else "web.pcap"
SRC_MAC, DST_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
frames = []

def add(p):
    frames.append(Ether(src=SRC_MAC, dst=DST_MAC) / p)

for i in range(12):  # web: accepted
    add(IP(src="10.0.0.%d" % (10 + i), dst="192.0.2.80") /
        TCP(sport=40000 + i, dport=(80, 443, 8080)[i % 3], flags="S", seq=1000 * i))
for i in range(4):   # DNS to the inside resolver: accepted
    add(IP(src="10.0.0.%d" % (30 + i), dst="10.0.0.53") /
        UDP(sport=5300 + i, dport=53) / DNS(rd=1, qd=DNSQR(qname="host%d.example" % i)))
for i in range(3):   # ping: accepted
    add(IP(src="10.0.0.40", dst="192.0.2.1") / ICMP(id=7, seq=i) / Raw(b"nfbox-ping"))
for i in range(2):   # IPv6 ping: accepted
    add(IPv6(src="fd00::40", dst="2001:db8::1") / ICMPv6EchoRequest(id=7, seq=i))
for i in range(3):   # telnet: no rule, default drop
    add(IP(src="10.0.0.50", dst="192.0.2.23") / TCP(sport=41000 + i, dport=23, flags="S"))
for i in range(3):   # DNS to an outside resolver: only 10.0.0.53 is allowed
    add(IP(src="10.0.0.51", dst="192.0.2.53") / UDP(sport=5400 + i, dport=53) /
        DNS(rd=1, qd=DNSQR(qname="leak%d.example" % i)))
for i in range(3):   # a port not listed
    add(IP(src="10.0.0.52", dst="192.0.2.80") / TCP(sport=42000 + i, dport=9000, flags="S"))

# Interleave the kinds so drops sit between passes, 1 ms apart.
order = sorted(range(len(frames)), key=lambda k: (k * 7) % len(frames))
frames = [frames[k] for k in order]
for k, f in enumerate(frames):
    f.time = 1700000000 + k / 1000.0
wrpcap(out, frames)
