#!/bin/bash
# tests/image/run.sh - boot real images under QEMU and check what they say.
#
#   boot-microvm   fwd image boots, prints "ready", stops cleanly on SIGTERM
#                  to nfbox run (which types "quit": counters, exit 0)
#   boot-q35       the same on q35 (SeaBIOS, virtio-pci machine)
#   boot-mem16     the same with --mem 16
#   boot-microvm-pcie  the same on microvm with PCIe (--machine microvm-pcie)
#   boot-nat       the nat image with config/examples/nat.conf baked in boots
#   queue-size-bad --queue-size 300 is refused (exit 2, says what it takes)
#   boot-lb        the lb image with config/examples/lb.conf baked in boots
#                  and stops cleanly
#   boot-tcg       the same without KVM (only when KVM is there too)
#   lb-backend-down, -again, -unknown, -reload, -up   that lb image under
#                  `nfbox run --name`: `nfbox lb NAME backend ADDR down`
#                  answers, `nfbox stats` shows it down; down again is
#                  fine; an unknown address is an error naming it; a
#                  reload keeps it down; up brings it back (counters too)
#   lb-not-supported  `nfbox lb` to a fwd image: "not supported by this
#                  function", exit 1
#   lb-timeout, stats-timeout, reload-timeout   `nfbox lb`, `stats` and
#                  `reload` to a console that never answers give up after
#                  their timeout with a clear error
#   libvirt-*      `nfbox export libvirt`: errors, domains virt-xml-validate
#                  accepts, one run by a private libvirtd (tests/image/libvirt.sh)
#   stats-10k-rules  a firewall image with 10,000 rules: `nfbox stats` gets
#                  all 10,001 rule counters (the image streams them)
#   metrics        `nfbox metrics --listen 127.0.0.1:0` over that lb image
#                  and a target that is not running: curl gets /metrics
#                  (nfbox_up 1 and 0, a backend set down shows as
#                  nfbox_lb_backend_admin_up 0), promtool check metrics
#                  finds nothing to say, other paths 404, SIGTERM exits 0
#   config-fwcfg   a config handed over by nfbox run is the one used
#   config-baked   a config with an include, flattened and baked in by build
#   bad-config-host   nfbox build refuses a bad config with FILE:LINE:COL
#   bad-config-image  the image itself refuses it (run --no-check): the
#                  message is FILE:LINE:COL and the exit status 1
#   crash          a function that faults: exception, registers and a
#                  backtrace with symbol names; exit status 3
#   wx-map         nfbox.selftest=wx-map (kernel/selftest.c): every page of
#                  the image, the stack guards, page tables and heap as
#                  kernel/mm.c lays them out, none writable and executable
#   wx-text, wx-rodata, nx-data, nx-heap, nx-stack, stack-guard, canary
#                  the other selftests: writing text or rodata, calling into
#                  data, heap or stack, overflowing the stack into its guard
#                  page, overrunning a stack canary each fault (exit status
#                  3) with the expected report at the announced address; a
#                  selftest that does not fault fails
#   canary-rdrand-off, wx-map-nx-off   QEMU -cpu without RDRAND: the canary
#                  comes from the TSC and still catches the overrun; without
#                  NX: the image boots, says so, and wx-map fails (exit 4)
#   tap-microvm, tap-q35, tap-microvm-pcie   two tap NICs that do not exist
#                  yet: nfbox run creates them, the image finds both
#                  (virtio-mmio, virtio-pci, virtio-pci over microvm's PCIe
#                  host), and they are gone after it stops (root only)
#   ring1024-mem16, ring1024-pcie   two taps with --queue-size 1024 (--mem 16;
#                  microvm-pcie): 1024-entry rings (virtio-pci over tap: TX
#                  256, QEMU's limit), a pool that fills them, and each port
#                  wakes the CPU by an interrupt (root only)
#   reload-bad     firewall image, console reload (nfbox reload PID) of a config
#                  only the image can refuse (sent as is, no host check):
#                  FILE:LINE:COL and "reload rejected", rules unchanged
#   reload-cut     a transfer whose client closes the control socket half-way
#                  changes nothing; the next transfer drops it
#   reload-corrupt a transfer with one bit flipped is refused by its CRC32
#   reload-verdict the same image between two taps: flow A to port 80 opened,
#                  then a reload without port 80: A's data still passes, a new
#                  SYN to port 80 is dropped, one to 443 passes (root, scapy)
#   flows-match-replay  a firewall image between two taps gets a TCP
#                  handshake, UDP and ICMP frames: `nfbox flows` shows the
#                  flows `nfbox replay --dump-flows` of the same frames
#                  shows (timing columns aside), in text and JSON; --limit
#                  and --match cut it; fwd answers it keeps no flows
#   flows-20k      20,000 UDP flows into that image: `nfbox flows` gets
#                  every one, in many console rounds (root, scapy)
#   capture-rx     that firewall image between two taps: `nfbox capture
#                  --port inside --dir rx --count 40` while 40 UDP frames go
#                  in (and 40 into outside): tshark reads 40 frames, byte for
#                  byte the ones sent (tests/image/capture_send.py)
#   capture-tx-drop  `--port outside --dir tx,drop --count 80`: the 40
#                  forwarded frames (outbound) and the 40 the policy drops,
#                  each commented "drop: firewall:policy", bytes as sent
#   reload-large   a firewall image (--mem 256) reloads a config with a
#                  720,000-entry set (8.7 MB, past the old 8 MiB cap; with
#                  RELOAD_LARGE=1 the 1M-entry set, 12.5 MB;
#                  RELOAD_LARGE_ENTRIES to change): "reload ok", the new
#                  rules in force.  Slow under TCG (the serial console moves
#                  ~60 KB/s: ~2.5 min, ~4.5 min with RELOAD_LARGE=1)
#   reload-nomem   the same config into an image with --mem 16: refused at
#                  "reload begin" (no memory), nothing sent, rules unchanged
#   capture-errors an unknown port names the ports; a second capture while
#                  one runs is refused; a target that is not running, a
#                  missing -w and a bad --dir are clear errors
#   expiry-idle    a firewall image with a 2 s UDP timeout, between two taps:
#                  a UDP flow opens, then nothing arrives for 4 s; the image
#                  halts, its timer wakes it for the expiry (idle.wake_timer
#                  grows, firewall.flows_expired is 1), and the flow's next
#                  reply is treated as new: dropped (root, scapy)
#
# One line per test, then "N passed, M failed"; exit status 1 on any
# failure.  KVM where /dev/kvm is usable, TCG otherwise (nfbox run decides).
# Every QEMU started here is stopped on exit, also on failure.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
NFBOX=${NFBOX:-}
export NFBOX_LIBDIR=$B/image
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nfbox-imgtest.XXXXXX")
PIDS=()
TIMEOUT=${TIMEOUT:-60}

