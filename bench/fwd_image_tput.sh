#!/bin/bash
# bench/fwd_image_tput.sh - throughput of the fwd image over vhost-user, next
# to the fabric limit measured the same minute.
#
#   generator (core 0)                      DUT (core 1)
#   tput_image_vs_rte  net_vhost0 ==> [ fwd image | testpmd virtio_user io ]
#                      net_vhost1 <==
#
# The generator (bench/tput_image_vs_rte.c, DPDK, one lcore pinned to core 0)
# owns both vhost-user server sockets, offers 64-byte or IMIX frames on port 0
# and counts what port 1 gets back; per DUT and size it finds the no-drop
# rate (NDR) and 0.5 %-loss rate (PDR) by binary search over the offered rate.
# DUTs, each a vhost-user client pinned to core 1:
#   image       the fwd image under QEMU/KVM (`nfbox run --pin 1`: every QEMU
#               thread on core 1)
#   testpmd-io  dpdk-testpmd with two virtio_user ports, --forward-mode=io,
#               main and forwarding lcore on core 1: the fabric limit
# Same ring sizes for both (256, see RING).  For each size the DUTs run back to back,
# ROUNDS times alternating; the table shows the median NDR and the ratio.
# CSV: build/bench/fwd_image_tput.csv (one row per trial series).
#
# Usage: bench/fwd_image_tput.sh [--image IMG] [--machine microvm|q35]
#          [--sizes "64 imix"] [--duration S] [--rounds N]
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
NFBOX=${NFBOX:-$B/nfbox}
IMAGE=${NFBOX_IMAGE:-$B/images/fwd.img}
MACHINE=microvm
SIZES="64 imix"
DURATION=1
ROUNDS=${ROUNDS:-1}
# Ring entries per queue for the testpmd DUT: the image uses 256 (kernel/app.c
# asks vnet_probe_all for 256; QEMU's default virtio-net ring), so does it.
RING=${RING:-256}
while [ $# -gt 0 ]; do
	case $1 in
	--image) IMAGE=$2; shift 2 ;;
	--machine) MACHINE=$2; shift 2 ;;
	--sizes) SIZES=$2; shift 2 ;;
	--duration) DURATION=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "fwd_image_tput: unknown argument $1" >&2; exit 2 ;;
	esac
done

OUT=$B/bench
GEN=$B/rel/bench/tput_image_vs_rte
CSV=$OUT/fwd_image_tput.csv
mkdir -p "$OUT"
PMDS=$(ls -d /usr/lib/x86_64-linux-gnu/dpdk/pmds-* 2>/dev/null | tail -1)
TESTPMD=$(command -v dpdk-testpmd || true)
QEMU=$(command -v qemu-system-x86_64 || true)
if [ -z "$PMDS" ] || [ -z "$TESTPMD" ] || [ -z "$QEMU" ]; then
	echo "fwd_image_tput: needs DPDK (testpmd, PMDs) and qemu-system-x86_64; skipped"
	exit 0
fi
[ -x "$GEN" ] || make -s B="$B" "$GEN" || exit 1
if [ ! -f "$IMAGE" ]; then
	echo "fwd_image_tput: no image $IMAGE (make images); skipped"
	exit 0
fi

WORK=$(mktemp -d /tmp/nfbox-tput.XXXXXX)
GEN_PID="" DUT_PID=""
stop() {
	for p in $DUT_PID $GEN_PID; do kill "$p" 2>/dev/null; done
	for p in $DUT_PID $GEN_PID; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	GEN_PID="" DUT_PID=""
}
trap 'stop; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM



start_dut() { # KIND DIR
	local kind=$1 d=$2
	case $kind in
	image)
		"$NFBOX" run "$IMAGE" --machine "$MACHINE" --mem 256 --pin 1 --log "$d/vm.log" \
			--net "vhost-user:$d/s0" --net "vhost-user:$d/s1" >"$d/dut.log" 2>&1 &
		;;
	testpmd-io)
		taskset -c 1 "$TESTPMD" --lcores '0@1,1@1' --no-huge -m 1024 --single-file-segments --no-pci \
			--file-prefix "nfbdut$$" -d "$PMDS/librte_mempool_ring.so" -d "$PMDS/librte_net_virtio.so" \
			--vdev "virtio_user0,path=$d/s0,queues=1,queue_size=$RING" \
			--vdev "virtio_user1,path=$d/s1,queues=1,queue_size=$RING" \
			-- --forward-mode=io --nb-cores=1 --auto-start --stats-period 3600 \
			--rxd=$RING --txd=$RING >"$d/dut.log" 2>&1 &
		;;
	esac
	DUT_PID=$!
}

