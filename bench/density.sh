#!/bin/bash
# bench/density.sh - how many idle appliances one host carries, and what a
# frame pays to wake one.
#
#   bench/density.sh [--images N] [--idle S] [--mem MB] [--wake-count N]
#
# 1. Boots N fwd images at once (default 200), each `nfbox run IMAGE --mem
#    16 --name dNNN` with two tap NICs (created by nfbox run), and reports
#    the time from the first start until every image printed its ready line.
# 2. Asks each image for its counters (`nfbox stats dNNN`): how many answer.
# 3. Idle CPU: the run time of every thread of every QEMU and of every
#    `nfbox run` relay (/proc/PID/task/*/schedstat, ns) over --idle S
#    (default 20) seconds, as a share of one core: all images together,
#    per image, and the vCPU threads alone.
# 4. Memory per image: PSS (the fair share of shared pages) and RSS of each
#    QEMU from /proc/PID/smaps_rollup, mean and max; the relay's PSS apart.
# 5. Wake latency through one idle image: bench/wake_latency sends one UDP
#    frame every 10 ms into its first tap and times it out of the second
#    (p50/p90/p99/max), after 2 s of silence; then the same stream through
#    the same image told never to halt (nfbox.idle_us=10^9), booted alone
#    once the others are down, as the polling reference measured in the
#    same run.
#
# Placement: nothing is pinned (the images are idle: the point is that they
# need no core of their own); the polling reference is pinned to core 1.
# Everything started is stopped on exit, also on failure.  Needs root
# (taps).  Prints tables; CSV in build/bench/density.csv and
# build/bench/wake_latency.csv.  Host facts (CPU, accelerator) head the
# output: without /dev/kvm the images run under TCG.
set -u
cd "$(dirname "$0")/.."
TOP=$PWD
B=${B:-build}
NFBOX=${NFBOX:-$TOP/$B/nfbox}
IMG=$TOP/$B/images/fwd.img
WAKE=$TOP/$B/rel/bench/wake_latency
N=200 IDLE=20 MEM=16 WAKE_COUNT=500
while [ $# -gt 0 ]; do
	case $1 in
	--images) N=$2; shift 2 ;;
	--idle) IDLE=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--wake-count) WAKE_COUNT=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "density: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "density: needs root (tap devices)" >&2; exit 2; }
for f in "$NFBOX" "$IMG" "$WAKE"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "density: no $f (make all)" >&2; exit 2; }
done
OUT=$TOP/$B/bench
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/nfbox-density.XXXXXX)
export NFBOX_RUN_DIR=$WORK/run
mkdir -p "$NFBOX_RUN_DIR"
PIDS=()
stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for _ in $(seq 100); do
		local alive=0
		for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1 && break; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	PIDS=()
}
cleanup() { stop_all; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

accel=TCG
[ -r /dev/kvm ] && [ -w /dev/kvm ] && accel=KVM
echo "== density: $N fwd images, --mem $MEM, two taps each; $(nproc) cores, $accel"
echo "   CPU: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
ulimit -n 65536 2>/dev/null

# ---- 1. boot them all ----------------------------------------------------------------
name() { printf 'd%03d' "$1"; }
tap() { printf 'nfd%03d%s' "$1" "$2"; }
t0=$(date +%s%N)
for i in $(seq 0 $((N - 1))); do
	"$NFBOX" run "$IMG" --mem "$MEM" --name "$(name "$i")" --log "$WORK/$(name "$i").log" \
		--net "tap:$(tap "$i" a)" --net "tap:$(tap "$i" b)" </dev/null >"$WORK/$(name "$i").out" 2>&1 &
	PIDS+=($!)
done
ready=0 t_ready=""
for _ in $(seq 1200); do
	ready=$(grep -l "ready in" "$WORK"/d*.log 2>/dev/null | wc -l)
	[ "$ready" -ge "$N" ] && { t_ready=$(date +%s%N); break; }
	sleep 0.1
done
dead=0
for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || dead=$((dead + 1)); done
if [ -z "$t_ready" ]; then
	echo "density: only $ready of $N images ready after 120 s ($dead exited); first errors:" >&2
	cat "$WORK"/d*.out 2>/dev/null | sort | uniq -c | sort -rn | head -5 >&2
	exit 1
fi
boot_ms=$(((t_ready - t0) / 1000000))

# ---- 2. every image answers ---------------------------------------------------------
answered=0
for i in $(seq 0 $((N - 1))); do
	"$NFBOX" stats "$(name "$i")" 2>/dev/null | grep -q '^image.function fwd$' && answered=$((answered + 1))
done

# ---- 3. idle CPU ------------------------------------------------------------------------
sleep 2 # links up, the host's first frames on new taps, stats answered: then quiet
qemus=$(pgrep -f "qemu-system-x86_64 .*-kernel $IMG" | tr '\n' ' ')
relays=$(pgrep -f "$NFBOX run $IMG" | tr '\n' ' ')
snap() { # PIDS... -> "tid comm ns" lines
	local p t
	for p in "$@"; do
		for t in /proc/"$p"/task/*; do
			[ -r "$t/schedstat" ] || continue
			echo "$p:${t##*/} $(tr ' ' _ <"$t/comm") $(cut -d' ' -f1 "$t/schedstat")"
		done
	done | sort
}
# shellcheck disable=SC2086 # word lists of pids
{ snap $qemus >"$WORK/q0"; snap $relays >"$WORK/r0"; }
w0=$(date +%s%N)
sleep "$IDLE"
# shellcheck disable=SC2086
{ snap $qemus >"$WORK/q1"; snap $relays >"$WORK/r1"; }
w1=$(date +%s%N)
# Per thread: the vCPU is the thread that ran guest code; QEMU names it
# "CPU 0/KVM" under KVM and not at all under TCG (all threads are
# "qemu-system-x86"), so count every QEMU thread, and the busiest per
# process apart.
idle_of() { # FILE0 FILE1 -> total_ns busiest_thread_per_process_sum_ns
	join "$1" "$2" | awk '{d = $5 - $3; tot += d; split($1, a, ":"); if (d > best[a[1]]) best[a[1]] = d}
		END {for (p in best) b += best[p]; printf "%.0f %.0f\n", tot, b}'
}
read -r q_ns q_top_ns < <(idle_of "$WORK/q0" "$WORK/q1")
read -r r_ns _ < <(idle_of "$WORK/r0" "$WORK/r1")
wall=$((w1 - w0))
pct() { awk -v a="$1" -v w="$wall" 'BEGIN {printf "%.3f", 100 * a / w}'; }

