#!/usr/bin/python3
"""Make the golden cases of the firewall (tests/golden/cases/fw-*).

Each case is a config, the packets that enter each port (with timestamps:
the replay clock is the capture time), and, written here by hand from the
firewall's specification, which of them leave and where, plus the packets
the firewall must generate (TCP RSTs, ICMP unreachables).  Nothing here
runs the firewall: the expectations are the spec, the C code must match
them byte for byte.

Generated answers are also checked with tshark (checksums, malformed
dissections) when it is installed, so the bytes we demand are right.

Run from the repository root:  /usr/bin/python3 tests/gen/make_fw_golden.py
Output is deterministic; committed files change only when this script does.
"""
import os
import shutil
import subprocess
import sys

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, ICMPv6DestUnreach,
                       ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6PacketTooBig, ICMPv6TimeExceeded,
                       IPv6, IPv6ExtHdrFragment, Raw, wrpcap)

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "cases")

IN_MAC = "02:00:00:00:00:01"   # hosts on the inside (port 0)
OUT_MAC = "02:00:00:00:00:02"  # the router on the outside (port 1)

PORTS = "port 0 name inside\nport 1 name outside\n"


class Case:
    """Packets in, with the expected verdict of each."""

    def __init__(self, name, conf, args="", t0=1000.0):
        self.name, self.conf, self.args = name, conf, args
        self.t = t0
        self.inp = {0: [], 1: []}
        self.out = {0: [], 1: []}
        self.files = {}
        self.stats = []
        self.generated = []

    def at(self, t):
        self.t = t
        return self

    def send(self, port, pkt, passes, dt=0.001):
        """Packet enters `port`; if `passes`, it leaves the other port unchanged."""
        self.t += dt
        pkt.time = self.t
        self.inp[port].append(pkt)
        if passes:
            self.out[port ^ 1].append(pkt)
        return pkt

    def expect(self, port, pkt):
        """A packet the firewall generates, out of `port`, stamped like its trigger."""
        pkt = Ether(pad60(bytes(pkt)))
        pkt.time = self.t
        self.out[port].append(pkt)
        self.generated.append(pkt)

    def write(self):
        d = os.path.join(HERE, self.name)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        with open(os.path.join(d, "fw.conf"), "w") as f:
            f.write(self.conf)
        for name, text in self.files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        ins = []
        for p in (0, 1):
            if self.inp[p]:
                wrpcap(os.path.join(d, f"in{p}.pcap"), self.inp[p])
                ins.append(f"--in {p}=in{p}.pcap")
            wrpcap(os.path.join(d, f"expect-out{p}.pcap"), self.out[p], linktype=1)
        with open(os.path.join(d, "cmd"), "w") as f:
            f.write(" ".join(["firewall --config fw.conf"] + ins + ([self.args] if self.args else [])) + "\n")
        if self.stats:
            with open(os.path.join(d, "expect-stats"), "w") as f:
                f.write("\n".join(self.stats) + "\n")
        for p in (0, 1):
            tshark_check(os.path.join(d, f"expect-out{p}.pcap"), False)
        if self.generated:
            g = os.path.join(d, "generated.tmp.pcap")
            wrpcap(g, self.generated)
            tshark_check(g, True)
            os.remove(g)


def pad60(b):
    return b + b"\0" * (60 - len(b)) if len(b) < 60 else b


def tshark_check(path, strict):
    """Fail if tshark finds a bad checksum (or, when `strict`, any malformed
    packet: only for packets we generate, since test payloads are not valid
    DNS and the like)."""
    if not shutil.which("tshark"):
        return
    out = subprocess.run(
        ["tshark", "-r", path, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
         "-o", "udp.check_checksum:TRUE", "-Y", "_ws.expert.severity >= warning || _ws.malformed",
         "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message"],
        capture_output=True, text=True, check=True).stdout.strip()
    bad = [l for l in out.splitlines()
           if "checksum" in l.lower() or (strict and "malformed" in l.lower())]
    if bad:
        sys.exit(f"{path}: tshark: {bad}")


# ---- packet helpers -----------------------------------------------------------
def e(port):
    return Ether(src=IN_MAC, dst=OUT_MAC) if port == 0 else Ether(src=OUT_MAC, dst=IN_MAC)


def v4(port, src, dst, **kw):
    return e(port) / IP(src=src, dst=dst, **kw)


def v6(port, src, dst, **kw):
    return e(port) / IPv6(src=src, dst=dst, **kw)


def ip(port, src, dst, **kw):
    return (v6 if ":" in src else v4)(port, src, dst, **kw)


def tcp(port, src, dst, sport, dport, flags, seq=1000, ack=0, load=b""):
    p = ip(port, src, dst) / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack)
    return p / Raw(load) if load else p


def udp(port, src, dst, sport, dport, load=b"x" * 8):
    return ip(port, src, dst) / UDP(sport=sport, dport=dport) / Raw(load)


