#!/bin/bash
# bench/lb.bench.sh - the load balancer's established-connection cost
# (hosted, in memory, 64 B): replay_bench cycles/packet, lb next to fwd in
# the same run, 1 flow, 1k and 1M flows, port 0 (clients) -> port 1.  The
# warm-up lap creates the connections (Maglev pick, two flow entries); the
# timed laps are all established traffic (lookup, refresh, destination
# rewrite with incremental IP and UDP checksums, per-vip/backend counters).
#
# mktrace's flows go to 198.18.0.0-255 port 53 (bench/mktrace.c): the
# config makes each of those 256 addresses a UDP vip with 4 backends.
#
# Pinned to one core (taskset -c $NFBOX_BENCH_CPU, default 1).  Table on
# stdout, CSV in build/bench/lb_fastpath.csv.  Numbers are TSC cycles; on
# a shared machine compare the ratios of one run, or count instructions
# with --instr (callgrind, marginal instructions per established packet,
# CSV in build/bench/lb_instr.csv).
#   bench/lb.bench.sh [--instr]
. "$(dirname "$0")/fastpath_common.sh"
fastpath_bins lb.bench.sh || exit 0
mkdir -p "$OUT/lb"
CONF=$OUT/lb/lb.conf
{
	printf 'port 0 name clients\nport 1 name servers\n'
	for v in $(seq 0 255); do
		printf 'vip v%d 198.18.0.%d proto udp port 53 table-size 1021\n' "$v" "$v"
		for b in 1 2 3 4; do printf 'backend v%d 10.%d.0.%d port 5353\n' "$v" "$v" "$b"; done
	done
} > "$CONF"

csv=$OUT/lb_fastpath.csv
echo "== lb established-connection fast path vs fwd (TSC cycles/packet, median of 9 laps, CPU $CPU)"
echo "   replay_bench: parse + function + TX queueing + main loop; clients -> servers, 60-byte frames"
fastpath_run lb "$CONF" "$csv" "1flow 64 1" "1kflows 64 1000" "1Mflows 64 1000000"
if [ "${1:-}" = "--instr" ]; then
	echo "== lb established-connection fast path: instructions/packet (callgrind, laps 6 - laps 2)"
	fastpath_instr lb "$CONF" "$OUT/lb_instr.csv" "1kflows 64 1000"
fi
