#!/usr/bin/python3
"""Make the golden cases of TCP sequence-window tracking (fw-tcpwin-*).

Same conventions as make_fw_golden.py (whose helpers this uses): the
expectations are written from the rules in nf/firewall/fw_tcpwin.h, with the
window arithmetic worked out beside each packet, never recorded from a run.

Notation: for the originator O (inside, port 0) and replier R (outside):
end = highest seq+len sent, maxend = highest seq the other side's
ack+window allows.  A segment passes if seq <= maxend (I), end >=
sender.end - receiver.maxwin (II), ack <= receiver.end (III) and ack >=
receiver.end - max(sender.maxwin, 66000) (IV).

Run from the repository root:  /usr/bin/python3 tests/gen/make_fw_tcpwin_golden.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fw_golden import PORTS, STATEFUL, Case, Raw, TCP, hosts, ip  # noqa: E402

ISN_O, ISN_R = 100000, 500000
W = 8192  # every window below unless said otherwise; no scaling


def seg(port, src, dst, sport, dport, flags, seq, ack=0, win=W, load=b"", opts=None):
    t = TCP(sport=sport, dport=dport, flags=flags, seq=seq & 0xffffffff, ack=ack & 0xffffffff,
            window=win, options=opts or [])
    p = ip(port, src, dst) / t
    return p / Raw(load) if load else p


def open_flow(c, a, b, sp, dp, win=W, o_opts=None, r_opts=None):
    """Handshake.  After it: O.end = ISN_O+1, R.end = ISN_R+1,
    O.maxend = (ISN_O+1) + R's SYN+ACK window (never scaled),
    R.maxend = (ISN_R+1) + O's ACK window (scaled), maxwin = the windows."""
    c.send(0, seg(0, a, b, sp, dp, "S", ISN_O, win=win, opts=o_opts), True)
    c.send(1, seg(1, b, a, dp, sp, "SA", ISN_R, ISN_O + 1, win=win, opts=r_opts), True)
    c.send(0, seg(0, a, b, sp, dp, "A", ISN_O + 1, ISN_R + 1, win=win), True)


def data_cases(c, strict):
    """In-window data, retransmission, keepalive, and four out-of-window
    segments; each of the four is dropped when strict, passes when sloppy."""
    for a, b, _, _ in hosts():
        sp, dp = 41000, 80
        open_flow(c, a, b, sp, dp)
        o, r = ISN_O + 1, ISN_R + 1
        # O.maxend = o + W = 108193, R.maxend = r + W
        c.send(0, seg(0, a, b, sp, dp, "PA", o, r, load=b"x" * 100), True)  # in window: O.end = o+100
        c.send(1, seg(1, b, a, dp, sp, "A", r, o + 100), True)  # acks it: O.maxend = o+100+W
        c.send(0, seg(0, a, b, sp, dp, "PA", o, r, load=b"x" * 100), True)  # retransmission (II: o+100 >= o+100-W)
        c.send(0, seg(0, a, b, sp, dp, "A", o + 99, r), True)  # keepalive: seq = end-1, no data
        # I fails: seq o+100+100000 > O.maxend o+100+W
        c.send(0, seg(0, a, b, sp, dp, "PA", o + 100 + 100000, r, load=b"y" * 10), not strict)
        # II fails: end o+100-20000+10 < O.end - R.maxwin = o+100-W
        c.send(0, seg(0, a, b, sp, dp, "PA", o + 100 - 20000, r, load=b"z" * 10), not strict)
        # III fails: acks R's data never sent (R.end = r)
        c.send(0, seg(0, a, b, sp, dp, "A", o + 100, r + 5000), not strict)
        # IV fails: ack 70000 behind R.end, more than max(O.maxwin, 66000)
        c.send(0, seg(0, a, b, sp, dp, "A", o + 100, r - 70000), not strict)
        # the drops changed nothing: the connection goes on (when sloppy,
        # the segments above moved O.end forward; this is still inside)
        c.send(1, seg(1, b, a, dp, sp, "PA", r, o + 100, load=b"200 OK"), True)
        c.send(0, seg(0, a, b, sp, dp, "PA", o + 100, r + 6, load=b"more"), True)


def case_data():
    c = Case("fw-tcpwin-data", STATEFUL)
    data_cases(c, strict=True)
    c.stats = ["firewall.drop_invalid 8", "firewall.drop_invalid_out_of_window 8",
               "firewall.flows_created 2"]
    return c


