"""What the fuzz-seed generators share: reading a golden case's input
packets and writing them in the packet fuzzers' record format
([port:u8][dt:u8 in 50 ms][len:u16 le][frame], after one options byte;
tests/fuzz/nf_harness.h).  Imported by make_*_fuzz_seeds.py.
"""
import hashlib
import os
import struct

from scapy.all import rdpcap

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CASES = os.path.join(ROOT, "golden", "cases")


def corpus_dir(target):
    """tests/fuzz/corpus/TARGET, the seeds of build/fuzz/bin/fuzz_TARGET."""
    return os.path.join(ROOT, "fuzz", "corpus", target)


def case_packets(case):
    """A golden case's packets of both ports as (time, port, bytes),
    merged in time order (port 0 first on a tie)."""
    pkts = []
    for port in (0, 1):
        path = os.path.join(CASES, case, f"in{port}.pcap")
        if os.path.exists(path):
            pkts += [(float(p.time), port, bytes(p)) for p in rdpcap(path)]
    pkts.sort(key=lambda x: (x[0], x[1]))
    return pkts


def encode(opts, pkts, end_bursts=True, round_dt=True):
    """One fuzz input: the options byte, then a record per packet.
    end_bursts sets bit 7 of each port byte, so every packet is a burst of
    its own; round_dt rounds the time steps to 50 ms (else truncates)."""
    out, last = bytes([opts]), pkts[0][0]
    for t, port, b in pkts:
        steps = (t - last) / 0.05
        dt = min(255, int(round(steps) if round_dt else steps))
        last = t
        out += struct.pack("<BBH", port | (0x80 if end_bursts else 0), dt, len(b)) + b
    return out


def write_corpus(target, case_prefix, options, options_for=None):
    """Replace the corpus of TARGET with one seed per case named
    CASE_PREFIX* and per options byte: the case's first 64 packets, each its
    own burst, named by their SHA-1.  options_for(case), if given, names
    the options bytes of each case instead."""
    out_dir = corpus_dir(target)
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(out_dir):
        os.remove(os.path.join(out_dir, f))
    for case in sorted(os.listdir(CASES)):
        if not case.startswith(case_prefix):
            continue
        pkts = case_packets(case)
        if not pkts:
            continue
        for opts in (options_for(case) if options_for else options):
            out = encode(opts, pkts[:64])
            with open(os.path.join(out_dir, hashlib.sha1(out).hexdigest()[:16]), "wb") as f:
                f.write(out)
