#!/bin/bash
# Run every libFuzzer target: briefly in `make test` (a smoke test that the
# corpus and some mutations pass the sanitizers), at length with --seconds.
#   tests/fuzz/run.sh [--seconds N]
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SMOKE_SECONDS:-10}
[ "${1:-}" = "--seconds" ] && secs=$2
pass=0 fail=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for bin in build/fuzz/bin/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	seeds=tests/fuzz/corpus/${name#fuzz_}
	mkdir -p "$work/$name"
	# New inputs go to a scratch dir; the committed seeds stay as they are.
	args=("$work/$name")
	[ -d "$seeds" ] && args+=("$seeds")
	if "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/$name-" "${args[@]}" >"$work/$name.log" 2>&1; then
		echo "PASS fuzz/$name ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$name.log" | awk '{print $2}') runs in ${secs}s)"
		pass=$((pass + 1))
	else
		echo "FAIL fuzz/$name"
		grep -A30 'ERROR\|runtime error\|SUMMARY' "$work/$name.log" | head -40 | sed 's/^/    | /'
		for a in "$work/$name"-*; do [ -e "$a" ] && cp "$a" . && echo "    reproducer saved: ./$(basename "$a")"; done
		fail=$((fail + 1))
	fi
done
echo "suite fuzz: $pass passed, $fail failed, 0 skipped"
[ $fail -eq 0 ]
