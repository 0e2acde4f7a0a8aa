#!/bin/bash
# tests/vhost/nf.sh nat|lb - the NAT or LB image over vhost-user against
# what `nfbox replay` makes of the same config and inputs, with a reload in
# the middle that must keep every session.
#
# Image: `nfbox build FUNC --config tests/vhost/FUNC.conf`; inputs:
# tests/vhost/mknfpcaps.py FUNC (what each phase holds is described there);
# the phases and how image and testpmd are wired: tests/vhost/phased.sh.
# After phase 1 (the sessions are open) `nfbox reload` sends
# tests/vhost/FUNC-reload.conf (NAT: longer timeouts; LB: one more web
# backend, which would take a share of the connections if affinity were
# lost); replay runs the first config throughout, so the outputs are equal
# only if the reload kept every session and every backend choice.
#
# Tests: FUNC-inputs (replay's output has the frames mknfpcaps says must
# come out: the inputs test what they mean to), FUNC-reload (the image
# answered "reload ok"), FUNC-golden (each port's output equals replay's,
# frame for frame), FUNC-counters (the counters the image prints at exit
# equal replay's, but for those the reloaded config changes by design).
#
# Prints PASS/FAIL/SKIP lines and the suite line; exit 1 on failure.
# Called by tests/vhost/run.sh; runs alone too.  KEEP=1 keeps the work dir.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
NFBOX=${NFBOX:-$B/nfbox}
TIMEOUT_READY=${TIMEOUT_READY:-120}
export LC_ALL=C
F=${1:-}
case $F in
nat) RE='^(port[0-9]|nat|loop)' SHOW='^nat\.(sessions_created|hairpinned|icmp_errors_in|translated_in) '
	IGNORE='^$' ;;
lb) RE='^(port[0-9]|lb|loop)' SHOW='^lb\.(connections_created|to_servers|to_clients) '
	IGNORE='^lb\.backends |^lb_backend\.web_10\.0\.1\.3_' ;; # the backend the reload adds
*) echo "usage: tests/vhost/nf.sh nat|lb" >&2; exit 2 ;;
esac

SUITE=vhost
. tests/lib/report.sh

. tests/lib/testpmd.sh
. tests/vhost/phased.sh
phased_init "$F" || finish
PHASED_TEST=$F-golden
if ! "$NFBOX" build "$F" --config "tests/vhost/$F.conf" -o "$D/$F.img" >"$D/build.log" 2>&1; then
	ko "$F-golden" "nfbox build $F failed: $(tr '\n' ' ' <"$D/build.log")"
	finish
fi
/usr/bin/python3 tests/vhost/mknfpcaps.py "$F" "$D" 2>"$D/mk.err" ||
	{ ko "$F-golden" "cannot make pcaps: $(tail -n 2 "$D/mk.err")"; finish; }
phased_expect "$F" "tests/vhost/$F.conf" || finish

# ---- FUNC-inputs: replay lets through what the inputs mean to -----------------
short=""
while read -r n port frames; do
	if [ "$port" = 0 ]; then got=${want0[n - 1]}; else got=${want1[n - 1]}; fi
	[ "$got" = "$frames" ] || short="$short phase $n port $port: $got of $frames;"
done <"$D/counts"
if [ -n "$short" ]; then
	ko "$F-inputs" "replay's output is not what the inputs expect:$short"
else
	ok "$F-inputs" "$(awk '{n += $3} END {print n}' "$D/counts") frames out of replay as mknfpcaps expects"
fi

# ---- the image, with a reload after phase 1 -----------------------------------
reload_after_1() {
	[ "$1" = 1 ] || return 0
	if "$NFBOX" reload "v$F" "tests/vhost/$F-reload.conf" >"$D/reload.out" 2>&1 &&
		grep -q 'reload ok' "$D/reload.out"; then
		ok "$F-reload" "$(grep -o 'reload ok.*' "$D/reload.out" | head -n 1)"
	else
		ko "$F-reload" "$(tr '\n' ' ' <"$D/reload.out")"
	fi
}
phased_start "$D/$F.img" "v$F" || finish
phased_feed reload_after_1 || finish
phased_stop
phased_golden "$F-golden" "reloaded after phase 1"
phased_counters "$F-counters" "$RE" "$SHOW" "$IGNORE"
finish
