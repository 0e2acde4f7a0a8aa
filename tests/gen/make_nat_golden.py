#!/usr/bin/python3
"""Make the golden cases of the NAT (tests/golden/cases/nat-*).

Each case is a config, the packets entering the inside (port 0) and the
outside (port 1), and what must leave, derived here from the NAT's
specification (nf/nat/nat.c, config/examples/nat-reference.conf): the
translated packets are the input packets with their address and port (ICMP
identifier) replaced and every checksum recomputed from scratch by scapy,
so the NAT's incremental updates (RFC 1624) must agree with a full
computation.  Nothing here runs the NAT.

Port choice, as specified: the inside port if free on the external address,
else the first free port of the range after the last one handed out on that
address and protocol.  Pool address: ((src * 0x9e3779b1) mod 2^32 * n) >> 32
(paired pooling by inside host).

Every expected output is checked with tshark (IP/TCP/UDP/ICMP checksums Good).

Run from the repository root:  /usr/bin/python3 tests/gen/make_nat_golden.py
Output is deterministic; committed files change only when this script does.
"""
import ipaddress
import os
import shutil
import subprocess
import sys

from scapy.all import (ARP, GRE, ICMP, IP, TCP, UDP, Ether, IPerror, IPv6, Raw, TCPerror,
                       UDPerror, ICMPerror, ICMPv6EchoRequest, fragment, wrpcap)

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "cases")
IN_MAC, OUT_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
PORTS = "port 0 name inside\nport 1 name outside\n"
A, A2, A3 = "10.0.0.1", "10.0.0.2", "10.0.0.3"
B, C, R = "192.0.2.10", "192.0.2.20", "198.18.0.1"
EXT = "198.51.100.1"


def pool_index(src, n):
    h = (int(ipaddress.IPv4Address(src)) * 0x9e3779b1) & 0xffffffff
    return (h * n) >> 32


class Case:
    def __init__(self, name, conf, t0=1000.0):
        self.name, self.conf, self.t = name, conf, t0
        self.inp = {0: [], 1: []}
        self.out = {0: [], 1: []}
        self.stats = []
        self.fail = None
        self.args = ""  # more nfbox replay arguments (--flows N)

    def send(self, port, pkt, out=None, dt=0.001, to=None):
        """`pkt` enters `port`; `out` (or nothing: dropped) leaves the other
        (or port `to`)."""
        self.t += dt
        pkt.time = self.t
        self.inp[port].append(pkt)
        if out is not None:
            out = Ether(bytes(out))
            out.time = self.t
            self.out[port ^ 1 if to is None else to].append(out)
        return pkt

    def write(self):
        d = os.path.join(HERE, self.name)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        with open(os.path.join(d, "nat.conf"), "w") as f:
            f.write(self.conf)
        ins = []
        for p in (0, 1):
            if self.inp[p]:
                wrpcap(os.path.join(d, f"in{p}.pcap"), self.inp[p])
                ins.append(f"--in {p}=in{p}.pcap")
        if self.fail:
            with open(os.path.join(d, "expect-fail"), "w") as f:
                f.write("\n".join(self.fail) + "\n")
        else:
            for p in (0, 1):
                wrpcap(os.path.join(d, f"expect-out{p}.pcap"), self.out[p], linktype=1)
                tshark_check(os.path.join(d, f"expect-out{p}.pcap"))
        with open(os.path.join(d, "cmd"), "w") as f:
            f.write(" ".join(["nat --config nat.conf"] + ins + ([self.args] if self.args else [])) + "\n")
        if self.stats:
            with open(os.path.join(d, "expect-stats"), "w") as f:
                f.write("\n".join(self.stats) + "\n")


def tshark_check(path):
    """Fail if tshark finds a bad checksum in what we demand."""
    if not shutil.which("tshark"):
        return
    out = subprocess.run(
        ["tshark", "-r", path, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
         "-o", "udp.check_checksum:TRUE", "-Y", "_ws.expert.severity >= warning",
         "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message"],
        capture_output=True, text=True, check=True).stdout.strip()
    bad = [l for l in out.splitlines() if "checksum" in l.lower()]
    if bad:
        sys.exit(f"{path}: tshark: {bad}")


# ---- packets ------------------------------------------------------------------
def eth(port):
    return Ether(src=IN_MAC, dst=OUT_MAC) if port == 0 else Ether(src=OUT_MAC, dst=IN_MAC)


def tcp(port, src, dst, sport, dport, flags, seq=1000, ack=0, load=b""):
    p = eth(port) / IP(src=src, dst=dst, id=7) / TCP(sport=sport, dport=dport, flags=flags, seq=seq,
                                                      ack=ack)
    return p / Raw(load) if load else p


def udp(port, src, dst, sport, dport, load=b"x" * 8, chksum=None):
    u = UDP(sport=sport, dport=dport) if chksum is None else UDP(sport=sport, dport=dport, chksum=chksum)
    return eth(port) / IP(src=src, dst=dst, id=9) / u / Raw(load)


def echo(port, src, dst, ident, seq=1, reply=False):
    return eth(port) / IP(src=src, dst=dst, id=11) / ICMP(type=0 if reply else 8, id=ident, seq=seq) / \
        Raw(b"ping0123")


def snat(p, addr, port):
    """Inside packet `p` as it must leave: source address and port replaced."""
    q = Ether(bytes(p))
    q[IP].src = addr
    del q[IP].chksum
    if TCP in q:
        q[TCP].sport = port
        del q[TCP].chksum
    elif UDP in q:
        q[UDP].sport = port
        if q[UDP].chksum != 0:
            del q[UDP].chksum
    elif ICMP in q:
        q[ICMP].id = port
        del q[ICMP].chksum
    return Ether(bytes(q))


def unsnat(p, addr, port):
    """Outside packet `p` as it must leave: destination address and port."""
    q = Ether(bytes(p))
    q[IP].dst = addr
    del q[IP].chksum
    if TCP in q:
        q[TCP].dport = port
        del q[TCP].chksum
    elif UDP in q:
        q[UDP].dport = port
        if q[UDP].chksum != 0:
            del q[UDP].chksum
    elif ICMP in q:
        q[ICMP].id = port
        del q[ICMP].chksum
    return Ether(bytes(q))


def icmp_err(port, src, dst, quoted, typ=3, code=3, qlen=None):
    """An ICMP error from `src` to `dst` quoting IP packet bytes `quoted`
    (the whole IP packet, or its first qlen bytes)."""
    q = bytes(quoted[IP])
    if qlen is not None:
        q = q[:qlen]
    return eth(port) / IP(src=src, dst=dst, id=13) / ICMP(type=typ, code=code) / Raw(q)


def ref_conf():
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "config",
                           "examples", "nat-reference.conf")) as f:
        return f.read()


