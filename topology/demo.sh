#!/bin/bash
# topology/demo.sh - the example chain: firewall -> fwd through a private
# OVS-DPDK.  Brings it up, replays topology/examples/web.pcap through it,
# shows the per-hop and per-function counters, brings it down (also on
# Ctrl-C or failure).  Root; `make all` first.
set -eu
cd "$(dirname "$0")/.."
NFBOX=${NFBOX:-build/nfbox}
CHAIN=topology/examples/fw-fwd.chain
OUT=$(mktemp /tmp/nfbox-demo.XXXXXX.pcap)
trap '"$NFBOX" chain down "$CHAIN"; rm -f "$OUT"' EXIT
export NFBOX_IMAGES=${NFBOX_IMAGES:-$PWD/build/images}

run() { echo; echo "\$ $*"; "$@"; }
run "$NFBOX" chain up "$CHAIN"
run "$NFBOX" chain replay "$CHAIN" --out "$OUT"
run "$NFBOX" chain status "$CHAIN"
run "$NFBOX" stats "$CHAIN:fw"
echo
echo "\$ tshark -r $OUT | head -5"
tshark -r "$OUT" 2>/dev/null | head -5 || true
echo
echo "\$ $NFBOX chain down $CHAIN"
