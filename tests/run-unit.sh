#!/bin/bash
# Run cmocka unit-test binaries (built with ASan+UBSan); one PASS/FAIL line each.
set -u
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
pass=0 fail=0
for t in "$@"; do
	name=$(basename "$t")
	if out=$("$t" 2>&1); then
		n=$(echo "$out" | sed -n 's/.*PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		echo "PASS unit/$name (${n:-?} tests)"
		pass=$((pass + 1))
	else
		echo "FAIL unit/$name"
		echo "$out" | grep -v '^\[ \(RUN\|  OK\) ' | sed 's/^/    | /' | head -60
		fail=$((fail + 1))
	fi
done
echo "suite unit: $pass passed, $fail failed, 0 skipped"
[ $fail -eq 0 ]
