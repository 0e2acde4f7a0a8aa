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

fastpath_trace() { # NAME SIZE FLOWS [MKTRACE FLAG] -> path of a cached mktrace pcap
	local f="$TR/$1.pcap"
	[ -s "$f" ] || $B/mktrace --size "$2" --flows "$3" ${4:-} -o "$f" >/dev/null
	echo "$f"
}

# A fourth word in a trace spec is a mktrace flag (--v6, --nat64); such a
# trace is named after it.  FASTPATH_APPEND=1 adds to an existing CSV.
fastpath_run() { # NF CONF CSV "LABEL SIZE FLOWS [FLAG]"...
	local nf=$1 conf=$2 csv=$3 t f
	shift 3
	[ "${FASTPATH_APPEND:-0}" = 1 ] ||
		echo "nf,trace,packets,avg_bytes,cycles_median,cycles_best,mpps,tsc_ghz" > "$csv"
	for t in "$@"; do
		set -- $t
		f=$(fastpath_trace "$2B-$1${4:+-${4#--}}" "$2" "$3" "${4:-}")
		$PIN $B/replay_bench fwd "$f" --label "fwd $1" --csv "$csv"
		# Two flow entries per connection, and room for the warm-up.
		$PIN $B/replay_bench "$nf" "$f" --config "$conf" --flows $((2 * $3 + 1024)) \
			--label "$nf $1" --csv "$csv"
	done
	echo "   CSV: $csv"
}

# Instructions instead of cycles (valgrind's callgrind, not pinned, steady on
# a shared machine): two runs of LAPS_A and LAPS_B timed laps, the
# difference over the extra packets is the marginal cost of one
# established packet - whole loop (parse, function, TX) and NF_process
# inclusive.  CSV: nf,trace,instr_per_pkt,process_instr_per_pkt.
#   fastpath_instr NF CONF CSV "LABEL SIZE FLOWS"...
fastpath_instr() {
	local nf=$1 conf=$2 csv=$3 t f a b n pa pb
	shift 3
	command -v valgrind >/dev/null || { echo "   valgrind missing (Debian package valgrind)"; return 0; }
	echo "nf,trace,instr_per_pkt,process_instr_per_pkt" > "$csv"
	local cg=$OUT/$nf/callgrind
	mkdir -p "$cg"
	for t in "$@"; do
		set -- $t
		f=$(fastpath_trace "64B-$1" "$2" "$3")
		for laps in 2 6; do
			valgrind --tool=callgrind --callgrind-out-file="$cg/$1.$laps" $B/replay_bench "$nf" \
				"$f" --config "$conf" --flows $((2 * $3 + 1024)) --laps $laps >/dev/null 2>&1
		done
		n=$(( 4 * $(pcap_count "$f") ))
		a=$(awk '/^(summary|totals):/ {print $2; exit}' "$cg/$1.2")
		b=$(awk '/^(summary|totals):/ {print $2; exit}' "$cg/$1.6")
		# awk reads to the end: an early exit would be a SIGPIPE under pipefail.
		pa=$(callgrind_annotate --inclusive=yes "$cg/$1.2" 2>/dev/null | awk -v f="${nf}_process" '$0 ~ f && !d {gsub(",", "", $1); print $1; d = 1}')
		pb=$(callgrind_annotate --inclusive=yes "$cg/$1.6" 2>/dev/null | awk -v f="${nf}_process" '$0 ~ f && !d {gsub(",", "", $1); print $1; d = 1}')
		awk -v nf="$nf" -v l="$1" -v a="$a" -v b="$b" -v pa="$pa" -v pb="$pb" -v n="$n" -v csv="$csv" 'BEGIN {
			printf "%-28s %8.1f instr/pkt  (%s_process %.1f)\n", nf " " l, (b - a) / n, nf, (pb - pa) / n
			printf "%s,%s,%.1f,%.1f\n", nf, l, (b - a) / n, (pb - pa) / n >> csv }'
	done
	echo "   CSV: $csv"
}

# Packets in a pcap (classic format, no snaplen tricks: mktrace's).
pcap_count() {
	python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
o, n = 24, 0
while o + 16 <= len(d):
    o += 16 + struct.unpack_from("<I", d, o + 8)[0]
    n += 1
print(n)
PY
}
