#!/usr/bin/python3
# bench/boot_time.py - the measuring half of bench/boot_time.sh (see there).
#
# Every sample is timed from the moment just before `nfbox run` is spawned;
# nfbox run forks and execs QEMU within about a millisecond (no config to
# check here), so the figures are QEMU exec -> event, plus that millisecond.
#
#   floor    bench/pvh_floor.S through nfbox run: exec -> its "ready" line
#            (QEMU start-up and firmware only)
#   ready    the fwd image, no NICs: exec -> "ready" line, and the image's
#            own entry -> ready figure
#   packet   the fwd image between two taps: a sender writes a marked UDP
#            frame into tap A every 0.5 ms from before QEMU starts (frames
#            sent while no QEMU holds the tap are dropped by the kernel;
#            later ones wait in the tap's queue until the guest takes them);
#            exec -> "ready" line, and exec -> the first marked frame the
#            image forwards out of tap B
# The image runs with nfbox.verbose=1 (its boot report follows the ready
# line, so it costs nothing before it): the device register and PCI
# configuration accesses it counts are summed into the "exits" column,
# the noise-free part of the boot (each is an exit to QEMU).
import os
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

MAGIC = b"nfbox-boot-bench"


def frame(seq):
    """Ethernet/IPv4/UDP to NIC 0's MAC, payload MAGIC + sequence number."""
    payload = MAGIC + struct.pack("!I", seq)
    udp = struct.pack("!HHHH", 40000, 40001, 8 + len(payload), 0) + payload
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), seq & 0xffff, 0, 64, 17, 0,
                               bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])))
    s = sum(struct.unpack("!10H", ip))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    ip[10:12] = struct.pack("!H", ~s & 0xffff)
    eth = bytes.fromhex("525400000010") + bytes.fromhex("020000000001") + b"\x08\x00"
    return eth + bytes(ip) + udp


class TapPair:
    """Sender on tap A, receiver on tap B, for one boot."""

    def __init__(self, tap_a, tap_b):
        self.tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.tx.bind((tap_a, 0))
        self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        self.rx.bind((tap_b, 0))
        self.rx.settimeout(0.2)
        self.first = None
        self.stop = False
        self.threads = [threading.Thread(target=self._send, daemon=True),
                        threading.Thread(target=self._recv, daemon=True)]

    def start(self):
        for t in self.threads:
            t.start()

    def _send(self):
        seq = 0
        while not self.stop and self.first is None:
            try:
                self.tx.send(frame(seq))
            except OSError:
                pass  # no carrier until QEMU opens the tap
            seq += 1
            time.sleep(0.0005)

    def _recv(self):
        while not self.stop and self.first is None:
            try:
                data, addr = self.rx.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            if addr[2] == socket.PACKET_OUTGOING or MAGIC not in data:
                continue
            self.first = time.monotonic()

    def close(self):
        self.stop = True
        for t in self.threads:
            t.join()
        self.tx.close()
        self.rx.close()


def one(nfbox, kernel, machine, mem, pin, taps, timeout):
    """One boot; returns (exec->ready ms, entry->ready us, exec->packet ms,
    device/config accesses or None)."""
    args = [nfbox, "run", kernel, "--machine", machine, "--mem", mem, "--pin", pin,
            "--append", "nfbox.verbose=1"]
    pair = None
    if taps:
        args += ["--net", "tap:" + taps[0], "--net", "tap:" + taps[1]]
        pair = TapPair(*taps)
        pair.start()
        time.sleep(0.005)  # the sender is going
    t0 = time.monotonic()
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    ready_ms = guest_us = pkt_ms = None
    deadline = t0 + timeout

    def watchdog():
        while p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    threading.Thread(target=watchdog, daemon=True).start()
    for line in p.stdout:
        if b"ready" in line:
            ready_ms = (time.monotonic() - t0) * 1000
            m = re.search(rb"ready in (\d+) us", line)
            guest_us = int(m.group(1)) if m else None
            break
    if pair:
        while pair.first is None and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.001)
        if pair.first is not None:
            pkt_ms = (pair.first - t0) * 1000
        pair.close()
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    rest = p.stdout.read()
    p.wait(timeout=30)
    counts = [int(c) for c in re.findall(rb"(\d+) (?:register|config) accesses", rest)]
    exits = sum(counts) if b"nfbox: boot " in rest else None
    return ready_ms, guest_us, pkt_ms, exits


