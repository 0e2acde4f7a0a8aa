#!/bin/bash
# bench/nat.bench.sh - the NAT's established-flow cost (hosted, in memory,
# 64 B): replay_bench cycles/packet, nat next to fwd in the same run, 1
# flow, 1k flows and 1M flows, port 0 (inside) -> port 1.  The warm-up lap
# creates the sessions; the timed laps are all established traffic
# (lookup, refresh, source rewrite with incremental IP and L4 checksums).
#
# Pinned to one core (taskset -c $NFBOX_BENCH_CPU, default 1).  Table on
# stdout, CSV in build/bench/nat_fastpath.csv.  Numbers are TSC cycles; on
# a shared machine compare the ratios of one run, or count instructions:
#   valgrind --tool=callgrind build/rel/bench/replay_bench nat TRACE --config CONF --laps 3
set -euo pipefail
cd "$(dirname "$0")/.."
CPU=${NFBOX_BENCH_CPU:-1}
OUT=build/bench
TR=$OUT/traces
mkdir -p "$TR" "$OUT/nat"
PIN="taskset -c $CPU"
B=build/rel/bench
for bin in replay_bench mktrace; do
	[ -x "$B/$bin" ] || { echo "nat.bench.sh: $B/$bin missing (make bench-bins)"; exit 0; }
done
trace() { # NAME SIZE FLOWS
	local f="$TR/$1.pcap"
	[ -s "$f" ] || $B/mktrace --size "$2" --flows "$3" -o "$f" >/dev/null
	echo "$f"
}
# mktrace's sources are 10.0.0.0/8 (see bench/mktrace.c): the 1M-flow
# trace has only 31 source hosts with ~32k flows each, and paired pooling
# puts all of a host's sessions on one address (64512 UDP ports): a /24
# pool spreads the 31 hosts, but two hosts hashed to one address exhaust
# it - the `tx` column shows how many packets got through.
CONF=$OUT/nat/nat.conf
printf 'port 0 name inside\nport 1 name outside\nsnat from 10.0.0.0/8 to 198.51.100.0/24\n' > "$CONF"

csv=$OUT/nat_fastpath.csv
echo "nf,trace,packets,avg_bytes,cycles_median,cycles_best,mpps,tsc_ghz" > "$csv"
echo "== nat established-flow fast path vs fwd (TSC cycles/packet, median of 9 laps, CPU $CPU)"
echo "   replay_bench: parse + function + TX queueing + main loop; inside -> outside, 60-byte frames"
for t in "1flow 64 1" "1kflows 64 1000" "1Mflows 64 1000000"; do
	set -- $t
	f=$(trace "64B-$1" "$2" "$3")
	$PIN $B/replay_bench fwd "$f" --label "fwd $1" --csv "$csv"
	$PIN $B/replay_bench nat "$f" --config "$CONF" --flows $((2 * $3 + 1024)) --label "nat $1" --csv "$csv"
done
echo "   CSV: $csv"
