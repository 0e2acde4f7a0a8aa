#!/bin/bash
# tests/vhost/fw.sh - the firewall image over vhost-user against a golden
# output: what `nfbox replay firewall` makes of the same config and inputs.
#
#   phaseN.pcap -> testpmd net_pcap -io-> net_vhost0/1 -> [firewall image]
#     -> net_vhost0/1 -io-> net_pcap -> outP_N.pcap  (P = port, N = phase)
#
# Image: `nfbox build firewall --config tests/vhost/fw.conf`, booted with
# `nfbox run --pin 1` (every QEMU thread on core 1); testpmd on core 0 (main
# and forwarding lcore).  Inputs: tests/vhost/mkfwpcaps.py (scapy): accepted
# and dropped flows both ways, replies that pass only by state and the same
# shapes without state, blocked sources, rejects, an invalid TCP packet,
# IPv4 and IPv6.
#
# Ordering.  replay merges its two inputs by timestamp; over vhost-user the
# image polls its NICs independently, so how frames of two inputs interleave
# is not reproducible.  So the inputs come in four phases that each feed ONE
# port (inside requests; outside replies, look-alikes, new flows, rejects;
# inside; outside), and a phase starts only when all of the previous one's
# output is out (the expected count per phase and port comes from replay's
# output, whose frames keep their input timestamps: phase N at N s).  Within
# a phase every frame leaving a port then comes from one input, in order,
# and each port's output is the phases' outputs concatenated.  testpmd
# holds two net_pcap ports per phase (the phase's input or an empty pcap,
# and that phase's output file); `set portlist` pairs them with the vhost
# ports for the phase.
#
# Tests: fw-golden (each port's output equals replay's, frame for frame),
# fw-verdicts (frames meant to be dropped or rejected absent, replies by
# state present), fw-reject (TCP RST v4/v6, ICMP and ICMPv6 port unreachable
# out of the ingress port, checksums good per tshark), fw-counters (the
# counters the image prints at exit equal replay's: per rule, per port,
# drop reasons).  Everything is stopped on exit, also on failure.
#
# Prints PASS/FAIL/SKIP lines and "N passed, M failed"; exit 1 on failure.
# Called by tests/vhost/run.sh; runs alone too.  KEEP=1 keeps the work dir.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
NFBOX=${NFBOX:-$B/nfbox}
TIMEOUT_READY=${TIMEOUT_READY:-120}
export LC_ALL=C

SUITE=vhost
. tests/lib/report.sh

