#!/usr/bin/python3
"""Seeds for fuzz_lb (tests/fuzz/corpus/lb/) from the lb-* golden cases'
inputs, in the fuzzer's record format (seedlib.py): the same conversion as
make_nat_fuzz_seeds.py, with option bytes 0-3 (two configs, with and
without the reload halfway).

Run from the repository root:  /usr/bin/python3 tests/gen/make_lb_fuzz_seeds.py
"""
from seedlib import write_corpus

if __name__ == "__main__":
    write_corpus("lb", "lb-", range(4))