def case_sloppy():
    c = Case("fw-tcpwin-sloppy", STATEFUL + "tcp-window sloppy\n")
    data_cases(c, strict=False)
    c.stats = ["firewall.drop_invalid 0", "firewall.drop_invalid_out_of_window 0",
               "firewall.flows_created 2"]
    return c


def case_rst():
    c = Case("fw-tcpwin-rst", STATEFUL)
    for a, b, _, _ in hosts():
        sp, dp = 41001, 443
        open_flow(c, a, b, sp, dp)
        o, r = ISN_O + 1, ISN_R + 1
        # R.maxend = r + W, R.end = r, O.maxwin = W
        c.send(1, seg(1, b, a, dp, sp, "R", r + 100000), False)  # I: beyond R.maxend
        c.send(1, seg(1, b, a, dp, sp, "R", r - 30000), False)   # II: before R.end - O.maxwin
        c.send(1, seg(1, b, a, dp, sp, "RA", r + 100000, o), False)
        # the flow lives on
        c.send(0, seg(0, a, b, sp, dp, "PA", o, r, load=b"hello"), True)
        c.send(1, seg(1, b, a, dp, sp, "R", r + 100), True)      # in the window: honoured
        # ...and the flow is closed: a new SYN from the outside is judged by the rules
        c.send(1, seg(1, b, a, dp, sp, "S", ISN_R + 9000), False)
        # a refused connection: the RST must acknowledge the SYN exactly
        sp2, dp2 = 41002, 25
        c.send(0, seg(0, a, b, sp2, dp2, "S", 7000), True)
        c.send(1, seg(1, b, a, dp2, sp2, "RA", 0, 9999), False)  # wrong ack
        c.send(1, seg(1, b, a, dp2, sp2, "R", 0), False)         # no ACK at all
        c.send(1, seg(1, b, a, dp2, sp2, "RA", 0, 7001), True)   # acks SYN 7000
    # per family: 3 out-of-window RSTs and 2 bad answers to a SYN are invalid;
    # the outside's SYN is the default policy's
    c.stats = ["firewall.drop_invalid 10", "firewall.drop_invalid_out_of_window 10",
               "firewall.drop_policy 2"]
    return c


def case_scale():
    c = Case("fw-tcpwin-scale", STATEFUL)
    ws = [("WScale", 4)]
    for a, b, _, _ in hosts():
        o, r = ISN_O + 1, ISN_R + 1
        # Both SYNs carry shift 4: windows after the SYNs are x16.
        open_flow(c, a, b, 41003, 80, win=1000, o_opts=ws, r_opts=ws)
        # O.maxend = o + 1000 (a SYN's window is never scaled); R's window
        # update moves it to o + 1000*16 = o + 16000
        c.send(1, seg(1, b, a, 80, 41003, "A", r, o, win=1000), True)
        c.send(0, seg(0, a, b, 41003, 80, "PA", o + 10000, r, win=1000, load=b"w" * 10), True)
        # Only the SYN asks for scaling: no scaling either way (RFC 7323).
        open_flow(c, a, b, 41004, 80, win=1000, o_opts=ws)
        c.send(1, seg(1, b, a, 80, 41004, "A", r, o, win=1000), True)  # O.maxend stays o + 1000
        c.send(0, seg(0, a, b, 41004, 80, "PA", o + 10000, r, win=1000, load=b"w" * 10), False)
        c.send(0, seg(0, a, b, 41004, 80, "PA", o + 500, r, win=1000, load=b"w" * 10), True)
    c.stats = ["firewall.drop_invalid 2", "firewall.drop_invalid_out_of_window 2",
               "firewall.flows_created 4"]
    return c


def case_bad_config():
    c = Case("fw-tcpwin-bad-config", PORTS + "default drop\ntcp-window lax\n")
    return c


def main():
    for c in (case_data(), case_sloppy(), case_rst(), case_scale()):
        c.write()
    from make_fw_golden import HERE
    bad = case_bad_config()
    d = os.path.join(HERE, bad.name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    with open(os.path.join(d, "fw.conf"), "w") as f:
        f.write(bad.conf)
    with open(os.path.join(d, "cmd"), "w") as f:
        f.write("firewall --config fw.conf --in 0=../fw-tcpwin-data/in0.pcap\n")
    with open(os.path.join(d, "expect-fail"), "w") as f:
        f.write("fw.conf:4:12: expected tcp-window mode (strict|sloppy), got 'lax'\n")


if __name__ == "__main__":
    main()