WORK=$(mktemp -d /tmp/nfbox-vhostfw.XXXXXX)
. tests/lib/testpmd.sh
cleanup() {
	dpdk_stop_all
	if [ "${KEEP:-0}" = 1 ]; then echo "vhost/fw: work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! dpdk_find; then
	sk fw "needs$DPDK_MISSING"
	finish
fi
if ! /usr/bin/python3 -c 'import scapy' 2>/dev/null; then
	sk fw "needs /usr/bin/python3 with scapy (Debian: python3-scapy)"
	finish
fi
if ! command -v tshark >/dev/null || ! command -v mergecap >/dev/null; then
	sk fw "needs tshark and mergecap (Debian: tshark)"
	finish
fi
if [ ! -x "$NFBOX" ]; then
	sk fw "no $NFBOX (make)"
	finish
fi
D=$WORK
if ! "$NFBOX" build firewall --config tests/vhost/fw.conf -o "$D/fw.img" >"$D/build.log" 2>&1; then
	ko fw-golden "nfbox build firewall failed: $(tr '\n' ' ' <"$D/build.log")"
	finish
fi

# ---- the golden output: nfbox replay ------------------------------------------
/usr/bin/python3 tests/vhost/mkfwpcaps.py "$D" || { ko fw-golden "cannot make pcaps"; finish; }
if ! "$NFBOX" replay firewall --config tests/vhost/fw.conf --in 0="$D/in0.pcap" --in 1="$D/in1.pcap" \
	--out 0="$D/expect0.pcap" --out 1="$D/expect1.pcap" >"$D/expect.stats" 2>"$D/replay.err"; then
	ko fw-golden "nfbox replay failed: $(tr '\n' ' ' <"$D/replay.err")"
	finish
fi

# per_phase FILE: frames per phase (1..4), from the timestamps.
per_phase() {
	/usr/bin/python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read(); o = 24; n = [0] * 5
while o + 16 <= len(d):
    s, _, c, _ = struct.unpack("<IIII", d[o:o + 16]); o += 16 + c
    n[s] += 1
print(*n[1:])' "$1"
}
read -r -a want0 <<<"$(per_phase "$D/expect0.pcap")"
read -r -a want1 <<<"$(per_phase "$D/expect1.pcap")"

# ---- testpmd and the image ------------------------------------------------------
# Port ids follow --vdev order: vhost0 0, vhost1 1, then per phase N the
# pcap ports 2N (inside) and 2N+1 (outside).
/usr/bin/python3 -c 'from scapy.all import wrpcap; wrpcap(__import__("sys").argv[1], [])' "$D/empty.pcap"
vdevs=("net_vhost0,iface=$D/s0,queues=1" "net_vhost1,iface=$D/s1,queues=1")
while read -r n port; do
	for p in 0 1; do
		in=$D/empty.pcap
		[ "$p" = "$port" ] && in=$D/phase$n.pcap
		vdevs+=("net_pcap$((2 * n - 2 + p)),rx_pcap=$in,tx_pcap=$D/out${p}_$n.pcap")
	done
done <"$D/phases"
testpmd_start "$D" 0 "nfbvf$$" "${vdevs[@]}" -- --forward-mode=io --total-num-mbufs=16384
if ! wait_sockets "$TP_PID" "$D/s0" "$D/s1"; then
	ko fw-golden "testpmd did not start: $(tail -n 3 "$D/testpmd.log" | tr '\n' ' ')"
	finish
fi
"$NFBOX" run "$D/fw.img" --machine microvm --mem 256 --pin 1 --log "$D/vm.log" \
	--net "vhost-user:$D/s0" --net "vhost-user:$D/s1" >"$D/run.log" 2>&1 &
VM_PID=$!
dpdk_track "$VM_PID"
t=0
until grep -q ready "$D/vm.log" 2>/dev/null; do
	if ! kill -0 "$VM_PID" 2>/dev/null || [ $((t += 1)) -gt $((TIMEOUT_READY * 10)) ]; then
		ko fw-golden "no 'ready' line: $(tail -n 5 "$D/vm.log" "$D/run.log" 2>/dev/null | tr '\n' ' ')"
		finish
	fi
	sleep 0.1
done
for _ in $(seq 100); do
	[ "$(grep -c 'ready for processing' "$D/testpmd.log")" -ge 2 ] && break
	sleep 0.1
done

# Retry on a full ring rather than drop: the image's RX ring is the only
# buffer between the two.
tp "set fwd io retry"
tp "set burst tx delay 20 retry 2000"
late=""
while read -r n port; do
	tp "set portlist $((2 * n)),0,$((2 * n + 1)),1"
	tp "start"
	for _ in $(seq 200); do
		[ "$(count_frames "$D/out0_$n.pcap")" -ge "${want0[n - 1]}" ] &&
			[ "$(count_frames "$D/out1_$n.pcap")" -ge "${want1[n - 1]}" ] && break
		sleep 0.1
	done
	sleep 0.3 # anything extra would show up now
	tp "stop"
	sleep 0.2
	[ "$(count_frames "$D/out0_$n.pcap")" -ge "${want0[n - 1]}" ] &&
		[ "$(count_frames "$D/out1_$n.pcap")" -ge "${want1[n - 1]}" ] || late="$late $n"
done <"$D/phases"
# SIGTERM to nfbox run: it types "quit", the image prints its counters.
dpdk_stop "$VM_PID"
testpmd_quit

for p in 0 1; do
	mergecap -a -F pcap -w "$D/out$p.pcap" "$D"/out${p}_[1-4].pcap
done

# ---- fw-golden --------------------------------------------------------------------
r0=$(/usr/bin/python3 tests/vhost/pcap_same.py "$D/expect0.pcap" "$D/out0.pcap" 2>&1)
s0=$?
r1=$(/usr/bin/python3 tests/vhost/pcap_same.py "$D/expect1.pcap" "$D/out1.pcap" 2>&1)
s1=$?
if [ $s0 -eq 0 ] && [ $s1 -eq 0 ]; then
	ok fw-golden "inside: $r0, outside: $r1, as nfbox replay; 4 phases"
else
	ko fw-golden "inside: $r0; outside: $r1${late:+; phases$late short}"
fi

# ---- fw-verdicts ------------------------------------------------------------------
# tags PCAP: the fwt: tag of each frame, leaving out ICMP errors (they
# quote the rejected frame, tag included).
tags() {
	/usr/bin/python3 -c '
import re, sys
from scapy.all import ICMP, ICMPv6DestUnreach, rdpcap
for p in rdpcap(sys.argv[1]):
    if (ICMP in p and p[ICMP].type == 3) or ICMPv6DestUnreach in p:
        continue
    m = re.search(rb"fwt:[a-z0-9-]+", bytes(p))
    print(m.group().decode() if m else "untagged")' "$1"
}
got=$(tags "$D/out0.pcap"; tags "$D/out1.pcap")
bad=$(echo "$got" | grep -E -- '-(drop|reject)$' | tr '\n' ' ')
missing=""
for t in b-synack4 b-synack6 b-dns4 b-dns6 b-pong4 b-pong6 c-synack4-in c-synack6-in d-data4 d-rst6; do
	echo "$got" | grep -qx "fwt:$t" || missing="$missing $t"
done
if [ -z "$(echo "$got" | tr -d '\n')" ]; then
	ko fw-verdicts "no tagged frames out of the image"
elif [ -n "$bad" ] || [ -n "$missing" ]; then
	ko fw-verdicts "${bad:+out but meant to be dropped: $bad}${missing:+ replies missing:$missing}"
else
	ok fw-verdicts "$(echo "$got" | wc -l) frames passed, 0 of $(cat "$D"/phase*.pcap | grep -aoE 'fwt:[a-z0-9-]+-(drop|reject)' | wc -l) marked drop/reject; replies by state present"
fi

# ---- fw-reject --------------------------------------------------------------------
# Answers to rejected packets leave the port they came in on (outside), with
# checksums tshark verifies: status 1 is "Good".
# answer FILTER: frames of out1 (outside) that match FILTER, checksums
# verified by tshark.
answer() {
	tshark -r "$D/out1.pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-o udp.check_checksum:TRUE -Y "$1" 2>/dev/null | wc -l
}
# A checksum field "== 1" is Good; "!(... == 0)": no layer has a Bad one
# (an ICMP error quotes an IP header too).
bad_ans=""
for f in \
	"tcp.flags.reset == 1 && ip.src == 10.0.0.80 && tcp.srcport == 23 && tcp.dstport == 50004 && tcp.checksum.status == 1 && ip.checksum.status == 1" \
	"tcp.flags.reset == 1 && ipv6.src == fd00::80 && tcp.srcport == 23 && tcp.dstport == 50005 && tcp.checksum.status == 1" \
	"icmp.type == 3 && icmp.code == 3 && udp.dstport == 69 && icmp.checksum.status == 1 && ip.checksum.status == 1 && !(ip.checksum.status == 0)" \
	"icmpv6.type == 1 && icmpv6.code == 4 && udp.dstport == 69 && icmpv6.checksum.status == 1"; do
	[ "$(answer "$f")" = 1 ] || bad_ans="$bad_ans [$f]"
done
n_ans=$(answer "tcp.flags.reset == 1 && tcp.srcport == 23 || icmp.type == 3 || icmpv6.type == 1")
n_in=$(tshark -r "$D/out0.pcap" -Y "tcp.flags.reset == 1 && tcp.srcport == 23 || icmp.type == 3 || icmpv6.type == 1" 2>/dev/null | wc -l)
if [ -z "$bad_ans" ] && [ "$n_ans" = 4 ] && [ "$n_in" = 0 ]; then
	ok fw-reject "TCP RST v4+v6, ICMP and ICMPv6 port unreachable, out of the ingress port, checksums good"
else
	ko fw-reject "$n_ans answers out of outside (want 4), $n_in out of inside (want 0);${bad_ans:+ no single frame for:$bad_ans}"
fi

# ---- fw-counters ------------------------------------------------------------------
# The image prints the same counter lines as replay when it stops, port
# names included (both take them from the config's `port N name`).  Not
# compared: the flow table's size (replay's default vs the image's memory)
# and the rule's FILE:LINE.
counters() { grep -E '^(port[0-9]|firewall|loop)' "$1" | grep -vE 'flow_capacity|frag_capacity|_at ' | tr -d '\r' | sort; }
counters "$D/expect.stats" >"$D/expect.counters"
counters "$D/vm.log" >"$D/vm.counters"
if [ ! -s "$D/vm.counters" ]; then
	ko fw-counters "the image printed no counters at exit: $(tail -n 3 "$D/vm.log" | tr '\n' ' ')"
elif ! diff "$D/expect.counters" "$D/vm.counters" >"$D/counters.diff"; then
	ko fw-counters "image vs replay: $(grep '^[<>]' "$D/counters.diff" | head -n 8 | tr '\n' ' ')"
else
	ok fw-counters "$(wc -l <"$D/vm.counters") lines as replay; $(grep -E '^port[0-9]\.name ' "$D/vm.counters" | tr '\n' ' ')$(grep -E '^firewall\.(drop_policy|drop_invalid|rejects_sent) ' "$D/vm.counters" | tr '\n' ' ')"
fi
finish
