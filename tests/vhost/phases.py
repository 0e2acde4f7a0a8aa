"""phases - the input pcaps of a phased image test (tests/vhost/phased.sh).

write(DIR, PHASES) with PHASES a list of (port, [frames]) writes

  DIR/phaseN.pcap   phase N's frames, all fed into `port`
  DIR/in0.pcap, DIR/in1.pcap   the same frames per port, with timestamps
                    that put phase N at N seconds, for `nfbox replay`
  DIR/phases        "PHASE PORT" per line

Each phase feeds ONE port, so that everything leaving a port during a
phase comes from one input port, in that port's order: over vhost-user the
image polls its two NICs independently and the order in which two inputs
interleave is not reproducible (nfbox replay merges them by timestamp;
testpmd does not).  A phase's replies wait for the next phase, which starts
only after the previous phase's output is all out.
"""
from scapy.all import wrpcap

# nfbox run's MACs for NIC 0 and NIC 1.
NIC0, NIC1 = "52:54:00:00:00:10", "52:54:00:00:00:11"


def write(d, phases):
    assert len(phases) <= 9, "phased.sh counts phases 1..9"
    per_port = {0: [], 1: []}
    with open(f"{d}/phases", "w") as f:
        for n, (port, frames) in enumerate(phases, 1):
            for i, p in enumerate(frames):
                p.time = n + i / 10000.0
                per_port[port].append(p)
            wrpcap(f"{d}/phase{n}.pcap", frames)
            f.write(f"{n} {port}\n")
    for port, frames in per_port.items():
        wrpcap(f"{d}/in{port}.pcap", frames)
