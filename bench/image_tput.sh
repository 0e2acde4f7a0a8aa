#!/bin/bash
# bench/image_tput.sh - throughput of the images over vhost-user, next to the
# fabric limit, all measured in the same run.
#
#   generator (core 0)                      DUT (core 1)
#   tput_image_vs_rte  net_vhost0 ==> [ testpmd io | fwd image | firewall image ]
#                      net_vhost1 <==
#
# The generator (bench/tput_image_vs_rte.c, DPDK, its one lcore on core 0)
# owns both vhost-user server sockets, offers 64-byte or IMIX UDP frames of
# FLOWS flows on port 0 and counts what port 1 gets back; per DUT and size
# it finds the no-drop rate (NDR) and the 0.5 %-loss rate (PDR) by binary
# search over the offered rate, after one unpaced trial (maximum receive
# rate, MRR).  DUTs, each a vhost-user client with everything on core 1:
#   testpmd-io  dpdk-testpmd, two virtio_user ports, --forward-mode=io, main
#               and forwarding lcore on core 1: the fabric limit
#   fwd         the fwd image (nfbox run --pin 1: every QEMU thread on core 1)
#   firewall    the firewall image built with a 1000-rule config
#               (bench/fw-1k-rules.conf, stateful): each flow's first frame
#               walks the rules, then every frame is an established flow
# Two spinning threads in all (the generator's lcore, the DUT's poller) on
# two cores.  Same ring size for every DUT (1024, see RING).  Per round the
# DUTs run back to back, their order rotating between rounds; the table
# shows medians over rounds and the ratios the issues set targets on
# (issue 3: fwd >= 70 % of testpmd-io at 64 B; issue 4: firewall >= 70 % of
# fwd).  After the table, the firewall image's own counters of its last run
# (frames accepted as established vs by a rule) show what it was doing.
# CSV: build/bench/image_tput.csv (one row per DUT, size and round).
#
# Usage: bench/image_tput.sh [--duts "testpmd-io fwd firewall"]
#          [--sizes "64 imix"] [--flows N] [--fw-config FILE]
#          [--machine microvm|q35] [--duration S] [--rounds N]
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
NFBOX=${NFBOX:-$B/nfbox}
FWD_IMAGE=${NFBOX_IMAGE:-$B/images/fwd.img}
FW_CONFIG=bench/fw-1k-rules.conf
DUTS="testpmd-io fwd firewall"
MACHINE=microvm
SIZES="64 imix"
FLOWS=1000
DURATION=1
ROUNDS=${ROUNDS:-1}
# Ring entries per queue, the same for every DUT: testpmd's virtio_user
# queue_size and --rxd/--txd, the images' nfbox run --queue-size (1024 is
# nfbox run's default with vhost-user NICs; RING=256 compares small rings).
RING=${RING:-1024}
while [ $# -gt 0 ]; do
	case $1 in
	--duts) DUTS=$2; shift 2 ;;
	--image) FWD_IMAGE=$2; shift 2 ;;
	--fw-config) FW_CONFIG=$2; shift 2 ;;
	--machine) MACHINE=$2; shift 2 ;;
	--sizes) SIZES=$2; shift 2 ;;
	--flows) FLOWS=$2; shift 2 ;;
	--duration) DURATION=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "image_tput: unknown argument $1" >&2; exit 2 ;;
	esac
done

OUT=$B/bench
GEN=$B/rel/bench/tput_image_vs_rte
CSV=$OUT/image_tput.csv
mkdir -p "$OUT"
. tests/lib/testpmd.sh
if ! dpdk_find; then
	echo "image_tput: needs$DPDK_MISSING; skipped"
	exit 0
fi
[ -x "$GEN" ] || make -s B="$B" "$GEN" || exit 1

WORK=$(mktemp -d /tmp/nfbox-tput.XXXXXX)
trap 'dpdk_stop_all; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# The images: fwd as built by `make images`; the firewall with its rules
# baked in (nfbox build --config), as a user would deploy it.
declare -A IMG
for dut in $DUTS; do
	case $dut in
	testpmd-io) ;;
	fwd)
		[ -f "$FWD_IMAGE" ] || { echo "image_tput: no image $FWD_IMAGE (make images); skipped"; exit 0; }
		IMG[fwd]=$FWD_IMAGE
		;;
	firewall)
		if ! "$NFBOX" build firewall --config "$FW_CONFIG" -o "$WORK/firewall.img" >"$WORK/build.log" 2>&1; then
			echo "image_tput: nfbox build firewall --config $FW_CONFIG failed:" >&2
			sed 's/^/    /' "$WORK/build.log" >&2
			exit 1
		fi
		IMG[firewall]=$WORK/firewall.img
		;;
	*) echo "image_tput: unknown DUT $dut (testpmd-io, fwd, firewall)" >&2; exit 2 ;;
	esac
done

start_dut() { # KIND DIR
	local kind=$1 d=$2
	case $kind in
	testpmd-io)
		dpdk_eal 1 "nfbdut$$" virtio
		dpdk_spawn 1 "nfbdut$$" "$d/dut.log" "$TESTPMD" "${DPDK_EAL[@]}" \
			--vdev "virtio_user0,path=$d/s0,queues=1,queue_size=$RING" \
			--vdev "virtio_user1,path=$d/s1,queues=1,queue_size=$RING" \
			-- --forward-mode=io --nb-cores=1 --auto-start --stats-period 3600 \
			--rxd="$RING" --txd="$RING"
		DUT_PID=$DPDK_PID
		;;
	*)
		"$NFBOX" run "${IMG[$kind]}" --machine "$MACHINE" --mem 256 --pin 1 --queue-size "$RING" --log "$d/vm.log" \
			--net "vhost-user:$d/s0" --net "vhost-user:$d/s1" >"$d/dut.log" 2>&1 &
		DUT_PID=$!
		dpdk_track "$DUT_PID"
		;;
	esac
}

