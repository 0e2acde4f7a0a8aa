#!/bin/bash
# demo.sh - install what nfbox needs (Debian 12, as root), build it, and show
# it working: a pcap replayed through the fwd function hosted, its counters;
# the same function built into a unikernel image, booted under QEMU/KVM and
# forwarding over vhost-user; then a firewall -> fwd chain through OVS-DPDK
# with a pcap replayed through it.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/deps.sh
nfbox_install_deps all

echo "== building nfbox, its images and tests (make -j2 all; log in build.log)"
make -j2 all >build.log 2>&1 || { tail -30 build.log; exit 1; }
NFBOX=build/nfbox
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
G=tests/golden/cases/fwd-basic

echo
echo "== nfbox replay: two pcaps (one per port) through the fwd function"
echo "\$ nfbox replay fwd --in 0=$G/in0.pcap --in 1=$G/in1.pcap --out 0=out0.pcap --out 1=out1.pcap"
$NFBOX replay fwd --in 0=$G/in0.pcap --in 1=$G/in1.pcap \
	--out 0="$out/out0.pcap" --out 1="$out/out1.pcap"
echo
echo "== what came out of port 1 (tshark)"
tshark -r "$out/out1.pcap" -n 2>/dev/null | head -20
echo
echo "== a config with a mistake is rejected whole, with FILE:LINE:COL"
printf 'port 0 name west\nport 1 name west\n' > "$out/bad.conf"
$NFBOX check fwd "$out/bad.conf" || true
echo
echo "== the same function as a unikernel image"
scripts/demo-image.sh
if [ -x topology/demo.sh ]; then
	echo
	echo "== a chain: firewall -> fwd images wired through a private OVS-DPDK"
	topology/demo.sh
fi
