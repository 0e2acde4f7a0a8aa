#!/bin/bash
# bench/chain.bench.sh - throughput of 1-, 2- and 3-function chains through
# OVS-DPDK: fwd images, next to the same chains with testpmd io-forwarders
# in place of the images, measured in the same run.
#
#   gen [1] -> [10] f1 [11] -> [20] f2 [21] -> ... -> counted at fN's out port
#
# Each chain is measured by `nfbox bench CHAINFILE` (tools/bench_chain.h):
# generator and counter live in the chain's own OVS, a DPDK net_pcap port
# replaying a one-flow trace of 64-byte frames forever (infinite_rx=1) as
# OpenFlow port 1, its rate set by OVS ingress policing.  Offered = frames
# OVS handed (or tried to hand: ring full) to f1's port 0; received = frames
# OVS got from fN's port 1.  A trial: policing rate set, frames let in
# (drop flow removed), 0.3 s to settle, --duration seconds (default 3),
# frames stopped, 0.3 s drain, loss = offered - received over the whole
# trial.
#
# Robustness (these two cores are shared; earlier single-second trials with
# one retry measured other people's load as much as the chain):
#   - warm-up: --warmup S (default 3) of unpoliced traffic first, discarded
#     (images leave their idle path, OVS caches its datapath flows, the
#     vCPUs' host pages are touched);
#   - each configuration is `nfbox bench CHAINFILE`: its search is every nfbox
#     bench's (tools/rfc2544.h): unpoliced trial -> maximum receive rate
#     (MRR); binary search for the highest offered rate with at most 0.5 %
#     loss (PDR), then with zero loss (NDR), to 1 % of the rate;
#   - retries at the boundary: a trial that fails is run again, up to
#     --retries N more times (default 2), and the rate fails only if all
#     fail: a loss that does not repeat is someone else's burst, not the
#     chain's limit (a rate that passes once really was carried loss-free);
#   - confirmation: the NDR found is run once more for 3 x --duration; if
#     that loses frames the rate steps down 2 % (at most 5 times);
#   - every configuration's row carries the load average before it and how
#     many other OVS / QEMU / testpmd processes were running (other helpers'
#     chains): compare rows measured under the same conditions only.
#
# Placement of the pollers on the two cores (pinned; never more spinning
# threads than cores for one forwarder):
#   core 0: the OVS PMD thread: it is the generator (net_pcap infinite_rx on
#           port 1), the policer, the counter (port counters of f1.in and
#           fN.out) and every switching hop; all other OVS threads (taskset,
#           dpdk-lcore-mask) sleep there.  No separate generator process:
#           a testpmd generator would be a third poller.
#   core 1: the forwarders: each image's QEMU (all threads, `nfbox run
#           --pin 1`), or the ONE testpmd process that serves all io-forwarders
#           of a chain from one forwarding lcore (main lcore idle in
#           interactive mode, --lcores 0@1,1@1).
# One forwarder: two pollers on two cores, nothing starves.  Two or three
# images are two or three vCPUs on core 1: the kernel time-shares them (an
# image halts its vCPU after nfbox.idle_us without frames, under kvm_pvm
# too, kernel/pvm.c; under load every image polls), so a descheduled
# image's rings fill while another runs: that is the price
# of one vCPU per function on one core, shown against testpmd, which
# serves all hops from one thread.  Not measured: images on core 0 with the
# PMD (the PMD is every hop of every frame: starving it costs all).
#
# Usage: bench/chain.bench.sh [--lengths "1 2 3"] [--duration S] [--warmup S]
#          [--retries N] [--rounds N]
#          [--image-opts "idle-us 0"]   (chain file options for every image)
#          [--share downstream|fair]    (the chain's 'share' line: images on one
#                                        core at rising SCHED_FIFO priorities
#                                        down the chain, the default, or not)
# CSV: build/bench/chain_tput.csv (trials: how many the row took, warm-up,
# MRR and calibration included).  VERBOSE=1: nfbox bench's progress and,
# per OVS port, the frames from it, to it and dropped into it (ring full).  Needs root, OVS-DPDK, QEMU, testpmd.
set -u
cd "$(dirname "$0")/.."
TOP=$PWD
B=${B:-build}
NFBOX=${NFBOX:-$TOP/$B/nfbox}
LENGTHS="1 2 3"
DURATION=3
WARMUP=3
RETRIES=2
ROUNDS=1
IMAGE_OPTS=${IMAGE_OPTS:-}
SHARE=downstream
while [ $# -gt 0 ]; do
	case $1 in
	--lengths) LENGTHS=$2; shift 2 ;;
	--duration) DURATION=$2; shift 2 ;;
	--warmup) WARMUP=$2; shift 2 ;;
	--retries) RETRIES=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--image-opts) IMAGE_OPTS=$2; shift 2 ;;
	--share) SHARE=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "chain.bench: unknown argument $1" >&2; exit 2 ;;
	esac
done
OUT=$TOP/$B/bench
CSV=$OUT/chain_tput.csv
mkdir -p "$OUT"
if [ "$(id -u)" != 0 ] || [ ! -x /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk ] ||
	! command -v dpdk-testpmd >/dev/null || ! command -v qemu-system-x86_64 >/dev/null ||
	[ ! -x "$NFBOX" ] || [ ! -f "$TOP/$B/images/fwd.img" ]; then
	echo "chain.bench: needs root, OVS-DPDK, testpmd, QEMU, $NFBOX and $B/images/fwd.img; skipped"
	exit 0
