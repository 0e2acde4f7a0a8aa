#!/usr/bin/python3
"""tapio TAP0 TAP1 DIR - play DIR/in0.pcap into TAP0 and DIR/in1.pcap into
TAP1 (host -> guest), capture what the guest sends back out of the other tap,
and write DIR/out1.pcap (frames from in0 seen leaving the guest on TAP1) and
DIR/out0.pcap (frames from in1 seen on TAP0).

Frames are told apart by source MAC (mkpcaps.py: 02:00:00:00:00:01 for in0,
:02 for in1), so our own transmissions and anything the host kernel sends
on the taps are ignored.  Needs root.
"""
import sys
import time

from scapy.all import AsyncSniffer, rdpcap, sendp, wrpcap

t0, t1, d = sys.argv[1:4]
in0, in1 = rdpcap(f"{d}/in0.pcap"), rdpcap(f"{d}/in1.pcap")
src0, src1 = "02:00:00:00:00:01", "02:00:00:00:00:02"


def came_from_guest(src):
    # Incoming on the tap = sent by the guest (scapy marks direction only on
    # some versions; the source MAC is enough here).
    return lambda p: p.src == src


s1 = AsyncSniffer(iface=t1, store=True, lfilter=came_from_guest(src0))
s0 = AsyncSniffer(iface=t0, store=True, lfilter=came_from_guest(src1))
s0.start()
s1.start()
time.sleep(0.5)
for a, b in zip(in0, in1):
    sendp(a, iface=t0, verbose=False)
    sendp(b, iface=t1, verbose=False)
deadline = time.time() + 10
while time.time() < deadline:
    if len(s1.results or []) >= len(in0) and len(s0.results or []) >= len(in1):
        break
    time.sleep(0.2)
time.sleep(0.5)
r1, r0 = s1.stop(), s0.stop()
wrpcap(f"{d}/out1.pcap", list(r1))
wrpcap(f"{d}/out0.pcap", list(r0))