def echo(port, src, dst, ident, seq=1, reply=False):
    if ":" in src:
        m = ICMPv6EchoReply if reply else ICMPv6EchoRequest
        return v6(port, src, dst) / m(id=ident, seq=seq)
    return v4(port, src, dst) / ICMP(type=0 if reply else 8, id=ident, seq=seq)


def proto(port, src, dst, num, load=b"p" * 16):
    if ":" in src:
        return v6(port, src, dst, nh=num) / Raw(load)
    return v4(port, src, dst, proto=num) / Raw(load)


def swap_eth(p):
    return Ether(src=p[Ether].dst, dst=p[Ether].src)


def rst_for(p):
    """The RST the firewall answers TCP packet `p` with (RFC 9293 3.10.7.1)."""
    t = p[TCP]
    l3 = p[IPv6] if IPv6 in p else p[IP]
    if IPv6 in p:
        hdr = IPv6(src=l3.dst, dst=l3.src, hlim=64, nh=6)
    else:
        hdr = IP(src=l3.dst, dst=l3.src, ttl=64, id=0, flags="DF", proto=6)
    if "A" in t.flags:
        r = TCP(sport=t.dport, dport=t.sport, seq=t.ack, ack=0, flags="R", window=0)
    else:
        seg = len(bytes(t.payload)) + ("S" in t.flags) + ("F" in t.flags)
        r = TCP(sport=t.dport, dport=t.sport, seq=0, ack=(t.seq + seg) & 0xffffffff, flags="RA",
                window=0)
    l2 = swap_eth(p)
    if Dot1Q in p:
        l2 = l2 / Dot1Q(vlan=p[Dot1Q].vlan, prio=p[Dot1Q].prio)
    return l2 / hdr / r


def unreach_for(p):
    """The ICMP(v6) destination unreachable answering non-TCP packet `p`."""
    is_udp = UDP in p
    if IPv6 in p:
        l3 = p[IPv6]
        q = bytes(l3)[:1280 - 48]
        return (swap_eth(p) / IPv6(src=l3.dst, dst=l3.src, hlim=64, nh=58) /
                ICMPv6DestUnreach(code=4 if is_udp else 1) / Raw(q))
    l3 = p[IP]
    q = bytes(l3)[:576 - 28]
    return (swap_eth(p) / IP(src=l3.dst, dst=l3.src, ttl=64, id=0, flags="DF", proto=1) /
            ICMP(type=3, code=3 if is_udp else 13) / Raw(q))


A4, B4, C4, R4 = "10.0.0.1", "192.0.2.10", "192.0.2.20", "198.18.0.1"
A6, B6, C6, R6 = "2001:db8:1::1", "2001:db8:2::10", "2001:db8:2::20", "2001:db8:ff::1"


def hosts():
    """(inside host, outside host, other outside host, outside router) v4 then v6."""
    return [(A4, B4, C4, R4), (A6, B6, C6, R6)]


# ---- match kinds (stateless: every packet is judged by the rules) --------------
def case_match_from():
    c = Case("fw-match-from", PORTS + "stateful off\ndefault drop\n"
             "accept from inside proto udp\n"
             "accept from 1 proto tcp dport 80\n")
    for a, b, _, _ in hosts():
        c.send(0, udp(0, a, b, 1000, 53), True)
        c.send(1, udp(1, b, a, 53, 1000), False)
        c.send(1, tcp(1, b, a, 4000, 80, "S"), True)
        c.send(0, tcp(0, a, b, 4000, 80, "S"), False)
    c.stats = ["firewall.stateful off", "firewall_rules.rule1_packets 2",
               "firewall_rules.rule2_packets 2", "firewall_rules.default_packets 4",
               "firewall.drop_policy 4", "firewall_inside.dropped 2", "firewall_outside.accepted 2"]
    return c


def case_match_family():
    c = Case("fw-match-family", PORTS + "stateful off\n"
             "accept ip proto udp dport 1000\n"
             "accept ip6 proto udp dport 2000\n"
             "accept ip6 proto 47\n")
    c.send(0, udp(0, A4, B4, 5, 1000), True)
    c.send(0, udp(0, A6, B6, 5, 1000), False)
    c.send(0, udp(0, A6, B6, 5, 2000), True)
    c.send(0, udp(0, A4, B4, 5, 2000), False)
    c.send(0, proto(0, A6, B6, 47), True)
    c.send(0, proto(0, A4, B4, 47), False)
    return c


def case_match_proto():
    c = Case("fw-match-proto", PORTS + "stateful off\n"
             "accept proto tcp dport 80\n"
             "accept proto 47\n"
             "accept proto { udp 132 }\n"
             "accept proto icmp\n"
             "accept proto ipv6-icmp\n")
    for a, b, _, _ in hosts():
        c.send(0, tcp(0, a, b, 5000, 80, "S"), True)
        c.send(0, tcp(0, a, b, 5000, 81, "S"), False)
        c.send(0, proto(0, a, b, 47), True)
        c.send(0, udp(0, a, b, 1, 2), True)
        c.send(0, proto(0, a, b, 132), True)
        c.send(0, proto(0, a, b, 50), False)
        c.send(0, echo(0, a, b, 7), True)
    # icmp is IPv4's protocol 1, icmp6 IPv6's 58: not interchangeable.
    c.send(0, proto(0, A6, B6, 1, b"\x08\x00\x00\x00\x00\x01\x00\x01"), False)
    c.send(0, proto(0, A4, B4, 58, b"\x80\x00\x00\x00\x00\x01\x00\x01"), False)
    return c


