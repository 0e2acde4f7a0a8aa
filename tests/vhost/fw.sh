#!/bin/bash
# tests/vhost/fw.sh - the firewall image over vhost-user against a golden
# output: what `nfbox replay firewall` makes of the same config and inputs.
#
#   phaseN.pcap -> testpmd net_pcap -io-> net_vhost0/1 -> [firewall image]
#     -> net_vhost0/1 -io-> net_pcap -> outP_N.pcap  (P = port, N = phase)
#
# Image: `nfbox build firewall --config tests/vhost/fw.conf`, booted with
# `nfbox run --pin 1`; testpmd on core 0.  Inputs: tests/vhost/mkfwpcaps.py (scapy): accepted
# and dropped flows both ways, replies that pass only by state and the same
# shapes without state, blocked sources, rejects, an invalid TCP packet,
# IPv4 and IPv6.
#
# The phases and how the image and testpmd are wired: tests/vhost/phased.sh.
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

. tests/lib/testpmd.sh
. tests/vhost/phased.sh
phased_init fw tshark || finish
if ! "$NFBOX" build firewall --config tests/vhost/fw.conf -o "$D/fw.img" >"$D/build.log" 2>&1; then
	ko fw-golden "nfbox build firewall failed: $(tr '\n' ' ' <"$D/build.log")"
	finish
fi

# ---- the golden output: nfbox replay ------------------------------------------
/usr/bin/python3 tests/vhost/mkfwpcaps.py "$D" || { ko fw-golden "cannot make pcaps"; finish; }
PHASED_TEST=fw-golden
phased_expect firewall tests/vhost/fw.conf || finish
phased_start "$D/fw.img" vfw || finish
phased_feed || finish
phased_stop
phased_golden fw-golden

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
phased_counters fw-counters '^(port[0-9]|firewall|loop)' '^port[0-9]\.name |^firewall\.(drop_policy|drop_invalid|rejects_sent) '

# ---- fw-backend-restart -----------------------------------------------------------
# The same phases again, with testpmd crashing (SIGKILL) after phase 1 (the
# requests out: state made) and phase 3, a new testpmd each time: the
# image, never restarted, reconnects (QEMU reconnect=) and keeps its flow
# state, so the replies of phases 2 and 4 that pass only by state still do
# and the outputs still equal replay's, frame for frame.
rm -f "$D"/out*.pcap "$D/vm.log"
PHASED_TEST=fw-backend-restart PHASED_KILL_AFTER="1 3"
if phased_start "$D/fw.img" vfw && phased_feed phased_kill_backend; then
	phased_stop
	phased_golden fw-backend-restart "testpmd killed after phases $PHASED_KILL_AFTER, $PHASED_KILLS new ones"
fi
finish
