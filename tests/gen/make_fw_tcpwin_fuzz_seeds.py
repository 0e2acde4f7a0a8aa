#!/usr/bin/python3
"""Seeds for the firewall fuzzer (tests/fuzz/fuzz_firewall.c) from the
TCP-window golden cases: both ports' packets merged in time order, in the
fuzzer's record format (seedlib.py) but as bursts of as many packets as
come from one port, so mutations start from real handshakes with windows,
scaling and RSTs.

Run from the repository root after make_fw_tcpwin_golden.py and
make_fw_fuzz_seeds.py (which empties the corpus):
  /usr/bin/python3 tests/gen/make_fw_tcpwin_fuzz_seeds.py
"""
import os

from seedlib import case_packets, corpus_dir, encode


def main():
    for case in ("fw-tcpwin-data", "fw-tcpwin-rst", "fw-tcpwin-scale"):
        # options 0: the stateful config
        out = encode(0, case_packets(case), end_bursts=False, round_dt=False)
        name = f"tcpwin-{case[len('fw-tcpwin-'):]}"
        with open(os.path.join(corpus_dir("firewall"), name), "wb") as f:
            f.write(out)


if __name__ == "__main__":
    main()