def case_match_addr():
    c = Case("fw-match-addr", PORTS + "stateful off\n"
             "accept src 10.1.0.0/16 dst 192.0.2.1\n"
             "accept src { 10.2.0.1 10.3.0.0/24 2001:db8:2::/48 }\n"
             "accept src 10.4.0.0/16 dst !10.0.0.0/8\n"
             "accept src any dst 2001:db8:ff::1\n"
             "accept ip6 src !2001:db8::/32 dst 2001:db8:7::/64\n")
    s = lambda a, b, ok: c.send(0, udp(0, a, b, 1, 2), ok)
    s("10.1.2.3", "192.0.2.1", True)
    s("10.1.2.3", "192.0.2.2", False)
    s("10.0.2.3", "192.0.2.1", False)
    s("10.2.0.1", "1.1.1.1", True)
    s("10.2.0.2", "1.1.1.1", False)
    s("10.3.0.255", "1.1.1.1", True)
    s("2001:db8:2:ffff::1", "2001:db8:9::1", True)
    s("2001:db8:3::1", "2001:db8:9::1", False)
    s("10.4.1.1", "11.0.0.1", True)
    s("10.4.1.1", "10.9.9.9", False)
    s("2001:db8:9::1", "2001:db8:ff::1", True)
    s("2001:db8:9::1", "2001:db8:ff::2", False)
    s("2001:db9::1", "2001:db8:7::5", True)
    s("2001:db8:5::1", "2001:db8:7::5", False)
    # negation restricts to its family: an IPv6 source never matches rule 3
    s("2001:db8:4::1", "2001:db8:9::1", False)
    return c


def case_match_set():
    c = Case("fw-match-set", PORTS + "stateful off\n"
             "set good { 10.5.0.0/16 2001:db8:5::/48 }\n"
             "set bl file \"blocklist.txt\"\n"
             "drop src @bl\n"
             "accept src @good\n"
             "accept dst !@good proto udp dport 9\n")
    c.files["blocklist.txt"] = ("# test blocklist\n10.5.7.0/24\n203.0.113.7\n"
                                "2001:db8:5:bad::/64\n2001:db8:6::1\n")
    s = lambda a, b, dport, ok: c.send(0, udp(0, a, b, 1, dport), ok)
    s("10.5.1.1", "1.1.1.1", 2, True)
    s("10.5.7.1", "1.1.1.1", 2, False)       # in the blocklist
    s("10.6.1.1", "1.1.1.1", 2, False)
    s("2001:db8:5:1::1", "2001:db8::1", 2, True)
    s("2001:db8:5:bad::9", "2001:db8::1", 2, False)
    s("203.0.113.7", "1.1.1.1", 9, False)
    s("203.0.113.8", "1.1.1.1", 9, True)     # dst not in good
    s("203.0.113.8", "10.5.0.1", 9, False)
    s("2001:db8:6::1", "2001:db8::1", 9, False)
    s("2001:db8:6::2", "2001:db8::1", 9, True)
    c.stats = ["firewall_rules.rule1_packets 4", "firewall_rules.rule2_packets 2",
               "firewall_rules.rule3_packets 2", "firewall_rules.default_packets 2"]
    return c


def case_match_ports():
    c = Case("fw-match-ports", PORTS + "stateful off\n"
             "accept proto tcp dport 80\n"
             "accept proto udp dport 1000-1010\n"
             "accept proto tcp dport { 22 443 8000-8080 }\n"
             "accept proto udp sport !{ 0-1023 } dport 53\n"
             "accept sport 7777\n")
    for a, b, _, _ in hosts():
        t = lambda sp, dp, ok: c.send(0, tcp(0, a, b, sp, dp, "S"), ok)
        u = lambda sp, dp, ok: c.send(0, udp(0, a, b, sp, dp), ok)
        t(5000, 80, True)
        t(5000, 79, False)
        u(5000, 80, False)
        u(5000, 1000, True)
        u(5000, 1010, True)
        u(5000, 1011, False)
        t(5000, 22, True)
        t(5000, 8000, True)
        t(5000, 8080, True)
        t(5000, 8081, False)
        u(1024, 53, True)
        u(1023, 53, False)
        t(7777, 1, True)
        u(7777, 1, True)
        t(7778, 1, False)
    return c


