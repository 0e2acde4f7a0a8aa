#!/bin/bash
# scripts/tally.sh LOG MAKE_RC - the verdict of a test run (test.sh).
#
# LOG holds what `make test` printed: PASS/FAIL/SKIP lines and one
# "suite NAME: N passed, M failed, K skipped" line per suite
# (tests/lib/report.sh).  The run fails when
#   - any test failed;
#   - an expected suite printed no suite line (it died, or never started),
#     or ran no test at all;
#   - in strict mode, a test skipped for something a package would bring.
#     Strict is the default as root on Debian 12 -- where test.sh installed
#     every package, so a skip there is a missing install step -- and
#     NFBOX_TEST_STRICT=0/1 overrides it.  A skip marked [host] (hardware
#     the machine lacks, such as /dev/kvm) is listed, never failed.
# Prints the final "N passed, M failed, K skipped" line; exits 1 on failure.
set -u
log=$1 make_rc=${2:-0}
SUITES=${NFBOX_TEST_SUITES:-unit golden fuzz image vhost chain}

strict=0
if [ "$(id -u)" = 0 ] && grep -q '^12\.' /etc/debian_version 2>/dev/null; then strict=1; fi
strict=${NFBOX_TEST_STRICT:-$strict}

pass=$(grep -c '^PASS ' "$log")
fail=$(grep -c '^FAIL ' "$log")
skip=$(grep -c '^SKIP ' "$log")
problems=0
for s in $SUITES; do
	line=$(grep "^suite $s: " "$log" | tail -1)
	if [ -z "$line" ]; then
		echo "FAIL suite/$s: did not run to its end (no 'suite $s:' line)"
		problems=$((problems + 1))
	elif echo "$line" | grep -q ': 0 passed, 0 failed'; then
		echo "FAIL suite/$s: ran no test ($line)"
		problems=$((problems + 1))
	fi
done
host_skips=$(grep '^SKIP .*\[host\]$' "$log")
pkg_skips=$(grep '^SKIP ' "$log" | grep -v '\[host\]$')
if [ -n "$host_skips" ]; then
	echo "== skipped for hardware this host lacks (no package brings it):"
	echo "$host_skips" | sed 's/^/   /'
fi
if [ -n "$pkg_skips" ]; then
	if [ "$strict" = 1 ]; then
		echo "== skips are failures here (root on Debian 12: test.sh installed every package):"
		echo "$pkg_skips" | sed 's/^SKIP /FAIL /'
		problems=$((problems + $(echo "$pkg_skips" | wc -l)))
	else
		echo "== skipped (not strict: NFBOX_TEST_STRICT=$strict):"
		echo "$pkg_skips" | sed 's/^/   /'
	fi
fi
# make died without any FAIL line: still a failure.
if [ "$make_rc" -ne 0 ] && [ "$fail" -eq 0 ] && [ "$problems" -eq 0 ]; then
	echo "FAIL make: 'make test' exited $make_rc"
	problems=1
fi
fail=$((fail + problems))
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