# ---- cases --------------------------------------------------------------------
def case_basic():
    c = Case("nat-basic", PORTS + f"snat from 10.0.0.0/8 to {EXT} ports 1024-65535\n")
    # TCP: handshake, data both ways, port preserved.
    s = tcp(0, A, B, 40000, 80, "S", seq=100)
    c.send(0, s, snat(s, EXT, 40000))
    r = tcp(1, B, EXT, 80, 40000, "SA", seq=500, ack=101)
    c.send(1, r, unsnat(r, A, 40000))
    a = tcp(0, A, B, 40000, 80, "A", seq=101, ack=501, load=b"GET / HTTP/1.0\r\n\r\n")
    c.send(0, a, snat(a, EXT, 40000))
    d = tcp(1, B, EXT, 80, 40000, "PA", seq=501, ack=119, load=b"HTTP/1.0 200 OK\r\n\r\n")
    c.send(1, d, unsnat(d, A, 40000))
    # A second host on the same inside port: 40000 is taken on the one
    # external address, so it gets the first free port of the range.
    s2 = tcp(0, A2, B, 40000, 80, "S")
    c.send(0, s2, snat(s2, EXT, 1024))
    r2 = tcp(1, B, EXT, 80, 1024, "SA", seq=900, ack=1001)
    c.send(1, r2, unsnat(r2, A2, 40000))
    # UDP with a checksum, and with none (0 stays 0).
    u = udp(0, A, B, 5353, 53)
    c.send(0, u, snat(u, EXT, 5353))
    ur = udp(1, B, EXT, 53, 5353, load=b"answer!!")
    c.send(1, ur, unsnat(ur, A, 5353))
    z = udp(0, A3, C, 5000, 9, chksum=0)
    c.send(0, z, snat(z, EXT, 5000))
    zr = udp(1, C, EXT, 9, 5000, chksum=0)
    c.send(1, zr, unsnat(zr, A3, 5000))
    # ICMP echo: the identifier is the port.
    e = echo(0, A, B, 4000)
    c.send(0, e, snat(e, EXT, 4000))
    er = echo(1, B, EXT, 4000, reply=True)
    c.send(1, er, unsnat(er, A, 4000))
    # The same ICMP id from another host: the next free "port" after the
    # cursor (1024 is free for ICMP); an id below the range is not kept.
    e2 = echo(0, A2, B, 4000)
    c.send(0, e2, snat(e2, EXT, 1024))
    e3 = echo(0, A3, B, 77)
    c.send(0, e3, snat(e3, EXT, 1025))
    # Dropped: unsolicited from outside, a reply from the wrong remote, an
    # echo request from outside on a session's id (no_mapping); an inside
    # echo reply (unsupported); a source no rule covers (no_rule).
    c.send(1, udp(1, B, EXT, 53, 2222), None)
    c.send(1, udp(1, C, EXT, 53, 5353), None)
    c.send(1, echo(1, B, EXT, 77), None)
    c.send(0, udp(0, "192.168.1.1", B, 1000, 53), None)
    c.send(0, echo(0, A, B, 78, reply=True), None)
    c.stats = ["nat.sessions_created 7", "nat.sessions_active 7", "nat.translated_out 8",
               "nat.translated_in 6", "nat.drop_no_mapping 3", "nat.drop_no_rule 1",
               "nat.drop_unsupported 1", f"nat_pool.{EXT}_tcp_ports_used 2",
               f"nat_pool.{EXT}_udp_ports_used 2", f"nat_pool.{EXT}_icmp_ports_used 3"]
    return c


def case_icmp_errors():
    c = Case("nat-icmp-errors", PORTS + f"snat from 10.0.0.0/8 to {EXT}\n")
    # Sessions: UDP A:7000 -> B:33434, TCP A:41000 -> B:443, ping id 5.
    u = udp(0, A, B, 7000, 33434)
    ut = snat(u, EXT, 7000)
    c.send(0, u, ut)
    t = tcp(0, A, B, 41000, 443, "S")
    tt = snat(t, EXT, 41000)
    c.send(0, t, tt)
    e = echo(0, A, B, 5)
    et = snat(e, EXT, 1024)  # identifier 5 is below the range
    c.send(0, e, et)
    # Errors from the outside about them, quoting the translated packets:
    # the whole packet (UDP), the RFC 792 minimum of 28 bytes (TCP: no
    # checksum in the quote), a time exceeded about the ping.
    for quoted, orig, kw in ((ut, u, {}), (tt, t, {"qlen": 28}), (et, e, {"typ": 11, "code": 0})):
        err = icmp_err(1, R, EXT, quoted, **kw)
        want = icmp_err(1, R, A, orig, **kw)  # the NAT leaves Ethernet alone
        c.send(1, err, want)
    # An error that quotes no session, and one addressed elsewhere.
    c.send(1, icmp_err(1, R, EXT, snat(udp(0, A, B, 7001, 33434), EXT, 7001)), None)
    c.send(1, icmp_err(1, R, C, ut), None)
    # From the inside: A answers a reply with port unreachable.  The quote
    # is the reply as A got it; out it goes as if from the NAT.
    ur = udp(1, B, EXT, 33434, 7000)
    urt = unsnat(ur, A, 7000)
    c.send(1, ur, urt)
    c.send(0, icmp_err(0, A, B, urt), icmp_err(0, EXT, B, ur))
    c.stats = ["nat.icmp_errors_in 3", "nat.icmp_errors_out 1", "nat.drop_no_mapping 2"]
    return c


def case_timeouts():
    c = Case("nat-timeouts", PORTS + f"snat from 10.0.0.0/8 to {EXT}\n"
             "timeout udp 5 icmp 3 tcp-transitory 4 tcp-established 10\n")
    u = udp(0, A, B, 6000, 53)
    c.send(0, u, snat(u, EXT, 6000))
    r = udp(1, B, EXT, 53, 6000)
    c.send(1, r, unsnat(r, A, 6000), dt=3)       # 3 s later: alive, refreshed
    c.send(1, r.copy(), unsnat(r, A, 6000), dt=4.9)  # 4.9 s after the refresh
    c.send(1, r.copy(), None, dt=5.1)             # 5.1 s of silence: gone
    # Ping: 3 s.
    e = echo(0, A, B, 9000)
    c.send(0, e, snat(e, EXT, 9000))
    er = echo(1, B, EXT, 9000, reply=True)
    c.send(1, er, None, dt=3.1)
    # TCP: a SYN alone lives 4 s (transitory); after the answer it is
    # established (10 s); after a FIN transitory again.
    s = tcp(0, A, B, 42000, 22, "S")
    c.send(0, s, snat(s, EXT, 42000))
    sa = tcp(1, B, EXT, 22, 42000, "SA", ack=1001)
    c.send(1, sa, unsnat(sa, A, 42000), dt=3.9)
    ack = tcp(0, A, B, 42000, 22, "A", seq=1001, ack=2)
    c.send(0, ack, snat(ack, EXT, 42000), dt=0.1)
    d = tcp(1, B, EXT, 22, 42000, "A", seq=2, ack=1001, load=b"SSH-2.0-x\r\n")
    c.send(1, d, unsnat(d, A, 42000), dt=9.5)     # established: 10 s
    f = tcp(0, A, B, 42000, 22, "FA", seq=1001, ack=13)
    c.send(0, f, snat(f, EXT, 42000), dt=0.1)
    c.send(1, d.copy(), None, dt=4.5)             # closing: 4 s
    # The expired UDP session's port is free again: a new session keeps it.
    u2 = udp(0, A, B, 6000, 53)
    c.send(0, u2, snat(u2, EXT, 6000), dt=0.1)
    c.stats = ["nat.sessions_expired 3", "nat.sessions_created 4", "nat.sessions_active 1",
               "nat.drop_no_mapping 3"]
    return c


