#!/bin/bash
# bench/fw.bench.sh - the firewall's benchmarks (hosted, in memory, 64 B):
#
#   1. established-flow fast path: replay_bench cycles/packet, firewall next
#      to fwd in the same run (1 flow, 1k flows, 1M flows; mostly-established
#      traffic with an empty and a 1k-rule config); established TCP with
#      window tracking, both directions (bench/fw_tcp_bench.c);
#   2. first packets of new flows: every packet classified (`stateful off`)
#      through the whole firewall with 10, 1k and 10k rules;
#   3. the classifier alone side by side with DPDK rte_acl: same rules, same
#      packets, same run (bench/fw_vs_rte_acl.c);
#   4. address sets: one lookup by set size (bench/fw_set_bench.c), and a
#      10-entry vs a 1M-entry blocklist through the firewall, stateful
#      (established flows never consult the set) and stateless (every
#      packet does).
#
# Everything busy is pinned to one core (taskset -c $NFBOX_BENCH_CPU,
# default 1).  Tables on stdout, CSV in build/bench/fw_*.csv.  Numbers are
# TSC cycles; on a shared machine compare the ratios of one run.
set -euo pipefail
cd "$(dirname "$0")/.."
CPU=${NFBOX_BENCH_CPU:-1}
OUT=build/bench
TR=$OUT/traces
FW=$OUT/fw
mkdir -p "$TR" "$FW"
PIN="taskset -c $CPU"
B=build/rel/bench

for bin in replay_bench mktrace fw_vs_rte_acl fw_set_bench fw_tcp_bench; do
	[ -x "$B/$bin" ] || { echo "fw.bench.sh: $B/$bin missing (make bench-bins)"; exit 0; }
done

trace() { # NAME SIZE FLOWS
	local f="$TR/$1.pcap"
	[ -s "$f" ] || $B/mktrace --size "$2" --flows "$3" -o "$f" >/dev/null
	echo "$f"
}

# ---- configs ------------------------------------------------------------------
printf 'port 0 name inside\nport 1 name outside\ndefault drop\naccept from inside\n' > "$FW/est.conf"
for n in 10 1000 10000; do
	{
		printf 'port 0 name inside\nport 1 name outside\ndefault drop\n'
		$B/fw_vs_rte_acl --emit mix $n
		printf 'accept from inside\n'
	} > "$FW/rules$n.conf"
	sed 's/^default drop$/default drop\nstateful off/' "$FW/rules$n.conf" > "$FW/rules$n-stateless.conf"
done
# Blocklists: 10 and 1,000,000 entries (70% hosts, 25% /24, 5% /16-/22),
# none covering the trace's 10.0.0.0/8 sources, so every packet is looked
# up and passes.
mkset() { # N FILE
	[ -s "$2" ] && return
	awk -v n="$1" 'BEGIN { s = 12345
		for (i = 0; i < n; i++) {
			s = (s * 1103515245 + 12345) % 2147483648; a = 11 + s % 212
			s = (s * 1103515245 + 12345) % 2147483648; b = s % 256
			s = (s * 1103515245 + 12345) % 2147483648; c = s % 256
			s = (s * 1103515245 + 12345) % 2147483648; d = s % 256; k = s % 100
			if (k < 70) print a "." b "." c "." d
			else if (k < 95) print a "." b "." c ".0/24"
			else print a "." b ".0.0/16"
		} }' > "$2"
}
mkset 10 "$FW/bl10.txt"
mkset 1000000 "$FW/bl1M.txt"
for n in 10 1M; do
	for mode in on off; do
		printf 'port 0 name inside\nport 1 name outside\nstateful %s\ndefault drop\nset bl file "bl%s.txt"\ndrop from inside src @bl\naccept from inside\n' \
			"$mode" "$n" > "$FW/bl$n-$mode.conf"
	done
done

T1=$(trace 64B-1flow 64 1)
T1K=$(trace 64B-1kflows 64 1000)
T1M=$(trace 64B-1Mflows 64 1000000)

# ---- 1. established flows -----------------------------------------------------
csv=$OUT/fw_fastpath.csv
echo "nf,trace,packets,avg_bytes,cycles_median,cycles_best,mpps,tsc_ghz" > "$csv"
echo "== firewall established-flow fast path vs fwd (TSC cycles/packet, median of 9 laps, CPU $CPU)"
echo "   replay_bench: parse + function + TX queueing + main loop; port 0 -> port 1, 60-byte frames"
for t in "1flow $T1" "1kflows $T1K" "1Mflows $T1M"; do
	set -- $t
	$PIN $B/replay_bench fwd "$2" --label "fwd $1" --csv "$csv"
	$PIN $B/replay_bench firewall "$2" --config "$FW/est.conf" --label "firewall $1" --csv "$csv"
	$PIN $B/replay_bench firewall "$2" --config "$FW/rules1000.conf" --label "firewall 1k rules $1" --csv "$csv"
done
echo "   CSV: $csv"
echo
# replay_bench feeds one port, so the traces above are UDP; established TCP
# (window tracking included) needs both directions: fw_tcp_bench.
$PIN $B/fw_tcp_bench --flows 1,1000,65536 --csv "$OUT/fw_tcp_fastpath.csv"
echo "   CSV: $OUT/fw_tcp_fastpath.csv"

# ---- 2. new flows through the whole firewall ------------------------------------
csv=$OUT/fw_newflow.csv
echo "nf,trace,packets,avg_bytes,cycles_median,cycles_best,mpps,tsc_ghz" > "$csv"
echo
echo "== every packet classified (stateful off), 1k flows; rules: realistic mix (see fw_vs_rte_acl)"
for n in 10 1000 10000; do
	$PIN $B/replay_bench firewall "$T1K" --config "$FW/rules$n-stateless.conf" --label "stateless $n rules" --csv "$csv"
done
echo "   CSV: $csv"

# ---- 3. classifier vs rte_acl ----------------------------------------------------
echo
echo "== rule classification vs DPDK rte_acl (same rules, same 4096 packets, same run; CPU $CPU)"
echo "   TSC cycles/packet, median (best) of 15 alternating passes; ratio < 1: firewall faster"
$PIN $B/fw_vs_rte_acl --reps 15 --csv "$OUT/fw_vs_rte_acl.csv" | grep -v '^EAL' || true
echo "   CSV: $OUT/fw_vs_rte_acl.csv"

# ---- 4. sets -------------------------------------------------------------------------
echo
echo "== address-set lookup by set size"
$PIN $B/fw_set_bench --csv "$OUT/fw_set.csv"
echo "   CSV: $OUT/fw_set.csv"
csv=$OUT/fw_blocklist.csv
echo "nf,trace,packets,avg_bytes,cycles_median,cycles_best,mpps,tsc_ghz" > "$csv"
echo
echo "== 10-entry vs 1M-entry blocklist through the firewall (1M flows, every source looked up when stateless)"
for mode in on off; do
	for n in 10 1M; do
		$PIN $B/replay_bench firewall "$T1M" --config "$FW/bl$n-$mode.conf" --label "blocklist $n stateful $mode" --csv "$csv"
	done
done
echo "   CSV: $csv"
