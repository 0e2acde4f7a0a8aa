# tests/lib/testpmd.sh - DPDK processes (testpmd and DPDK programs of ours)
# next to an image: find them, start them pinned, drive testpmd's prompt,
# stop them for sure.  Sourced by tests/vhost/*.sh and bench/image_tput.sh.
#
# Every process started here (or handed to dpdk_track) is recorded in
# DPDK_PIDS; dpdk_stop_all (call it from an EXIT trap) stops each of them
# by pid: SIGTERM, 5 s grace, SIGKILL.  Nothing is ever killed by name.
#
#   dpdk_find                 TESTPMD, PMDS, QEMU; non-zero (and
#                             DPDK_MISSING says which Debian package) if absent
#   dpdk_eal CORE PREFIX PMD...   DPDK_EAL: EAL arguments for one process
#                             whose every lcore is on CORE, no hugepages
#   testpmd_start DIR CORE PREFIX VDEV... [-- TESTPMD-ARGS...]
#                             interactive testpmd, its prompt fed from the
#                             fifo DIR/tp.in (see tp), log DIR/testpmd.log
#   tp CMD...                 type one command at testpmd's prompt
#   testpmd_quit              quit at the prompt, then stop the process
#   dpdk_spawn CORE PREFIX LOG CMD ARGS...   any DPDK program, pinned;
#                             DPDK_PID is its pid
#   dpdk_track PID            stop PID with the rest (e.g. nfbox run)
#   wait_sockets PID SOCK...  until every SOCK exists (10 s) or PID dies
#   count_frames PCAP         frames in a pcap testpmd is writing (0 if
#                             absent; a frame still being written is not)
#   dpdk_stop PID...          stop these (and forget them)
#   dpdk_stop_all             stop everything started here

DPDK_PIDS=""
TP_FD=""
TP_PID=""

dpdk_find() {
	TESTPMD=$(command -v dpdk-testpmd || true)
	PMDS=$(ls -d /usr/lib/x86_64-linux-gnu/dpdk/pmds-* 2>/dev/null | tail -1)
	QEMU=$(command -v qemu-system-x86_64 || true)
	DPDK_MISSING=""
	[ -n "$TESTPMD" ] || DPDK_MISSING="$DPDK_MISSING dpdk-testpmd (Debian: dpdk-dev)"
	[ -n "$PMDS" ] || DPDK_MISSING="$DPDK_MISSING DPDK PMDs (Debian: dpdk-dev)"
	[ -n "$QEMU" ] || DPDK_MISSING="$DPDK_MISSING qemu-system-x86_64 (Debian: qemu-system-x86)"
	[ -z "$DPDK_MISSING" ]
}

# All lcores of the process on one core: the main lcore spins too, and two
# spinning threads on one core is all this machine can give one process.
dpdk_eal() {
	local core=$1 prefix=$2 pmd
	shift 2
	DPDK_EAL=(--lcores "0@$core,1@$core" --no-huge -m 1024 --single-file-segments --no-pci
		--file-prefix "$prefix" -d "$PMDS/librte_mempool_ring.so")
	for pmd in "$@"; do DPDK_EAL+=(-d "$PMDS/librte_net_$pmd.so"); done
}

dpdk_spawn() {
	local core=$1 prefix=$2 log=$3
	shift 3
	taskset -c "$core" "$@" >"$log" 2>&1 &
	DPDK_PID=$!
	DPDK_PIDS="$DPDK_PIDS $DPDK_PID"
}

# The PMDs testpmd loads are the ones its --vdev arguments name.
testpmd_start() {
	local d=$1 core=$2 prefix=$3 pmds=() args=() v
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		v=${1%%,*}
		v=${v%%[0-9]*}
		v=${v#net_}
		[ "$v" = virtio_user ] && v=virtio
		[[ " ${pmds[*]} " == *" $v "* ]] || pmds+=("$v")
		args+=(--vdev "$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	dpdk_eal "$core" "$prefix" "${pmds[@]}"
	rm -f "$d/tp.in"
	mkfifo "$d/tp.in"
	taskset -c "$core" "$TESTPMD" "${DPDK_EAL[@]}" --log-level=user1,info "${args[@]}" \
		-- -i --no-flush-rx --nb-cores=1 "$@" <"$d/tp.in" >"$d/testpmd.log" 2>&1 &
	TP_PID=$!
	DPDK_PIDS="$DPDK_PIDS $TP_PID"
	exec {TP_FD}>"$d/tp.in"
}

dpdk_track() { DPDK_PIDS="$DPDK_PIDS $1"; }

# wait_ready LOG PID: until an image's console LOG has its ready line.
# Returns 1 if PID (its nfbox run) exits first or TIMEOUT_READY seconds
# pass; WAIT_READY_WHY then says which, with the log's last lines.
wait_ready() {
	local log=$1 pid=$2 t=0
	until grep -q ready "$log" 2>/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null; then
			WAIT_READY_WHY="exited before ready: $(tail -n 5 "$log" "$(dirname "$log")/run.log" 2>/dev/null | tr '\n' ' ')"
			return 1
		fi
		if [ $((t += 1)) -gt $((TIMEOUT_READY * 10)) ]; then
			WAIT_READY_WHY="no 'ready' line within ${TIMEOUT_READY}s: $(tail -n 3 "$log" 2>/dev/null | tr '\n' ' ')"
			return 1
		fi
		sleep 0.1
	done
}

tp() { [ -n "$TP_FD" ] && echo "$*" >&"$TP_FD"; }

testpmd_quit() {
	if [ -n "$TP_FD" ]; then
		echo quit >&"$TP_FD" 2>/dev/null
		exec {TP_FD}>&-
		TP_FD=""
		# quit stops the ports and closes the vhost sockets cleanly.
		for _ in $(seq 50); do kill -0 "$TP_PID" 2>/dev/null || break; sleep 0.1; done
	fi
	[ -n "$TP_PID" ] && dpdk_stop "$TP_PID"
	TP_PID=""
}

wait_sockets() {
	local pid=$1 s missing
	shift
	for _ in $(seq 100); do
		missing=0
		for s in "$@"; do [ -S "$s" ] || missing=1; done
		[ $missing = 0 ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

count_frames() {
	/usr/bin/python3 -c '
import sys, os
p = sys.argv[1]
if not os.path.exists(p): print(0); sys.exit()
d = open(p, "rb").read(); o = 24; n = 0
while o + 16 <= len(d):
    c = int.from_bytes(d[o + 8:o + 12], "little"); o += 16 + c
    if o <= len(d): n += 1
print(n)' "$1"
}

dpdk_stop() {
	local p keep=""
	for p in "$@"; do kill "$p" 2>/dev/null; done
	for p in "$@"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for p in $DPDK_PIDS; do [[ " $* " == *" $p "* ]] || keep="$keep $p"; done
	DPDK_PIDS=$keep
}

dpdk_stop_all() {
	if [ -n "$TP_FD" ]; then
		echo quit >&"$TP_FD" 2>/dev/null
		exec {TP_FD}>&-
		TP_FD=""
	fi
	# shellcheck disable=SC2086
	[ -n "$DPDK_PIDS" ] && dpdk_stop $DPDK_PIDS
	TP_PID=""
}
