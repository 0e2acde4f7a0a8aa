# shellcheck shell=bash
# tests/vhost/phased.sh - a function's image over vhost-user against what
# `nfbox replay` makes of the same config and inputs, in phases (sourced by
# tests/vhost/fw.sh and tests/vhost/nf.sh after report.sh and testpmd.sh):
#
#   phaseN.pcap -> testpmd net_pcap -io-> net_vhost0/1 -> [image]
#     -> net_vhost0/1 -io-> net_pcap -> outP_N.pcap  (P = port, N = phase)
#
# Ordering.  replay merges its two inputs by timestamp; over vhost-user the
# image polls its NICs independently, so how frames of two inputs interleave
# is not reproducible.  So the inputs come in phases that each feed ONE port
# (tests/vhost/phases.py writes them), and a phase starts only when all of
# the previous one's output is out (the expected count per phase and port
# comes from replay's output, whose frames keep their input timestamps:
# phase N at N s).  Within a phase every frame leaving a port then comes
# from one input, in order, and each port's output is the phases' outputs
# concatenated.  testpmd holds two net_pcap ports per phase (the phase's
# input or an empty pcap, and that phase's output file); `set portlist`
# pairs them with the vhost ports for the phase.
#
# Image: booted with `nfbox run --pin 1 --name NAME` (every QEMU thread on
# core 1; NAME reaches its control channel, NFBOX_RUN_DIR under the work
# directory); testpmd on core 0 (main and forwarding lcore).
#
#   phased_init NAME [CMD...]     work dir D, cleanup trap, prerequisites
#                                 (and CMDs) present, else SKIP NAME
#   phased_expect FUNC CONF       replay -> D/expect{0,1}.pcap, D/expect.stats
#   phased_start IMAGE NAME       testpmd and the image, until both are ready
#   phased_feed [HOOK]            every phase; `HOOK N` after phase N
#   phased_kill_backend N         a HOOK: testpmd crashes after the phases
#                                 in PHASED_KILL_AFTER, a new one starts
#   phased_stop                   the image prints its counters, all stop
#   phased_golden TEST            each port's output equals replay's
#   phased_counters TEST RE [SHOW] [IGNORE]   counter lines matching RE
#                                 (but not IGNORE) equal replay's; SHOW's
#                                 lines are quoted in the PASS line
#
# Each returns 1 after reporting (ko) what went wrong; the caller finishes.
# D, NFBOX, TIMEOUT_READY come from the caller.

phased_init() {
	local c
	PHASED_NAME=$1
	shift
	WORK=$(mktemp -d "/tmp/nfbox-vhost$PHASED_NAME.XXXXXX")
	D=$WORK
	phased_cleanup() {
		dpdk_stop_all
		if [ "${KEEP:-0}" = 1 ]; then echo "vhost/$PHASED_NAME: work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
	}
	trap phased_cleanup EXIT
	trap 'exit 130' INT TERM
	if ! dpdk_find; then
		sk "$PHASED_NAME" "needs$DPDK_MISSING"
		return 1
	fi
	if ! /usr/bin/python3 -c 'import scapy' 2>/dev/null; then
		sk "$PHASED_NAME" "needs /usr/bin/python3 with scapy (Debian: python3-scapy)"
		return 1
	fi
	for c in mergecap "$@"; do
		if ! command -v "$c" >/dev/null; then
			sk "$PHASED_NAME" "needs $c (Debian: tshark)"
			return 1
		fi
	done
	if [ ! -x "$NFBOX" ]; then
		sk "$PHASED_NAME" "no $NFBOX (make)"
		return 1
	fi
}

# per_phase FILE: frames per phase (1..9), from the timestamps.
per_phase() {
	/usr/bin/python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read(); o = 24; n = [0] * 10
while o + 16 <= len(d):
    s, _, c, _ = struct.unpack("<IIII", d[o:o + 16]); o += 16 + c
    n[s] += 1
print(*n[1:])' "$1"
}

phased_expect() {
	local func=$1 conf=$2
	PHASED_TEST=${PHASED_TEST:-$func-golden}
	if ! "$NFBOX" replay "$func" --config "$conf" --in 0="$D/in0.pcap" --in 1="$D/in1.pcap" \
		--out 0="$D/expect0.pcap" --out 1="$D/expect1.pcap" >"$D/expect.stats" 2>"$D/replay.err"; then
		ko "$PHASED_TEST" "nfbox replay failed: $(tr '\n' ' ' <"$D/replay.err")"
		return 1
	fi
	read -r -a want0 <<<"$(per_phase "$D/expect0.pcap")"
	read -r -a want1 <<<"$(per_phase "$D/expect1.pcap")"
}

