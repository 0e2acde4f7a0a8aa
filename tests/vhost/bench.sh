#!/bin/bash
# tests/vhost/bench.sh - `nfbox bench` end to end: the fwd image behind
# nfbox-gen over vhost-user, a short search, its JSON, plot and CSV, and
# its errors.  Timed numbers are never judged (a test is no benchmark):
# what is judged is that the search really ran against the image.
#
# Tests:
#   bench-json     ndr/pdr/mrr with mpps and gbps, every trial a point, NDR <=
#                  PDR <= offered maximum, the frames the image's port 0 took
#                  at least what came back over all trials (the counts are
#                  the image's, not a formula's), gbps = mpps x 84 x 8 / 1000
#   bench-latency  three latency trials at 10/50/90 % of the NDR: probes sent
#                  at most one per ms, nearly all back with their tail,
#                  p50 <= p90 <= p99 <= max, all above 0
#   bench-plot     --plot writes a PNG (gnuplot), --csv a header and a row
#   bench-trial-cmd  the search through --trial-cmd against a simulated
#                  target of 1 Mpps: NDR within 2 % below it, PDR and MRR;
#                  latency null with the reason
#   bench-chain    `nfbox bench CHAINFILE --mrr-only` on a one-image chain:
#                  the chain up, its OVS generator port feeding it, frames
#                  back, the chain down again, nothing left running
#   bench-errors   a missing pcap, an unknown function, --gen-cpu = --cpu,
#                  a bad --loss: each a clear one-line error, exit 1 or 2,
#                  no QEMU left; a firewall that drops everything: "no frame
#                  came back" instead of a search
# Called by tests/vhost/run.sh; runs alone too.  KEEP=1 keeps the work dir.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
NFBOX=${NFBOX:-$B/nfbox}
export LC_ALL=C

SUITE=vhost
. tests/lib/report.sh
. tests/lib/testpmd.sh

D=$(mktemp -d /tmp/nfbox-vhostbench.XXXXXX)
cleanup() {
	if [ "${KEEP:-0}" = 1 ]; then echo "vhost/bench: work directory kept: $D" >&2; else rm -rf "$D"; fi
}
trap cleanup EXIT
if ! dpdk_find; then
	sk bench-json "needs$DPDK_MISSING"
	finish
fi
for c in gnuplot:gnuplot-nox file:file; do
	if ! command -v "${c%%:*}" >/dev/null; then
		sk bench-plot "needs ${c%%:*} (Debian: ${c#*:})"
		finish
	fi
done
if [ ! -x "$NFBOX" ] || [ ! -x "$(dirname "$NFBOX")/nfbox-gen" ]; then
	sk bench-json "no $NFBOX or nfbox-gen next to it (make)"
	finish
fi
/usr/bin/python3 -c "
from scapy.all import Ether, IP, UDP, Raw, wrpcap
wrpcap('$D/t.pcap', [Ether(src='02:00:00:00:00:01', dst='52:54:00:00:00:10') / IP(src='10.0.0.1', dst='10.0.1.%d' % i) /
                  UDP(sport=1024 + i, dport=4096) / Raw(b'\0' * 18) for i in range(32)])" ||
	{ ko bench-json "cannot make the pcap"; finish; }
qemus() { pgrep -c -f "qemu-system.*$D" || true; }

# ---- bench-json, bench-plot: one short search -------------------------------------
"$NFBOX" bench fwd --pcap "$D/t.pcap" --duration 0.2 --warmup 0.2 --retries 0 --json \
	--plot "$D/loss.png" --csv "$D/b.csv" >"$D/b.json" 2>"$D/b.err"
rc=$?
if [ $rc -ne 0 ]; then
	ko bench-json "nfbox bench exited $rc: $(tail -n 4 "$D/b.err" | tr '\n' ' ')"
