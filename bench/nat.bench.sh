#!/bin/bash
# bench/nat.bench.sh - the NAT's established-flow cost (hosted, in memory,
# 64 B): replay_bench cycles/packet, nat next to fwd in the same run, 1
# flow, 1k flows and 1M flows, port 0 (inside) -> port 1; then NAT64
# (IPv6 inside -> IPv4) on the same flow counts.  The warm-up lap
# creates the sessions; the timed laps are all established traffic
# (lookup, refresh, source rewrite with incremental IP and L4 checksums).
#
# Pinned to one core (taskset -c $NFBOX_BENCH_CPU, default 1).  Table on
# stdout, CSV in build/bench/nat_fastpath.csv.  Numbers are TSC cycles; on
# a shared machine compare the ratios of one run, or count instructions
# with --instr (callgrind, marginal instructions per established packet,
# CSV in build/bench/nat_instr.csv).
#   bench/nat.bench.sh [--instr]
. "$(dirname "$0")/fastpath_common.sh"
fastpath_bins nat.bench.sh || exit 0
mkdir -p "$OUT/nat"
# mktrace's sources are 10.0.0.0/8 (see bench/mktrace.c): the 1M-flow
# trace has only 31 source hosts with ~32k flows each, and paired pooling
# puts all of a host's sessions on one address (64512 UDP ports): a /24
# pool spreads the 31 hosts, but two hosts hashed to one address exhaust
# it - the `tx` column shows how many packets got through.
CONF=$OUT/nat/nat.conf
# Endpoint-independent mapping (RFC 4787 REQ-1): the established path is
# the same either way; the mappings are touched only when sessions open
# and end.
printf 'port 0 name inside\nport 1 name outside\nsnat from 10.0.0.0/8 to 198.51.100.0/24\nmapping endpoint-independent\n' > "$CONF"

csv=$OUT/nat_fastpath.csv
echo "== nat established-flow fast path vs fwd (TSC cycles/packet, median of 9 laps, CPU $CPU)"
echo "   replay_bench: parse + function + TX queueing + main loop; inside -> outside, 60-byte frames"
fastpath_run nat "$CONF" "$csv" "1flow 64 1" "1kflows 64 1000" "1Mflows 64 1000000"
# NAT64 next to it, same run and CSV: IPv6 UDP from 2001:db8::/96 hosts to
# 64:ff9b::198.18.x.y (mktrace --nat64; 66-byte frames, the IPv6 minimum,
# leaving as 46+-byte IPv4 frames), the same pool.  Issue 11's target:
# NAT64 <= 1.3x NAT44.  The inside path is the NAT's cold path (per-packet
# lookup, header translation), the fwd rows are fwd on the same trace.
CONF64=$OUT/nat/nat64.conf
printf 'port 0 name inside\nport 1 name outside\nnat64\nsnat from 2001:db8::/96 to 198.51.100.0/24\nmapping endpoint-independent\n' > "$CONF64"
echo "== nat64 (IPv6 inside -> IPv4 outside), same run"
FASTPATH_APPEND=1 fastpath_run nat "$CONF64" "$csv" "nat64-1flow 66 1 --nat64" \
	"nat64-1kflows 66 1000 --nat64" "nat64-1Mflows 66 1000000 --nat64"
if [ "${1:-}" = "--instr" ]; then
	echo "== nat established-flow fast path: instructions/packet (callgrind, laps 6 - laps 2)"
	fastpath_instr nat "$CONF" "$OUT/nat_instr.csv" "1kflows 64 1000"
fi