def case_exhaustion():
    c = Case("nat-exhaustion", PORTS + f"snat from 10.0.0.0/8 to {EXT} ports 2000-2001\n"
             "timeout udp 2\n")
    u1 = udp(0, A, B, 2001, 53)
    c.send(0, u1, snat(u1, EXT, 2001))       # preserved
    u2 = udp(0, A2, B, 2001, 53)
    c.send(0, u2, snat(u2, EXT, 2000))       # 2001 taken: the other one
    # Both answered: no port may be reclaimed from them (nat-port-early-drop).
    for port, src in ((2001, A), (2000, A2)):
        r = udp(1, B, EXT, 53, port)
        c.send(1, r, unsnat(r, src, 2001))
    c.send(0, udp(0, A3, B, 3000, 53), None)  # no port left
    c.send(0, udp(0, A3, B, 3001, 53), None)
    t = tcp(0, A3, B, 3000, 80, "S")           # TCP has its own ports
    c.send(0, t, snat(t, EXT, 2000))
    # Both UDP sessions expire; A3 gets a port: 2001 is next after the
    # cursor, but 3000 is even and so is 2000 (RFC 4787 REQ-4 parity).
    u3 = udp(0, A3, B, 3000, 53)
    c.send(0, u3, snat(u3, EXT, 2000), dt=2.5)
    c.stats = ["nat.drop_ports_exhausted 2", "nat.sessions_expired 2", "nat.sessions_active 2",
               f"nat_pool.{EXT}_udp_ports_used 1"]
    return c


def case_pool():
    pool1 = ["198.51.100.%d" % i for i in range(8, 12)]
    conf = PORTS + ("snat from { 10.1.0.0/16 10.2.0.0/16 } to 198.51.100.8/30 ports 10000-19999\n"
                    "snat from 10.0.0.0/8 to { 203.0.113.5 203.0.113.9 }\n")
    c = Case("nat-pool", conf)
    used = {}
    for i, src in enumerate(["10.1.0.1", "10.1.0.2", "10.2.3.4", "10.1.7.9", "10.2.0.200"]):
        ext = pool1[pool_index(src, 4)]
        # Port 80xx is out of the range: the first free port of the range
        # after the last one given there, of 80xx's parity.
        taken_here = used.setdefault(ext, [])
        port = (taken_here[-1] + 1) if taken_here else 10000
        while port in taken_here or port % 2 != (8000 + i) % 2:
            port += 1
        taken_here.append(port)
        u = udp(0, src, B, 8000 + i, 53)
        c.send(0, u, snat(u, ext, port))
        r = udp(1, B, ext, 53, port)
        c.send(1, r, unsnat(r, src, 8000 + i))
    pool2 = ["203.0.113.5", "203.0.113.9"]
    taken = set()
    for src in ["10.9.0.1", "10.9.0.2", "10.9.0.3"]:
        ext = pool2[pool_index(src, 2)]
        # 50000 is kept by the first host on each address; the next one
        # there gets the range's first free port.
        port = 50000 if ext not in taken else 1024
        taken.add(ext)
        t = tcp(0, src, C, 50000, 443, "S")
        c.send(0, t, snat(t, ext, port))
    c.stats = ["nat.pool_addresses 6", "nat.rules 2", "nat.sessions_created 8"]
    return c


def case_passthrough(name, v6, nonip):
    conf = PORTS + f"snat from 10.0.0.0/8 to {EXT}\nipv6 {v6}\nnon-ip {nonip}\n"
    c = Case(name, conf)
    p6 = eth(0) / IPv6(src="2001:db8:1::1", dst="2001:db8:2::1") / UDP(sport=1, dport=2) / Raw(b"v6")
    c.send(0, p6, p6 if v6 == "pass" else None)
    p6b = eth(1) / IPv6(src="2001:db8:2::1", dst="2001:db8:1::1") / ICMPv6EchoRequest(id=1)
    c.send(1, p6b, p6b if v6 == "pass" else None)
    arp = eth(0) / ARP(psrc=A, pdst="10.0.0.254")
    c.send(0, arp, arp if nonip == "pass" else None)
    # Other protocols, whole or fragmented: dropped either way (fragments
    # of TCP, UDP and ICMP: the nat-frag-* cases).
    c.send(0, eth(0) / IP(src=A, dst=B) / GRE() / Raw(b"gre!"), None)
    gre = eth(0) / IP(src=A, dst=B, id=99) / GRE() / Raw(b"f" * 64)
    for fr in fragment(gre[IP], fragsize=32):
        c.send(0, eth(0) / fr, None)
    c.stats = ["nat.drop_fragment 0", "nat.drop_unsupported 4"]
    c.stats.append(f"nat.drop_ipv6 {0 if v6 == 'pass' else 2}")
    c.stats.append(f"nat.drop_non_ip {0 if nonip == 'pass' else 1}")
    return c


def case_bad_config():
    c = Case("nat-bad-config", PORTS +
             "snat from 10.0.0.0/8 to 198.51.100.1 ports 70-10\n"
             "snat from 2001:db8::/32 to 198.51.100.2\n"
             "snat from 10.0.0.0/8 to 198.51.0.0/16\n"
             "snat from 10.0.0.0/8 to 198.51.100.1\n"
             "snat from 10.0.0.0/8 to 198.51.100.1\n"
             "snat to 198.51.100.3\n"
             "timeout udp 0\n"
             "timeout tcp 5\n"
             "ipv6 maybe\n"
             "nat44 on\n"
             "mapping full-cone\n"
             "mapping endpoint-independent\n"
             "mapping address-port-dependent\n")
    c.send(0, udp(0, A, B, 1, 2), None)
    c.fail = ["nat.conf:3:44: port range 70-10 is empty (70 > 10)",
              "nat.conf:4:11: snat translates IPv4 only, '2001:db8::/32' is IPv6",
              "nat.conf:5:25: the pools hold more than 1024 addresses with '198.51.0.0/16'",
              "nat.conf:7:25: pool address 198.51.100.1 is already in the pool of the snat rule at line 6",
              "nat.conf:8:6: expected 'from', got 'to'",
              "nat.conf:9:13: timeout in seconds 0 out of range 1-1000000",
              "nat.conf:10:9: expected timeout name (tcp-established|tcp-transitory|udp|icmp|fragment), "
              "got 'tcp'",
              "nat.conf:11:6: expected IPv6 policy (pass|drop), got 'maybe'",
              "nat.conf:12:1: unknown keyword 'nat44'",
              "nat.conf:13:9: expected mapping behaviour (endpoint-independent|address-port-dependent), "
              "got 'full-cone'",
              "nat.conf:15:1: 'mapping' given twice (first at line 13)"]
    return c


