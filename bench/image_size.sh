#!/bin/bash
# bench/image_size.sh - how big each function's image is, and how little
# RAM it boots with.
#
# For every function with prebuilt objects (build/image/nf/*.o): the image
# `nfbox build` writes (stripped; the symbol table for backtraces stays),
# its loaded size (sum of PT_LOAD file sizes: what QEMU copies into the
# guest), and the smallest --mem (MiB) with which it boots to "ready" on
# microvm, by bisection between 4 and 64 MiB.  No NICs: the RX rings'
# buffers come from the same pool either way.  Table on stdout, CSV in
# build/bench/image_size.csv.
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

# boots IMAGE MEM: 0 if it reaches "ready" (then is stopped), 1 if not.
boots() {
	local log=$OUT/size-boot.log
	rm -f "$log"
	"$NFBOX" run "$1" --mem "$2" --log "$log" </dev/null >/dev/null 2>&1 &
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
	return $ok
}

csv=$OUT/image_size.csv
echo "function,image_bytes,loaded_bytes,min_mem_mib" >"$csv"
printf "%-10s %12s %12s %14s\n" function "image KiB" "loaded KiB" "min --mem MiB"
for nf in $NFS; do
	img=$OUT/$nf.img
	if ! "$NFBOX" build "$nf" -o "$img" >/dev/null 2>"$OUT/size-build.log"; then
		printf "%-10s %12s\n" "$nf" "build failed: $(head -1 "$OUT/size-build.log")"
		continue
	fi
	size=$(stat -c %s "$img")
	loaded=$(readelf -lW "$img" | awk '$1 == "LOAD" { print $5 }' | while read -r h; do echo $((h)); done | paste -sd+ | bc)
	lo=4 hi=64
	if ! boots "$img" $hi; then
		min="> $hi"
	else
		while [ $((hi - lo)) -gt 1 ]; do
			mid=$(((lo + hi) / 2))
			if boots "$img" $mid; then hi=$mid; else lo=$mid; fi
		done
		boots "$img" $lo && hi=$lo
		min=$hi
	fi
	printf "%-10s %12d %12d %14s\n" "$nf" $(((size + 1023) / 1024)) $(((loaded + 1023) / 1024)) "$min"
	echo "$nf,$size,$loaded,$min" >>"$csv"
done
echo "CSV: $csv (target: image <= 256 KiB, boots with --mem 16)"
