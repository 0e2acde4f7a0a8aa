#!/bin/bash
# tests/chain/fw-nat-lb.sh - the chain firewall -> nat -> lb of
# topology/examples/fw-nat-lb.chain, three images through a private
# OVS-DPDK, against the three functions replayed hosted one after the other.
#
#   clients -> [10] fw [11] -> [20] nat [21] -> [30] lb [31] -> backends
#
# tests/chain/mknatlb.py makes the clients' frames (web connections with
# handshakes and FINs, DNS, and frames each stage refuses) and, with
# hosted_chain.py, what the backends answer to what reaches them and what
# the chain puts out at both ends and counts, all hosted (`nfbox replay`).
#
#   fw-nat-lb/up        `nfbox chain up` of the example chain: 3 images ready
#   fw-nat-lb/replay    both directions in lockstep: out at the backends and
#                       out at the clients equal the hosted chain's, frame for
#                       frame (the NAT's ports, the LB's backend choices, the
#                       firewall's reset to telnet, all translated back)
#   fw-nat-lb/counters  every counter each function has hosted is the same in
#                       its image (`nfbox stats CHAIN:NAME`): sessions,
#                       ports used, drops by reason, per-VIP and per-backend
#   fw-nat-lb/down      `nfbox chain down`: nothing of the chain left
#
# Run by tests/chain/run.sh (which checks root, OVS-DPDK, QEMU and scapy
# first); on its own: tests/chain/fw-nat-lb.sh.  KEEP=1 keeps the work
# directory.  Everything started is torn down by a trap, also on failure.
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
B=${B:-build}
NFBOX=${NFBOX:-$TOP/$B/nfbox}
[ -x "$NFBOX" ] || NFBOX=$TOP/$B/asan/nfbox
export NFBOX_IMAGES=${NFBOX_IMAGES:-$TOP/$B/images}
PY=/usr/bin/python3
export LC_ALL=C

SUITE=chain
. tests/lib/report.sh
. tests/chain/lib.sh

CHAIN=$TOP/topology/examples/fw-nat-lb.chain
WORK=$(mktemp -d /tmp/nfbox-natlb.XXXXXX)
UP=0
cleanup() {
	if [ $UP = 1 ]; then
		"$NFBOX" chain down "$CHAIN" >"$WORK/down-trap.log" 2>&1 || cat "$WORK/down-trap.log" >&2
	fi
	if [ "${KEEP:-0}" = 1 ]; then echo "fw-nat-lb: work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for f in firewall nat lb; do
	if [ ! -f "$NFBOX_IMAGES/$f.img" ]; then
		for t in up replay counters down; do sk "fw-nat-lb/$t" "needs $NFBOX_IMAGES/$f.img (make images)"; done
		finish
	fi
done

# ---- what the chain does, hosted --------------------------------------------------
if ! gen=$($PY tests/chain/mknatlb.py "$WORK" "$NFBOX" 2>&1); then
	ko fw-nat-lb/up "mknatlb.py: $(tail -3 <<<"$gen" | tr '\n' ' ')"
	finish
fi

# ---- up ---------------------------------------------------------------------------
t0=$(date +%s.%N)
UP=1
if ! "$NFBOX" chain up "$CHAIN" >"$WORK/up.log" 2>&1; then
	ko fw-nat-lb/up "$(tail -5 "$WORK/up.log" | tr '\n' ' ')"
	finish
fi
t1=$(date +%s.%N)
if "$NFBOX" chain status "$CHAIN" >"$WORK/status.log" 2>&1; then
	ok fw-nat-lb/up "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }'), $(grep -c ' up ' "$WORK/status.log") ports up"
else
	ko fw-nat-lb/up "status after up: $(tail -3 "$WORK/status.log" | tr '\n' ' ')"
fi

# ---- sharing core 1: downstream first (topology/README.md, 'share') ---------------------
# The three QEMUs: fw an ordinary thread, nat SCHED_FIFO 1, lb 2, every
# thread of each (the vCPU and, under TCG, the loop injecting interrupts).
rd=$(sed -n 's/.*run directory \(.*\)$/\1/p' "$WORK/up.log" | head -1)
sched=""
for f in fw nat lb; do
	q=$(pgrep -f "qemu-system.*$rd/$f\.0\.sock" | head -1)
	pol=$([ -n "$q" ] && for t in /proc/"$q"/task/*; do chrt -p "${t##*/}" 2>/dev/null; done |
		sed -n 's/.*scheduling policy: SCHED_\([A-Z]*\)/\1/p; s/.*scheduling priority: \([0-9]*\)/\1/p' |
		paste -d' ' - - | sort -u | tr '\n' ',')
	sched="$sched $f=${pol%,}"
