#!/usr/bin/python3
# hosted_chain.py - what a chain of functions does, computed hosted with
# `nfbox replay`, one function after the other, when the far end answers.
#
#   source -> [0] f1 [1] -> [0] f2 [1] -> ... -> [0] fN [1] -> sink
#
# The frames at the sink decide what the servers behind it answer (a NAT
# picked the source port, a load balancer the backend), and those answers
# decide what the functions let through next (a firewall passes the
# client's ACK only after the SYN-ACK).  So the chain is a fixed point:
# start with no answers, replay every function with its two inputs (the
# frames from its left, the frames from its right as the last round
# left them), let the responder answer what reached the sink, and repeat
# until no function's output changes.  Answers are later than what they
# answer (the responder stamps them so), so each round settles at least
# one more exchange and a mix of k round trips converges in about k
# rounds times the chain's length.
#
# run(...) returns the frames out at the sink and out at the source, the
# inputs at the sink (answers and extra frames), and each function's
# counters (`nfbox replay --stats`) of the final round.
import os
import subprocess
from scapy.all import rdpcap, wrpcap


def _frames(path):
    return list(rdpcap(path)) if os.path.exists(path) and os.path.getsize(path) > 24 else []


def _key(frames):
    return [(float(p.time), bytes(p)) for p in frames]


def _write(path, frames):
    wrpcap(path, sorted(frames, key=lambda p: float(p.time)), linktype=1)


def run(nfbox, stages, fwd, respond, work, rev_extra=(), max_rounds=40):
    """stages: [(name, function, config)], fwd: frames into the first
    function's port 0, respond(frames at the sink) -> answers into the last
    function's port 1, rev_extra: more frames there (unsolicited)."""
    n = len(stages)
    fwd_in = [list(fwd)] + [[] for _ in range(n)]  # fwd_in[n]: at the sink
    rev_in = [[] for _ in range(n)]                 # into stage k's port 1
    rev_out = [[] for _ in range(n)]                # out of stage k's port 0
    prev = None
    for rnd in range(1, max_rounds + 1):
        for k, (name, func, conf) in enumerate(stages):
            base = os.path.join(work, "%s.r" % name)
            _write(base + ".in0.pcap", fwd_in[k])
            _write(base + ".in1.pcap", rev_in[k])
            cmd = [nfbox, "replay", func, "--config", conf,
                   "--in", "0=" + base + ".in0.pcap", "--in", "1=" + base + ".in1.pcap",
                   "--out", "1=" + base + ".out1.pcap", "--out", "0=" + base + ".out0.pcap",
                   "--stats", base + ".stats"]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()[-400:]))
            fwd_in[k + 1] = _frames(base + ".out1.pcap")
            rev_out[k] = _frames(base + ".out0.pcap")
        for k in range(n - 1):
            rev_in[k] = rev_out[k + 1]
        rev_in[n - 1] = respond(fwd_in[n]) + list(rev_extra)
        state = [_key(x) for x in fwd_in + rev_in + rev_out]
        if state == prev:
            stats = {name: open(os.path.join(work, "%s.r.stats" % name)).read()
                     for name, _, _ in stages}
            return fwd_in[n], rev_out[0], rev_in[n - 1], stats, rnd
        prev = state
    raise RuntimeError("no fixed point after %d rounds" % max_rounds)
