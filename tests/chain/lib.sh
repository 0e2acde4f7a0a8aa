# shellcheck shell=bash
# tests/chain/lib.sh - sourced by tests/chain/run.sh and fw-nat-lb.sh.
#
# replay_both CHAIN IN IN-REV EXP-FWD EXP-REV PREFIX: one `nfbox chain
# replay` of both directions in lockstep, then what left at the sink and at
# the source compared with the expected pcaps frame for frame.  Returns 0 if
# both are equal; else 1 with the reason in REPLAY_WHY.  Writes
# PREFIX.{fwd,rev}.pcap and PREFIX.log.  NFBOX and PY come from the caller.
replay_both() {
	local chain=$1 in=$2 inrev=$3 expf=$4 expr=$5 p=$6 r1 r2 s1 s2
	REPLAY_WHY=""
	if ! "$NFBOX" chain replay "$chain" --in "$in" --in-rev "$inrev" \
		--out "$p.fwd.pcap" --out-rev "$p.rev.pcap" >"$p.log" 2>&1; then
		REPLAY_WHY=$(tail -3 "$p.log" | tr '\n' ' ')
		return 1
	fi
	r1=$($PY tests/chain/pcapeq.py "$expf" "$p.fwd.pcap")
	s1=$?
	r2=$($PY tests/chain/pcapeq.py "$expr" "$p.rev.pcap")
	s2=$?
	[ $s1 = 0 ] && [ $s2 = 0 ] && return 0
	REPLAY_WHY="to the sink: ${r1:-equal}; to the source: ${r2:-equal}"
	return 1
}