# ---- 4. memory ---------------------------------------------------------------------------
mem_of() { # PIDS -> mean_pss_kb max_pss_kb mean_rss_kb
	local p
	for p in "$@"; do awk '/^Pss:/ {pss = $2} /^Rss:/ {rss = $2} END {print pss, rss}' "/proc/$p/smaps_rollup"; done |
		awk '{n++; s += $1; r += $2; if ($1 > m) m = $1} END {printf "%d %d %d\n", s / n, m, r / n}'
}
# shellcheck disable=SC2086
read -r pss pss_max rss < <(mem_of $qemus)
# shellcheck disable=SC2086
read -r rpss _ _ < <(mem_of $relays)

printf '\n%-34s %s\n' "measure" "value"
printf '%-34s %d of %d in %d ms\n' "images ready" "$N" "$N" "$boot_ms"
printf '%-34s %d of %d\n' "answer nfbox stats" "$answered" "$N"
printf '%-34s %s %% of a core (QEMU %s %%, relays %s %%)\n' "idle CPU, all images, ${IDLE} s" \
	"$(pct $((q_ns + r_ns)))" "$(pct "$q_ns")" "$(pct "$r_ns")"
printf '%-34s %s %% of a core\n' "idle CPU per image" "$(pct $(((q_ns + r_ns) / N)))"
printf '%-34s %s %% of a core\n' "  busiest thread per image" "$(pct $((q_top_ns / N)))"
printf '%-34s %d KiB (max %d), RSS %d KiB\n' "QEMU PSS per image" "$pss" "$pss_max" "$rss"
printf '%-34s %d KiB\n' "nfbox run relay PSS per image" "$rpss"
csv=$OUT/density.csv
[ -s "$csv" ] || echo "date,accel,images,boot_ms,answered,idle_s,idle_pct_all,idle_pct_qemu,idle_pct_relays,pss_kib,pss_max_kib,rss_kib,relay_pss_kib" >"$csv"
echo "$(date -Is),$accel,$N,$boot_ms,$answered,$IDLE,$(pct $((q_ns + r_ns))),$(pct "$q_ns"),$(pct "$r_ns"),$pss,$pss_max,$rss,$rpss" >>"$csv"

# ---- 5. wake latency -------------------------------------------------------------------------
wcsv=$OUT/wake_latency.csv
[ -s "$wcsv" ] || echo "label,count,gap_ms,back,p50_us,p90_us,p99_us,max_us" >"$wcsv"
echo
echo "== wake latency: one 64 B frame every 10 ms through one fwd image (taps), $WAKE_COUNT frames"
for t in "$(tap 0 a)" "$(tap 0 b)"; do sysctl -qw "net.ipv6.conf.$t.disable_ipv6=1" 2>/dev/null; done
sleep 2
"$WAKE" --in "$(tap 0 a)" --out "$(tap 0 b)" --count "$WAKE_COUNT" \
	--label "halting, $N images up" --csv "$wcsv"
stop_all
"$NFBOX" run "$IMG" --mem "$MEM" --name dpoll --log "$WORK/dpoll.log" --pin 1 \
	--append nfbox.idle_us=1000000000 --net tap:nfdpolla --net tap:nfdpollb </dev/null >"$WORK/dpoll.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 300); do grep -q "ready in" "$WORK/dpoll.log" 2>/dev/null && break; sleep 0.1; done
for t in nfdpolla nfdpollb; do sysctl -qw "net.ipv6.conf.$t.disable_ipv6=1" 2>/dev/null; done
sleep 2
"$WAKE" --in nfdpolla --out nfdpollb --count "$WAKE_COUNT" --label "polling, alone, core 1" --csv "$wcsv"
echo "   CSV: $csv, $wcsv"