# phased_testpmd: testpmd with the vhost servers and every phase's pcap
# ports, until its sockets exist.
phased_testpmd() {
	local vdevs n port p in
	# Port ids follow --vdev order: vhost0 0, vhost1 1, then per phase N
	# the pcap ports 2N (inside) and 2N+1 (outside).
	vdevs=("net_vhost0,iface=$D/s0,queues=1" "net_vhost1,iface=$D/s1,queues=1")
	while read -r n port; do
		for p in 0 1; do
			in=$D/empty.pcap
			[ "$p" = "$port" ] && in=$D/phase$n.pcap
			vdevs+=("net_pcap$((2 * n - 2 + p)),rx_pcap=$in,tx_pcap=$D/out${p}_$n.pcap")
		done
	done <"$D/phases"
	testpmd_start "$D" 0 "nfbvp$$" "${vdevs[@]}" -- --forward-mode=io --total-num-mbufs=16384
	if ! wait_sockets "$TP_PID" "$D/s0" "$D/s1"; then
		ko "$PHASED_TEST" "testpmd did not start: $(tail -n 3 "$D/testpmd.log" | tr '\n' ' ')"
		return 1
	fi
}

# phased_attached: until the image's two NICs are attached to testpmd, then
# retry on a full ring rather than drop (the image's RX ring is the only
# buffer between the two).  1 if they did not attach within 10 s.
phased_attached() {
	for _ in $(seq 100); do
		[ "$(grep -c 'ready for processing' "$D/testpmd.log")" -ge 2 ] && break
		sleep 0.1
	done
	tp "set fwd io retry"
	tp "set burst tx delay 20 retry 2000"
	[ "$(grep -c 'ready for processing' "$D/testpmd.log")" -ge 2 ]
}

phased_start() {
	local img=$1 name=$2
	/usr/bin/python3 -c 'from scapy.all import wrpcap; wrpcap(__import__("sys").argv[1], [])' "$D/empty.pcap"
	phased_testpmd || return 1
	export NFBOX_RUN_DIR=$D/run
	mkdir -p "$NFBOX_RUN_DIR"
	"$NFBOX" run "$img" --machine microvm --mem 256 --pin 1 --log "$D/vm.log" --name "$name" \
		--net "vhost-user:$D/s0" --net "vhost-user:$D/s1" >"$D/run.log" 2>&1 &
	VM_PID=$!
	dpdk_track "$VM_PID"
	if ! wait_ready "$D/vm.log" "$VM_PID"; then
		ko "$PHASED_TEST" "$WAIT_READY_WHY"
		return 1
	fi
	phased_attached
}

# phased_kill_backend N: a feed hook (phased_feed phased_kill_backend) that
# kills testpmd (SIGKILL: a crash, nothing said to the image) after phase N
# and starts a new one on the same sockets; the image's QEMU reconnects.
# The finished phases' outputs are kept aside (the new testpmd truncates
# every tx_pcap it opens) and put back by phased_stop.  PHASED_KILL_AFTER
# lists the phases after which to do it; PHASED_KILLS counts them.
PHASED_KILLS=0
phased_kill_backend() {
	local n=$1 k p
	[[ " ${PHASED_KILL_AFTER:-} " == *" $n "* ]] || return 0
	mkdir -p "$D/kept"
	for k in $(seq 1 "$n"); do
		for p in 0 1; do
			[ -f "$D/kept/out${p}_$k.pcap" ] && continue
			# A killed testpmd never flushed the header of a pcap it
			# wrote no frame to (libpcap buffers it): an empty file.
			if [ -s "$D/out${p}_$k.pcap" ]; then
				cp "$D/out${p}_$k.pcap" "$D/kept/"
			else
				cp "$D/empty.pcap" "$D/kept/out${p}_$k.pcap"
			fi
		done
	done
	kill -9 "$TP_PID" 2>/dev/null
	wait "$TP_PID" 2>/dev/null
	dpdk_stop "$TP_PID"
	exec {TP_FD}>&-
	TP_FD=""
	# DPDK's vhost server will not bind over a socket file left behind.
	rm -f "$D/s0" "$D/s1"
	phased_testpmd || return 1
	if ! phased_attached; then
		ko "$PHASED_TEST" "the image did not reconnect to the new testpmd after phase $n: $(tail -n 3 "$D/run.log" | tr '\n' ' ')"
		return 1
	fi
	PHASED_KILLS=$((PHASED_KILLS + 1))
}

