#!/usr/bin/python3
"""Seeds for fuzz_lb (tests/fuzz/corpus/lb/) from the lb-* golden cases'
inputs, in the fuzzer's record format (tests/fuzz/fuzz_lb.c): the same
conversion as make_nat_fuzz_seeds.py, with option bytes 0-3 (two configs,
with and without the reload halfway).

Run from the repository root:  /usr/bin/python3 tests/gen/make_lb_fuzz_seeds.py
"""
import hashlib
import os
import struct

from scapy.all import rdpcap

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CASES = os.path.join(ROOT, "golden", "cases")
OUT = os.path.join(ROOT, "fuzz", "corpus", "lb")


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    for case in sorted(os.listdir(CASES)):
        if not case.startswith("lb-"):
            continue
        pkts = []
        for port in (0, 1):
            path = os.path.join(CASES, case, f"in{port}.pcap")
            if os.path.exists(path):
                pkts += [(float(p.time), port, bytes(p)) for p in rdpcap(path)]
        pkts.sort(key=lambda x: (x[0], x[1]))
        for opts in range(4) if pkts else ():
            out, last = bytes([opts]), pkts[0][0]
            for t, port, b in pkts[:64]:
                dt = min(255, int(round((t - last) / 0.05)))
                last = t
                out += struct.pack("<BBH", port | 0x80, dt, len(b)) + b
            with open(os.path.join(OUT, hashlib.sha1(out).hexdigest()[:16]), "wb") as f:
                f.write(out)


if __name__ == "__main__":
    main()
