#!/bin/bash
# bench/fw_callgrind.sh - the firewall's per-packet instruction counts under
# callgrind: repeatable on a busy machine, where cycle counts are not (a
# regression guard next to fw.bench.sh's cycles, not a replacement).
#
#   bench/fw_callgrind.sh [BENCH_BIN_DIR]     (default build/rel/bench)
#
# Marginal counts: each workload runs twice with different lap counts and
# the difference is divided by the extra packets, so set-up (config, flow
# creation, handshakes) cancels out.
#   udp fw_process    established UDP, 1k flows, 64 B, empty-rules config:
#                     instructions inside the firewall's process()
#   udp loop_poll     the same, the whole main-loop turn (parse, firewall,
#                     TX queueing)
#   tcp fw_process    established TCP both ways with window tracking,
#                     1024 flows (fw_tcp_bench)
#   cls mix/random    first-packet classification, instructions per key
#                     in fw_cls_classify_burst, 1k rules (fw_vs_rte_acl)
# Table on stdout, CSV in build/bench/fw_callgrind.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/rel/bench}
OUT=build/bench
W=$OUT/fw_callgrind
mkdir -p "$W"
command -v valgrind >/dev/null || { echo "fw_callgrind.sh: valgrind missing (Debian package valgrind)"; exit 0; }
for bin in replay_bench mktrace fw_tcp_bench fw_vs_rte_acl; do
	[ -x "$B/$bin" ] || { echo "fw_callgrind.sh: $B/$bin missing (make bench-bins)"; exit 0; }
done

TRACE=$W/64B-1kflows.pcap
[ -s "$TRACE" ] || "$B/mktrace" --size 64 --flows 1000 -o "$TRACE" >/dev/null
PKTS=4096 # mktrace's default trace length
printf 'port 0 name inside\nport 1 name outside\ndefault drop\naccept from inside\n' > "$W/est.conf"

ir() { # OUTFILE FN CMD... -> total instructions collected inside FN
	local out=$1 fn=$2
	shift 2
	valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect="$fn" "$@" \
		>/dev/null 2>"$out.log" || { cat "$out.log" >&2; exit 1; }
	grep -m1 '^summary:' "$out" | awk '{print $2}'
}
per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", (b - a) / n }'; }

csv=$OUT/fw_callgrind.csv
echo "workload,function,instructions_per_packet" > "$csv"
echo "== firewall instructions per packet (callgrind, marginal)"
for fn in fw_process loop_poll; do
	a=$(ir "$W/udp.$fn.2" "$fn" "$B/replay_bench" firewall "$TRACE" --config "$W/est.conf" --laps 2)
	b=$(ir "$W/udp.$fn.6" "$fn" "$B/replay_bench" firewall "$TRACE" --config "$W/est.conf" --laps 6)
	v=$(per "$a" "$b" $((4 * PKTS)))
	printf '  %-34s %-28s %7s\n' "udp established, 1k flows" "$fn" "$v"
	echo "udp-1kflows,$fn,$v" >> "$csv"
done
# fw_tcp_bench: 1024 flows, a lap is one data segment and one ACK per flow.
a=$(ir "$W/tcp.2" fw_process "$B/fw_tcp_bench" --flows 1024 --laps 2)
b=$(ir "$W/tcp.6" fw_process "$B/fw_tcp_bench" --flows 1024 --laps 6)
v=$(per "$a" "$b" $((4 * 2048)))
printf '  %-34s %-28s %7s\n' "tcp established, 1024 flows" fw_process "$v"
echo "tcp-1024flows,fw_process,$v" >> "$csv"
# fw_vs_rte_acl: 4096 keys per pass; --reps N makes N + 2 passes of ours.
for fam in mix random; do
	a=$(ir "$W/cls.$fam.3" fw_cls_classify_burst "$B/fw_vs_rte_acl" --rules 1000 --families "$fam" --reps 3)
	b=$(ir "$W/cls.$fam.7" fw_cls_classify_burst "$B/fw_vs_rte_acl" --rules 1000 --families "$fam" --reps 7)
	v=$(per "$a" "$b" $((4 * 4096)))
	printf '  %-34s %-28s %7s\n' "classify, 1k rules, $fam" fw_cls_classify_burst "$v"
	echo "cls-1k-$fam,fw_cls_classify_burst,$v" >> "$csv"
done
echo "   CSV: $csv"
