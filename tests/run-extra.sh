#!/bin/bash
# Test suites beyond unit and golden: each tests/*/run.sh that exists
# (image boot, vhost-user forwarding, fuzz smoke, ...).  Each prints
# PASS/FAIL lines and exits non-zero on failure.
set -u
rc=0
for s in tests/fuzz/run.sh tests/image/run.sh tests/vhost/run.sh tests/chain/run.sh; do
	[ -x "$s" ] || continue
	"$s" || rc=1
done
exit $rc