else
	why=$(/usr/bin/python3 - "$D/b.json" "$D/b.err" <<'PY'
import json, re, sys
j = json.load(open(sys.argv[1]))
err = open(sys.argv[2]).read()
bad = []
for k in ("ndr", "pdr", "mrr"):
    if not {"mpps", "gbps"} <= set(j.get(k, {})):
        bad.append(f"{k} lacks mpps/gbps")
if bad:
    print("; ".join(bad)); sys.exit()
pts = j["points"]
if len(pts) != j["trials"] or pts[0]["phase"] != "warmup" or pts[1]["phase"] != "mrr":
    bad.append(f"{len(pts)} points for {j['trials']} trials, first {pts[0]['phase']}")
offmax = max(p["offered_mpps"] for p in pts)
ndr, pdr, mrr = j["ndr"]["mpps"], j["pdr"]["mpps"], j["mrr"]["mpps"]
if not (0 < mrr and 0 <= ndr <= pdr * 1.0001 and pdr <= offmax * 1.0001 and pdr > 0):
    bad.append(f"ndr {ndr} pdr {pdr} mrr {mrr} offered max {offmax}")
for k in ("ndr", "pdr"):
    if j[k]["mpps"] and abs(j[k]["gbps"] - j[k]["mpps"] * 84 * 8 / 1000) > 1e-3 * j[k]["gbps"]:
        bad.append(f"{k}: {j[k]['gbps']} Gb/s for {j[k]['mpps']} Mpps of 64-byte frames")
# What came back over all trials (mpps x secs) cannot exceed what the
# image's port 0 received, nor what its port 1 sent.
back = sum(p["received_mpps"] * 1e6 * p["secs"] for p in pts)
ports = j.get("ports", {})
rx0 = ports.get("port0", {}).get("rx_pkts")
tx1 = ports.get("port1", {}).get("tx_pkts")
if rx0 is None or tx1 is None:
    bad.append(f"no port0 rx / port1 tx counters in {sorted(ports)}: {ports}")
elif tx1 < back * 0.999 or rx0 < tx1:
    bad.append(f"port0 rx {rx0}, port1 tx {tx1}, back over all trials {back:.0f}")
if len(re.findall(r"^nfbox bench: trial +\d+ ", err, re.M)) != j["trials"]:
    bad.append("not one progress line per trial on stderr")
print("; ".join(bad) if bad else f"OK NDR {ndr:.3f} PDR {pdr:.3f} MRR {mrr:.3f} Mpps, {j['trials']} trials, port1 tx {tx1}")
PY
)
	case $why in
	OK*) ok bench-json "${why#OK }" ;;
	*) ko bench-json "$why" ;;
	esac
	why=$(/usr/bin/python3 - "$D/b.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
lat = j.get("latency") or []
bad = []
# Of the NDR, or of the PDR when a loaded host found no loss-free rate.
of = "NDR" if j["ndr"]["mpps"] > 0 else "PDR"
if [(l["load_pct"], l["of"]) for l in lat] != [(10, of), (50, of), (90, of)]:
    bad.append(f"loads {[(l['load_pct'], l['of']) for l in lat]}, want 10/50/90 % of {of} ({j.get('latency_none')})")
for l in lat:
    # --duration 0.2, at most one probe per ms (fewer when the generator's
    # core is shared: it sends none while it is not running).
    want = 0.2 * 1000
    if not (0 < l["probes"] <= 1.2 * want + 1) or l["back"] < 0.95 * l["probes"]:
        bad.append(f"{l['load_pct']} %: {l['back']} of {l['probes']} probes back (want ~{want:.0f}, nearly all)")
    elif not (0 < l["p50_us"] <= l["p90_us"] <= l["p99_us"] <= l["max_us"]):
        bad.append(f"{l['load_pct']} %: p50 {l['p50_us']} p90 {l['p90_us']} p99 {l['p99_us']} max {l['max_us']}")
print("; ".join(bad) if bad else "OK " + ", ".join(
    f"{l['load_pct']} %: p50 {l['p50_us']:.0f} p99 {l['p99_us']:.0f} us ({l['back']}/{l['probes']})" for l in lat))
PY
)
	case $why in
	OK*) ok bench-latency "${why#OK }" ;;
	*) ko bench-latency "$why" ;;
	esac
	if file "$D/loss.png" 2>/dev/null | grep -q 'PNG image data' &&
		[ "$(wc -l <"$D/b.csv")" = 2 ] && head -1 "$D/b.csv" | grep -q '^target,traffic,ndr_pps,'; then
		ok bench-plot "$(file -b "$D/loss.png" | cut -d, -f1-2), CSV header and one row"
	else
		ko bench-plot "png: $(file -b "$D/loss.png" 2>&1); csv: $(head -c 200 "$D/b.csv" 2>&1 | tr '\n' ' ')"
	fi
fi

# ---- bench-trial-cmd: the search alone, against a known limit ------------------------
cat >"$D/sim.sh" <<'SIM'
#!/bin/sh
# RATE SECS -> OFFERED RECEIVED BYTES SECS of a target carrying 1 Mpps
# behind a generator of 3 Mpps.
awk -v r="$1" -v s="$2" 'BEGIN { if (r == 0 || r > 3e6) r = 3e6; c = r < 1e6 ? r : 1e6
	printf "%d %d %d %s\n", r * s, c * s, r * s * 64, s }'
