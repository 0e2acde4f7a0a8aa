#!/bin/bash
# bench/fastpath_common.sh - sourced by nat.bench.sh and lb.bench.sh: an
# established-flow replay_bench run of one function next to fwd, pinned to
# one core (taskset -c $NFBOX_BENCH_CPU, default 1), CSV per function.
#   fastpath_run NF CONF CSV "LABEL SIZE FLOWS"...
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CPU=${NFBOX_BENCH_CPU:-1}
OUT=build/bench
TR=$OUT/traces
PIN="taskset -c $CPU"
B=build/rel/bench
mkdir -p "$TR"

# True if the bench binaries exist; otherwise says so (not a failure).
fastpath_bins() { # CALLER
	for bin in replay_bench mktrace; do
		[ -x "$B/$bin" ] || { echo "$1: $B/$bin missing (make bench-bins)"; return 1; }
	done
}

fastpath_trace() { # NAME SIZE FLOWS -> path of a cached mktrace pcap
	local f="$TR/$1.pcap"
	[ -s "$f" ] || $B/mktrace --size "$2" --flows "$3" -o "$f" >/dev/null
	echo "$f"
}

fastpath_run() { # NF CONF CSV "LABEL SIZE FLOWS"...
	local nf=$1 conf=$2 csv=$3 t f
	shift 3
	echo "nf,trace,packets,avg_bytes,cycles_median,cycles_best,mpps,tsc_ghz" > "$csv"
	for t in "$@"; do
		set -- $t
		f=$(fastpath_trace "64B-$1" "$2" "$3")
		$PIN $B/replay_bench fwd "$f" --label "fwd $1" --csv "$csv"
		# Two flow entries per connection, and room for the warm-up.
		$PIN $B/replay_bench "$nf" "$f" --config "$conf" --flows $((2 * $3 + 1024)) \
			--label "$nf $1" --csv "$csv"
	done
	echo "   CSV: $csv"
}
