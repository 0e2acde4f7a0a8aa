#!/bin/bash
# bench/image_size.sh - how big each function's image is, and how little
# RAM it boots with.
#
# For every function with prebuilt objects (build/image/nf/*.o): the image
# `nfbox build` writes (stripped; the symbol table for backtraces stays),
# its loaded size (sum of PT_LOAD file sizes: what QEMU copies into the
# guest), and two smallest --mem (MiB) values on microvm, each by bisection
# between 4 and 64 MiB:
#   - "boots": reaches "ready" with no NIC;
#   - "full rings" (as root): two tap NICs with 1024-entry rings
#     (--queue-size 1024) and a packet pool that fills every RX ring with
#     half the TX rings' worth to spare -- the image says when it cannot,
#     and then forwards with fewer buffers than a full-rate run needs.
# Table on stdout, CSV in build/bench/image_size.csv.
#
# Environment: B (build dir), NFBOX (an nfbox binary instead of $B/nfbox),
# NFS (functions to measure, default: all).
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
OUT=$B/bench
mkdir -p "$OUT"
if [ -z "${NFBOX:-}" ]; then
	NFBOX=$B/nfbox
	make -s -j2 "$NFBOX" >/dev/null
fi
make -s -j2 image-objs >/dev/null
export NFBOX_LIBDIR=$B/image
NFS=${NFS:-$(cd "$B/image/nf" && ls *.o | sed 's/\.o$//')}

TAPS=()
[ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] && TAPS=(--net "tap:nfbsz$$a" --net "tap:nfbsz$$b" --queue-size 1024)

# boots IMAGE MEM [nfbox run args]: 0 if it reaches "ready" (then is
# stopped) and, with NICs, filled their rings; 1 if not.
boots() {
	local log=$OUT/size-boot.log img=$1 mem=$2
	shift 2
	rm -f "$log"
	"$NFBOX" run "$img" --mem "$mem" --log "$log" "$@" </dev/null >/dev/null 2>&1 &
	local pid=$! t=0 ok=1
	while kill -0 $pid 2>/dev/null && [ $t -lt 300 ]; do
		if grep -q "ready in" "$log" 2>/dev/null; then
			ok=0
			break
		fi
		t=$((t + 1))
		sleep 0.1
	done
	kill -TERM $pid 2>/dev/null
	wait $pid 2>/dev/null
	[ $ok = 0 ] && grep -q "would fill the rings" "$log" && ok=1
	return $ok
}

# min_mem IMAGE [nfbox run args]: the smallest --mem that boots(), by
# bisection between 4 and 64.
min_mem() {
	local img=$1 lo=4 hi=64 mid
	shift
	boots "$img" $hi "$@" || { echo "> $hi"; return; }
	while [ $((hi - lo)) -gt 1 ]; do
		mid=$(((lo + hi) / 2))
		if boots "$img" $mid "$@"; then hi=$mid; else lo=$mid; fi
	done
	boots "$img" $lo "$@" && hi=$lo
	echo "$hi"
}

csv=$OUT/image_size.csv
echo "function,image_bytes,loaded_bytes,min_mem_mib,min_mem_full_rings_mib" >"$csv"
printf "%-10s %10s %11s %13s %18s\n" function "image KiB" "loaded KiB" "boots, MiB" "full rings, MiB"
for nf in $NFS; do
	img=$OUT/$nf.img
	if ! "$NFBOX" build "$nf" -o "$img" >/dev/null 2>"$OUT/size-build.log"; then
		printf "%-10s %12s\n" "$nf" "build failed: $(head -1 "$OUT/size-build.log")"
		continue
	fi
	size=$(stat -c %s "$img")
	loaded=$(readelf -lW "$img" | awk '$1 == "LOAD" { print $5 }' | while read -r h; do echo $((h)); done | paste -sd+ | bc)
	min=$(min_mem "$img")
	full="(root)"
	[ ${#TAPS[@]} -gt 0 ] && full=$(min_mem "$img" "${TAPS[@]}")
	printf "%-10s %10d %11d %13s %18s\n" "$nf" $(((size + 1023) / 1024)) $(((loaded + 1023) / 1024)) "$min" "$full"
	echo "$nf,$size,$loaded,$min,$full" >>"$csv"
done
echo "full rings: two tap NICs, 1024-entry rings, every RX ring filled from the pool"
echo "CSV: $csv (target: image <= 256 KiB, boots and forwards at full rate with --mem 16)"
