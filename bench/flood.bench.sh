#!/bin/bash
# bench/flood.bench.sh - floods and table pressure, hosted (replay_bench,
# in memory, 64 B frames, pinned to one core: taskset -c $NFBOX_BENCH_CPU,
# default 1), one table:
#
#   new connections/s   firewall: 1M TCP SYNs of new flows per lap, the
#                       clock jumping past their timeout between laps
#                       (--lap-gap): every lap opens 1M flows and reaps the
#                       previous lap's 1M.  Target >= 2M/s.
#   SYN flood 10x       firewall, flow table of 64Ki entries, 640Ki SYNs of
#                       distinct spoofed sources per lap: how fast, and what
#                       the table did (early drops of unanswered flows,
#                       refusals).  That established flows lose nothing
#                       meanwhile is tests/unit/test_firewall_process.c's
#                       test_syn_flood_early_drop (established flows are
#                       never chosen for early drop).
#   UDP flood 10x       the same with UDP for the firewall, the NAT (its
#                       port pool: one address, 64Ki ports, runs out before
#                       its table) and the LB (its session table, early drop
#                       of unanswered connections): what each refused.
#   1M flows            firewall with 1M live flows: cycles/packet of their
#                       packets, and the flow state's memory per flow
#                       (firewall.flow_memory_bytes / capacity).
#
# Numbers are TSC cycles; new connections/s = 1 / (seconds per SYN).  CSV:
# build/bench/flood.csv.  Run on a quiet machine (MEASURING.md).
. "$(dirname "$0")/fastpath_common.sh"
fastpath_bins flood.bench.sh || exit 0
D=$OUT/flood
mkdir -p "$D"

trace() { # NAME FLOWS [mktrace flag]
	fastpath_trace "$1" 64 "$2" "${3:-}"
}
syn1m=$(trace syn-1M 1000000 --tcp-syn)
syn640k=$(trace syn-640Ki 655360 --tcp-syn)
udp640k=$(trace 64B-640Ki 655360)
udp1m=$(trace 64B-1Mflows 1000000)

printf 'port 0 name inside\nport 1 name outside\ndefault drop\naccept from inside\n' >"$D/firewall.conf"
printf 'port 0 name inside\nport 1 name outside\nsnat from 10.0.0.0/8 to 198.51.100.1\n' >"$D/nat.conf"
{ # mktrace's flows go to 198.18.0.0-255 port 53: one VIP each
	printf 'port 0 name clients\nport 1 name servers\n'
	for v in $(seq 0 255); do
		printf 'vip v%d 198.18.0.%d proto udp port 53 table-size 1021\nbackend v%d 10.9.%d.1\n' "$v" "$v" "$v" "$v"
	done
} >"$D/lb.conf"

csv=$OUT/flood.csv
echo "case,nf,packets_per_lap,cycles_per_pkt,mpps,capacity,accepted_pct,refused,early_dropped,detail" >"$csv"
stat() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
row() { # CASE NF TRACE CAPACITY [replay_bench args]
	local case=$1 nf=$2 tr=$3 cap=$4 out n cyc mpps acc ref early detail
	shift 4
	out=$($PIN $B/replay_bench "$nf" "$tr" --config "$D/$nf.conf" --flows "$cap" --laps 5 \
		--stats "$D/$case.stats" "$@")
	n=$(awk '{ print $2 }' <<<"$out")
	cyc=$(sed -n 's/.* \([0-9.]*\) cyc\/pkt.*/\1/p' <<<"$out")
	mpps=$(sed -n 's/.*  \([0-9.]*\) Mpps.*/\1/p' <<<"$out")
	local s=$D/$case.stats in tx
	in=$(stat "$s" port0.rx_pkts)
	tx=$(stat "$s" port1.tx_pkts)
	acc=$(awk -v a="$tx" -v b="$in" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }')
	case $nf in
	firewall) ref=$(stat "$s" firewall.drop_table_full); early=$(stat "$s" firewall.flows_early_dropped)
		detail="flows $(stat "$s" firewall.flows); memory $(stat "$s" firewall.flow_memory_bytes) B" ;;
	nat) ref=$(( $(stat "$s" nat.drop_ports_exhausted) + $(stat "$s" nat.drop_table_full) ))
		early=$(stat "$s" nat.sessions_early_dropped)
		detail="sessions $(stat "$s" nat.sessions_active); ports_reclaimed $(stat "$s" nat.ports_reclaimed); ports_exhausted $(stat "$s" nat.drop_ports_exhausted); table_full $(stat "$s" nat.drop_table_full)" ;;
	lb) ref=$(stat "$s" lb.drop_table_full); early=$(stat "$s" lb.connections_early_dropped)
		detail="connections $(stat "$s" lb.connections_active); table_full $ref" ;;
	esac
	printf '%-22s %-9s %9s %9s %8s %9s %8s%% %10s %10s  %s\n' "$case" "$nf" "$n" "$cyc" "$mpps" "$cap" "$acc" \
		"$ref" "$early" "$detail"
	echo "$case,$nf,$n,$cyc,$mpps,$cap,$acc,$ref,$early,$detail" >>"$csv"
}

echo "== floods and table pressure (hosted replay_bench, 64 B, TSC cycles/packet, median of 5 laps, CPU $CPU)"
echo "   $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-22s %-9s %9s %9s %8s %9s %9s %10s %10s  %s\n' case nf pkts/lap cyc/pkt Mpps capacity accepted refused early-drop detail
row new-conn-churn firewall "$syn1m" 2200000 --lap-gap 1000
row syn-flood-10x firewall "$syn640k" 65536
row udp-flood-10x firewall "$udp640k" 65536
row udp-flood-10x nat "$udp640k" 131072
row udp-flood-10x lb "$udp640k" 131072
row 1M-flows firewall "$udp1m" 1100000
awk -F, 'NR > 1 && $1 == "new-conn-churn" { printf "   new connections/s (firewall, one core): %.2f M (1 / time per SYN, Mpps column)\n", $5 }' "$csv"
awk -F, 'NR > 1 && $1 == "1M-flows" { split($10, a, "memory "); printf "   flow state per flow: %.0f B (firewall.flow_memory_bytes / capacity %s)\n", a[2] / $6, $6 }' "$csv"
echo "   CSV: $csv"