# run_one KIND SIZE ROUND: prints the generator's result line, appends CSV.
LAST_FW_LOG=""
run_one() {
	local kind=$1 size=$2 round=$3 d rc
	d=$(mktemp -d "$WORK/$kind.XXXX")
	# One lcore: the generator is one spinning thread.
	dpdk_eal 0 "nfbgen$$" vhost
	DPDK_EAL[1]=0@0
	dpdk_spawn 0 "nfbgen$$" "$d/gen.log" "$GEN" "${DPDK_EAL[@]}" --log-level=lib.vhost,warning \
		--vdev "net_vhost0,iface=$d/s0,queues=1" --vdev "net_vhost1,iface=$d/s1,queues=1" \
		-- --size "$size" --flows "$FLOWS" --duration "$DURATION" --label "$kind" --csv "$d/row.csv" \
		${VERBOSE:+--verbose}
	local gen=$DPDK_PID
	wait_sockets "$gen" "$d/s0" "$d/s1"
	start_dut "$kind" "$d"
	wait "$gen"
	rc=$?
	# SIGTERM: testpmd exits; nfbox run types "quit" and the image prints
	# its counters.
	dpdk_stop "$gen" "$DUT_PID"
	if [ $rc -ne 0 ] || [ ! -s "$d/row.csv" ]; then
		echo "image_tput: $kind $size failed:" >&2
		tail -n 5 "$d/gen.log" "$d/dut.log" "$d"/vm.log 2>/dev/null | sed 's/^/    /' >&2
		return 1
	fi
	[ "$kind" = firewall ] && LAST_FW_LOG=$d/vm.log
	grep -v '^EAL\|^VHOST\|^TELEMETRY\|^  [np]dr\|^  max' "$d/gen.log" | tail -n 1
	sed "s/\$/,$round/" "$d/row.csv" >>"$WORK/all.csv"
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2); else print 0}'; }

echo "== images' throughput over vhost-user, vs a testpmd virtio_user io-forwarder (same run)"
echo "   generator: tput_image_vs_rte, one lcore on core 0; DUT on core 1 (images: all QEMU threads,"
echo "   nfbox run --pin 1, $MACHINE; testpmd-io: lcores 0@1,1@1); rings $RING"
echo "   traffic: UDP, $FLOWS flows; firewall: $(grep -cE '^(accept|drop|reject) ' "$FW_CONFIG") rules ($FW_CONFIG), stateful"
echo "   trial ${DURATION}s; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$WORK/all.csv"
read -r -a duts <<<"$DUTS"
for size in $SIZES; do
	for r in $(seq "$ROUNDS"); do
		# Rotate the order: no DUT always runs first (or last) in a round.
		for i in $(seq 0 $((${#duts[@]} - 1))); do
			run_one "${duts[$(((i + r - 1) % ${#duts[@]}))]}" "$size" "$r"
		done
	done
done

echo "dut,size,ndr_pps,pdr_pps,mrr_pps,offered_max_pps,avg_frame_bytes,trial_s,generator_bound,flows,round" >"$CSV"
cat "$WORK/all.csv" >>"$CSV"
col() { awk -F, -v d="$1" -v s="$2" -v c="$3" '$1==d && $2==s {print $c}' "$WORK/all.csv" | median; }
echo
printf '%-5s %-11s %10s %10s %10s   %10s %10s %10s %10s\n' size dut "NDR Mpps" "PDR Mpps" "MRR Mpps" \
	"NDR vs io" "NDR vs fwd" "MRR vs io" "MRR vs fwd"
for size in $SIZES; do
	io=$(col testpmd-io "$size" 3) fwd=$(col fwd "$size" 3)
	io_m=$(col testpmd-io "$size" 5) fwd_m=$(col fwd "$size" 5)
	for dut in $DUTS; do
		awk -v s="$size" -v d="$dut" -v n="$(col "$dut" "$size" 3)" -v p="$(col "$dut" "$size" 4)" \
			-v m="$(col "$dut" "$size" 5)" -v io="$io" -v fwd="$fwd" -v io_m="$io_m" -v fwd_m="$fwd_m" '
			function pct(x, base, show) { return show && base > 0 ? sprintf("%.0f%%", 100 * x / base) : "-" }
			BEGIN {
			printf "%-5s %-11s %10.3f %10.3f %10.3f   %10s %10s %10s %10s\n", s, d, n / 1e6, p / 1e6, m / 1e6,
				pct(n, io, d != "testpmd-io"), pct(n, fwd, d == "firewall"),
				pct(m, io_m, d != "testpmd-io"), pct(m, fwd_m, d == "firewall") }'
	done
done
echo "   NDR: no loss over a ${DURATION}s trial; PDR: <= 0.5 % loss; MRR: received rate at full offered load"
echo "   (medians over $ROUNDS round(s); on a shared 2-core machine NDR is set by the longest scheduling stall)"
if [ -n "$LAST_FW_LOG" ]; then
	awk '$1 ~ /^firewall\.(accepted|established|flows_created|dropped)$/ { v[$1] = $2 }
		END { printf "   firewall image, last run: %d frames accepted, %d of them (%.2f%%) as established flows; %d flows created, %d dropped\n",
			v["firewall.accepted"], v["firewall.established"],
			v["firewall.accepted"] ? 100 * v["firewall.established"] / v["firewall.accepted"] : 0,
			v["firewall.flows_created"], v["firewall.dropped"] }' "$LAST_FW_LOG"
fi
echo "   CSV: $CSV"
