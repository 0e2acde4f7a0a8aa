#!/bin/bash
# test.sh - install what the tests need (Debian 12, as root), build, and run
# every test: unit (cmocka), golden pcaps, fuzz smoke, image and vhost-user
# tests.  Hosted code runs under ASan+UBSan.  Ends with "N passed, M failed,
# K skipped" (scripts/tally.sh: every expected suite must have run, and as
# root on Debian 12 nothing may skip for want of a package).
set -uo pipefail
cd "$(dirname "$0")"
source scripts/deps.sh
nfbox_install_deps all || exit 1

echo "== build"
if ! make -j2 all >build.log 2>&1; then
	tail -40 build.log
	echo "0 passed, 1 failed"
	exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "== test"
make -k --no-print-directory test 2>&1 | tee "$log"
make_rc=${PIPESTATUS[0]}
scripts/tally.sh "$log" "$make_rc"
