#!/usr/bin/python3
"""Seeds for fuzz_firewall (tests/fuzz/corpus/firewall/) from the golden
cases' inputs: each case's packets of both ports, merged in time order, in
the fuzzer's record format (seedlib.py), with option bytes 0 and 1 (the
stateful and the stateless config).  It empties the corpus first: run
make_fw_tcpwin_fuzz_seeds.py after it.

Run from the repository root:  /usr/bin/python3 tests/gen/make_fw_fuzz_seeds.py
"""
from seedlib import write_corpus

if __name__ == "__main__":
    write_corpus("firewall", "fw-", (0, 1))
