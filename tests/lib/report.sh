# shellcheck shell=bash
# tests/lib/report.sh - the lines every test suite prints, sourced by each
# tests/*/run.sh after it sets SUITE (image, vhost, chain, ...):
#
#   ok NAME [DETAIL]      PASS SUITE/NAME (DETAIL)
#   ko NAME WHY           FAIL SUITE/NAME: WHY
#   sk NAME WHY           SKIP SUITE/NAME: WHY  -- something installable is
#                         missing; WHY names the Debian package.  test.sh
#                         counts it as a failure where nothing may skip
#                         (as root on Debian 12, what CI is).
#   sk_host NAME WHY      SKIP SUITE/NAME: WHY [host] -- the host lacks
#                         hardware no package brings (/dev/kvm); test.sh
#                         lists these but does not fail on them.
#   finish                "suite SUITE: N passed, M failed, K skipped",
#                         then exits 1 if anything failed.  test.sh looks
#                         for this line from every suite it expects: a
#                         suite that died before it is a failure.
#
# Counters are plain globals (pass, fail, skip) so that a suite may fold in
# the lines of a sub-script it runs (report_fold FILE).

pass=0 fail=0 skip=0
ok() { echo "PASS $SUITE/$1${2:+ ($2)}"; pass=$((pass + 1)); }
ko() { echo "FAIL $SUITE/$1${2:+: $2}"; fail=$((fail + 1)); }
sk() { echo "SKIP $SUITE/$1: $2"; skip=$((skip + 1)); }
sk_host() { echo "SKIP $SUITE/$1: $2 [host]"; skip=$((skip + 1)); }
finish() {
	echo "suite $SUITE: $pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
	exit
}

# report_fold FILE: echo FILE's PASS/FAIL/SKIP lines and count them here.
# Returns 1 if FILE has no suite line (the sub-script ended early).
report_fold() {
	local line
	while IFS= read -r line; do
		case $line in
		"PASS "*) echo "$line"; pass=$((pass + 1)) ;;
		"FAIL "*) echo "$line"; fail=$((fail + 1)) ;;
		"SKIP "*) echo "$line"; skip=$((skip + 1)) ;;
		esac
	done <"$1"
	grep -q '^suite [a-z]*: [0-9]* passed, [0-9]* failed, [0-9]* skipped$' "$1"
}

# have_kvm: /dev/kvm can be opened read-write.
have_kvm() { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }
