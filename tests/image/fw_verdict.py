#!/usr/bin/python3
"""fw_verdict TAP0 TAP1 STEP - one step of the reload-verdict test
(tests/image/run.sh) through a firewall image whose port 0 (inside) is TAP0
and port 1 (outside) is TAP1.  Prints which of the step's frames came out
of the other side, e.g. "A-data:pass B-syn:drop".

  open      flow A (10.0.0.1:40000 -> 93.184.216.34:80): SYN, SYN-ACK, ACK
  after     flow A data (established), flow B SYN to port 80, flow C SYN to 443
  udp-open  flow U (10.0.0.1:5000 -> 10.0.0.53:53): request, reply
  udp-late  flow U's reply alone (passes only while U's state lives)

Frames are told apart by source MAC (ours: 02:00:00:00:00:01 inside,
:02 outside) and TCP ports, so what the host kernel sends is ignored.
"""
import sys
import time

from scapy.all import AsyncSniffer, Ether, IP, TCP, UDP, sendp

t0, t1, step = sys.argv[1:4]
IN, OUT = "02:00:00:00:00:01", "02:00:00:00:00:02"
CLI, SRV = "10.0.0.1", "93.184.216.34"


def c2s(sport, dport, flags, seq, ack=0):
    return Ether(src=IN, dst=OUT) / IP(src=CLI, dst=SRV) / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack)


def s2c(sport, dport, flags, seq, ack=0):
    return Ether(src=OUT, dst=IN) / IP(src=SRV, dst=CLI) / TCP(sport=dport, dport=sport, flags=flags, seq=seq, ack=ack)


DNS = "10.0.0.53"
u_req = Ether(src=IN, dst=OUT) / IP(src=CLI, dst=DNS) / UDP(sport=5000, dport=53) / b"q"
u_rep = Ether(src=OUT, dst=IN) / IP(src=DNS, dst=CLI) / UDP(sport=53, dport=5000) / b"r"

if step == "udp-open":
    frames = [("U-req", t0, u_req), ("U-rep", t1, u_rep)]
elif step == "udp-late":
    frames = [("U-rep", t1, u_rep)]
elif step == "open":
    frames = [("A-syn", t0, c2s(40000, 80, "S", 1000)),
              ("A-synack", t1, s2c(40000, 80, "SA", 5000, 1001)),
              ("A-ack", t0, c2s(40000, 80, "A", 1001, 5001))]
else:
    frames = [("A-data", t0, c2s(40000, 80, "PA", 1001, 5001) / b"GET / HTTP/1.0\r\n\r\n"),
              ("B-syn", t0, c2s(40001, 80, "S", 2000)),
              ("C-syn", t0, c2s(40002, 443, "S", 3000))]


def key(p):
    if UDP in p:
        return (p[Ether].src, p[UDP].sport, p[UDP].dport, "udp")
    return (p[Ether].src, p[TCP].sport, p[TCP].dport, int(p[TCP].flags))


want = {key(f): name for name, _, f in frames}
sn = {t: AsyncSniffer(iface=t, store=True, lfilter=lambda p: (TCP in p or UDP in p) and p[Ether].src in (IN, OUT))
      for t in (t0, t1)}
for s in sn.values():
    s.start()
time.sleep(0.5)
for name, tap, f in frames:
    sendp(f, iface=tap, verbose=False)
    time.sleep(0.2)
time.sleep(1.0)
seen = set()
for tap, s in sn.items():
    for p in s.stop() or []:
        k = key(p)
        # Out of the other side: an inside frame on TAP1 or an outside one on TAP0.
        if k in want and (tap == t1) == (p[Ether].src == IN):
            seen.add(want[k])
print(" ".join(f"{n}:{'pass' if n in seen else 'drop'}" for n, _, _ in frames))