def eim_traffic(c, ext_c, ext_a2):
    """One inside endpoint (A:5000) to two remotes, then A2 on the same
    inside port.  ext_c: A:5000's port toward C; ext_a2: A2's port."""
    u1 = udp(0, A, B, 5000, 53)
    c.send(0, u1, snat(u1, EXT, 5000))
    u2 = udp(0, A, C, 5000, 123)
    c.send(0, u2, snat(u2, EXT, ext_c))
    u3 = udp(0, A2, B, 5000, 53)
    c.send(0, u3, snat(u3, EXT, ext_a2))
    # Each remote answers its own session.
    r1 = udp(1, B, EXT, 53, 5000, load=b"answer-B")
    c.send(1, r1, unsnat(r1, A, 5000))
    r2 = udp(1, C, EXT, 123, ext_c, load=b"answer-C")
    c.send(1, r2, unsnat(r2, A, 5000))
    r3 = udp(1, B, EXT, 53, ext_a2, load=b"answer-2")
    c.send(1, r3, unsnat(r3, A2, 5000))
    # Address-and-port-dependent filtering either way: a remote no session
    # of A:5000 talks to, and a known remote from another port, are dropped.
    c.send(1, udp(1, R, EXT, 53, 5000), None)
    c.send(1, udp(1, B, EXT, 54, 5000), None)


def case_eim_mapping():
    """Endpoint-independent mapping (RFC 4787 REQ-1): A:5000 keeps external
    port 5000 toward every destination; A2:5000 gets the first free port of
    the range (1024).  TCP and ICMP echo alike: A:40000 to two servers is
    40000 both times; ping identifier 7 is below the range, so the first
    ICMP "port", 1024, for both pings of A's identifier 7."""
    c = Case("nat-eim-mapping", PORTS + f"snat from 10.0.0.0/8 to {EXT} ports 1024-65535\n"
             "mapping endpoint-independent\n")
    eim_traffic(c, 5000, 1024)
    t1 = tcp(0, A, B, 40000, 80, "S")
    c.send(0, t1, snat(t1, EXT, 40000))
    t2 = tcp(0, A, C, 40000, 443, "S")
    c.send(0, t2, snat(t2, EXT, 40000))
    ta = tcp(1, C, EXT, 443, 40000, "SA", seq=77, ack=1001)
    c.send(1, ta, unsnat(ta, A, 40000))
    e1 = echo(0, A, B, 7)
    c.send(0, e1, snat(e1, EXT, 1024))
    e2 = echo(0, A, C, 7)
    c.send(0, e2, snat(e2, EXT, 1024))
    er = echo(1, C, EXT, 1024, reply=True)
    c.send(1, er, unsnat(er, A, 7))
    # Mappings: UDP A:5000, UDP A2:5000, TCP A:40000, ICMP A:7; sessions:
    # 3 UDP, 2 TCP, 2 ICMP.
    c.stats = ["nat.mapping endpoint-independent", "nat.mappings 4", "nat.sessions_created 7",
               "nat.sessions_active 7", "nat.drop_no_mapping 2", "nat.translated_out 7",
               "nat.translated_in 5", f"nat_pool.{EXT}_udp_ports_used 2",
               f"nat_pool.{EXT}_tcp_ports_used 1", f"nat_pool.{EXT}_icmp_ports_used 1"]
    return c


def case_eim_apdm():
    """The same traffic with `mapping address-port-dependent`: every session
    its own port, so A:5000 toward C gets the first free port (1024) and
    A2:5000 the next even one (1026: parity, RFC 4787 REQ-4)."""
    c = Case("nat-eim-apdm", PORTS + f"snat from 10.0.0.0/8 to {EXT} ports 1024-65535\n"
             "mapping address-port-dependent\n")
    eim_traffic(c, 1024, 1026)
    c.stats = ["nat.mapping address-port-dependent", "nat.mappings 0", "nat.sessions_created 3",
               "nat.drop_no_mapping 2", f"nat_pool.{EXT}_udp_ports_used 3"]
    return c


def case_eim_release():
    """A mapping lives while any of its sessions does, and its port comes
    back with the last one."""
    c = Case("nat-eim-release", PORTS + f"snat from 10.0.0.0/8 to {EXT} ports 1024-65535\n"
             "mapping endpoint-independent\ntimeout udp 5\n")
    u1 = udp(0, A, B, 6000, 53)
    c.send(0, u1, snat(u1, EXT, 6000))                 # t
    u2 = udp(0, A, C, 6000, 53)
    c.send(0, u2, snat(u2, EXT, 6000), dt=3)           # t+3: same mapping
    # t+5.5: A->B has expired, A->C lives (until t+8): 6000 is still A's,
    # so A2:6000 gets the first free port, and B's answer is too late.
    u3 = udp(0, A2, B, 6000, 53)
    c.send(0, u3, snat(u3, EXT, 1024), dt=2.5)
    c.send(1, udp(1, B, EXT, 53, 6000), None)
    r = udp(1, C, EXT, 53, 6000)
    c.send(1, r, unsnat(r, A, 6000))                   # refreshes A->C: t+10.5
    # t+10.8: every session of A:6000 has ended (and A2's); the timer
    # wheel, which runs after each burst, reaps them after this stray
    # packet, so the mapping and its port are gone.  At t+11 A3 keeps its
    # inside port 6000.
    c.send(1, udp(1, R, EXT, 53, 9999), None, dt=5.3)
    u4 = udp(0, A3, B, 6000, 53)
    c.send(0, u4, snat(u4, EXT, 6000), dt=0.2)
    c.stats = ["nat.mapping endpoint-independent", "nat.sessions_created 4",
               "nat.sessions_expired 3", "nat.sessions_active 1", "nat.mappings 1",
               "nat.drop_no_mapping 2", f"nat_pool.{EXT}_udp_ports_used 1"]
    return c


def case_reuse_after_expiry():
    """An expired session never blocks a new one with the same tuple, also
    before the timer wheel has reaped it (the first packet after an idle
    spell is processed before the wheel runs)."""
    c = Case("nat-reuse-after-expiry", PORTS + f"snat from 10.0.0.0/8 to {EXT}\n"
             "timeout udp 5 icmp 3\n")
    u = udp(0, A, B, 40000, 3478)
    c.send(0, u, snat(u, EXT, 40000))
    c.send(0, u.copy(), snat(u, EXT, 40000), dt=6)    # expired, not reaped yet
    r = udp(1, B, EXT, 3478, 40000)
    c.send(1, r, unsnat(r, A, 40000))                 # the new session answers
    e = echo(0, A, B, 4077)                            # keeps its id, also after expiry
    c.send(0, e, snat(e, EXT, 4077))
    c.send(0, e.copy(), snat(e, EXT, 4077), dt=4)
    c.stats = ["nat.sessions_created 4", "nat.sessions_expired 2", "nat.sessions_active 2",
               "nat.drop_invalid 0", "nat.dropped 0"]
    return c