def case_match_flags():
    c = Case("fw-match-flags", PORTS + "stateful off\n"
             "accept proto tcp flags syn !ack\n"
             "accept proto tcp flags FA/FA dport 80\n"
             "accept flags R/RA dport 81\n")
    for a, b, _, _ in hosts():
        f = lambda fl, dp, ok: c.send(0, tcp(0, a, b, 5000, dp, fl), ok)
        f("S", 1, True)
        f("SE", 1, True)
        f("SA", 1, False)
        f("A", 1, False)
        f("FA", 80, True)
        f("FPA", 80, True)
        f("F", 80, False)
        f("R", 81, True)
        f("RA", 81, False)
    return c


# ---- stateful behaviour ---------------------------------------------------------
STATEFUL = PORTS + "default drop\naccept from inside\n"


def handshake(c, a, b, sp, dp):
    c.send(0, tcp(0, a, b, sp, dp, "S", seq=100), True)
    c.send(1, tcp(1, b, a, dp, sp, "SA", seq=500, ack=101), True)
    c.send(0, tcp(0, a, b, sp, dp, "A", seq=101, ack=501), True)


def case_stateful():
    c = Case("fw-stateful", STATEFUL + "timeout tcp-closed 2\n")
    for a, b, _, _ in hosts():
        # a reply passes only after its request
        c.send(1, udp(1, b, a, 53, 3000), False)
        c.send(0, udp(0, a, b, 3000, 53), True)
        c.send(1, udp(1, b, a, 53, 3000), True)
        c.send(1, echo(1, b, a, 9, reply=True), False)
        c.send(0, echo(0, a, b, 9), True)
        c.send(1, echo(1, b, a, 9, reply=True), True)
        # TCP: handshake, data both ways, FIN teardown
        handshake(c, a, b, 40000, 80)
        c.send(0, tcp(0, a, b, 40000, 80, "PA", seq=101, ack=501, load=b"GET /"), True)
        c.send(1, tcp(1, b, a, 80, 40000, "PA", seq=501, ack=106, load=b"200 OK"), True)
        c.send(0, tcp(0, a, b, 40000, 80, "FA", seq=106, ack=507), True)
        c.send(1, tcp(1, b, a, 80, 40000, "A", seq=507, ack=107), True)
        c.send(1, tcp(1, b, a, 80, 40000, "FA", seq=507, ack=107), True)
        c.send(0, tcp(0, a, b, 40000, 80, "A", seq=107, ack=508), True)
        # time-wait: stragglers pass for tcp-closed (2 s), then not
        c.send(1, tcp(1, b, a, 80, 40000, "FA", seq=507, ack=107), True, dt=1.0)
        c.send(1, tcp(1, b, a, 80, 40000, "FA", seq=507, ack=107), False, dt=2.5)
        # the outside cannot open anything
        c.send(1, tcp(1, b, a, 1234, 22, "S"), False)
    c.stats = ["firewall.flows_created 6", "firewall.drop_policy 8"]
    return c


def case_tcp_rst():
    c = Case("fw-tcp-rst", STATEFUL + "timeout tcp-closed 2\n")
    for a, b, _, _ in hosts():
        handshake(c, a, b, 40001, 443)
        c.send(1, tcp(1, b, a, 443, 40001, "RA", seq=501, ack=101), True)
        c.send(0, tcp(0, a, b, 40001, 443, "A", seq=101, ack=501), True, dt=0.5)  # closed: passes
        c.send(1, tcp(1, b, a, 443, 40001, "A", seq=501, ack=101), False, dt=2.5)  # gone
        # refused connection: RST+ACK to a SYN
        c.send(0, tcp(0, a, b, 40002, 25, "S", seq=7), True)
        c.send(1, tcp(1, b, a, 25, 40002, "RA", seq=0, ack=8), True)
        # a new SYN after the RST reopens the flow (rules judge it again)
        c.send(0, tcp(0, a, b, 40002, 25, "S", seq=9), True)
        c.send(1, tcp(1, b, a, 25, 40002, "SA", seq=70, ack=10), True)
        # RST from the outside, then the outside tries to reopen: rules say no
        c.send(1, tcp(1, b, a, 25, 40002, "R", seq=71), True)
        c.send(1, tcp(1, b, a, 25, 40002, "S", seq=90), False)
    c.stats = ["firewall.flows_reopened 4", "firewall.flows_created 6"]
    return c