fi
export NFBOX_IMAGES=$TOP/$B/images

WORK=$(mktemp -d /tmp/nfbox-chainbench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# measure KIND N -> appends "kind,n,ndr,pdr,mrr,offered_max,load1,others,trials" to all.csv.
# `nfbox bench CHAIN` brings the chain up, adds its generator port, searches
# and takes the chain down again (tools/bench_chain.h).
measure() {
	local kind=$1 n=$2 f=$WORK/$1$2.chain i load others
	load=$(cut -d' ' -f1 /proc/loadavg)
	# Pollers of others (their chains' OVS, images, testpmd) share our cores.
	others=$(pgrep -c -f 'ovs-vswitchd-dpdk|qemu-system|dpdk-testpmd')
	echo "share $SHARE" >"$f"
	for i in $(seq "$n"); do
		if [ "$kind" = image ]; then echo "nf f$i image fwd $IMAGE_OPTS" >>"$f"; else echo "nf f$i testpmd" >>"$f"; fi
	done
	local quick=()
	[ "${MRR_ONLY:-0}" = 1 ] && quick=(--mrr-only)
	if ! "$NFBOX" bench "$f" --duration "$DURATION" --warmup "$WARMUP" --retries "$RETRIES" "${quick[@]}" \
		--json >"$WORK/$kind$n.json" 2>"$WORK/search.err"; then
		echo "chain.bench: $kind x$n: nfbox bench failed:" >&2
		tail -n 5 "$WORK/search.err" | sed 's/^/    /' >&2
		echo "$kind,$n,0,0,0,0,$load,$others,0" >>"$WORK/all.csv"
		return 1
	fi
	[ "${VERBOSE:-0}" = 1 ] && cat "$WORK/search.err" >&2
	/usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
mrr_pt = [p for p in j["points"] if p["phase"] == "mrr"][0]
print("%s,%s,%.0f,%.0f,%.0f,%.0f,%s,%s,%d" % (sys.argv[2], sys.argv[3], j["ndr"]["mpps"] * 1e6, j["pdr"]["mpps"] * 1e6,
      j["mrr"]["mpps"] * 1e6, mrr_pt["offered_mpps"] * 1e6, sys.argv[4], sys.argv[5], j["trials"] + 1))
if sys.argv[6] == "1":
    # Where a chain loses its frames: per OVS port over the whole run.
    for p, c in sorted(j["ports"].items(), key=lambda kv: int(kv[0][4:])):
        print("      %-7s from it %11d  to it %11d  dropped into it %11d" % (p, c["rx_pkts"], c["tx_pkts"], c["tx_dropped"]), file=sys.stderr)' \
		"$WORK/$kind$n.json" "$kind" "$n" "$load" "$others" "${VERBOSE:-0}" >>"$WORK/all.csv"
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2); else print 0}'; }

echo "== chains through OVS-DPDK: fwd images vs testpmd io-forwarders (same run)"
echo "   64-byte frames, 1 flow, steering by in_port (1 OpenFlow rule per hop and direction);"
echo "   core 0: OVS PMD (generator, policer, counter, all hops) + OVS threads; core 1: the images'"
echo "   QEMU (vCPUs pinned) or one testpmd (lcores 0@1,1@1) for all forwarders;"
echo "   warm-up ${WARMUP} s, trials ${DURATION} s (NDR confirmed over $((3 * DURATION)) s), $RETRIES retries at the boundary;"
echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$WORK/all.csv"
for n in $LENGTHS; do
	for r in $(seq "$ROUNDS"); do
		if [ $(((r + n) % 2)) = 0 ]; then order="image testpmd"; else order="testpmd image"; fi
		for kind in $order; do
			measure "$kind" "$n"
		done
	done
done
echo "kind,functions,ndr_pps,pdr_pps,mrr_pps,offered_max_pps,load1_before,other_pollers,trials" >"$CSV"
cat "$WORK/all.csv" >>"$CSV"
echo
printf '%-9s %13s %13s %7s %13s %13s %13s %13s %9s\n' functions "image NDR" "testpmd NDR" ratio "image PDR" "testpmd PDR" "image MRR" "testpmd MRR" "load/oth"
for n in $LENGTHS; do
	col() { awk -F, -v k="$1" -v n="$n" -v c="$2" '$1 == k && $2 == n { print $c }' "$WORK/all.csv" | median; }
	awk -v n="$n" -v in_="$(col image 3)" -v tn="$(col testpmd 3)" -v ip="$(col image 4)" -v tp="$(col testpmd 4)" \
		-v im="$(col image 5)" -v tm="$(col testpmd 5)" -v ld="$(col image 7)" -v ot="$(col image 8)" 'BEGIN {
		printf "%-9s %8.3f Mpps %8.3f Mpps %6.0f%% %8.3f Mpps %8.3f Mpps %8.3f Mpps %8.3f Mpps %5.1f/%s\n", n,
			in_ / 1e6, tn / 1e6, (tn > 0 ? 100 * in_ / tn : 0), ip / 1e6, tp / 1e6, im / 1e6, tm / 1e6, ld, ot }'
done
echo "   load/oth: load average before the image run, other OVS/QEMU/testpmd processes (besides ours: 0"
echo "   for a quiet machine; numbers taken with others' pollers on the cores are not comparable)"
echo "   CSV: $CSV"