def case_timeout_never_early():
    """A timeout never fires before its configured value, whatever the
    phase of the packet inside the table's ~1 ms tick, and at most two
    ticks after it.  Eight pings 137 us apart cover every phase; each reply
    comes 200 us before the 60 s ICMP timeout (RFC 5508's minimum, the
    default), one more 3 ms after it.  60 s is 57221 ticks of 2^20 ns, only
    40 us more than 60 s: rounding `now` down to its tick made most of
    these replies late."""
    c = Case("nat-timeout-never-early", PORTS + f"snat from 10.0.0.0/8 to {EXT}\n")
    sent = []
    for k in range(8):
        e = echo(0, A, B, 4100 + k)
        c.send(0, e, snat(e, EXT, 4100 + k), dt=0.000137)
        sent.append(c.t)
    for k in range(8):
        er = echo(1, B, EXT, 4100 + k, reply=True)
        c.send(1, er, unsnat(er, A, 4100 + k), dt=sent[k] + 59.9998 - c.t)
    e = echo(0, A, B, 4200)
    c.send(0, e, snat(e, EXT, 4200), dt=0.01)
    t_req = c.t
    er = echo(1, B, EXT, 4200, reply=True)
    c.send(1, er, None, dt=t_req + 60.003 - c.t)
    c.stats = ["nat.sessions_created 9", "nat.drop_no_mapping 1"]
    return c


def case_hairpin():
    """Hairpinning (RFC 4787 REQ-9, RFC 5382 REQ-8): inside hosts reach
    each other through their external endpoints; both ends are translated
    and the packet goes back out of the inside port.  Filtering stays
    address-and-port-dependent: A2's first packet to A's external endpoint
    is dropped (A never sent to A2's), and opens the way for A's."""
    c = Case("nat-hairpin", PORTS + f"snat from 10.0.0.0/8 to {EXT}\n"
             "mapping endpoint-independent\n")
    a = udp(0, A, B, 5000, 3478)
    c.send(0, a, snat(a, EXT, 5000))                  # A's mapping: EXT:5000
    a2 = udp(0, A2, R, 6000, 3478)
    c.send(0, a2, snat(a2, EXT, 6000))                # A2's mapping: EXT:6000
    h1 = udp(0, A2, EXT, 6000, 5000)
    c.send(0, h1, None)                               # A never sent to EXT:6000
    h2 = udp(0, A, EXT, 5000, 6000)
    c.send(0, h2, unsnat(snat(h2, EXT, 5000), A2, 6000), to=0)
    h3 = udp(0, A2, EXT, 6000, 5000)
    c.send(0, h3, unsnat(snat(h3, EXT, 6000), A, 5000), to=0)
    t = tcp(0, A, EXT, 5001, 6000, "S")               # no session behind 6000 for TCP
    c.send(0, t, None)
    c.stats = ["nat.hairpinned 2", "nat.drop_no_mapping 2", "nat.sessions_created 5"]
    return c


def rewrite(p, src=None, dst=None, ident=None):
    """ICMP query `p` with its addresses and identifier replaced, every
    checksum recomputed."""
    q = Ether(bytes(p))
    if src:
        q[IP].src = src
    if dst:
        q[IP].dst = dst
    if ident is not None:
        q[ICMP].id = ident
    del q[IP].chksum
    del q[ICMP].chksum
    return Ether(bytes(q))


def case_hairpin_icmp():
    """Hairpinned ICMP (RFC 5508 REQ-7): A pings A2's external ICMP
    mapping EXT:7000 (A2's ping to R made it); the request reaches A2 from
    A's own external endpoint (EXT, and the identifier A's session got:
    1024, since A2 holds 7000) and A2's reply comes back to A from EXT with
    A's identifier.  ICMP errors about hairpinned packets go back inside,
    both ends translated, the quote as its sender sent it: A2 about A's
    UDP datagram and about A's echo request, A about A2's echo reply."""
    c = Case("nat-hairpin-icmp", PORTS + f"snat from 10.0.0.0/8 to {EXT}\n"
             "mapping endpoint-independent\n")
    p = echo(0, A2, R, 7000)
    c.send(0, p, snat(p, EXT, 7000))                 # A2's ICMP mapping: EXT:7000
    req = echo(0, A, EXT, 7000, seq=1)
    got = rewrite(req, EXT, A2, 1024)
    c.send(0, req, got, to=0)
    rep = echo(0, A2, EXT, 1024, seq=1, reply=True)
    c.send(0, rep, rewrite(rep, EXT, A, 7000), to=0)
    req2 = echo(0, A, EXT, 7000, seq=2)              # the session, once more
    c.send(0, req2, rewrite(req2, EXT, A2, 1024), to=0)
    rep2 = echo(0, A2, EXT, 1024, seq=2, reply=True)
    c.send(0, rep2, rewrite(rep2, EXT, A, 7000), to=0)
    c.send(0, echo(0, A, EXT, 9999), None)           # nobody's mapping
    c.send(0, echo(0, A2, EXT, 4242, reply=True), None)  # no such query
    # UDP hairpinning as in nat-hairpin, then errors about what was hairpinned.
    a = udp(0, A, B, 5000, 3478)
    c.send(0, a, snat(a, EXT, 5000))
    a2 = udp(0, A2, R, 6000, 3478)
    c.send(0, a2, snat(a2, EXT, 6000))
    c.send(0, udp(0, A2, EXT, 6000, 5000), None)     # A2 opens the way for A
    h = udp(0, A, EXT, 5000, 6000)
    hd = unsnat(snat(h, EXT, 5000), A2, 6000)        # as A2 gets it
    c.send(0, h, hd, to=0)
    # A2: port unreachable about A's datagram; A gets it from EXT about the
    # datagram as A sent it.
    c.send(0, icmp_err(0, A2, EXT, hd), icmp_err(0, EXT, A, h), to=0)
    # A2: host unreachable about A's echo request; A: time exceeded about
    # A2's echo reply.
    c.send(0, icmp_err(0, A2, EXT, got, code=1), icmp_err(0, EXT, A, req, code=1), to=0)
    back = rewrite(rep, EXT, A, 7000)
    c.send(0, icmp_err(0, A, EXT, back, typ=11, code=0),
           icmp_err(0, EXT, A2, rep, typ=11, code=0), to=0)
    # About a packet from EXT no session knows: dropped.
    c.send(0, icmp_err(0, A2, EXT, unsnat(snat(udp(0, A3, EXT, 5555, 6000), EXT, 5555), A2, 6000)),
           None)
    c.stats = ["nat.hairpinned 8", "nat.icmp_errors_out 3", "nat.drop_no_mapping 4",
               "nat.sessions_created 6"]
    return c