# run_one KIND SIZE: prints the generator's result line, appends CSV.
run_one() {
	local kind=$1 size=$2 d
	d=$(mktemp -d "$WORK/$kind.XXXX")
	taskset -c 0 "$GEN" --lcores 0@0 --no-huge -m 1024 --no-pci --file-prefix "nfbgen$$" \
		-d "$PMDS/librte_mempool_ring.so" -d "$PMDS/librte_net_vhost.so" --log-level=lib.vhost,warning \
		--vdev "net_vhost0,iface=$d/s0,queues=1" --vdev "net_vhost1,iface=$d/s1,queues=1" \
		-- --size "$size" --duration "$DURATION" --label "$kind" --csv "$d/row.csv" \
		${VERBOSE:+--verbose} >"$d/gen.log" 2>&1 &
	GEN_PID=$!
	for _ in $(seq 100); do [ -S "$d/s0" ] && [ -S "$d/s1" ] && break; sleep 0.1; done
	start_dut "$kind" "$d"
	wait "$GEN_PID"
	local rc=$?
	GEN_PID=""
	stop
	if [ $rc -ne 0 ] || [ ! -s "$d/row.csv" ]; then
		echo "fwd_image_tput: $kind $size failed:" >&2
		tail -n 5 "$d/gen.log" "$d/dut.log" "$d"/vm.log 2>/dev/null | sed 's/^/    /' >&2
		return 1
	fi
	grep -v '^EAL\|^VHOST\|^TELEMETRY\|^  [np]dr\|^  max' "$d/gen.log" | tail -n 1
	cat "$d/row.csv" >>"$WORK/all.csv"
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2); else print 0}'; }

echo "== fwd image throughput over vhost-user, vs testpmd virtio_user io-forwarder (same run)"
echo "   generator: tput_image_vs_rte on core 0; DUT on core 1 (image: all QEMU threads; testpmd: lcores 0@1,1@1)"
echo "   image: $IMAGE ($MACHINE, nfbox run); rings $RING; 1 flow; trial ${DURATION}s; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$WORK/all.csv"
for size in $SIZES; do
	for r in $(seq "$ROUNDS"); do
		if [ $((r % 2)) = 1 ]; then order="image testpmd-io"; else order="testpmd-io image"; fi
		for kind in $order; do
			run_one "$kind" "$size"
		done
	done
done

echo "dut,size,ndr_pps,pdr_pps,mrr_pps,offered_max_pps,avg_frame_bytes,trial_s,generator_bound" >"$CSV"
cat "$WORK/all.csv" >>"$CSV"
echo
printf '%-6s %12s %12s %6s   %12s %12s   %12s %12s %6s\n' size "image NDR" "testpmd NDR" ratio \
	"image PDR" "testpmd PDR" "image MRR" "testpmd MRR" ratio
col() { awk -F, -v d="$1" -v s="$2" -v c="$3" '$1==d && $2==s {print $c}' "$WORK/all.csv" | median; }
for size in $SIZES; do
	awk -v s="$size" -v in_="$(col image "$size" 3)" -v tn="$(col testpmd-io "$size" 3)" \
		-v ip="$(col image "$size" 4)" -v tp="$(col testpmd-io "$size" 4)" \
		-v im="$(col image "$size" 5)" -v tm="$(col testpmd-io "$size" 5)" 'BEGIN {
		printf "%-6s %7.3f Mpps %7.3f Mpps %5.0f%%   %7.3f Mpps %7.3f Mpps   %7.3f Mpps %7.3f Mpps %5.0f%%\n",
			s, in_/1e6, tn/1e6, (tn > 0 ? 100 * in_ / tn : 0), ip/1e6, tp/1e6,
			im/1e6, tm/1e6, (tm > 0 ? 100 * im / tm : 0) }'
done
echo "   NDR: no loss over a ${DURATION}s trial; PDR: <= 0.5 % loss; MRR: received rate at full offered load"
echo "   (medians over $ROUNDS round(s); on a shared 2-core machine NDR is set by the longest scheduling stall)"
echo "   CSV: $CSV"
