#!/bin/bash
# Golden tests: packets in, exact packets out.
#
# Each tests/golden/cases/NAME/ holds:
#   cmd               the arguments of `nfbox replay` (paths relative to the case)
#   expect-outN.pcap  what port N must send, byte for byte, with timestamps
#   expect-stats      lines that must appear verbatim in the counters (optional)
#   expect-fail       if present: replay must fail and stderr must contain
#                     each of its lines
#   expect-flows      the flow table after the replay (--dump-flows), exactly
# usage: tests/golden/run.sh NFBOX [CASE...]
set -u
NFBOX=$(realpath "$1"); shift
ROOT=$(cd "$(dirname "$0")" && pwd)
CMP="$ROOT/../tools/pcapcmp.py"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
pass=0 fail=0
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=($(ls "$ROOT/cases"))
for c in "${cases[@]}"; do
	dir="$ROOT/cases/$c"
	out="$WORK/$c"; mkdir -p "$out"
	read -r -a args < "$dir/cmd"
	outs=()
	for e in "$dir"/expect-out*.pcap; do
		[ -e "$e" ] || continue
		n=$(basename "$e" .pcap); n=${n#expect-out}
		outs+=(--out "$n=$out/out$n.pcap")
	done
	[ -e "$dir/expect-flows" ] && outs+=(--dump-flows="$out/flows")
	why=""
	(cd "$dir" && "$NFBOX" replay "${args[@]}" "${outs[@]}") >"$out/stdout" 2>"$out/stderr"
	rc=$?
	if [ -e "$dir/expect-fail" ]; then
		[ $rc -ne 0 ] || why="replay succeeded but should have failed"
		while IFS= read -r line; do
			[ -z "$why" ] && ! grep -qF -- "$line" "$out/stderr" && why="stderr lacks: $line"
		done < "$dir/expect-fail"
	elif [ $rc -ne 0 ]; then
		why="replay exited $rc: $(head -3 "$out/stderr")"
	else
		for e in "$dir"/expect-out*.pcap; do
			[ -e "$e" ] || continue
			n=$(basename "$e" .pcap); n=${n#expect-out}
			[ -z "$why" ] && ! d=$(/usr/bin/python3 "$CMP" "$e" "$out/out$n.pcap") && why="port $n: $d"
		done
		if [ -z "$why" ] && [ -e "$dir/expect-flows" ] &&
			! d=$(diff "$dir/expect-flows" "$out/flows" 2>&1); then
			why="flow table differs: $(head -4 <<<"$d" | tr '\n' ' ')"
		fi
		if [ -z "$why" ] && [ -e "$dir/expect-stats" ]; then
			while IFS= read -r line; do
				[ -z "$line" ] && continue
				[ -z "$why" ] && ! grep -qxF -- "$line" "$out/stdout" && why="counters lack: '$line'"
			done < "$dir/expect-stats"
		fi
	fi
	if [ -z "$why" ]; then
		echo "PASS golden/$c"; pass=$((pass + 1))
	else
		echo "FAIL golden/$c: $why"; fail=$((fail + 1))
		sed 's/^/    | /' "$out/stderr" | head -20
	fi
done
echo "suite golden: $pass passed, $fail failed, 0 skipped"
[ $fail -eq 0 ]
