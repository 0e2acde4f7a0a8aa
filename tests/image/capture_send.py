#!/usr/bin/python3
"""capture_send TAP0 TAP1 DIR N - frames for the capture image test
(tests/image/run.sh) into a firewall image whose port 0 (inside) is TAP0
and port 1 (outside) is TAP1:

  N UDP frames from inside, each its own flow, payload "cap-I" (accepted:
  the firewall passes them out of port 1), written as DIR/sent.pcap
  N UDP frames into port 1 that no flow and no rule lets in (dropped by
  the policy), written as DIR/dropped.pcap

Sent in small bursts with pauses: a TCG guest reads slowly, and the tap's
queue would drop frames sent faster.
"""
import sys
import time

from scapy.all import Ether, IP, UDP, Raw, sendp, wrpcap

t0, t1, out, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
IN, OUT = "02:00:00:00:00:01", "02:00:00:00:00:02"
sent = [Ether(src=IN, dst=OUT) / IP(src="10.0.0.1", dst="93.184.216.34") /
        UDP(sport=20000 + i, dport=7) / Raw(b"cap-%d" % i) for i in range(n)]
dropped = [Ether(src=OUT, dst=IN) / IP(src="198.51.100.9", dst="10.0.0.1") /
           UDP(sport=999, dport=30000 + i) / Raw(b"drop-%d" % i) for i in range(n)]
wrpcap(out + "/sent.pcap", sent)
wrpcap(out + "/dropped.pcap", dropped)
for i in range(0, n, 20):
    sendp(sent[i:i + 20], iface=t0, verbose=False)
    sendp(dropped[i:i + 20], iface=t1, verbose=False)
    time.sleep(0.05)