cleanup() {
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.5
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		pkill -KILL -P "$p" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SUITE=image
. tests/lib/report.sh

# NFBOX: an nfbox binary to test instead of building $B/nfbox.
targets="image-objs"
[ -z "$NFBOX" ] && NFBOX=$B/nfbox && targets="$NFBOX image-objs"
if ! make -s -j2 $targets >"$WORK/make.log" 2>&1; then
	ko build "make $targets failed: $(tail -3 "$WORK/make.log" | tr '\n' ' ')"
	finish
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
	sk boot "needs qemu-system-x86_64 (Debian: qemu-system-x86)"
	finish
fi
KVM=0
[ -r /dev/kvm ] && [ -w /dev/kvm ] && KVM=1

build() { # NF OUT [build args...]
	local nf=$1 out=$2
	shift 2
	"$NFBOX" build "$nf" -o "$out" "$@" >"$out.build.log" 2>&1
}

# wait_for FILE PATTERN PID: until FILE matches, PID dies or TIMEOUT.
wait_for() {
	local t=0
	until grep -q -- "$2" "$1" 2>/dev/null; do
		kill -0 "$3" 2>/dev/null || return 1
		t=$((t + 1))
		[ $t -gt $((TIMEOUT * 10)) ] && return 1
		sleep 0.1
	done
}

# wait_exit PID: its exit status (after at most TIMEOUT s; 124 if it hangs).
wait_exit() {
	local t=0
	while kill -0 "$1" 2>/dev/null; do
		t=$((t + 1))
		if [ $t -gt $((TIMEOUT * 10)) ]; then
			kill -TERM "$1"
			sleep 1
			kill -KILL "$1" 2>/dev/null
			return 124
		fi
		sleep 0.1
	done
	wait "$1"
}

# start_image NAME LOG PATTERN [run args...]: `nfbox run` in the background
# (output in $WORK/NAME.out, pid in PID) until PATTERN is in LOG.  If it
# never comes: ko NAME, stop the image, return 1.
start_image() {
	local name=$1 log=$2 pattern=$3
	shift 3
	"$NFBOX" run "$@" --log "$log" </dev/null >"$WORK/$name.out" 2>&1 &
	PID=$!
	PIDS+=("$PID")
	wait_for "$log" "$pattern" "$PID" && return 0
	ko "$name" "no '$pattern' line: $(tail -4 "$log" "$WORK/$name.out" 2>/dev/null | tr '\n' ' ')"
	kill -TERM "$PID" 2>/dev/null
	wait_exit "$PID" >/dev/null
	return 1
}

# stat_of TARGET KEY: the value of counter KEY of a running image.
stat_of() { "$NFBOX" stats "$1" | sed -n "s/^$2 //p"; }

# stop_image PID: SIGTERM, then its exit status as wait_exit gives it.
stop_image() {
	kill -TERM "$1"
	wait_exit "$1"
}

# boot_test NAME IMAGE [run args...]: ready, then SIGTERM -> stats, exit 0.
boot_test() {
	local name=$1 img=$2 log=$WORK/$1.log
	shift 2
	start_image "$name" "$log" "ready in" "$img" "$@" || return 0
	stop_image "$PID"
	local rc=$?
	local ready
	ready=$(grep -o 'ready in [0-9]* us' "$log" | head -1)
	if [ $rc -ne 0 ]; then
		ko "$name" "exit status $rc after SIGTERM, want 0: $(tail -3 "$log" | tr '\n' ' ')"
	elif ! grep -q 'nfbox: stopped' "$log" || ! grep -q '^loop\.' "$log"; then
		ko "$name" "no counters / stop message after SIGTERM"
	else
		ok "$name" "$ready"
	fi
}

build fwd "$WORK/fwd.img" || { ko build-fwd "$(cat "$WORK/fwd.img.build.log")"; finish; }

boot_test boot-microvm "$WORK/fwd.img" --machine microvm
boot_test boot-q35 "$WORK/fwd.img" --machine q35
boot_test boot-mem16 "$WORK/fwd.img" --mem 16
boot_test boot-microvm-pcie "$WORK/fwd.img" --machine microvm-pcie
build nat "$WORK/nat.img" --config config/examples/nat.conf && boot_test boot-nat "$WORK/nat.img" || ko boot-nat "build: $(tr '\n' ' ' <"$WORK/nat.img.build.log")"
build lb "$WORK/lb.img" --config config/examples/lb.conf && boot_test boot-lb "$WORK/lb.img" || ko boot-lb "build: $(tr '\n' ' ' <"$WORK/lb.img.build.log")"
# ---- lb backends down and up over the console ---------------------------------------
# lb_admin: the lb image (config/examples/lb.conf) under a name.
lb_admin() {
	local name=lbt$$ log=$WORK/lbadm.log out err st
	start_image lb-backend-down "$log" "ready in" "$WORK/lb.img" --name "$name" || return 0
	local pid=$PID
	out=$("$NFBOX" lb "$name" backend 10.0.1.2:8080 down 2>&1)
	local rc=$?
	st=$("$NFBOX" stats "$name")
	if [ $rc -ne 0 ] || [ "$out" != "backend 10.0.1.2:8080 down (vip web: was up)" ]; then
		ko lb-backend-down "exit $rc: $out"
	elif ! grep -qx "lb_backend.web_10.0.1.2_8080_admin down" <<<"$st" ||
		! grep -qx "lb.backends_down 1" <<<"$st" || ! grep -qx "lb.backend_state_changes 1" <<<"$st"; then
		ko lb-backend-down "stats: $(grep -E '_admin|backends_down|state_changes' <<<"$st" | tr '\n' ' ')"
	else
		ok lb-backend-down "$out"
	fi
	out=$("$NFBOX" lb "$name" backend 10.0.1.2 down 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && grep -q "already down" <<<"$out" &&
		[ "$(stat_of "$name" lb.backend_state_changes)" = 1 ]; then
		ok lb-backend-again "$out"
	else
		ko lb-backend-again "exit $rc: $out"
	fi
	err=$("$NFBOX" lb "$name" backend 10.9.9.9 up 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 1 ] && grep -q "no backend 10.9.9.9 in the running config" <<<"$err"; then
		ok lb-backend-unknown "$err"
	else
		ko lb-backend-unknown "exit $rc: $err"
	fi
	out=$("$NFBOX" reload "$name" config/examples/lb.conf 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ "$(stat_of "$name" lb_backend.web_10.0.1.2_8080_admin)" = down ]; then
		ok lb-backend-reload "still down after: $out"
	else
		ko lb-backend-reload "exit $rc: $out; admin $(stat_of "$name" lb_backend.web_10.0.1.2_8080_admin)"
	fi
	out=$("$NFBOX" lb "$name" backend 10.0.1.2:8080 up 2>&1)
	rc=$?
	st=$("$NFBOX" stats "$name")
	if [ $rc -eq 0 ] && grep -qx "lb_backend.web_10.0.1.2_8080_admin up" <<<"$st" &&
		grep -qx "lb.backend_state_changes 2" <<<"$st" && grep -qx "lb.backends_down 0" <<<"$st"; then
		ok lb-backend-up "$out"
	else
		ko lb-backend-up "exit $rc: $out; $(grep -E '10.0.1.2_8080_admin|state_changes' <<<"$st" | tr '\n' ' ')"
	fi
	stop_image "$pid" >/dev/null

	start_image lb-not-supported "$WORK/lbns.log" "ready in" "$WORK/fwd.img" --name "$name" || return 0
	pid=$PID
	err=$("$NFBOX" lb "$name" backend 10.0.1.2 down 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 1 ] && grep -q "not supported by this function" <<<"$err"; then
		ok lb-not-supported "$err"
	else
		ko lb-not-supported "exit $rc: $err"
	fi
	stop_image "$pid" >/dev/null
}
# lb_timeout: a control socket that takes the request and never answers.
lb_timeout() {
	local sock=$WORK/wedged.sock err rc t0 t1
	# A console that takes every connection and never says a word.
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(4)
held = []
while True:
    c, _ = s.accept()
    held.append(c)' "$sock" &
	local pid=$!
	PIDS+=("$pid")
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	wedged() { # NAME WANT-SECONDS CMD...: exit 1 with "no answer" within WANT + 2 s
		local name=$1 want=$2 ms
		shift 2
		t0=$(date +%s%N)
		err=$("$@" 2>&1 >/dev/null)
		rc=$?
		t1=$(date +%s%N)
		ms=$(((t1 - t0) / 1000000))
		if [ $rc -eq 1 ] && grep -q "no answer from the image's console in $want" <<<"$err" &&
			[ $ms -lt $(((${want%.*} + 2) * 1000)) ]; then
			ok "$name" "after $ms ms: $err"
		else
			ko "$name" "exit $rc after $ms ms: $err"
		fi
	}
	wedged lb-timeout 1.0 "$NFBOX" lb "$sock" backend 10.0.1.2 down --timeout 1
	wedged stats-timeout 1.0 "$NFBOX" stats "$sock" --timeout 1
	wedged reload-timeout 3.0 "$NFBOX" reload "$sock" config/examples/lb.conf
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
# ---- a Prometheus exporter over a running image ------------------------------------
metrics_test() {
	local name=mt$$ log=$WORK/metrics.log bad="" url code
	if ! command -v curl >/dev/null || ! command -v promtool >/dev/null; then
		sk metrics "needs curl (Debian: curl) and promtool (Debian: prometheus)"
		return 0
	fi
	start_image metrics "$log" "ready in" "$WORK/lb.img" --name "$name" || return 0
	local vm=$PID
	"$NFBOX" metrics --listen 127.0.0.1:0 "$name" "gone$$" 2>"$WORK/metrics.err" &
	local mp=$!
	PIDS+=("$mp")
	for _ in $(seq 50); do grep -q "serving http" "$WORK/metrics.err" && break; sleep 0.1; done
	url=$(grep -o 'http://[^ ]*' "$WORK/metrics.err" | head -1)
	if [ -z "$url" ]; then
		ko metrics "no 'serving' line: $(head -2 "$WORK/metrics.err" | tr '\n' ' ')"
		kill -TERM "$mp" 2>/dev/null
		stop_image "$vm" >/dev/null
		return 0
	fi
	"$NFBOX" lb "$name" backend 10.0.1.2:8080 down >/dev/null 2>&1 || bad="$bad nfbox lb failed;"
	code=$(curl -s -o "$WORK/metrics.txt" -w '%{http_code}' "$url")
	[ "$code" = 200 ] || bad="$bad GET /metrics: HTTP $code;"
	for want in "nfbox_up{target=\"$name\"} 1" "nfbox_up{target=\"gone$$\"} 0" \
		"nfbox_lb_backend_admin_up{target=\"$name\",function=\"lb\",vip=\"web\",address=\"10.0.1.2\",port=\"8080\"} 0" \
		"nfbox_lb_backend_admin_up{target=\"$name\",function=\"lb\",vip=\"web\",address=\"10.0.1.1\",port=\"8080\"} 1" \
		"nfbox_lb_backend_state_changes_total{target=\"$name\",function=\"lb\"} 1" \
		"# TYPE nfbox_lb_drops_total counter"; do
		grep -qxF "$want" "$WORK/metrics.txt" || bad="$bad no '$want';"
	done
	local lint
	lint=$(promtool check metrics <"$WORK/metrics.txt" 2>&1) || bad="$bad promtool: $(head -3 <<<"$lint" | tr '\n' ' ');"
	[ -z "$lint" ] || bad="$bad promtool says: $(head -3 <<<"$lint" | tr '\n' ' ');"
	code=$(curl -s -o /dev/null -w '%{http_code}' "${url%/metrics}/nope")
	[ "$code" = 404 ] || bad="$bad GET /nope: HTTP $code;"
	local n
	n=$(grep -c '^nfbox_' "$WORK/metrics.txt")
	kill -TERM "$mp"
	wait_exit "$mp" >/dev/null
	local rc=$?
	[ $rc = 0 ] || bad="$bad exit $rc after SIGTERM;"
	stop_image "$vm" >/dev/null
	if [ -n "$bad" ]; then ko metrics "$bad"; else
		ok metrics "$n samples from $url, promtool clean, unreachable target nfbox_up 0"
	fi
}
# ---- counters that never truncate ---------------------------------------------------
# stats_10k: a firewall with 10,000 rules answers `nfbox stats` with every
# rule's counters (streamed through the image's 4 KiB buffer).
stats_10k() {
	local name=st$$ log=$WORK/st10k.log conf=$WORK/fw10k.conf
	build firewall "$WORK/fw10k.img" || { ko stats-10k-rules "build: $(tr '\n' ' ' <"$WORK/fw10k.img.build.log")"; return 0; }
	{
		printf 'port 0 name inside\nport 1 name outside\ndefault drop\n'
		seq 0 9999 | awk '{ printf "accept proto tcp dport %d src 10.%d.%d.0/24\n", 1000 + $1, int($1 / 256), $1 % 256 }'
	} >"$conf"
	start_image stats-10k-rules "$log" "ready in" "$WORK/fw10k.img" --config "$conf" --mem 128 \
		--name "$name" || return 0
	local pid=$PID t0 t1 n
	t0=$(date +%s.%N)
	"$NFBOX" stats "$name" >"$WORK/st10k.stats" 2>"$WORK/st10k.err"
	local rc=$?
	t1=$(date +%s.%N)
	n=$(grep -c '^firewall_rules\.\(rule[0-9]*\|default\)_packets ' "$WORK/st10k.stats")
	stop_image "$pid" >/dev/null
	if [ $rc != 0 ]; then
		ko stats-10k-rules "nfbox stats: $(head -1 "$WORK/st10k.err")"
	elif [ "$n" != 10001 ] || ! grep -q "^firewall_rules.rule10000_at $conf:10003$" "$WORK/st10k.stats" ||
		! grep -qx "firewall.rules 10000" "$WORK/st10k.stats" || grep -q "truncated" "$log"; then
		ko stats-10k-rules "$n of 10001 rule counters; $(grep -c . "$WORK/st10k.stats") lines; $(grep -c truncated "$log") truncation messages"
	else
		ok stats-10k-rules "$n rule counters, $(wc -c <"$WORK/st10k.stats") bytes in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }')"
	fi
}
if [ -f "$WORK/lb.img" ]; then
	export NFBOX_RUN_DIR=$WORK/run
	stats_10k
	lb_admin
	lb_timeout
	metrics_test
	unset NFBOX_RUN_DIR
else
	for t in lb-backend-down lb-backend-again lb-backend-unknown lb-backend-reload lb-backend-up \
		lb-not-supported lb-timeout stats-timeout reload-timeout metrics stats-10k-rules; do
		ko "$t" "no lb image (see boot-lb)"
	done
fi

queue_size_bad() {
	"$NFBOX" run "$WORK/fwd.img" --queue-size 300 --dry-run >"$WORK/qsb.out" 2>&1
	local rc=$?
	if [ $rc -eq 2 ] && grep -q "queue-size is 256, 512 or 1024" "$WORK/qsb.out"; then
		ok queue-size-bad "$(head -1 "$WORK/qsb.out")"
	else
		ko queue-size-bad "exit $rc: $(head -2 "$WORK/qsb.out" | tr '\n' ' ')"
	fi
}
queue_size_bad
if [ $KVM = 1 ]; then
	NFBOX_NO_KVM=1 boot_test boot-tcg "$WORK/fwd.img"
fi

# ---- configs -------------------------------------------------------------------
printf 'port 0 name inside\nport 1 name outside\n' >"$WORK/good.conf"
boot_test config-fwcfg "$WORK/fwd.img" --config "$WORK/good.conf"
if grep -q "config $WORK/good.conf (fw_cfg" "$WORK/config-fwcfg.log" 2>/dev/null; then :; else
	[ -f "$WORK/config-fwcfg.log" ] && ko config-fwcfg-used "the image did not report the fw_cfg config"
fi

printf 'port 1 name outside\n' >"$WORK/ports.conf"
printf 'port 0 name inside\ninclude "ports.conf"\n' >"$WORK/inc.conf"
if build fwd "$WORK/inc.img" --config "$WORK/inc.conf"; then
	boot_test config-baked "$WORK/inc.img"
	if [ -f "$WORK/config-baked.log" ] &&
		! grep -q "config $WORK/inc.conf (built in" "$WORK/config-baked.log"; then
		ko config-baked-used "the image did not report the baked config"
	fi
else
	ko config-baked "build failed: $(tr '\n' ' ' <"$WORK/inc.img.build.log")"
fi

printf 'port 0 name inside\nport 1 name "unterminated\n' >"$WORK/bad.conf"
if build fwd "$WORK/bad.img" --config "$WORK/bad.conf"; then
	ko bad-config-host "nfbox build accepted a bad config"
elif grep -Eq "^$WORK/bad.conf:2:[0-9]+: " "$WORK/bad.img.build.log"; then
	ok bad-config-host "$(grep -Eo "bad.conf:2:[0-9]+: .*" "$WORK/bad.img.build.log" | head -1)"
else
	ko bad-config-host "no FILE:LINE:COL message: $(tr '\n' ' ' <"$WORK/bad.img.build.log")"
fi

"$NFBOX" run "$WORK/fwd.img" --config "$WORK/bad.conf" --no-check --log "$WORK/badimg.log" \
	</dev/null >"$WORK/badimg.out" 2>&1 &
pid=$!
PIDS+=("$pid")
wait_exit $pid
rc=$?
if [ $rc -ne 1 ]; then
	ko bad-config-image "exit status $rc, want 1: $(tail -3 "$WORK/badimg.log" | tr '\n' ' ')"
elif ! grep -Eq "^$WORK/bad.conf:2:[0-9]+: " "$WORK/badimg.log"; then
	ko bad-config-image "no FILE:LINE:COL line on the console: $(tr '\n' ' ' <"$WORK/badimg.log")"
else
	ok bad-config-image "$(grep -Eo "bad.conf:2:[0-9]+: .*" "$WORK/badimg.log" | head -1)"
fi

# ---- a crash ----------------------------------------------------------------------
if build "$B/image/test/nf/crash.o" "$WORK/crash.img"; then
	"$NFBOX" run "$WORK/crash.img" --log "$WORK/crash.log" </dev/null >"$WORK/crash.out" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_exit $pid
	rc=$?
	missing=""
	for want in "CPU exception 14: page fault" "page fault at 0x7e0000000000" "RIP 0x[0-9a-f]* nf_crash_level3+" \
		"RAX 0x" "R15 0x" "backtrace:" "nf_crash_level1+" "crash_configure+" "k_app_main+"; do
		grep -q -- "$want" "$WORK/crash.log" || missing="$missing '$want'"
	done
	if [ $rc -ne 3 ]; then
		ko crash "exit status $rc, want 3: $(tail -3 "$WORK/crash.log" | tr '\n' ' ')"
	elif [ -n "$missing" ]; then
		ko crash "console lacks:$missing"
	else
		ok crash "$(grep -c '^  #' "$WORK/crash.log") frames, symbolized"
	fi
else
	ko crash "build failed: $(tr '\n' ' ' <"$WORK/crash.img.build.log")"
fi

# ---- the image's own defences (kernel/selftest.c) ----------------------------------
# selftest NAME RC PATTERN...: fwd.img booted with nfbox.selftest=NAME ends
# with exit status RC and every PATTERN (grep -E) on its console; @ADDR in
# a pattern stands for the address the selftest announced it would touch,
# so the fault must be that one.  A selftest that comes back ("DID NOT
# FAULT", exit 4) fails.
selftest() {
	local name=$1 want=$2 label=$1
	shift 2
	[ -n "${ST_CPU:-}" ] && label="$name-${ST_CPU%%=*}-off"
	local log=$WORK/st-$label.log
	if [ -n "${ST_CPU:-}" ]; then
		# ST_CPU: a CPU without a feature: nfbox run's QEMU command with
		# ",$ST_CPU" added to -cpu (its -append value is the line's tail).
		local line pre app
		line=$("$NFBOX" run "$WORK/fwd.img" --append "nfbox.selftest=$name" --dry-run 2>/dev/null | tail -1)
		pre=${line% -append *}
		app=${line##* -append }
		# shellcheck disable=SC2086 # the command's words, no spaces inside
		$(sed "s/ -cpu \([^ ]*\)/ -cpu \1,$ST_CPU/" <<<"$pre") -append "$app" </dev/null >"$log" 2>&1 &
	else
		"$NFBOX" run "$WORK/fwd.img" --append "nfbox.selftest=$name" --log "$log" \
			</dev/null >"$WORK/st-$name.out" 2>&1 &
	fi
	local pid=$!
	PIDS+=("$pid")
	wait_exit $pid
	local rc=$? addr missing="" p
	# QEMU's own status without nfbox run: isa-debug-exit's (code << 1) | 1.
	[ -n "${ST_CPU:-}" ] && [ $((rc & 1)) = 1 ] && rc=$((rc >> 1))
	if [ -z "${NFBOX_NO_KVM:-}" ] && grep -q "no stack of their own under kvm_pvm" "$log"; then
		# kvm_pvm gets no TSS (kernel/cpu.c): prove the image's mechanism under TCG.
		NFBOX_NO_KVM=1 selftest "$name" "$want" "$@"
		return
	fi
	addr=$(sed -n "s/^nfbox: selftest $name: .* at \(0x[0-9a-f]*\) .*must fault$/\1/p" "$log" | head -1)
	for p in "$@"; do
		p=${p//@ADDR/${addr:-NO-ADDRESS-ANNOUNCED}}
		grep -Eq -- "$p" "$log" || missing="$missing '$p'"
	done
	if grep -q "DID NOT FAULT" "$log"; then
		ko "$label" "$(grep "DID NOT FAULT" "$log")"
	elif [ $rc -ne "$want" ]; then
		ko "$label" "exit status $rc, want $want: $(grep -E 'selftest|exception|page fault|PANIC' "$log" | tail -3 | tr '\n' ' ')"
	elif [ -n "$missing" ]; then
		ko "$label" "console lacks:$missing"
	else
		ok "$label" "$(grep -m1 -E '^page fault at|^PANIC|leaf entries' "$log")"
	fi
}
if [ -f "$WORK/fwd.img" ]; then
	selftest wx-map 0 "text R-X .* ok$" "rodata R-- .* ok$" "stack guard .* ok$" "heap RW- .* ok$" \
		", 0 writable and executable$" "wx-map: passed"
	selftest wx-text 3 "^page fault at @ADDR: protection violation, write, .*: text" "^backtrace:" "k_selftest\+"
	selftest wx-rodata 3 "^page fault at @ADDR: protection violation, write, .*: rodata"
	selftest nx-data 3 "^page fault at @ADDR: protection violation, instruction fetch, .*: data/bss" \
		"^  #1 .* k_selftest\+"
	selftest nx-heap 3 "^page fault at @ADDR: protection violation, instruction fetch, .*: the heap"
	selftest nx-stack 3 "^page fault at @ADDR: protection violation, instruction fetch, .*: the kernel stack"
	selftest canary 3 "canary from (RDRAND|RDTSC)" "^PANIC: stack smashing detected" \
		"__stack_chk_fail\+" "st_canary\+" "k_start\+"
	# The fault lands in the guard page, is reported from IST1, and the
	# backtrace walks the recursion back to k_start (kvm_pvm: under TCG).
	# Without RDRAND the canary comes from the TSC; without NX the image
	# boots (entry.S strips the then-reserved bit), says so, and wx-map fails.
	# (TCG: what a hypervisor makes of a hidden NX is not the image's code.)
	NFBOX_NO_KVM=1 ST_CPU=rdrand=off selftest canary 3 "canary from RDTSC" "^PANIC: stack smashing detected"
	NFBOX_NO_KVM=1 ST_CPU=nx=off selftest wx-map 4 "^nfbox: this CPU has no NX" "no NX on this CPU" "wx-map: FAILED"
	selftest stack-guard 3 \
		"^page fault at 0x[0-9a-f]+: page not present, write, .*: the kernel stack's guard page: kernel stack overflow" \
		"st_recurse\+" "the same [0-9]+ more times" "k_start\+"
fi

# ---- tap NICs -------------------------------------------------------------------
# tap_test NAME MACHINE TRANSPORT: taps created, both NICs probed, taps removed.
tap_test() {
	local name=$1 machine=$2 transport=$3 log=$WORK/$1.log
	local t0=nfbt$$a t1=nfbt$$b
	start_image "$name" "$log" "ready in" "$WORK/fwd.img" --machine "$machine" \
		--net "tap:$t0" --net "tap:$t1" || return 0
	local made=0
	[ -e "/sys/class/net/$t0" ] && [ -e "/sys/class/net/$t1" ] && made=1
	stop_image "$PID"
	local rc=$? nics
	nics=$(grep -c "^vnet[0-9]: $transport" "$log")
	if [ $rc -ne 0 ]; then
		ko "$name" "exit status $rc"
	elif [ $made = 0 ]; then
		ko "$name" "the taps did not exist while the image ran"
	elif [ -e "/sys/class/net/$t0" ] || [ -e "/sys/class/net/$t1" ]; then
		ko "$name" "taps left behind"
		ip link del "$t0" 2>/dev/null
		ip link del "$t1" 2>/dev/null
	elif [ "$nics" != 2 ]; then
		ko "$name" "the image found $nics $transport NICs, want 2: $(grep -i 'vnet\|virtio' "$log" | tr '\n' ' ')"
	else
		ok "$name" "2 $transport NICs, taps created and removed"
	fi
}
# ring_test NAME RX/TX [run args...]: two taps, --queue-size 1024: both ports
# have RX/TX-entry rings, the pool fills them (no "would fill" warning), and
# each port has an interrupt ("irq ...": the idle halt is woken by packets).
ring_test() {
	local name=$1 want=$2 log=$WORK/$1.log t0=nfbq$$a t1=nfbq$$b
	shift 2
	start_image "$name" "$log" "nfbox: fwd: " "$WORK/fwd.img" --queue-size 1024 \
		--net "tap:$t0" --net "tap:$t1" "$@" || return 0
	stop_image "$PID"
	local rc=$? rings irqs
	rings=$(grep -c "^vnet[01]: .* queues $want " "$log")
	irqs=$(grep -c "^vnet[01]: .* irq " "$log")
	if [ $rc -ne 0 ]; then
		ko "$name" "exit status $rc: $(tail -3 "$log" | tr '\n' ' ')"
	elif [ "$rings" != 2 ]; then
		ko "$name" "want two ports with $want rings: $(grep '^vnet' "$log" | tr '\n' ' ')"
	elif grep -q "would fill the rings" "$log"; then
		ko "$name" "pool too small: $(grep 'would fill' "$log")"
	elif [ "$irqs" != 2 ]; then
		ko "$name" "a port without interrupt: $(grep '^vnet' "$log" | tr '\n' ' ')"
	else
		ok "$name" "$(grep -o '[0-9]* packet buffers' "$log"); $(grep -o 'irq [a-z0-9 -]*' "$log" | paste -sd, -)"
	fi
}
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] && command -v ip >/dev/null; then
	tap_test tap-microvm microvm virtio-mmio
	tap_test tap-q35 q35 virtio-pci
	tap_test tap-microvm-pcie microvm-pcie virtio-pci
	ring_test ring1024-mem16 1024/1024 --mem 16
	ring_test ring1024-pcie 1024/256 --machine microvm-pcie
else
	for t in tap-microvm tap-q35 tap-microvm-pcie ring1024-mem16 ring1024-pcie; do
		sk "$t" "needs root, /dev/net/tun and ip(8) (Debian: iproute2)"
	done
fi

# ---- gdb on a running image (nfbox run --gdb) ------------------------------------------
# gdb_test: the image waits for gdb before its first instruction; gdb, fed
# IMAGE.sym, stops in the function's configure step (boot), then on its
# packet path when a frame comes in on tap 0, with names, arguments and
# source lines; detached, the image runs on and stops cleanly.
gdb_test() {
	local name=gdb-break out=$WORK/gdb-break.out log=$WORK/gdb.log t0=nfbg$$a t1=nfbg$$b port
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$NFBOX" run "$WORK/fwd.img" --net "tap:$t0" --net "tap:$t1" --gdb "$port" --gdb-wait \
		--log "$log" </dev/null >"$out" 2>&1 &
	local pid=$! t=0
	PIDS+=("$pid")
	until ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; do
		t=$((t + 1))
		if [ $t -gt $((TIMEOUT * 10)) ] || ! kill -0 "$pid" 2>/dev/null; then
			ko "$name" "no gdb stub on port $port: $(tr '\n' ' ' <"$out")"
			return
		fi
		sleep 0.1
	done
	# gdb-errors: the port taken, --gdb-wait alone, port 0.
	local e1 e2 e3 r1 r2 r3
	e1=$("$NFBOX" run "$WORK/fwd.img" --gdb "$port" 2>&1 </dev/null); r1=$?
	e2=$("$NFBOX" run "$WORK/fwd.img" --gdb-wait 2>&1 </dev/null); r2=$?
	e3=$("$NFBOX" run "$WORK/fwd.img" --gdb 0 2>&1 </dev/null); r3=$?
	if [ $r1 = 1 ] && grep -q "cannot listen on 127.0.0.1:$port: Address already in use" <<<"$e1" &&
		[ $r2 = 2 ] && grep -q -- "--gdb-wait needs --gdb PORT" <<<"$e2" && [ $r3 = 2 ] && grep -q -- "--gdb" <<<"$e3"; then
		ok gdb-errors "port taken, --gdb-wait alone and port 0 refused"
	else
		ko gdb-errors "rc $r1/$r2/$r3: $e1 | $e2 | $e3"
	fi
	# Frames into tap 0 every 0.2 s once the image is up, until gdb is done.
	(wait_for "$log" "ready in" "$pid" || exit
	 for t in $t0 $t1; do ip link set "$t" up; sysctl -qw "net.ipv6.conf.$t.disable_ipv6=1"; done
	 exec /usr/bin/python3 -c '
import sys, time
from scapy.all import Ether, IP, UDP, sendp
f = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1, dport=2)
while True:
    sendp(f, iface=sys.argv[1], verbose=False)
    time.sleep(0.2)' "$t0") >/dev/null 2>&1 &
	local sender=$!
	PIDS+=("$sender")
	local g
	g=$(timeout "$TIMEOUT" gdb -q -batch -nx "$WORK/fwd.img.sym" -ex "target remote 127.0.0.1:$port" \
		-ex 'break fwd_configure' -ex continue -ex bt -ex delete -ex 'break fwd_process' -ex continue \
		-ex 'print b->port' -ex 'print b->n > 0' -ex detach 2>&1)
	local grc=$?
	kill "$sender" 2>/dev/null
	wait_for "$log" "ready in" "$pid"
	stop_image "$pid"
	local rc=$?
	if [ $grc != 0 ]; then
		ko "$name" "gdb rc $grc: $(tail -n 5 <<<"$g" | tr '\n' ' ')"
	elif ! grep -q "^Breakpoint 1, fwd_configure (.*) at nf/fwd/fwd.c:[0-9]*" <<<"$g" || ! grep -q "k_app_main () at image/main.c:" <<<"$g"; then
		ko "$name" "no stop in fwd_configure with its caller: $(head -n 8 <<<"$g" | tr '\n' ' ')"
	elif ! grep -Eq "^Breakpoint 2(\.[0-9]+)?, fwd_process \(st=.*, b=.*\) at nf/fwd/fwd.c:" <<<"$g" ||
		! grep -q '^\$1 = 0$' <<<"$g" || ! grep -q '^\$2 = 1$' <<<"$g"; then
		ko "$name" "no stop in fwd_process for a frame on port 0: $(grep -A3 'Breakpoint 2' <<<"$g" | tr '\n' ' ')"
	elif [ $rc != 0 ] || ! grep -q '^loop\.' "$log"; then
		ko "$name" "after detach: exit status $rc, $(tail -n 3 "$log" | tr '\n' ' ')"
	else
		ok "$name" "stopped in fwd_configure at boot and in fwd_process on a frame; ran on after detach"
	fi
}
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] && command -v ip >/dev/null && command -v gdb >/dev/null &&
	/usr/bin/python3 -c 'import scapy' 2>/dev/null; then
	gdb_test
else
	for t in gdb-errors gdb-break; do
		sk "$t" "needs root, /dev/net/tun, gdb and /usr/bin/python3 with scapy (Debian: gdb iproute2 python3-scapy)"
	done
fi

# ---- a bootable disk (nfbox build --format raw) ----------------------------------------
# raw_disk_test: raw-build: an MBR (boot signature, a partition) and the
# symbols file; raw-errors: what does not fit a disk is refused; raw-boot:
# SeaBIOS boots it on q35 (GRUB, Multiboot), with the command line from the
# disk (nfbox.pool=2048) and the config through fw_cfg, and it forwards 20
# frames each way between two taps.
raw_disk_test() {
	local disk=$WORK/fwd.raw t0=nfbd$$a t1=nfbd$$b log=$WORK/raw.log sock=$WORK/raw.sock
	if ! "$NFBOX" build fwd --format raw --append nfbox.pool=2048 -o "$disk" >"$WORK/raw.build.log" 2>&1; then
		ko raw-build "$(tr '\n' ' ' <"$WORK/raw.build.log")"
		return
	fi
	local sig ptype
	sig=$(od -An -tx1 -j510 -N2 "$disk" | tr -d ' ')
	ptype=$(od -An -tx1 -j450 -N1 "$disk" | tr -d ' ')
	if [ "$sig" = 55aa ] && [ "$ptype" != 00 ] && [ -s "$disk.sym" ] && grep -q "fwd disk (raw, GRUB)" "$WORK/raw.build.log"; then
		ok raw-build "$(cat "$WORK/raw.build.log"): MBR signature 55aa, partition type 0x$ptype, $(basename "$disk").sym"
	else
		ko raw-build "MBR signature '$sig', partition 1 type '$ptype', sym $(ls -s "$disk.sym" 2>&1): $(cat "$WORK/raw.build.log")"
	fi
	local e1 e2 e3 e4 e5 r1 r2 r3 r4 r5
	e1=$("$NFBOX" build fwd --append nfbox.pool=1 -o "$WORK/x.img" 2>&1); r1=$?
	e2=$("$NFBOX" build fwd --format raw --append 'nfbox.pool=1;reboot' -o "$WORK/x.raw" 2>&1); r2=$?
	e3=$("$NFBOX" run "$disk" --machine microvm 2>&1 </dev/null); r3=$?
	e4=$("$NFBOX" run "$disk" --append nfbox.pool=1 2>&1 </dev/null); r4=$?
	e5=$("$NFBOX" export libvirt "$disk" --name raw 2>&1); r5=$?
	if [ $r1 = 2 ] && grep -q -- "--append is for --format raw" <<<"$e1" && [ $r2 = 1 ] && grep -q "only letters" <<<"$e2" &&
		[ ! -e "$WORK/x.raw" ] && [ $r3 = 2 ] && grep -q "boots through the BIOS on --machine q35" <<<"$e3" &&
		[ $r4 = 2 ] && grep -q "its kernel command line is the one" <<<"$e4" && [ $r5 = 2 ] &&
		grep -q "export the ELF image" <<<"$e5"; then
		ok raw-errors "--append without raw, a bad command line, microvm, --append on a disk and exporting a disk refused"
	else
		ko raw-errors "rc $r1/$r2/$r3/$r4/$r5: $e1 | $e2 | $e3 | $e4 | $e5"
	fi
	# The taps made here, quiet (no IPv6) before the image sees them.
	for t in $t0 $t1; do
		ip tuntap add dev "$t" mode tap
		sysctl -qw "net.ipv6.conf.$t.disable_ipv6=1" 2>/dev/null
		ip link set "$t" up
	done
	start_image raw-boot "$log" "ready in" "$disk" --config config/examples/fwd.conf --mem 32 \
		--net "tap:$t0" --net "tap:$t1" --control "$sock" || { ip link del "$t0"; ip link del "$t1"; return; }
	local pid=$PID why=""
	grep -q "fwd: 2 ports, 2048 packet buffers" "$log" || why="no '2 ports, 2048 packet buffers': $(grep 'fwd:' "$log");"
	mkdir -p "$WORK/rawio"
	/usr/bin/python3 tests/vhost/mkpcaps.py "$WORK/rawio" 20
	/usr/bin/python3 tests/vhost/tapio.py "$t0" "$t1" "$WORK/rawio" >"$WORK/rawio.log" 2>&1
	local r
	r=$(/usr/bin/python3 tests/vhost/pcap_same.py "$WORK/rawio/in0.pcap" "$WORK/rawio/out1.pcap" 2>&1) || why="$why west->east: $r;"
	r=$(/usr/bin/python3 tests/vhost/pcap_same.py "$WORK/rawio/in1.pcap" "$WORK/rawio/out0.pcap" 2>&1) || why="$why east->west: $r;"
	local st
	st=$("$NFBOX" stats "$sock" 2>&1)
	grep -qx "port0.name west" <<<"$st" && grep -qx "port0.rx_pkts 20" <<<"$st" ||
		why="$why stats: $(grep -E '^port[01]\.(name|rx_pkts)' <<<"$st" | tr '\n' ' ');"
	stop_image "$pid"
	local rc=$?
	ip link del "$t0"
	ip link del "$t1"
	[ $rc = 0 ] || why="$why exit status $rc;"
	if [ -z "$why" ]; then
		ok raw-boot "SeaBIOS + GRUB on q35, $(grep -o 'ready in [0-9]* us' "$log" | head -1) after the loader; nfbox.pool=2048 from the disk; 20 frames each way; ports west/east from fw_cfg"
	else
		ko raw-boot "$why $(tail -n 3 "$log" | tr '\n' ' ')"
	fi
}
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] && command -v ip >/dev/null && command -v grub-mkrescue >/dev/null &&
	/usr/bin/python3 -c 'import scapy' 2>/dev/null; then
	raw_disk_test
else
	for t in raw-build raw-errors raw-boot; do
		sk "$t" "needs root, /dev/net/tun, grub-mkrescue and /usr/bin/python3 with scapy (Debian: grub-common grub-pc-bin xorriso iproute2 python3-scapy)"
	done
fi

# ---- reload over the console --------------------------------------------------------
# reload_verdict: a firewall between two taps, reloaded while flow A is open.
reload_verdict() {
	local name=reload-verdict log=$WORK/rv.log fifo=$WORK/rv.ctl t0=nfbr$$a t1=nfbr$$b
	cp config/examples/firewall.conf config/examples/bogons.txt "$WORK/"
	sed 's/dport { 22 80 443 8000-8080 }/dport { 22 443 8000-8080 }/' "$WORK/firewall.conf" >"$WORK/no80.conf"
	if ! build firewall "$WORK/fw.img"; then
		ko "$name" "build failed: $(tr '\n' ' ' <"$WORK/fw.img.build.log")"
		return
	fi
	mkfifo "$fifo"
	"$NFBOX" run "$WORK/fw.img" --config "$WORK/firewall.conf" --net "tap:$t0" --net "tap:$t1" \
		--log "$log" --control "$WORK/rv.sock" <>"$fifo" >"$WORK/rv.out" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	if ! wait_for "$log" "ready in" "$pid"; then
		ko "$name" "no ready line: $(tail -4 "$log" "$WORK/rv.out" 2>/dev/null | tr '\n' ' ')"
		return
	fi
	for t in $t0 $t1; do
		ip link set "$t" up
		sysctl -qw "net.ipv6.conf.$t.disable_ipv6=1" 2>/dev/null
	done
	# reload-bad: the host would refuse it, so type it into the console ourselves.
	local before after
	before=$("$NFBOX" stats "$pid" | grep '^firewall_rules.rule3_at ')
	printf 'port 0 name inside\nport 1 name outside\nacept proto udp\n' >"$WORK/rbad.conf"
	/usr/bin/python3 - "$WORK/rbad.conf" >"$fifo" <<'PYEOF'
import base64, sys, zlib
name = sys.argv[1].encode()
blob = name + b"\0" + open(sys.argv[1], "rb").read()
print(f"\nreload begin {len(blob)} {zlib.crc32(blob):08x}")
for i in range(0, len(blob), 36):
    print("reload data " + base64.b64encode(blob[i:i + 36]).decode())
print("reload end", flush=True)
PYEOF
	wait_for "$log" "reload rejected" "$pid"
	after=$("$NFBOX" stats "$pid" | grep '^firewall_rules.rule3_at ')
	if grep -Eq "^$WORK/rbad.conf:3:1: " "$log" && grep -q "nfbox: reload rejected" "$log" &&
		[ -n "$before" ] && [ "$before" = "$after" ]; then
		ok reload-bad "$(grep -Eo "rbad.conf:3:1: .*" "$log" | head -1); still ${after#* }"
	else
		ko reload-bad "$(grep -E 'rbad.conf|reload' "$log" | tr '\n' ' ') rules '$before' -> '$after'"
	fi

	# reload-cut, reload-corrupt: a transfer whose client goes away half-way
	# (the control socket closed after half the data lines), and a whole
	# one whose bytes do not match its CRC32: neither changes the rules;
	# the verdicts below show the image still forwards, and its later
	# good reload shows the cut transfer left nothing stuck.
	local cut
	cut=$(/usr/bin/python3 - "$WORK/rv.sock" "$WORK/no80.conf" <<'PYEOF'
import base64, socket, sys, time, zlib
sys.path.insert(0, "tests/chain")
from ctlsock import ask
blob = sys.argv[2].encode() + b"\0" + open(sys.argv[2], "rb").read()
lines = ["reload data " + base64.b64encode(blob[i:i + 36]).decode() for i in range(0, len(blob), 36)]
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(("\nreload begin %d %08x\n" % (len(blob), zlib.crc32(blob)) + "\n".join(lines[:len(lines) // 2]) + "\n").encode())
time.sleep(0.3)
s.close()  # half-way: the rest never comes
bad = bytearray(blob)
bad[len(bad) // 2] ^= 0x20  # one bit flipped, CRC of the original
req = "\nreload begin %d %08x\n" % (len(bad), zlib.crc32(blob))
req += "".join("reload data " + base64.b64encode(bytes(bad[i:i + 36])).decode() + "\n" for i in range(0, len(bad), 36))
req += "reload end\nend c0rrupt\n"
out = ask(sys.argv[1], req, "c0rrupt", 10).decode(errors="replace")
print("dropped" if "previous transfer" in out else "not-dropped", "crc" if "CRC32" in out and "rejected" in out else "no-crc:" + out[-200:].replace("\n", " "))
PYEOF
)
	after=$("$NFBOX" stats "$pid" | grep '^firewall_rules.rule3_at ')
	if [ "$before" = "$after" ] && [ "${cut%% *}" = dropped ]; then
		ok reload-cut "client gone after half the data: rules unchanged (${after#* }), the next transfer drops it"
	else
		ko reload-cut "rules '$before' -> '$after'; $cut"
	fi
	if [ "$before" = "$after" ] && [ "${cut#* }" = crc ]; then
		ok reload-corrupt "one bit flipped: $(grep -o 'CRC32 [0-9a-f]*, announced [0-9a-f]*' "$log" | tail -1), rejected, rules unchanged"
	else
		ko reload-corrupt "rules '$before' -> '$after'; $cut; $(grep 'reload' "$log" | tail -2 | tr '\n' ' ')"
	fi

	# control-long-line: a line too long for the image is ignored whole, not
	# run as its first 63 characters (an "end" with a cut nonce).
	local xs
	xs=$(printf 'x%.0s' $(seq 100))
	printf '\nend %s\nend review-ll-done\n' "$xs" >"$fifo"
	wait_for "$log" "end review-ll-done" "$pid"
	if grep -q "control line longer than 63 characters is ignored" "$log" &&
		! grep -q "^end xxxx" "$log"; then
		ok control-long-line "ignored"
	else
		ko control-long-line "$(grep -E '^end |control line' "$log" | tr '\n' ' ' | cut -c1-200)"
	fi

	local open after_r
	open=$(/usr/bin/python3 tests/image/fw_verdict.py "$t0" "$t1" open 2>"$WORK/rv.py.err")
	if ! "$NFBOX" reload "$pid" "$WORK/no80.conf" >"$WORK/rv.reload" 2>&1; then
		ko "$name" "reload failed: $(tr '\n' ' ' <"$WORK/rv.reload")"
		return
	fi
	after_r=$(/usr/bin/python3 tests/image/fw_verdict.py "$t0" "$t1" after 2>>"$WORK/rv.py.err")
	if [ "$open" != "A-syn:pass A-synack:pass A-ack:pass" ]; then
		ko "$name" "before the reload: $open $(tail -2 "$WORK/rv.py.err" | tr '\n' ' ')"
	elif [ "$after_r" != "A-data:pass B-syn:drop C-syn:pass" ]; then
		ko "$name" "after the reload: $after_r (want A-data:pass B-syn:drop C-syn:pass)"
	else
		ok "$name" "$(grep -o 'reload ok.*' "$WORK/rv.reload"); $after_r"
	fi
	kill -TERM "$pid"
	wait_exit "$pid" >/dev/null
}
# ---- timers while halted -------------------------------------------------------------
expiry_idle() {
	local name=expiry-idle log=$WORK/ei.log t0=nfbe$$a t1=nfbe$$b
	sed 's/udp 300/udp 2/' config/examples/firewall.conf >"$WORK/ei.conf"
	cp config/examples/bogons.txt "$WORK/"
	"$NFBOX" run "$WORK/fw.img" --config "$WORK/ei.conf" --net "tap:$t0" --net "tap:$t1" \
		--log "$log" --control "$WORK/ei.sock" </dev/null >"$WORK/ei.out" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	if ! wait_for "$log" "ready in" "$pid"; then
		ko "$name" "no ready line: $(tail -4 "$log" "$WORK/ei.out" 2>/dev/null | tr '\n' ' ')"
		return
	fi
	for t in $t0 $t1; do
		ip link set "$t" up
		sysctl -qw "net.ipv6.conf.$t.disable_ipv6=1" 2>/dev/null
	done
	local open late w0 w1 expired flows
	open=$(/usr/bin/python3 tests/image/fw_verdict.py "$t0" "$t1" udp-open 2>"$WORK/ei.py.err")
	w0=$(stat_of "$pid" idle.wake_timer)
	sleep 4
	w1=$(stat_of "$pid" idle.wake_timer)
	expired=$(stat_of "$pid" firewall.flows_expired)
	flows=$(stat_of "$pid" firewall.flows)
	late=$(/usr/bin/python3 tests/image/fw_verdict.py "$t0" "$t1" udp-late 2>>"$WORK/ei.py.err")
	if [ "$open" != "U-req:pass U-rep:pass" ]; then
		ko "$name" "opening the flow: $open $(tail -2 "$WORK/ei.py.err" | tr '\n' ' ')"
	elif [ -z "$w0" ] || [ -z "$w1" ] || [ "$w1" -le "$w0" ]; then
		ko "$name" "no timer wake-up while idle (idle.wake_timer '$w0' -> '$w1')"
	elif [ "$expired" != 1 ] || [ "$flows" != 0 ]; then
		ko "$name" "after 4 s idle: firewall.flows_expired '$expired', firewall.flows '$flows' (want 1, 0)"
	elif [ "$late" != "U-rep:drop" ]; then
		ko "$name" "the reply after the expiry: $late (want U-rep:drop)"
	else
		ok "$name" "timer wake-ups $w0 -> $w1 while idle, flow expired, late reply dropped"
	fi
	kill -TERM "$pid"
	wait_exit "$pid" >/dev/null
}
# ---- live flow tables ------------------------------------------------------------------
# flows_untimed FILE: a flow table without its two timing columns, sorted.
flows_untimed() { awk 'NR > 1 { NF -= 2; print }' "$1" | sort; }
# flows_image NAME TAP CONF MODE [N]: the firewall image between taps TAPa
# and TAPb, named NAME$$, fed flows_send.py's frames (pid in FPID).
flows_image() {
	local name=$1 conf=$3 mode=$4 n=${5:-} log=$WORK/$1.log t0=$2$$a t1=$2$$b
	start_image "$name" "$log" "ready in" "$WORK/fw.img" --config "$conf" --mem 128 \
		--net "tap:$t0" --net "tap:$t1" --name "$name$$" || return 1
	FPID=$PID
	for t in $t0 $t1; do
		ip link set "$t" up
		sysctl -qw "net.ipv6.conf.$t.disable_ipv6=1" 2>/dev/null
	done
	mkdir -p "$WORK/$name.in"
	if ! /usr/bin/python3 tests/image/flows_send.py "$t0" "$t1" "$WORK/$name.in" "$mode" $n \
		>/dev/null 2>"$WORK/$name.py.err"; then
		ko "$name" "flows_send.py: $(tail -2 "$WORK/$name.py.err" | tr '\n' ' ')"
		stop_image "$FPID" >/dev/null
		return 1
	fi
}
flows_test() {
	local conf=$WORK/flows.conf a b
	printf 'port 0 name inside\nport 1 name outside\ndefault drop\naccept from inside proto tcp\naccept from inside proto udp\naccept proto icmp\n' >"$conf"
	if [ ! -f "$WORK/fw.img" ] && ! build firewall "$WORK/fw.img"; then
		ko flows-match-replay "build failed: $(tr '\n' ' ' <"$WORK/fw.img.build.log")"
		return
	fi
	if flows_image flows-match-replay nff "$conf" few; then
		local nm=flows-match-replay$$ bad=""
		"$NFBOX" flows "$nm" >"$WORK/img.flows" 2>"$WORK/img.err" || bad="$bad nfbox flows: $(head -1 "$WORK/img.err");"
		"$NFBOX" flows "$nm" --json >"$WORK/img.json" 2>>"$WORK/img.err" || bad="$bad --json failed;"
		"$NFBOX" flows "$nm" --limit 2 >"$WORK/img.lim" 2>>"$WORK/img.err"
		"$NFBOX" flows "$nm" --match 'proto udp and state replied' >"$WORK/img.match" 2>>"$WORK/img.err"
		"$NFBOX" flows "$nm" --match 'proto udp or' >/dev/null 2>"$WORK/img.badmatch"
		local brc=$?
		stop_image "$FPID" >/dev/null
		"$NFBOX" replay firewall --config "$conf" --in 0="$WORK/flows-match-replay.in/in0.pcap" \
			--in 1="$WORK/flows-match-replay.in/in1.pcap" --dump-flows="$WORK/host.flows" >/dev/null 2>&1 ||
			bad="$bad replay failed;"
		a=$(flows_untimed "$WORK/img.flows")
		b=$(flows_untimed "$WORK/host.flows")
		[ -n "$a" ] && [ "$a" = "$b" ] || bad="$bad image [$(tr '\n' '|' <<<"$a")] replay [$(tr '\n' '|' <<<"$b")];"
		[ "$(grep -c . <<<"$a")" = 4 ] || bad="$bad want 4 flows;"
		/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d) == 4 and all("expires_ms" in f and "age_ms" in f for f in d)' "$WORK/img.json" 2>/dev/null ||
			bad="$bad JSON: $(head -c 200 "$WORK/img.json");"
		[ "$(($(wc -l <"$WORK/img.lim") - 1))" = 2 ] || bad="$bad --limit 2 gave $(($(wc -l <"$WORK/img.lim") - 1));"
		grep -q 'udp *replied *10.0.0.1:5000 -> 10.0.0.53:53' "$WORK/img.match" && [ "$(wc -l <"$WORK/img.match")" = 2 ] ||
			bad="$bad --match: $(tr '\n' '|' <"$WORK/img.match");"
		[ $brc = 2 ] && grep -q "column 11: want 'and' between terms, not 'or'" "$WORK/img.badmatch" ||
			bad="$bad bad --match: rc $brc $(cat "$WORK/img.badmatch");"
		if [ -n "$bad" ]; then ko flows-match-replay "$bad"; else
			ok flows-match-replay "4 flows as the replay has them; JSON, --limit, --match"
		fi
	fi
	if flows_image flows-20k nfg "$conf" many 20000; then
		local t0s t1s n u
		t0s=$(date +%s.%N)
		"$NFBOX" flows "flows-20k$$" --timeout 10 >"$WORK/20k.flows" 2>"$WORK/20k.err"
		local rc=$?
		t1s=$(date +%s.%N)
		local got
		got=$(stat_of "flows-20k$$" firewall.flows)
		stop_image "$FPID" >/dev/null
		n=$(($(wc -l <"$WORK/20k.flows") - 1))
		u=$(awk 'NR > 1 { print $3 }' "$WORK/20k.flows" | sort -u | wc -l)
		if [ $rc != 0 ]; then
			ko flows-20k "nfbox flows: $(head -1 "$WORK/20k.err")"
		elif [ "$n" != "${got:-x}" ] || [ "$u" != "$n" ] || [ "$n" -lt 19000 ]; then
			ko flows-20k "$n flows shown ($u distinct), firewall.flows ${got:-?}"
		else
			ok flows-20k "$n flows (all of firewall.flows) in $(awk -v a="$t0s" -v b="$t1s" 'BEGIN { printf "%.1f s", b - a }'), $(wc -c <"$WORK/20k.flows") bytes"
		fi
	fi
}
# ---- nfbox capture ---------------------------------------------------------------
# hexdump FILE: the frames' bytes as tshark dumps them (no timestamps).
hexdump() { tshark -r "$1" -x 2>/dev/null | grep -E '^[0-9a-f]{4}  '; }
capture_test() {
	local conf=$WORK/flows.conf name=capture$$ log=$WORK/capture.log t0=nfbc$$a t1=nfbc$$b
	local in=$WORK/capture.in bad=""
	mkdir -p "$in"
	start_image capture-rx "$log" "ready in" "$WORK/fw.img" --config "$conf" \
		--net "tap:$t0" --net "tap:$t1" --name "$name" || return
	local pid=$PID
	for t in $t0 $t1; do
		ip link set "$t" up
		sysctl -qw "net.ipv6.conf.$t.disable_ipv6=1" 2>/dev/null
	done
	local s0 s1
	s0=$(date +%s.%N)
	"$NFBOX" capture "$name" --port inside --dir rx --count 40 -w "$WORK/rx.pcapng" \
		>"$WORK/cap-rx.out" 2>&1 &
	local cpid=$!
	PIDS+=("$cpid")
	sleep 1
	# While it runs: a second capture is refused.
	"$NFBOX" capture "$name" --port outside -w "$WORK/busy.pcapng" >"$WORK/cap-busy.out" 2>&1
	local busy_rc=$?
	/usr/bin/python3 tests/image/capture_send.py "$t0" "$t1" "$in" 40 2>"$WORK/cap-send.err"
	wait_exit "$cpid" >/dev/null
	local rx_rc=$?
	s1=$(date +%s.%N)
	if [ $rx_rc != 0 ]; then
		ko capture-rx "exit $rx_rc: $(tr '\n' ' ' <"$WORK/cap-rx.out")"
	elif [ "$(tshark -r "$WORK/rx.pcapng" 2>/dev/null | wc -l)" != 40 ]; then
		ko capture-rx "tshark reads $(tshark -r "$WORK/rx.pcapng" 2>&1 | wc -l) frames, want 40: $(tr '\n' ' ' <"$WORK/cap-rx.out")"
	elif [ "$(hexdump "$WORK/rx.pcapng")" != "$(hexdump "$in/sent.pcap")" ]; then
		ko capture-rx "the frames differ from those sent"
	else
		ok capture-rx "40 frames as sent, $(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.1f s", b - a }'); $(grep -o '[0-9]* lost' "$WORK/cap-rx.out")"
	fi
	"$NFBOX" capture "$name" --port outside --dir tx,drop --count 80 -w "$WORK/txd.pcapng" \
		>"$WORK/cap-txd.out" 2>&1 &
	cpid=$!
	PIDS+=("$cpid")
	sleep 1
	/usr/bin/python3 tests/image/capture_send.py "$t0" "$t1" "$in" 40 2>>"$WORK/cap-send.err"
	wait_exit "$cpid" >/dev/null
	local txd_rc=$?
	local drops tx
	drops=$(tshark -r "$WORK/txd.pcapng" -Y 'frame.comment == "drop: firewall:policy"' 2>/dev/null | wc -l)
	tx=$(tshark -r "$WORK/txd.pcapng" -Y 'frame.packet_flags_direction == 2 && !frame.comment' 2>/dev/null | wc -l)
	if [ $txd_rc != 0 ]; then
		ko capture-tx-drop "exit $txd_rc: $(tr '\n' ' ' <"$WORK/cap-txd.out")"
	elif [ "$drops" != 40 ] || [ "$tx" != 40 ]; then
		ko capture-tx-drop "$tx outbound and $drops 'drop: firewall:policy' frames, want 40 and 40"
	elif [ "$(tshark -r "$WORK/txd.pcapng" -Y 'frame.comment' -w "$WORK/d.pcapng" 2>/dev/null; hexdump "$WORK/d.pcapng")" != "$(hexdump "$in/dropped.pcap")" ] ||
		[ "$(tshark -r "$WORK/txd.pcapng" -Y '!frame.comment' -w "$WORK/t.pcapng" 2>/dev/null; hexdump "$WORK/t.pcapng")" != "$(hexdump "$in/sent.pcap")" ]; then
		ko capture-tx-drop "the frames differ from those sent"
	else
		ok capture-tx-drop "40 forwarded (outbound), 40 dropped with their reason, bytes as sent"
	fi
	# Errors.
	"$NFBOX" capture "$name" --port nope -w "$WORK/x.pcapng" >"$WORK/cap-e1.out" 2>&1
	local e1=$?
	"$NFBOX" capture nosuch$$ --port inside -w "$WORK/x.pcapng" >"$WORK/cap-e2.out" 2>&1
	local e2=$?
	"$NFBOX" capture "$name" --port inside >"$WORK/cap-e3.out" 2>&1
	local e3=$?
	"$NFBOX" capture "$name" --port inside --dir sideways -w "$WORK/x.pcapng" >"$WORK/cap-e4.out" 2>&1
	local e4=$?
	stop_image "$pid" >/dev/null
	[ $busy_rc = 1 ] && grep -q "busy: another capture is running" "$WORK/cap-busy.out" || bad="$bad busy: rc $busy_rc $(cat "$WORK/cap-busy.out");"
	[ $e1 = 1 ] && grep -q "no port 'nope' (ports: inside outside)" "$WORK/cap-e1.out" || bad="$bad unknown port: rc $e1 $(cat "$WORK/cap-e1.out");"
	[ $e2 = 1 ] && grep -q "no image named 'nosuch$$'" "$WORK/cap-e2.out" || bad="$bad not running: rc $e2 $(cat "$WORK/cap-e2.out");"
	[ $e3 = 2 ] && grep -q -- "-w FILE is required" "$WORK/cap-e3.out" || bad="$bad no -w: rc $e3 $(cat "$WORK/cap-e3.out");"
	[ $e4 = 2 ] && grep -q -- "--dir 'sideways'" "$WORK/cap-e4.out" || bad="$bad bad --dir: rc $e4 $(cat "$WORK/cap-e4.out");"
	[ ! -e "$WORK/x.pcapng" ] || bad="$bad a refused capture left its file;"
	if [ -n "$bad" ]; then ko capture-errors "$bad"; else
		ok capture-errors "unknown port, busy, not running, no -w, bad --dir"
	fi
}
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] && command -v ip >/dev/null &&
	/usr/bin/python3 -c 'import scapy' 2>/dev/null; then
	export NFBOX_RUN_DIR=$WORK/run
	flows_test
	if command -v tshark >/dev/null; then capture_test; else
		for t in capture-rx capture-tx-drop capture-errors; do sk "$t" "needs tshark (Debian: tshark)"; done
	fi
	unset NFBOX_RUN_DIR
else
	for t in flows-match-replay flows-20k capture-rx capture-tx-drop capture-errors; do
		sk "$t" "needs root, /dev/net/tun, ip(8) and /usr/bin/python3 with scapy (Debian: iproute2 python3-scapy)"
	done
fi
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] && command -v ip >/dev/null &&
	/usr/bin/python3 -c 'import scapy' 2>/dev/null; then
	reload_verdict
	expiry_idle
else
	for t in reload-bad reload-cut reload-corrupt reload-verdict expiry-idle; do
		sk "$t" "needs root, /dev/net/tun, ip(8) and /usr/bin/python3 with scapy (Debian: iproute2 python3-scapy)"
	done
fi

# ---- reloads past 8 MiB -------------------------------------------------------------
reload_large() {
	# By default a set just past the old 8 MiB cap (~2.5 min under TCG);
	# RELOAD_LARGE=1: the 1M-entry set (~4.5 min).
	local dflt=720000
	[ "${RELOAD_LARGE:-0}" = 1 ] && dflt=1000000
	local n=${RELOAD_LARGE_ENTRIES:-$dflt} conf=$WORK/big.conf
	/usr/bin/python3 -c '
import sys
n = int(sys.argv[1])
with open(sys.argv[2], "w") as f:
    f.write("port 0 name inside\nport 1 name outside\ndefault accept\nset big {\n")
    for i in range(n):
        f.write("10.%d.%d.%d\n" % (i >> 16 & 255, i >> 8 & 255, i & 255))
    f.write("}\ndrop from outside src @big\n")' "$n" "$conf"
	local bytes
	bytes=$(stat -c %s "$conf")
	# reload-nomem: too little memory is refused before anything is sent
	# (the 1M-entry set: 12.5 MB does not fit 16 MiB at all).
	local huge=$WORK/huge.conf
	/usr/bin/python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    f.write("port 0 name inside\nport 1 name outside\ndefault accept\nset big {\n")
    for i in range(1000000):
        f.write("10.%d.%d.%d\n" % (i >> 16 & 255, i >> 8 & 255, i & 255))
    f.write("}\ndrop from outside src @big\n")' "$huge"
	if start_image reload-nomem "$WORK/rn.log" "ready in" "$WORK/fw.img" --config config/examples/firewall.conf \
		--mem 16 --name rnomem$$; then
		local pid=$PID before after out rc
		before=$(stat_of "rnomem$$" firewall.rules)
		out=$("$NFBOX" reload "rnomem$$" "$huge" 2>&1)
		rc=$?
		after=$(stat_of "rnomem$$" firewall.rules)
		stop_image "$pid" >/dev/null
		if [ $rc = 1 ] && grep -q "no memory for [0-9]* bytes of config" <<<"$out" && [ -n "$before" ] && [ "$before" = "$after" ]; then
			ok reload-nomem "refused at once: $(grep -o 'no memory for [0-9]* bytes' <<<"$out"); rules still $after"
		else
			ko reload-nomem "rc $rc: $out; rules '$before' -> '$after'"
		fi
	fi
	start_image reload-large "$WORK/rl.log" "ready in" "$WORK/fw.img" --config config/examples/firewall.conf \
		--mem 256 --name rlarge$$ || return
	local pid=$PID t0 t1 out rc rules
	t0=$(date +%s.%N)
	out=$("$NFBOX" reload "rlarge$$" "$conf" 2>&1)
	rc=$?
	t1=$(date +%s.%N)
	rules=$(stat_of "rlarge$$" firewall.rules)
	stop_image "$pid" >/dev/null
	if [ $rc = 0 ] && grep -qF "reload ok ($conf, $bytes bytes" <<<"$out" && [ "$bytes" -gt 8388608 ] && [ "$rules" = 1 ]; then
		ok reload-large "$n entries, $bytes bytes in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f s", b - a }'): $(grep -o 'received in.*' <<<"$out")"
	else
		ko reload-large "rc $rc: $out; firewall.rules '$rules' (want 1)"
	fi
}
if [ -f "$WORK/fw.img" ]; then
	export NFBOX_RUN_DIR=$WORK/run
	reload_large
	unset NFBOX_RUN_DIR
fi

# ---- nfbox export libvirt, and libvirtd running the domain (tests/image/libvirt.sh) ----
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ]; then
	B="$B" NFBOX="$NFBOX" tests/image/libvirt.sh "$WORK/fwd.img" >"$WORK/libvirt.out" 2>"$WORK/libvirt.err"
	rc=$?
	report_fold "$WORK/libvirt.out" ||
		ko libvirt "tests/image/libvirt.sh ended early (rc $rc): $(tail -n 3 "$WORK/libvirt.err" | tr '\n' ' ')"
else
	for t in libvirt-errors libvirt-valid libvirt-run; do sk "$t" "needs root and /dev/net/tun"; done
fi

finish
