#!/usr/bin/python3
"""Seeds for fuzz_nat (tests/fuzz/corpus/nat/) from the golden cases'
inputs: each case's packets of both ports, merged in time order, in the
fuzzer's record format (seedlib.py), with option bytes 0 and 1 (the two
configs).

Run from the repository root:  /usr/bin/python3 tests/gen/make_nat_fuzz_seeds.py
"""
from seedlib import write_corpus

if __name__ == "__main__":
    write_corpus("nat", "nat-", (0, 1))