def case_timeouts():
    c = Case("fw-timeouts", STATEFUL +
             "timeout udp 5 icmp 3 tcp-transitory 4 tcp-established 10\n")
    for a, b, _, _ in hosts():
        c.send(0, udp(0, a, b, 3001, 53), True)
        c.send(1, udp(1, b, a, 53, 3001), True, dt=4.99)
        c.send(1, udp(1, b, a, 53, 3001), True, dt=4.98)  # idle 4.98 < 5
        c.send(1, udp(1, b, a, 53, 3001), False, dt=5.02)
        c.send(0, echo(0, a, b, 11), True)
        c.send(1, echo(1, b, a, 11, reply=True), True, dt=2.9)
        c.send(0, echo(0, a, b, 11, seq=2), True, dt=0.1)
        c.send(1, echo(1, b, a, 11, seq=2, reply=True), False, dt=3.1)
        # half-open: the SYN+ACK comes after tcp-transitory
        c.send(0, tcp(0, a, b, 40003, 80, "S", seq=1), True)
        c.send(1, tcp(1, b, a, 80, 40003, "SA", seq=5, ack=2), False, dt=4.1)
        # established: 10 s of idleness allowed, not more
        handshake(c, a, b, 40004, 80)
        c.send(1, tcp(1, b, a, 80, 40004, "A", seq=501, ack=101), True, dt=9.9)
        c.send(0, tcp(0, a, b, 40004, 80, "A", seq=101, ack=501), True, dt=9.9)
        c.send(0, tcp(0, a, b, 40004, 80, "A", seq=101, ack=501), False, dt=10.1)
    # the last: no flow any more, and an ACK cannot open one
    c.stats = ["firewall.drop_invalid 2", "firewall.flows_expired 8"]
    return c


def case_invalid():
    c = Case("fw-invalid", STATEFUL)
    for a, b, _, _ in hosts():
        c.send(0, tcp(0, a, b, 40010, 80, "A"), False)      # no flow, not a SYN
        c.send(0, tcp(0, a, b, 40011, 80, "SF"), False)     # SYN+FIN opens nothing
        c.send(0, tcp(0, a, b, 40012, 80, "SA"), False)
        handshake(c, a, b, 40013, 80)
        c.send(0, tcp(0, a, b, 40013, 80, "S", seq=5000), False)  # SYN on a live flow
        c.send(0, tcp(0, a, b, 40013, 80, "SR", seq=5000), False)
        c.send(1, tcp(1, b, a, 80, 40013, "", seq=501), False)     # no flags at all
        # the flow's originator direction arriving on the outside port
        c.send(1, tcp(1, a, b, 40013, 80, "A", seq=101, ack=501), False)
        c.send(0, tcp(0, a, b, 40013, 80, "A", seq=101, ack=501), True)
    c.stats = ["firewall.drop_invalid 12", "firewall.drop_wrong_port 2"]
    return c


def quote(p):
    """The IP packet of `p` as an ICMP error quotes it (header + 8 bytes+)."""
    return bytes(p[IPv6] if IPv6 in p else p[IP])


def icmp_err(port, src, dst, quoted, typ=3, code=3):
    if ":" in src:
        m = {1: ICMPv6DestUnreach(code=code), 2: ICMPv6PacketTooBig(mtu=1280),
             3: ICMPv6TimeExceeded(code=0)}[typ]
        return v6(port, src, dst) / m / Raw(quote(quoted)[:1232])
    return v4(port, src, dst) / ICMP(type=typ, code=code) / Raw(quote(quoted)[:548])


def case_related():
    c = Case("fw-related-icmp", STATEFUL)
    (a, b, x, r), (a6, b6, x6, r6) = hosts()
    for (a, b, x, r), unreach, toobig, exceeded in [((a, b, x, r), 3, 3, 11), ((a6, b6, x6, r6), 1, 2, 3)]:
        q = c.send(0, udp(0, a, b, 3100, 53), True)
        c.send(1, icmp_err(1, b, a, q, unreach, 3 if unreach == 3 else 4), True)  # port unreachable
        c.send(1, icmp_err(1, r, a, q, exceeded, 0), True)                      # from a router
        t = c.send(0, tcp(0, a, b, 40020, 80, "S", seq=1), True)
        c.send(1, icmp_err(1, r, a, t, toobig, 4), True)
        # an error about a flow nobody opened
        u = udp(0, a, x, 3101, 53)
        c.send(1, icmp_err(1, r, a, u, unreach, 3 if unreach == 3 else 4), False)
        # an error about the flow, but addressed to someone else than its source
        c.send(1, icmp_err(1, b, "10.0.0.99" if ":" not in a else "2001:db8:1::99", q, unreach,
                           3 if unreach == 3 else 4), False)
        # an error about the reply direction comes from the inside, not the outside
        rp = c.send(1, udp(1, b, a, 53, 3100), True)
        c.send(0, icmp_err(0, a, b, rp, unreach, 3 if unreach == 3 else 4), True)
        c.send(1, icmp_err(1, r, b, rp, unreach, 3 if unreach == 3 else 4), False)
    c.stats = ["firewall.related 8"]
    return c


def icmp_query(port, src, dst, typ, ident):
    """An ICMPv4 timestamp (13/14), information (15/16) or mask (17/18) message."""
    return v4(port, src, dst) / ICMP(type=typ, id=ident, seq=1) / Raw(b"\0" * 12)


