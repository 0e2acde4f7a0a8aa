#!/bin/bash
# bench/boot_time.sh - how long an image takes to be ready.
#
# For each machine (microvm, q35), RUNS boots (default 20) of the fwd image
# with no NICs, through `nfbox run` exactly as a user would:
#   exec->ready   from exec of `nfbox run` to the "ready" line on its stdout
#                 (QEMU start, firmware, image load, guest boot, console)
#   entry->ready  the image's own figure: TSC at the PVH entry to ready
# Each boot is stopped with SIGTERM (the image prints its counters and
# exits) before the next starts.  Prints a table with median and max, and
# writes every sample to build/bench/boot.csv.
#
# Environment: RUNS, MACHINES ("microvm q35"), MEM (MiB, 64), PIN (CPU for
# the vCPU thread, default 1), NFBOX_NO_KVM=1 (force TCG), B (build dir),
# NFBOX (an nfbox binary to use instead of building $B/nfbox).
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
RUNS=${RUNS:-20}
MACHINES=${MACHINES:-microvm q35}
MEM=${MEM:-64}
PIN=${PIN:-1}
OUT=$B/bench
mkdir -p "$OUT"
if [ -z "${NFBOX:-}" ]; then
	NFBOX=$B/nfbox
	make -s -j2 "$NFBOX" >/dev/null
fi
make -s -j2 image-objs >/dev/null
export NFBOX_LIBDIR=$B/image
"$NFBOX" build fwd -o "$OUT/fwd.img" >/dev/null

accel=KVM
{ [ -w /dev/kvm ] && [ -z "${NFBOX_NO_KVM:-}" ]; } || accel=TCG
[ -d /sys/module/kvm_pvm ] && [ $accel = KVM ] && accel="KVM (kvm_pvm)"

/usr/bin/python3 - "$NFBOX" "$OUT/fwd.img" "$OUT/boot.csv" "$RUNS" "$MEM" "$PIN" "$accel" $MACHINES <<'EOF'
import os, re, signal, statistics, subprocess, sys, time

nfbox, image, csv, runs, mem, pin, accel = sys.argv[1:8]
machines = sys.argv[8:]
runs = int(runs)

def one(machine):
    t0 = time.monotonic()
    p = subprocess.Popen([nfbox, "run", image, "--machine", machine, "--mem", mem,
                          "--pin", pin], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    exec_ms = guest_us = None
    deadline = t0 + 60
    for line in p.stdout:
        m = re.search(rb"ready in (\d+) us", line)
        if m:
            exec_ms = (time.monotonic() - t0) * 1000
            guest_us = int(m.group(1))
            break
        if time.monotonic() > deadline:
            break
    p.send_signal(signal.SIGTERM)
    p.stdout.read()
    rc = p.wait(timeout=30)
    return exec_ms, guest_us, rc

rows = []
with open(csv, "w") as f:
    f.write("machine,run,exec_to_ready_ms,entry_to_ready_us,exit_status\n")
    for m in machines:
        for i in range(runs):
            e, g, rc = one(m)
            rows.append((m, e, g))
            f.write(f"{m},{i},{'' if e is None else f'{e:.2f}'},{'' if g is None else g},{rc}\n")

print(f"boot time of the fwd image, {runs} runs per machine, {mem} MiB, {accel}, "
      f"vCPU pinned to CPU {pin}, no NICs")
print(f"{'machine':<10} {'exec->ready ms':>24} {'entry->ready us':>26} {'failed':>7}")
print(f"{'':<10} {'median':>8} {'max':>7} {'min':>7} {'median':>8} {'max':>8} {'min':>8}")
for m in machines:
    ok = [(e, g) for mm, e, g in rows if mm == m and e is not None]
    bad = sum(1 for mm, e, g in rows if mm == m and e is None)
    if not ok:
        print(f"{m:<10} {'-':>8} {'-':>7} {'-':>7} {'-':>8} {'-':>8} {'-':>8} {bad:>7}")
        continue
    es = [e for e, g in ok]
    gs = [g for e, g in ok]
    print(f"{m:<10} {statistics.median(es):>8.1f} {max(es):>7.1f} {min(es):>7.1f} "
          f"{statistics.median(gs):>8.0f} {max(gs):>8} {min(gs):>8} {bad:>7}")
print(f"samples: {csv}; load average at the end: {open('/proc/loadavg').read().split()[0]}")
EOF
