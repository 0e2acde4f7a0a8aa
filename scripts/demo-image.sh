#!/bin/bash
# demo-image.sh - the unikernel part of the demo: build the fwd image, boot
# it under QEMU/KVM between two DPDK testpmd vhost-user ports, replay a pcap
# through it both ways and show its console (ready line, counters).
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "== nfbox build fwd -o fwd.img   (links prebuilt objects; no compiler needed)"
build/nfbox build fwd -o "$out/fwd.img" || exit 1
ls -l "$out/fwd.img" | awk '{print "   " $5 " bytes"}'
echo
echo "== boot it (microvm, then q35) with two vhost-user NICs facing DPDK testpmd,"
echo "   replay 200 frames into each NIC and compare what comes out the other"
KEEP=1 NFBOX_IMAGE="$out/fwd.img" tests/vhost/run.sh 2>"$out/err" | tee "$out/log"
dir=$(sed -n 's/.*work directory kept: //p' "$out/err")
if [ -n "$dir" ] && [ -f "$dir/fwd-microvm/vm.log" ]; then
	echo
	echo "== the image's console (microvm)"
	sed 's/^/   | /' "$dir/fwd-microvm/vm.log" | head -40
	rm -rf "$dir"
fi