def case_icmp_query():
    """A query lets its reply in, never a query the other way (Linux conntrack
    alike): an inside ping must not open the inside to outside pings."""
    c = Case("fw-icmp-query", STATEFUL)
    for a, b, _, r in hosts():
        q = c.send(0, echo(0, a, b, 77), True)
        c.send(1, echo(1, b, a, 77), False)               # a request back: a new flow, refused
        c.send(1, echo(1, b, a, 77, reply=True), True)    # the reply
        c.send(1, echo(1, b, a, 77, seq=2), False)        # still refused with the flow live
        c.send(0, echo(0, a, b, 77, seq=2), True)
        c.send(1, echo(1, b, a, 77, seq=2, reply=True), True)
        c.send(1, echo(1, b, a, 78, reply=True), False)   # another identifier
        # an error about the echo request is related to its flow
        c.send(1, icmp_err(1, r, a, q, 3 if ":" not in a else 1, 1 if ":" not in a else 3), True)
    a, b, _, _ = hosts()[0]
    c.send(0, icmp_query(0, a, b, 13, 5), True)
    c.send(1, icmp_query(1, b, a, 13, 5), False)           # timestamp request back
    c.send(1, echo(1, b, a, 5, reply=True), False)         # not the reply of a timestamp
    c.send(1, icmp_query(1, b, a, 14, 5), True)            # timestamp reply
    c.send(0, icmp_query(0, a, b, 17, 6), True)
    c.send(1, icmp_query(1, b, a, 16, 6), False)           # information reply to a mask request
    c.send(1, icmp_query(1, b, a, 18, 6), True)
    # a reply nobody asked for opens nothing, and is refused by the rules
    c.send(0, echo(0, a, b, 90, reply=True), True)          # accept from inside: passes...
    c.send(1, echo(1, b, a, 90), False)                     # ...but lets no request in
    c.stats = ["firewall.flows_created 4", "firewall.related 2", "firewall.drop_policy 10"]
    return c