# ---- fragments (nf/nat/nat_frag.h) ----------------------------------------------
class FragCase(Case):
    """A case replayed with `--flows N` (the fragment table's size follows
    the flow capacity: flows / 8 datagrams within 64-16384, half of that
    held within 16-256)."""

    def __init__(self, name, conf, flows=None):
        super().__init__(name, conf)
        self.flows = flows

    def write(self):
        super().write()
        if self.flows:
            path = os.path.join(HERE, self.name, "cmd")
            with open(path) as f:
                cmd = f.read().split()
            with open(path, "w") as f:
                f.write(" ".join(cmd[:3] + ["--flows", str(self.flows)] + cmd[3:]) + "\n")


def frags(p, size=None, cuts=None):
    """Packet `p` (Ether/IPv4, checksums as scapy computes them for the
    whole datagram) cut into fragments: `cuts` is a list of (offset,
    length) in bytes of the IP payload, or every `size` bytes.  Each
    fragment copies the IP header, MF unless it ends the payload, its own
    IP checksum; nothing else is recomputed."""
    q = Ether(bytes(p))
    payload = bytes(q[IP].payload)
    if cuts is None:
        cuts = [(o, size) for o in range(0, len(payload), size)]
    out = []
    for off, ln in cuts:
        chunk = payload[off:off + ln]
        more = off + len(chunk) < len(payload)
        f = Ether(src=q.src, dst=q.dst) / IP(src=q[IP].src, dst=q[IP].dst, id=q[IP].id,
                                              ttl=q[IP].ttl, proto=q[IP].proto,
                                              flags="MF" if more else 0, frag=off // 8) / Raw(chunk)
        out.append(Ether(bytes(f)))
    return out


def udp_dgram(port, src, dst, sport, dport, n, ident, chksum=None):
    u = UDP(sport=sport, dport=dport) if chksum is None else UDP(sport=sport, dport=dport,
                                                                  chksum=chksum)
    return eth(port) / IP(src=src, dst=dst, id=ident) / u / Raw(bytes((i * 7) & 255 for i in range(n)))


def released(c, port, held):
    """Held fragments leave, after the packet just sent, in the order they
    came, each with its own input time: `held` is (input, expected output)."""
    for inp, out in held:
        o = Ether(bytes(out))
        o.time = inp.time
        c.out[port ^ 1].append(o)


def case_frag_in_order():
    """Fragmented datagrams both ways, in order: the first fragment is
    translated as a whole packet (address, port, transport checksum over
    the whole datagram), later ones get the first's addresses (IP checksum
    only).  UDP, UDP without checksum, TCP, ICMP echo."""
    c = Case("nat-frag-in-order", PORTS + f"snat from 10.0.0.0/8 to {EXT}\n")
    d = udp_dgram(0, A, B, 5000, 53, 120, 301)
    for i, o in zip(frags(d, 48), frags(snat(d, EXT, 5000), 48)):
        c.send(0, i, o)
    r = udp_dgram(1, B, EXT, 53, 5000, 200, 302)
    for i, o in zip(frags(r, 64), frags(unsnat(r, A, 5000), 64)):
        c.send(1, i, o)
    s = tcp(0, A, B, 40000, 80, "S", seq=100)
    c.send(0, s, snat(s, EXT, 40000))
    t = tcp(0, A, B, 40000, 80, "PA", seq=101, load=b"T" * 100)
    t[IP].id = 303
    for i, o in zip(frags(t, 40), frags(snat(t, EXT, 40000), 40)):
        c.send(0, i, o)
    e = eth(0) / IP(src=A, dst=B, id=304) / ICMP(type=8, id=4000, seq=1) / Raw(b"P" * 100)
    for i, o in zip(frags(e, 56), frags(snat(e, EXT, 4000), 56)):
        c.send(0, i, o)
    er = eth(1) / IP(src=B, dst=EXT, id=305) / ICMP(type=0, id=4000, seq=1) / Raw(b"P" * 100)
    for i, o in zip(frags(er, 56), frags(unsnat(er, A, 4000), 56)):
        c.send(1, i, o)
    z = udp_dgram(0, A3, C, 5001, 9, 40, 306, chksum=0)
    for i, o in zip(frags(z, 24), frags(snat(z, EXT, 5001), 24)):
        c.send(0, i, o)
    c.stats = ["nat.frag_firsts 6", "nat.frag_translated 10", "nat.frag_held 0",
               "nat.translated_out 5", "nat.translated_in 2", "nat.dropped 0",
               "nat.frag_datagrams 6"]
    return c


def case_frag_out_of_order():
    """First fragments late: the later ones are held and leave, translated,
    right after their first, in the order they came.  Both ways; in one
    burst (same time, same port) they go by their place in the burst.  An
    unsolicited datagram from outside: its first is dropped, so are the
    held and the later fragments."""
    c = Case("nat-frag-out-of-order", PORTS + f"snat from 10.0.0.0/8 to {EXT}\n")
    d = udp_dgram(0, A, B, 6000, 53, 100, 401)
    fi, fo = frags(d, 40), frags(snat(d, EXT, 6000), 40)
    held = [(c.send(0, fi[2], None), fo[2]), (c.send(0, fi[1], None), fo[1])]
    c.send(0, fi[0], fo[0])
    released(c, 0, held)
    r = udp_dgram(1, B, EXT, 53, 6000, 200, 402)
    ri, ro = frags(r, 56), frags(unsnat(r, A, 6000), 56)
    held = [(c.send(1, ri[3], None), ro[3]), (c.send(1, ri[1], None), ro[1])]
    c.send(1, ri[0], ro[0])
    released(c, 1, held)
    c.send(1, ri[2], ro[2])
    # One burst: later, first, later -- then first, later.
    g = udp_dgram(0, A, B, 6000, 53, 100, 403)
    gi, go = frags(g, 40), frags(snat(g, EXT, 6000), 40)
    c.send(0, gi[1], go[1])
    c.send(0, gi[0], go[0], dt=0)
    c.send(0, gi[2], go[2], dt=0)
    h = udp_dgram(0, A, B, 6000, 53, 60, 404)
    hi, ho = frags(h, 40), frags(snat(h, EXT, 6000), 40)
    c.send(0, hi[0], ho[0])
    c.send(0, hi[1], ho[1], dt=0)
    # Nobody inside asked for this one.
    u = udp_dgram(1, R, EXT, 53, 7777, 100, 405)
    ui = frags(u, 40)
    c.send(1, ui[1], None)
    c.send(1, ui[0], None)
    c.send(1, ui[2], None)
    c.stats = ["nat.frag_firsts 5", "nat.frag_held 8", "nat.frag_released 7",
               "nat.frag_translated 8", "nat.frag_drop_first_dropped 2", "nat.drop_fragment 2",
               "nat.drop_no_mapping 1", "nat.dropped 3", "nat.frag_held_now 0",
               "loop.kept 5", "loop.released 4", "loop.emitted 0"]
    return c


def case_frag_timeout():
    """`timeout fragment 1`: held fragments wait one second from their
    datagram's first fragment seen, then are dropped (the timer runs after
    a burst, here one that moves the clock past the deadline).  A first
    fragment after that starts the datagram over."""
    c = Case("nat-frag-timeout", PORTS + f"snat from 10.0.0.0/8 to {EXT}\ntimeout fragment 1\n")
    k = udp_dgram(0, A, B, 8000, 53, 100, 501)
    ki, ko = frags(k, 40), frags(snat(k, EXT, 8000), 40)
    held = [(c.send(0, ki[1], None), ko[1]), (c.send(0, ki[2], None), ko[2])]
    c.send(0, ki[0], ko[0], dt=0.9)              # 0.901 s after the first seen
    released(c, 0, held)
    m = udp_dgram(0, A, B, 8000, 53, 100, 502)
    mi, mo = frags(m, 40), frags(snat(m, EXT, 8000), 40)
    c.send(0, mi[1], None)
    u = udp(0, A2, B, 8001, 53)
    c.send(0, u, snat(u, EXT, 8001), dt=1.2)     # the timer drops mi[1]
    c.send(0, mi[0], mo[0], dt=0.1)
    c.send(0, mi[2], mo[2])
    # The first never comes: both held ones go at the deadline.
    n = udp_dgram(0, A, B, 8000, 53, 100, 503)
    ni = frags(n, 40)
    c.send(0, ni[1], None)
    c.send(0, ni[2], None)
    c.send(0, u.copy(), snat(u, EXT, 8001), dt=1.5)
    c.stats = ["nat.frag_held 5", "nat.frag_released 2", "nat.frag_drop_timeout 3",
               "nat.drop_fragment 3", "nat.frag_held_now 0", "nat.frag_translated 3"]
    return c


def case_frag_too_many():
    """Bounds (--flows 256: 64 datagrams, 32 fragments held in all):
    NAT_FRAG_PER_DGRAM (16) held for one datagram, one more dooms it (all
    17 dropped; its first still passes, the session decides it); the
    datagram that would hold a 33rd fragment in all is doomed, the others
    keep theirs and leave with their firsts."""
    c = FragCase("nat-frag-too-many", PORTS + f"snat from 10.0.0.0/8 to {EXT}\n", flows=256)
    d = udp_dgram(0, A, B, 7000, 53, 136, 601)   # 18 fragments of 8 bytes
    di, do = frags(d, 8), frags(snat(d, EXT, 7000), 8)
    assert len(di) == 18
    for f in di[1:]:
        c.send(0, f, None)
    c.send(0, di[0], do[0])
    dgs = []
    for ident in (602, 603, 604):
        g = udp_dgram(0, A, B, 7000, 53, 88, ident)   # 12 fragments
        gi, go = frags(g, 8), frags(snat(g, EXT, 7000), 8)
        held = [(c.send(0, f, None), o) for f, o in zip(gi[1:], go[1:])]
        dgs.append((gi, go, held))
    for gi, go, held in dgs:
        c.send(0, gi[0], go[0])
        if gi is not dgs[2][0]:
            released(c, 0, held)
    c.stats = ["nat.frag_capacity 64", "nat.frag_held_max 32", "nat.frag_held 48",
               "nat.frag_drop_datagram_full 17", "nat.frag_drop_held_full 11",
               "nat.frag_released 22", "nat.frag_firsts 4", "nat.drop_fragment 28",
               "nat.frag_held_now 0"]
    return c


def case_frag_overlap():
    """Overlapping and repeated fragments: a TCP fragment at offset 8 would
    overwrite the translated ports and checksum when reassembled (RFC 1858):
    dropped.  Repeated fragments, first or later, held or not, are
    translated like the original; the receiver's reassembly keeps one."""
    c = Case("nat-frag-overlap", PORTS + f"snat from 10.0.0.0/8 to {EXT}\n")
    s = tcp(0, A, B, 41000, 443, "S")
    c.send(0, s, snat(s, EXT, 41000))
    t = tcp(0, A, B, 41000, 443, "PA", seq=1001, load=b"O" * 64)
    t[IP].id = 701
    cuts = [(0, 24), (8, 16), (24, 32), (24, 32), (0, 24), (56, 28)]
    ti, to = frags(t, cuts=cuts), frags(snat(t, EXT, 41000), cuts=cuts)
    for k, (i, o) in enumerate(zip(ti, to)):
        c.send(0, i, None if k == 1 else o)
    u = udp_dgram(0, A, B, 9000, 53, 40, 702)
    ui, uo = frags(u, 24), frags(snat(u, EXT, 9000), 24)
    held = [(c.send(0, ui[1], None), uo[1]), (c.send(0, ui[1].copy(), None), uo[1])]
    c.send(0, ui[0], uo[0])
    released(c, 0, held)
    c.stats = ["nat.frag_drop_overlap 1", "nat.frag_translated 5", "nat.frag_held 2",
               "nat.frag_released 2", "nat.frag_firsts 3", "nat.dropped 1"]
    return c


FRAG_CASES = (case_frag_in_order, case_frag_out_of_order, case_frag_timeout, case_frag_too_many,
              case_frag_overlap)


def case_icmp_bad_checksum():
    """RFC 5508 REQ-3: an ICMP error from outside whose ICMP checksum is
    wrong is dropped and counted, never translated; the same error with a
    good checksum passes."""
    c = Case("nat-icmp-bad-checksum", PORTS + f"snat from 10.0.0.0/8 to {EXT}\n")
    u = udp(0, A, B, 7000, 53)
    ut = snat(u, EXT, 7000)
    c.send(0, u, ut)
    bad = icmp_err(1, R, EXT, ut)
    bad[ICMP].chksum = (Ether(bytes(bad))[ICMP].chksum + 1) & 0xffff
    c.send(1, bad, None)
    err = icmp_err(1, R, EXT, ut)
    c.send(1, err, icmp_err(1, R, A, u))
    c.stats = ["nat.drop_bad_checksum 1", "nat.icmp_errors_in 1"]
    return c


def icmp_query(port, src, dst, typ, ident, seq=1):
    """An ICMP timestamp (13/14), information (15/16) or other query."""
    if typ in (13, 14):
        q = ICMP(type=typ, id=ident, seq=seq, ts_ori=1000, ts_rx=0 if typ == 13 else 2000,
                 ts_tx=0 if typ == 13 else 2001)
    else:
        q = ICMP(type=typ, id=ident, seq=seq)
    return eth(port) / IP(src=src, dst=dst, id=15) / q


def case_icmp_queries():
    """RFC 5508 REQ-1: ICMP queries from inside pass with their replies:
    echo and timestamp.  A timestamp request from outside has no session;
    an error quoting a timestamp request is translated like any; the
    deprecated information and address-mask queries (RFC 6918) and
    unknown types are dropped and counted as icmp_unknown."""
    c = Case("nat-icmp-queries", PORTS + f"snat from 10.0.0.0/8 to {EXT}\n")
    t = icmp_query(0, A, B, 13, 3000)
    tt = snat(t, EXT, 3000)
    c.send(0, t, tt)
    r = icmp_query(1, B, EXT, 14, 3000)
    c.send(1, r, unsnat(r, A, 3000))
    # The same identifier's echo is a session of its own (another query).
    e = echo(0, A, B, 3000)
    c.send(0, e, snat(e, EXT, 3000))
    c.send(1, icmp_query(1, B, EXT, 13, 3000), None)       # a request from outside
    c.send(1, icmp_err(1, R, EXT, tt, typ=11, code=0), icmp_err(1, R, A, t, typ=11, code=0))
    c.send(0, icmp_query(0, A, B, 15, 3001), None)        # information request
    c.send(0, icmp_query(0, A, B, 17, 3002), None)        # address mask request
    c.send(0, icmp_query(0, A, B, 10, 0), None)           # router solicitation
    c.send(1, icmp_query(1, B, EXT, 16, 3000), None)      # information reply
    c.stats = ["nat.sessions_created 2", "nat.translated_out 2", "nat.translated_in 1",
               "nat.icmp_errors_in 1", "nat.drop_no_mapping 1", "nat.drop_icmp_unknown 4"]
    return c


def case_port_class_parity():
    """RFC 4787 REQ-3a / REQ-4: a port that cannot be kept is replaced by
    one of the same class (well-known 1-1023, or >= 1024) and, where one is
    free, the same parity; a range without well-known ports serves an
    inside well-known port from the range (nat-basic: ICMP, which has
    neither class nor parity)."""
    c = Case("nat-port-class-parity", PORTS + f"snat from 10.0.0.0/8 to {EXT} ports 1-65535\n")
    for src, sport, ext in ((A, 123, 123), (A2, 123, 1), (A, 5004, 5004), (A2, 5004, 1024),
                            (A, 5005, 5005), (A2, 5005, 1025), (A3, 5004, 1026), (A3, 123, 3)):
        u = udp(0, src, B, sport, 9000)
        c.send(0, u, snat(u, EXT, ext))
    c.stats = ["nat.sessions_created 8", f"nat_pool.{EXT}_udp_ports_used 8"]
    return c


def case_unreachable():
    # `unreachable on`: an inside packet for which no port is left is
    # answered with ICMP 3/13 (communication administratively prohibited,
    # RFC 5508 REQ-8) out of the inside port, quoting it (RFC 1812: up to
    # 576 bytes in all); TCP has its own ports; an ICMP error that finds no
    # port is not answered (RFC 1122 3.2.2).
    c = Case("nat-unreachable", PORTS + f"snat from 10.0.0.0/8 to {EXT} ports 2000-2000\n"
             "unreachable on\n")
    u1 = udp(0, A, B, 2000, 53)
    c.send(0, u1, snat(u1, EXT, 2000))
    r1 = udp(1, B, EXT, 53, 2000)
    c.send(1, r1, unsnat(r1, A, 2000))  # answered: its port is not reclaimed
    u2 = udp(0, A2, B, 3000, 53)
    l3 = u2[IP]
    ans = (Ether(src=u2.dst, dst=u2.src) / IP(src=l3.dst, dst=l3.src, ttl=64, id=0, flags="DF", proto=1) /
           ICMP(type=3, code=13) / Raw(bytes(l3)[:576 - 28]))
    c.send(0, u2, ans, to=0)
    t = tcp(0, A2, B, 3000, 80, "S")
    c.send(0, t, snat(t, EXT, 2000))
    c.stats = ["nat.unreachable_sent 1", "nat.unreachable_not_sent 0", "nat.drop_ports_exhausted 1"]
    return c


def case_port_early_drop():
    # Every port of the pool held: a new session takes the port of one the
    # outside never answered (that session ends, as in the table's early
    # drop); answered sessions keep theirs and go on.
    c = Case("nat-port-early-drop", PORTS + f"snat from 10.0.0.0/8 to {EXT} ports 2000-2001\n"
             "timeout udp 30\n")
    u1 = udp(0, A, B, 2001, 53)
    c.send(0, u1, snat(u1, EXT, 2001))
    r1 = udp(1, B, EXT, 53, 2001)
    c.send(1, r1, unsnat(r1, A, 2001))            # answered
    u2 = udp(0, A2, B, 2001, 53)
    c.send(0, u2, snat(u2, EXT, 2000))            # unanswered
    u3 = udp(0, A3, "192.0.2.99", 3000, 53)
    c.send(0, u3, snat(u3, EXT, 2000))            # pool full: u2's port
    r3 = udp(1, "192.0.2.99", EXT, 53, 2000)
    c.send(1, r3, unsnat(r3, A3, 3000))
    c.send(1, r1.copy(), unsnat(r1, A, 2001))     # the answered one goes on
    c.stats = ["nat.ports_reclaimed 1", "nat.sessions_early_dropped 1", "nat.drop_ports_exhausted 0",
               "nat.sessions_active 2", f"nat_pool.{EXT}_udp_ports_used 2"]
    return c


def case_early_drop():
    # A full session table (two sessions, --flows 4): a new session ends
    # the oldest one the outside never answered; the answered one stays;
    # the ended one's port is free again and its late answer finds nothing.
    c = Case("nat-early-drop", PORTS + f"snat from 10.0.0.0/8 to {EXT}\ntimeout udp 30\n")
    c.args = "--flows 4"
    u1, u2, u3 = udp(0, A, B, 6001, 53), udp(0, A2, B, 6002, 53), udp(0, A3, B, 6003, 53)
    c.send(0, u1, snat(u1, EXT, 6001))
    r1 = udp(1, B, EXT, 53, 6001)
    c.send(1, r1, unsnat(r1, A, 6001))            # answered
    c.send(0, u2, snat(u2, EXT, 6002))            # unanswered
    c.send(0, u3, snat(u3, EXT, 6003))            # full: u2's session makes room
    c.send(1, udp(1, B, EXT, 53, 6002), None)     # its session is gone
    c.send(1, r1.copy(), unsnat(r1, A, 6001))
    r3 = udp(1, B, EXT, 53, 6003)
    c.send(1, r3, unsnat(r3, A3, 6003))
    c.stats = ["nat.sessions_early_dropped 1", "nat.drop_table_full 0", "nat.sessions_created 3",
               "nat.sessions_active 2", f"nat_pool.{EXT}_udp_ports_used 2"]
    return c


def main():
    for c in (case_basic(), case_icmp_errors(), case_timeouts(), case_exhaustion(), case_port_early_drop(), case_pool(),
              case_passthrough("nat-ipv6-pass", "pass", "drop"),
              case_passthrough("nat-ipv6-drop", "drop", "pass"), case_bad_config(),
              case_eim_mapping(), case_eim_apdm(), case_eim_release(),
              case_reuse_after_expiry(), case_timeout_never_early(), case_hairpin(), case_hairpin_icmp(),
              case_icmp_bad_checksum(), case_icmp_queries(), case_port_class_parity(), case_early_drop(),
              case_unreachable()):
        c.write()
    for make in FRAG_CASES:
        make().write()
    # The reference config must be accepted as documented, and translate.
    c = Case("nat-reference-config", ref_conf())
    u = udp(0, A, B, 7777, 53)
    c.send(0, u, snat(u, "198.51.100.1", 7777))
    c.stats = ["nat.sessions_created 1"]
    c.write()


if __name__ == "__main__":
    main()
