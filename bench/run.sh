#!/bin/bash
# bench/run.sh - run the hosted benchmarks and print their tables.
#
# Busy loops are pinned to one core (taskset -c $NFBOX_BENCH_CPU, default 1)
# so the other core keeps the noise of the rest of the machine.  CSV goes to
# build/bench/.  Traces are generated on first use into build/bench/traces/.
set -euo pipefail
cd "$(dirname "$0")/.."
CPU=${NFBOX_BENCH_CPU:-1}
OUT=build/bench
TR=$OUT/traces
mkdir -p "$TR"
PIN="taskset -c $CPU"

trace() { # NAME SIZE FLOWS [extra mktrace args]
	local f="$TR/$1.pcap"
	[ -s "$f" ] || build/rel/bench/mktrace --size "$2" --flows "$3" "${@:4}" -o "$f"
	echo "$f"
}

echo "== hosted in-memory replay (TSC cycles/packet, median of 9 laps; pinned to CPU $CPU)"
echo "   fwd: parse + function + TX queueing + main loop, 60-byte frames (64 B with FCS)"
csv=$OUT/replay.csv
echo "nf,trace,packets,avg_bytes,cycles_median,cycles_best,mpps,tsc_ghz" > "$csv"
for spec in "64B-1flow 64 1" "64B-1kflows 64 1000" "64B-1Mflows 64 1000000" \
	"imix-1flow imix 1" "imix-1kflows imix 1000" "imix-1Mflows imix 1000000"; do
	set -- $spec
	$PIN build/rel/bench/replay_bench fwd "$(trace "$1" "$2" "$3")" --label "fwd $1" --csv "$csv"
done
echo "   CSV: $csv"

if [ -x build/rel/bench/ft_vs_rte_hash ]; then
	echo
	echo "== flow table vs DPDK rte_hash (same keys, same run; pinned to CPU $CPU)"
	$PIN build/rel/bench/ft_vs_rte_hash
fi
# Functions and chains (bench/*.bench.sh), then the images: size and
# smallest memory, boot time, throughput over vhost-user next to a testpmd
# io-forwarder.  Each prints its own table and says where it pinned what.
for extra in bench/*.bench.sh bench/image_size.sh bench/boot_time.sh bench/image_tput.sh; do
	[ -x "$extra" ] || continue
	echo
	"$extra" || echo "bench: $extra failed (exit $?)" >&2
done
exit 0
