#!/usr/bin/python3
"""flows_send TAP0 TAP1 DIR MODE - frames for the flows image tests
(tests/image/run.sh) into a firewall image whose port 0 (inside) is TAP0
and port 1 (outside) is TAP1, and the same frames as DIR/in0.pcap and
DIR/in1.pcap for `nfbox replay --dump-flows`.

  few       a TCP handshake, a UDP request and reply, a UDP request alone,
            an ICMP echo: flows in several states
  many N    N UDP requests from inside, each its own flow (source port)
"""
import sys
import time

from scapy.all import Ether, ICMP, IP, TCP, UDP, sendp, wrpcap

t0, t1, out, mode = sys.argv[1:5]
IN, OUT = "02:00:00:00:00:01", "02:00:00:00:00:02"
CLI, SRV, DNS = "10.0.0.1", "93.184.216.34", "10.0.0.53"


def inside(l3):
    return Ether(src=IN, dst=OUT) / l3


def outside(l3):
    return Ether(src=OUT, dst=IN) / l3


if mode == "few":
    frames = [
        (0, inside(IP(src=CLI, dst=SRV) / TCP(sport=40000, dport=80, flags="S", seq=1000))),
        (1, outside(IP(src=SRV, dst=CLI) / TCP(sport=80, dport=40000, flags="SA", seq=5000, ack=1001))),
        (0, inside(IP(src=CLI, dst=SRV) / TCP(sport=40000, dport=80, flags="A", seq=1001, ack=5001))),
        (0, inside(IP(src=CLI, dst=DNS) / UDP(sport=5000, dport=53) / b"q")),
        (1, outside(IP(src=DNS, dst=CLI) / UDP(sport=53, dport=5000) / b"r")),
        (0, inside(IP(src=CLI, dst=DNS) / UDP(sport=5001, dport=53) / b"q")),
        (0, inside(IP(src=CLI, dst=SRV) / ICMP(type=8, id=7, seq=1))),
    ]
else:
    n = int(sys.argv[5])
    frames = [(0, inside(IP(src="10.0.%d.%d" % (i // 250, 1 + i % 250), dst=DNS) /
                         UDP(sport=1024 + i % 60000, dport=53) / b"q")) for i in range(n)]

# The replay's clock is the pcap's: one timestamp per frame, in order.
t = 1700000000.0
for i, (_, f) in enumerate(frames):
    f.time = t + i * 0.001
wrpcap(out + "/in0.pcap", [f for p, f in frames if p == 0])
wrpcap(out + "/in1.pcap", [f for p, f in frames if p == 1] or [])
if mode == "few":
    for port, f in frames:
        sendp(f, iface=t0 if port == 0 else t1, verbose=False)
        time.sleep(0.2)
else:
    # In bursts the image's rings take (256 entries): the host's tap queue
    # would drop frames sent faster than a TCG guest reads them.
    fs = [f for _, f in frames]
    for i in range(0, len(fs), 200):
        sendp(fs[i:i + 200], iface=t0, verbose=False)
        time.sleep(0.05)
time.sleep(1.0)
print(len(frames))