def stats(v):
    v = [x for x in v if x is not None]
    if not v:
        return "-", "-", "-"
    return f"{statistics.median(v):.1f}", f"{max(v):.1f}", f"{min(v):.1f}"


def main():
    nfbox, image, floor, csv, runs, mem, pin, accel, taps = sys.argv[1:10]
    machines = sys.argv[10:]
    runs = int(runs)
    taps = taps.split(",") if taps != "-" else None
    # The bench's own threads stay off the vCPU's core.
    cpus = sorted(os.sched_getaffinity(0))
    other = [c for c in cpus if str(c) != pin]
    if other:
        os.sched_setaffinity(0, {other[0]})

    modes = [("floor", floor, None), ("ready", image, None)]
    if taps:
        modes.append(("packet", image, taps))
    rows = []
    with open(csv, "w") as f:
        f.write("machine,mode,run,exec_to_ready_ms,entry_to_ready_us,exec_to_first_packet_ms,"
                "exits\n")
        for m in machines:
            for mode, kernel, t in modes:
                for i in range(runs):
                    r, g, pk, ex = one(nfbox, kernel, m, mem, pin, t, 60)
                    if mode == "floor":
                        ex = None
                    rows.append((m, mode, r, g, pk, ex))
                    f.write(f"{m},{mode},{i},{'' if r is None else f'{r:.2f}'},"
                            f"{'' if g is None else g},{'' if pk is None else f'{pk:.2f}'},"
                            f"{'' if ex is None else ex}\n")

    print(f"boot time, {runs} runs each, fwd image, {mem} MiB, {accel}, QEMU pinned to CPU {pin}")
    print("  floor:  a 4-instruction PVH kernel (bench/pvh_floor.S), same nfbox run flags")
    print("  ready:  fwd image, no NICs")
    print("  packet: fwd image between two taps, sender running before QEMU starts"
          if taps else "  packet: skipped (needs root, /dev/net/tun and ip(8))")
    print("  times from spawning `nfbox run` (it execs QEMU ~1 ms later); ms unless said")
    print("  exits: virtio register + PCI config accesses the image counted (distinct values)")
    print(f"{'machine':<12} {'mode':<7} {'exec->ready':>23} {'entry->ready us':>23} "
          f"{'exec->1st forwarded':>23} {'exits':>6} {'fail':>5}")
    sub = f"{'median':>7} {'max':>7} {'min':>7}"
    print(f"{'':<12} {'':<7} {sub} {sub} {sub}")
    for m in machines:
        for mode, _, t in modes:
            rs = [r for r in rows if r[0] == m and r[1] == mode]
            fail = sum(1 for r in rs if r[2] is None or (t and r[4] is None))
            cols = [stats([r[2] for r in rs]),
                    stats([r[3] for r in rs]) if mode != "floor" else ("-", "-", "-"),
                    stats([r[4] for r in rs]) if t else ("-", "-", "-")]
            exits = sorted(set(r[5] for r in rs if r[5] is not None))
            ex = "-" if not exits else "/".join(str(e) for e in exits)
            print(f"{m:<12} {mode:<7} " + " ".join(f"{a:>7} {b:>7} {c:>7}" for a, b, c in cols)
                  + f" {ex:>6} {fail:>5}")
    print(f"samples: {csv}; load average at the end: {open('/proc/loadavg').read().split()[0]}")


if __name__ == "__main__":
    main()
