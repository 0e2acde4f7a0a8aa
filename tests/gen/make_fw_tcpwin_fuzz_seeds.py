#!/usr/bin/python3
"""Seeds for the firewall fuzzer (tests/fuzz/fuzz_firewall.c) from the
TCP-window golden cases: both ports' packets merged in time order, in the
fuzzer's record format ([port][dt in 50 ms][len u16 le][frame]), so
mutations start from real handshakes with windows, scaling and RSTs.

Run from the repository root after make_fw_tcpwin_golden.py:
  /usr/bin/python3 tests/gen/make_fw_tcpwin_fuzz_seeds.py
"""
import os
import struct

from scapy.all import rdpcap

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CASES = os.path.join(ROOT, "golden", "cases")
OUT = os.path.join(ROOT, "fuzz", "corpus", "firewall")


def main():
    for case in ("fw-tcpwin-data", "fw-tcpwin-rst", "fw-tcpwin-scale"):
        pkts = []
        for port in (0, 1):
            f = os.path.join(CASES, case, f"in{port}.pcap")
            if os.path.exists(f):
                pkts += [(float(p.time), port, bytes(p)) for p in rdpcap(f)]
        pkts.sort(key=lambda x: x[0])
        out, last = bytearray([0]), pkts[0][0]  # options 0: the stateful config
        for t, port, b in pkts:
            dt = min(255, int((t - last) / 0.05))
            last = t
            out += struct.pack("<BBH", port, dt, len(b)) + b
        with open(os.path.join(OUT, f"tcpwin-{case[len('fw-tcpwin-'):]}"), "wb") as f:
            f.write(out)


if __name__ == "__main__":
    main()