def frags_v4(port, src, dst, sport, dport, ident, payload, size=16):
    """A UDP datagram cut into IPv4 fragments of `size` data bytes."""
    whole = IP(src=src, dst=dst, id=ident) / UDP(sport=sport, dport=dport) / Raw(payload)
    raw = bytes(whole[UDP])
    out = []
    for off in range(0, len(raw), size):
        chunk = raw[off:off + size]
        mf = off + size < len(raw)
        out.append(e(port) / IP(src=src, dst=dst, id=ident, proto=17, flags="MF" if mf else 0,
                                frag=off // 8) / Raw(chunk))
    return out


def frags_v6(port, src, dst, sport, dport, ident, payload, size=16):
    whole = UDP(sport=sport, dport=dport) / Raw(payload)
    whole = IPv6(src=src, dst=dst) / whole
    raw = bytes(whole[UDP])
    out = []
    for off in range(0, len(raw), size):
        chunk = raw[off:off + size]
        mf = 1 if off + size < len(raw) else 0
        out.append(e(port) / IPv6(src=src, dst=dst, nh=44) /
                   IPv6ExtHdrFragment(nh=17, offset=off // 8, m=mf, id=ident) / Raw(chunk))
    return out


def case_fragments():
    c = Case("fw-fragments", PORTS + "default drop\n"
             "accept from inside proto udp dport 53\n"
             "accept from inside proto tcp dport 80\n")
    for fr, a, b in [(frags_v4, A4, B4), (frags_v6, A6, B6)]:
        for f in fr(0, a, b, 3200, 53, 0x1111, b"q" * 40):
            c.send(0, f, True)
        # the answer, fragmented too, follows the flow the query opened
        for f in fr(1, b, a, 53, 3200, 0x2222, b"r" * 40):
            c.send(1, f, True)
        # a datagram the rules refuse: its later fragments go with the first
        for f in fr(0, a, b, 3201, 54, 0x3333, b"z" * 40):
            c.send(0, f, False)
        # later fragments whose first was never seen
        for f in fr(0, a, b, 3202, 53, 0x4444, b"w" * 40)[1:]:
            c.send(0, f, False)
        # reordered: a later fragment ahead of its first is dropped, the
        # rest (after the first) pass
        fs = fr(0, a, b, 3203, 53, 0x5555, b"o" * 40)
        c.send(0, fs[2], False)
        c.send(0, fs[0], True)
        c.send(0, fs[1], True)
    # RFC 1858: a fragment at offset 8 would overlap the TCP header
    seg = bytes((IP(src=A4, dst=B4) / TCP(sport=40030, dport=80, flags="S", seq=1) /
                 Raw(b"d" * 12))[TCP])
    c.send(0, e(0) / IP(src=A4, dst=B4, id=0x6666, proto=6, flags="MF") / Raw(seg[:24]), True)
    c.send(0, e(0) / IP(src=A4, dst=B4, id=0x6666, proto=6, flags="MF", frag=1) /
           Raw(b"\x00" * 16), False)
    c.send(0, e(0) / IP(src=A4, dst=B4, id=0x6666, proto=6, frag=3) / Raw(seg[24:]), True)
    c.stats = ["firewall.drop_frag_no_first 6", "firewall.drop_frag_of_dropped 4",
               "firewall.drop_frag_overlap 1", "firewall.frags_followed 11"]
    return c


def case_table_full():
    # Two answered flows fill the table: a third is refused (no unanswered
    # flow to make room with), and fits again once both expired.
    c = Case("fw-table-full", STATEFUL + "timeout udp 2\n", args="--flows 2")
    c.send(0, udp(0, A4, B4, 3300, 53), True)
    c.send(0, udp(0, A6, B6, 3301, 53), True)
    c.send(1, udp(1, B4, A4, 53, 3300), True)      # both answered
    c.send(1, udp(1, B6, A6, 53, 3301), True)
    c.send(0, udp(0, A4, C4, 3302, 53), False)     # no room: dropped, counted
    c.send(0, udp(0, A4, B4, 3300, 53), True)      # established flows unaffected
    c.send(0, udp(0, A4, C4, 3302, 53), True, dt=2.5)  # both idle past 2 s: room again
    c.stats = ["firewall.drop_table_full 1", "firewall.flow_capacity 2", "firewall.flows_created 3",
               "firewall.flows_early_dropped 0"]
    return c


def case_early_drop():
    # A full table with an unanswered flow: a new flow takes its place
    # (early drop, as conntrack's), the answered one stays; the late
    # answer to the dropped flow finds no state.
    c = Case("fw-early-drop", STATEFUL + "timeout udp 30\n", args="--flows 2")
    c.send(0, udp(0, A4, B4, 3300, 53), True)
    c.send(1, udp(1, B4, A4, 53, 3300), True)      # answered
    c.send(0, udp(0, A4, C4, 3302, 53), True)      # unanswered
    c.send(0, udp(0, A6, B6, 3303, 53), True)      # full: 3302 makes room
    c.send(1, udp(1, C4, A4, 53, 3302), False)     # its flow is gone
    c.send(1, udp(1, B4, A4, 53, 3300), True)      # the answered flow lives on
    c.send(1, udp(1, B6, A6, 53, 3303), True)
    c.stats = ["firewall.flows_early_dropped 1", "firewall.drop_table_full 0",
               "firewall.flows_created 3", "firewall.flows 2"]
    return c


def case_reject():
    c = Case("fw-reject", PORTS + "default accept\n"
             "reject from outside proto tcp dport 23\n"
             "reject from outside proto udp dport 69\n"
             "reject from outside proto 47\n"
             "reject from outside proto icmp\n")
    for a, b, _, _ in hosts():
        for p, answer in [(tcp(1, b, a, 5555, 23, "S", seq=0x12345678), rst_for),
                          (tcp(1, b, a, 5556, 23, "A", seq=10, ack=0xabcdef01), rst_for),
                          (tcp(1, b, a, 5557, 23, "PA", seq=10, ack=20, load=b"hello"), rst_for),
                          (tcp(1, b, a, 5558, 23, "F", seq=99), rst_for),
                          (udp(1, b, a, 5559, 69, b"t" * 600), unreach_for),
                          (proto(1, b, a, 47), unreach_for)]:
            c.send(1, p, False)
            c.expect(1, answer(p))
        c.send(1, tcp(1, b, a, 5560, 23, "R", seq=1), False)   # never answer a RST
    # answered: an echo request; not answered: an ICMP error, broadcast
    p = echo(1, B4, A4, 77)
    c.send(1, p, False)
    c.expect(1, unreach_for(p))
    c.send(1, icmp_err(1, B4, A4, udp(0, A4, B4, 1, 2)), False)
    c.send(1, Ether(src=OUT_MAC, dst="ff:ff:ff:ff:ff:ff") / IP(src=B4, dst="255.255.255.255") /
           UDP(sport=1, dport=69), False)
    # VLAN tags are kept in the answer
    p = Ether(src=OUT_MAC, dst=IN_MAC) / Dot1Q(vlan=42) / IP(src=B4, dst=A4) / TCP(
        sport=5561, dport=23, flags="S", seq=5)
    c.send(1, p, False)
    c.expect(1, rst_for(p))
    # the same traffic from the inside is accepted (default accept)
    c.send(0, tcp(0, A4, B4, 5555, 23, "S", seq=1), True)
    c.stats = ["firewall.rejects_sent 14", "firewall.rejects_not_due 4",
               "firewall.drop_reject 18", "firewall_outside.rejected 14"]
    return c


def case_log():
    c = Case("fw-log", PORTS + "default drop log\naccept from inside proto udp log\n")
    for i in range(25):
        c.send(0, udp(0, A4, B4, 4000 + i, 53), True, dt=0.001)
    for i in range(5):
        c.send(1, udp(1, B4, A4, 53, 5000 + i), False, dt=0.001)
    # a second later the limiter has room for 10 more lines
    c.send(1, udp(1, B4, A4, 53, 6000), False, dt=1.0)
    c.stats = ["firewall.log_lines 21", "firewall.log_suppressed 10"]
    return c


def case_non_ip():
    c = Case("fw-non-ip", STATEFUL)
    arp = Ether(src=IN_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, psrc=A4, pdst=B4, hwsrc=IN_MAC)
    c.send(0, arp, True)
    c.send(1, Ether(src=OUT_MAC, dst=IN_MAC) / ARP(op=2, psrc=B4, pdst=A4, hwsrc=OUT_MAC), True)
    c.send(1, Ether(src=OUT_MAC, dst=IN_MAC, type=0x88cc) / Raw(b"\x02\x07\x04" + b"\0" * 40), True)
    c.stats = ["firewall.non_ip_accepted 3"]
    d = Case("fw-non-ip-drop", STATEFUL + "non-ip drop\n")
    d.send(0, arp, False)
    d.stats = ["firewall.drop_non_ip 1"]
    return [c, d]


def case_example():
    """The issue's example config with a little of everything."""
    conf = (PORTS + "default drop\nstateful on\n"
            "timeout tcp-established 7440 tcp-transitory 240 udp 300 icmp 60\n"
            "set blocked { 198.51.100.0/24 203.0.113.7 2001:db8:bad::/48 }\n"
            "drop   from outside src @blocked\n"
            "accept from inside proto tcp dport { 22 80 443 8000-8080 }\n"
            "accept from inside proto udp dst 10.0.0.53 dport 53\n"
            "accept proto icmp\n"
            "accept ip6 proto icmp6\n"
            "reject from outside proto tcp dport 23\n"
            "drop   src 10.0.0.0/8 dst !10.0.0.0/8 sport 1-1023 log\n")
    c = Case("fw-example", conf)
    handshake(c, A4, B4, 41000, 443)
    handshake(c, A6, B6, 41001, 8080)
    c.send(0, tcp(0, A4, B4, 41002, 25, "S"), False)             # not an allowed port
    c.send(0, udp(0, A4, "10.0.0.53", 3400, 53), True)
    c.send(0, udp(0, A4, "10.0.0.54", 3400, 53), False)
    c.send(1, echo(1, "198.51.100.9", A4, 5), False)              # blocked source
    c.send(1, echo(1, B4, A4, 5), True)                           # icmp is accepted
    c.send(1, echo(1, B6, A6, 5), True)
    c.send(1, echo(1, "2001:db8:bad::1", A6, 5), False)
    p = tcp(1, B4, A4, 41003, 23, "S", seq=77)
    c.send(1, p, False)
    c.expect(1, rst_for(p))
    c.send(1, tcp(1, "203.0.113.7", A4, 41004, 23, "S"), False)   # blocked first
    c.send(0, udp(0, "10.1.1.1", "8.8.8.8", 123, 123), False)     # logged drop
    c.stats = ["firewall_rules.rule1_packets 3", "firewall_rules.rule7_packets 1",
               "firewall.rejects_sent 1", "firewall.log_lines 1"]
    return c


def case_bad_config():
    c = Case("fw-bad-config", PORTS +
             "default drop\n"
             "accept from dmz proto tcp\n"
             "accept proto udp dport 70000\n"
             "drop src @nowhere\n"
             "accept ip6 src 10.0.0.0/8\n"
             "accept proto icmp dport 1\n"
             "timeout udp 0\n")
    c.send(0, udp(0, A4, B4, 1, 2), False)
    return c


def main():
    cases = [case_match_from(), case_match_family(), case_match_proto(), case_match_addr(),
             case_match_set(), case_match_ports(), case_match_flags(), case_stateful(),
             case_tcp_rst(), case_timeouts(), case_invalid(), case_related(), case_icmp_query(), case_fragments(),
             case_table_full(), case_early_drop(), case_reject(), case_log(), case_example()] + case_non_ip()
    for c in cases:
        c.write()
    bad = case_bad_config()
    bad.write()
    d = os.path.join(HERE, bad.name)
    for f in os.listdir(d):
        if f.startswith("expect-out"):
            os.remove(os.path.join(d, f))
    with open(os.path.join(d, "expect-fail"), "w") as f:
        f.write("fw.conf:4:13: unknown port 'dmz'\n"
                "fw.conf:5:24: destination port 70000 out of range 0-65535\n"
                "fw.conf:6:10: unknown set '@nowhere'\n"
                "fw.conf:7:12: the source is IPv4 only but the rest of the rule is IPv6 only: "
                "it can never match\n"
                "fw.conf:8:19: 'dport' applies to tcp and udp only, not to the rule's protocol\n"
                "fw.conf:9:13: timeout in seconds 0 out of range 1-1000000\n")
    # The malformed-frame corpus: dropped and counted, never a sanitizer report.
    d = os.path.join(HERE, "fw-malformed")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "cmd"), "w") as f:
        f.write("firewall --config ../../../../config/examples/firewall.conf "
                "--in 0=../../../data/malformed/corpus.pcap "
                "--in 1=../../../data/malformed/corpus.pcap\n")
    with open(os.path.join(d, "expect-stats"), "w") as f:
        f.write("firewall.rules 9\n")


if __name__ == "__main__":
    main()