# phase_done N: both ports' outputs of phase N are complete.
phase_done() {
	[ "$(count_frames "$D/out0_$1.pcap")" -ge "${want0[$1 - 1]}" ] &&
		[ "$(count_frames "$D/out1_$1.pcap")" -ge "${want1[$1 - 1]}" ]
}

# Sets PHASED_LATE to the phases whose output stayed short.
phased_feed() {
	local hook=${1:-} n port
	PHASED_LATE=""
	while read -r n port; do
		tp "set portlist $((2 * n)),0,$((2 * n + 1)),1"
		tp "start"
		for _ in $(seq 200); do
			phase_done "$n" && break
			sleep 0.1
		done
		sleep 0.3 # anything extra would show up now
		tp "stop"
		sleep 0.2
		phase_done "$n" || PHASED_LATE="$PHASED_LATE $n"
		if [ -n "$hook" ] && ! "$hook" "$n"; then
			return 1
		fi
	done <"$D/phases"
}

phased_stop() {
	local p
	# SIGTERM to nfbox run: it types "quit", the image prints its counters.
	dpdk_stop "$VM_PID"
	testpmd_quit
	[ -d "$D/kept" ] && cp "$D"/kept/*.pcap "$D/"
	for p in 0 1; do
		mergecap -a -F pcap -w "$D/out$p.pcap" "$D"/out${p}_[1-9].pcap
	done
}

phased_golden() {
	local test=$1 r0 r1 s0 s1
	r0=$(/usr/bin/python3 tests/vhost/pcap_same.py "$D/expect0.pcap" "$D/out0.pcap" 2>&1)
	s0=$?
	r1=$(/usr/bin/python3 tests/vhost/pcap_same.py "$D/expect1.pcap" "$D/out1.pcap" 2>&1)
	s1=$?
	if [ $s0 -eq 0 ] && [ $s1 -eq 0 ]; then
		ok "$test" "port 0: $r0, port 1: $r1, as nfbox replay; $(wc -l <"$D/phases") phases${2:+; $2}"
	else
		ko "$test" "port 0: $r0; port 1: $r1${PHASED_LATE:+; phases$PHASED_LATE short}"
	fi
}

# The image prints the same counter lines as replay when it stops, port
# names included (both take them from the config's `port N name`).  Never
# compared: the virtio driver's own ring counters (portN.virtio_*), table sizes
# and their memory (replay's default vs the image's RAM) and where
# a rule is (FILE:LINE).  The console may hold earlier answers to "stats"
# (nfbox reload asks first): the last value of each counter counts.
phased_counters() {
	local test=$1 re=$2 show=${3:-} ignore=${4:-'^$'}
	# The firewall classifier's path (sse, avx2, avx512) is the CPU's:
	# the image's vCPU may lack what the host has (TCG has no AVX-512).
	counters() {
		grep -E "$re" "$1" | grep -vE 'capacity|memory|_at |\.virtio_' | grep -vE "$ignore" | tr -d '\r' |
			sed -E 's/^(firewall\.classifier .*), (sse|avx2|avx512)$/\1/' |
			awk '{ last[$1] = $0 } END { for (k in last) print last[k] }' | sort
	}
	counters "$D/expect.stats" >"$D/expect.counters"
	counters "$D/vm.log" >"$D/vm.counters"
	if [ ! -s "$D/vm.counters" ]; then
		ko "$test" "the image printed no counters at exit: $(tail -n 3 "$D/vm.log" | tr '\n' ' ')"
	elif ! diff "$D/expect.counters" "$D/vm.counters" >"$D/counters.diff"; then
		ko "$test" "image vs replay: $(grep '^[<>]' "$D/counters.diff" | head -n 8 | tr '\n' ' ')"
	else
		ok "$test" "$(wc -l <"$D/vm.counters") lines as replay${show:+; $(grep -E "$show" "$D/vm.counters" | tr '\n' ' ')}"
	fi
}
