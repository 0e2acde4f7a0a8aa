#!/bin/bash
# bench/boot_time.sh - how long an image takes to be ready, and to forward.
#
# For each machine (microvm, q35), RUNS boots (default 20) of each, all
# through `nfbox run` exactly as a user would (bench/boot_time.py measures):
#   floor   bench/pvh_floor.S, a PVH kernel that prints "ready" at its
#           entry and exits: what QEMU and the firmware cost on this host
#   ready   the fwd image, no NICs: exec -> "ready" line, and the image's
#           own entry -> ready (TSC at the PVH entry to the ready line)
#   packet  the fwd image between two taps: exec -> "ready", and exec ->
#           the first frame it forwards (a sender writes into tap A from
#           before QEMU starts; the first frame out of tap B is timed);
#           needs root, /dev/net/tun and ip(8), else skipped
# Every image boot also reports the virtio register and PCI configuration
# accesses it made (nfbox.verbose=1): the "exits" column.
# Each boot is stopped with SIGTERM (the image prints its counters and
# exits) before the next starts.  Prints a table with median, max and min,
# and writes every sample to build/bench/boot_time.csv.
#
# Environment: RUNS (20), MACHINES ("microvm q35"; microvm-pcie too), MEM (MiB, 64), PIN (CPU
# for QEMU, default 1; the bench's own threads go to another CPU),
# NFBOX_NO_KVM=1 (force TCG), B (build dir), NFBOX (an nfbox binary to use
# instead of building $B/nfbox), NO_TAPS=1 (skip the packet runs).
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
RUNS=${RUNS:-20}
MACHINES=${MACHINES:-microvm q35}
MEM=${MEM:-64}
PIN=${PIN:-1}
CC=${CC:-gcc}
OUT=$B/bench
mkdir -p "$OUT"
if [ -z "${NFBOX:-}" ]; then
	NFBOX=$B/nfbox
	make -s -j2 "$NFBOX" >/dev/null
fi
make -s -j2 image-objs >/dev/null
export NFBOX_LIBDIR=$B/image
"$NFBOX" build fwd -o "$OUT/fwd.img" >/dev/null
"$CC" -c bench/pvh_floor.S -o "$OUT/pvh_floor.o"
ld -nostdlib -static -Ttext=0x100000 -e floor_entry -o "$OUT/pvh_floor.elf" "$OUT/pvh_floor.o"

accel=KVM
{ [ -w /dev/kvm ] && [ -z "${NFBOX_NO_KVM:-}" ]; } || accel=TCG
[ -d /sys/module/kvm_pvm ] && [ $accel = KVM ] && accel="KVM (kvm_pvm)"

# Two taps of our own for the packet runs, made once, gone on exit.
taps=-
if [ -z "${NO_TAPS:-}" ] && [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] && command -v ip >/dev/null; then
	ta=nfbbt$$a tb=nfbbt$$b
	trap 'ip link del $ta 2>/dev/null; ip link del $tb 2>/dev/null' EXIT
	for t in $ta $tb; do
		ip tuntap add dev $t mode tap
		# No IPv6 chatter from the host stack mixed into the frames.
		echo 1 > /proc/sys/net/ipv6/conf/$t/disable_ipv6 2>/dev/null || true
		ip link set $t up
	done
	taps=$ta,$tb
fi

/usr/bin/python3 bench/boot_time.py "$NFBOX" "$OUT/fwd.img" "$OUT/pvh_floor.elf" \
	"$OUT/boot_time.csv" "$RUNS" "$MEM" "$PIN" "$accel" "$taps" $MACHINES
