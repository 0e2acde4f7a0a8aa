#!/bin/bash
# tests/fuzz/long.sh [--seconds N] [TARGET...] - `make fuzz-long FUZZ_S=N`:
# every libFuzzer target (or the ones named, e.g. fuzz_control) for N
# seconds each (default 3600), one after the other (two cores: the other
# one stays for the machine), and a table of what each did:
#
#   target        seconds  execs  execs/s  cov  ft  corpus  peak MiB  crashes
#
# cov/ft are libFuzzer's edge and feature coverage at the end.  The corpus
# of each target grows in build/fuzz/corpus-long/NAME across runs (seeded
# from tests/fuzz/corpus/NAME), so a second run starts where the first
# ended.  A crash, leak or sanitizer report fails the run; its reproducer
# is kept in build/fuzz/crashes/.  CSV: build/fuzz/long.csv (appended, one
# row per target and run, with the date and the host's CPU).
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
secs=3600
targets=()
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) targets+=("$1"); shift ;;
	esac
done
if [ ${#targets[@]} = 0 ]; then
	for b in "$B"/fuzz/bin/fuzz_*; do [ -x "$b" ] && targets+=("$(basename "$b")"); done
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz-long: no targets in $B/fuzz/bin (make fuzz-bins)" >&2; exit 2; }
mkdir -p "$B/fuzz/corpus-long" "$B/fuzz/crashes"
csv=$B/fuzz/long.csv
[ -s "$csv" ] || echo "date,cpu,target,seconds,execs,execs_per_s,cov,ft,corpus,peak_rss_mb,crashes" >"$csv"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1 | tr ',' ' ')
log=$(mktemp)
trap 'rm -f "$log"' EXIT
bad=0
printf '%-16s %8s %12s %9s %6s %7s %7s %9s %8s\n' target seconds execs execs/s cov ft corpus "peak MiB" crashes
for name in "${targets[@]}"; do
	bin=$B/fuzz/bin/$name
	if [ ! -x "$bin" ]; then
		echo "fuzz-long: no $bin" >&2
		bad=1
		continue
	fi
	corpus=$B/fuzz/corpus-long/$name
	mkdir -p "$corpus"
	seeds=tests/fuzz/corpus/${name#fuzz_}
	args=("$corpus")
	[ -d "$seeds" ] && args+=("$seeds")
	t0=$(date +%s)
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$B/fuzz/crashes/$name-" "${args[@]}" >"$log" 2>&1
	rc=$?
	t1=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: //p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: //p' "$log" | tail -1)
	rss=$(sed -n 's/^stat::peak_rss_mb: //p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	files=$(find "$corpus" -type f | wc -l)
	crashes=0
	if [ $rc != 0 ]; then
		crashes=1
		bad=1
	fi
	printf '%-16s %8s %12s %9s %6s %7s %7s %9s %8s\n' "$name" $((t1 - t0)) "${execs:-?}" "${rate:-?}" \
		"${cov:-?}" "${ft:-?}" "$files" "${rss:-?}" "$crashes"
	echo "$(date -u +%F),$cpu,$name,$((t1 - t0)),${execs:-},${rate:-},${cov:-},${ft:-},$files,${rss:-},$crashes" >>"$csv"
	if [ $rc != 0 ]; then
		grep -m1 -A20 'ERROR\|runtime error' "$log" | sed 's/^/    | /'
		ls "$B/fuzz/crashes/$name"-* 2>/dev/null | sed 's/^/    reproducer: /'
	fi
done
echo "CSV: $csv"
exit $bad