SIM
chmod +x "$D/sim.sh"
if "$NFBOX" bench --trial-cmd "$D/sim.sh" --duration 1 --warmup 0 --json >"$D/sim.json" 2>"$D/sim.err"; then
	why=$(/usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
n, p, m = j["ndr"]["mpps"], j["pdr"]["mpps"], j["mrr"]["mpps"]
ok = 0.98 <= n <= 1.0 and n <= p <= 1.0 / 0.995 + 1e-6 and abs(m - 1.0) < 1e-3
ok = ok and j["latency"] is None and "--trial-cmd" in j["latency_none"]
print(("OK " if ok else "") + "NDR %.4f PDR %.4f MRR %.4f Mpps, %d trials; latency %s" % (n, p, m, j["trials"], j["latency_none"]))' "$D/sim.json")
	case $why in
	OK*) ok bench-trial-cmd "simulated 1 Mpps target: ${why#OK }" ;;
	*) ko bench-trial-cmd "simulated 1 Mpps target: $why" ;;
	esac
else
	ko bench-trial-cmd "exited non-zero: $(tail -n 3 "$D/sim.err" | tr '\n' ' ')"
fi

# ---- bench-chain: a chain file as TARGET ------------------------------------------------
if [ ! -x /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk ]; then
	sk bench-chain "needs ovs-vswitchd-dpdk (Debian: openvswitch-switch-dpdk)"
else
	printf 'nf b1 image fwd\n' >"$D/one.chain"
	NFBOX_CHAIN_DIR=$D/chains NFBOX_IMAGES=$(dirname "$NFBOX")/images \
		"$NFBOX" bench "$D/one.chain" --mrr-only --warmup 0.5 --duration 1 --json >"$D/chain.json" 2>"$D/chain.err"
	rc=$?
	left=$(pgrep -f "$D/chains" | wc -l)
	why=$( [ $rc = 0 ] && /usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
p = j["ports"]
back = p.get("port11", {}).get("rx_pkts", 0)
ok = j["mrr_only"] and j["trials"] == 2 and j["mrr"]["mpps"] > 0 and back > 0 and p["port10"]["tx_pkts"] >= back
print(("OK " if ok else "") + "MRR %.3f Mpps, f1 gave back %d frames, %d trials" % (j["mrr"]["mpps"], back, j["trials"]))' "$D/chain.json")
	if [ $rc != 0 ]; then
		ko bench-chain "exited $rc: $(tail -n 4 "$D/chain.err" | tr '\n' ' ')"
	elif [ "$left" != 0 ]; then
		ko bench-chain "$left processes of the chain left running"
	else
		case $why in
		OK*) ok bench-chain "${why#OK }; chain down, nothing left" ;;
		*) ko bench-chain "$why" ;;
		esac
	fi
fi

# ---- bench-errors --------------------------------------------------------------------
bad=""
# expect STATUS PATTERN ARGS...: nfbox bench ARGS exits STATUS with PATTERN on stderr.
expect() {
	local want=$1 pat=$2 rc
	shift 2
	timeout 300 "$NFBOX" bench "$@" >"$D/e.out" 2>"$D/e.err"
	rc=$?
	if [ $rc != "$want" ] || ! grep -q -- "$pat" "$D/e.err"; then
		bad="$bad [bench $*: exit $rc, $(tail -n 2 "$D/e.err" | tr '\n' ' ')]"
	fi
}
expect 1 "nfbox bench: $D/none.pcap: No such file or directory" fwd --pcap "$D/none.pcap"
expect 1 "no image for .nosuchfn.: neither an image file nor a function" nosuchfn --pcap "$D/t.pcap"
expect 2 "both 1: two pollers on one core" fwd --cpu 1 --gen-cpu 1
expect 2 "loss is a percentage" fwd --loss x
printf 'default drop\n' >"$D/drop.conf"
expect 1 "no frame came back on port 1" firewall --config "$D/drop.conf" --pcap "$D/t.pcap" --ready-timeout 20
[ "$(qemus)" = 0 ] || bad="$bad [$(qemus) QEMU left running]"
if [ -z "$bad" ]; then
	ok bench-errors "missing pcap, unknown function, one core for both, bad --loss, a target that forwards nothing"
else
	ko bench-errors "$bad"
fi
finish
