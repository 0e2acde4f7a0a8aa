#!/usr/bin/python3
"""Seeds for fuzz_nat (tests/fuzz/corpus/nat/) from the golden cases'
inputs: each case's packets of both ports, merged in time order, in the
fuzzer's record format (seedlib.py), with option bytes 0 and 1 (the two
NAT44 configs); the NAT64 cases' (nat64-*) with option byte 4 too, the
config that is theirs (the well-known prefix), so their fragments,
extension headers and hairpinned packets reach the NAT64 paths.

Run from the repository root:  /usr/bin/python3 tests/gen/make_nat_fuzz_seeds.py
"""
from seedlib import write_corpus

if __name__ == "__main__":
    write_corpus("nat", "nat", (0, 1),
                 options_for=lambda case: (0, 1, 4) if case.startswith("nat64-") else (0, 1))