done
if [ "$(cat /proc/sys/kernel/sched_rt_runtime_us)" -lt 0 ]; then
	sk fw-nat-lb/share "real-time throttling is off here (kernel.sched_rt_runtime_us -1): chains stay fair [host]"
elif [ "$sched" = " fw=OTHER 0 nat=FIFO 1 lb=FIFO 2" ]; then
	ok fw-nat-lb/share "downstream first:$sched"
else
	ko fw-nat-lb/share "want fw=OTHER 0 nat=FIFO 1 lb=FIFO 2 (every thread), got:$sched"
fi

# ---- one replay, both directions in lockstep --------------------------------------------
if replay_both "$CHAIN" "$WORK/in.pcap" "$WORK/in-rev.pcap" "$WORK/exp.fwd.pcap" "$WORK/exp.rev.pcap" \
	"$WORK/got"; then
	ok fw-nat-lb/replay "$gen; frame for frame"
else
	ko fw-nat-lb/replay "$REPLAY_WHY"
fi

# ---- counters ---------------------------------------------------------------------------
# Every counter the hosted replay has, with the image's value; not compared:
# table sizes and memory (replay's default vs the image's RAM), where a rule is
# (FILE:LINE: paths differ), and the classifier's line (its size depends
# on the vector width the CPU gives each).
bad="" shown=""
for f in fw nat lb; do
	if ! "$NFBOX" stats "$CHAIN:$f" >"$WORK/got.$f.stats" 2>"$WORK/stats.$f.err"; then
		bad="$bad $f: $(head -1 "$WORK/stats.$f.err");"
		continue
	fi
	r=$($PY - "$WORK/exp.$f.stats" "$WORK/got.$f.stats" <<'EOF'
import re, sys
def read(path):
    kv = {}
    for line in open(path):
        k, _, v = line.rstrip("\r\n").partition(" ")
        kv[k] = v
    return kv
exp, got = read(sys.argv[1]), read(sys.argv[2])
skip = re.compile(r"capacity|memory|_at$|frag_held_max|\.classifier$")
diff = ["%s %s, not %s" % (k, got.get(k, "missing"), v) for k, v in exp.items()
        if not skip.search(k) and got.get(k) != v]
n = sum(1 for k in exp if not skip.search(k))
print("; ".join(diff[:4]) if diff else "%d" % n)
sys.exit(1 if diff else 0)
EOF
)
	if [ $? = 0 ]; then shown="$shown $f $r,"; else bad="$bad $f: $r;"; fi
done
if [ -z "$bad" ]; then
	ok fw-nat-lb/counters "equal to hosted:${shown%,} counters; $(grep -E '^nat\.sessions_created|^lb\.connections_created' "$WORK/got.nat.stats" "$WORK/got.lb.stats" | sed 's/.*stats://' | tr '\n' ' ')"
else
	ko fw-nat-lb/counters "$bad"
fi

# ---- down ---------------------------------------------------------------------------
RUNDIR=$(sed -n 's/.*run directory \(.*\)$/\1/p' "$WORK/up.log" | head -1)
"$NFBOX" chain down "$CHAIN" >"$WORK/down.log" 2>&1
rc=$?
UP=0
left=""
[ -n "$RUNDIR" ] && procs=$(pgrep -f "$RUNDIR/" | tr '\n' ' ') && [ -n "$procs" ] && left="$left processes: $procs;"
[ -n "$RUNDIR" ] && [ -e "$RUNDIR" ] && left="$left $RUNDIR exists;"
if [ $rc = 0 ] && [ -z "$left" ]; then
	ok fw-nat-lb/down "no process or run directory left"
else
	ko fw-nat-lb/down "rc $rc;$left $(tail -2 "$WORK/down.log" | tr '\n' ' ')"
fi
finish
