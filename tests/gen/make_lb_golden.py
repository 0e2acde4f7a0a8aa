#!/usr/bin/python3
"""Make the golden cases of the load balancer (tests/golden/cases/lb-*).

Each case is a config, the packets entering the clients' side (port 0) and
the servers' side (port 1), and what must leave, derived here from the
balancer's specification (nf/lb/lb.c, nf/lb/lb_maglev.h,
config/examples/lb-reference.conf), not by running it:

- a new connection's backend is table[slot] of its vip's Maglev table,
  slot = (tuple_hash * M) >> 32; the table and the hash are computed below
  from the formulas in lb_maglev.h (splitmix64 finaliser);
- packets to the servers are the client's with destination address and
  port replaced, replies the backend's with the vip as source; every
  checksum is recomputed from scratch by scapy, so the balancer's
  incremental updates (RFC 1624) must agree, and tshark checks them.

Run from the repository root:  /usr/bin/python3 tests/gen/make_lb_golden.py
Output is deterministic; committed files change only when this script does.
"""
import ipaddress
import os
import shutil
import sys

import struct

from scapy.all import ICMP, IP, TCP, UDP, Ether, IPerror, IPv6, Raw, UDPerror, ARP, fragment, wrpcap
from scapy.layers.inet6 import (ICMPv6DestUnreach, ICMPv6EchoRequest, ICMPv6PacketTooBig, ICMPv6TimeExceeded,
                                in6_chksum)
from scapy.utils import checksum

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_nat_golden import tshark_check  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "cases")
CL_MAC, SV_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
PORTS = "port 0 name clients\nport 1 name servers\n"
VIP = "203.0.113.10"
M64 = (1 << 64) - 1


# ---- the specification (nf/lb/lb_maglev.h) -------------------------------------
def mix64(z):
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)


def ip4(a):
    """The 32 bits an address hashes as: IPv4 its value, IPv6 folded
    (lb_fold128 in lb_maglev.h)."""
    x = ipaddress.ip_address(a)
    if x.version == 4:
        return int(x)
    v = int(x)
    return mix64((v >> 64) ^ mix64((v & M64) ^ 0x5851f42d4c957f2d)) >> 32


def tuple_hash(src, dst, sport, dport, proto):
    a = ip4(src) << 32 | ip4(dst)
    b = sport << 24 | dport << 8 | proto
    return mix64(a ^ mix64((b + 0x9e3779b97f4a7c15) & M64)) >> 32


def maglev(m, backends):
    """backends: [(addr, port, weight)]; returns the table of indices."""
    table = [None] * m
    st = []
    for addr, port, _ in backends:
        ident = ip4(addr) << 16 | port
        st.append([mix64(ident ^ 0x6c62272e07bb0142) % m,
                   mix64(ident ^ 0x27d4eb2f165667c5) % (m - 1) + 1, 0])
    filled = 0
    while filled < m:
        for i, (_, _, w) in enumerate(backends):
            for _ in range(w):
                if filled == m:
                    break
                while True:
                    off, skip, nxt = st[i]
                    c = (off + nxt * skip) % m
                    st[i][2] += 1
                    if table[c] is None:
                        break
                table[c] = i
                filled += 1
    return table


class Vip:
    def __init__(self, backends, m=4099):
        self.backends, self.m = backends, m
        self.table = maglev(m, [b for b in backends if b[2] > 0])
        self.live = [b for b in backends if b[2] > 0]

    def pick(self, src, dst, sport, dport, proto):
        return self.live[self.table[(tuple_hash(src, dst, sport, dport, proto) * self.m) >> 32]]


# ---- cases ----------------------------------------------------------------------
class Case:
    def __init__(self, name, conf, t0=1000.0):
        self.name, self.conf, self.t = name, conf, t0
        self.inp = {0: [], 1: []}
        self.out = {0: [], 1: []}
        self.stats, self.fail, self.cmd = [], None, None

    def send(self, port, pkt, out=None, dt=0.001, back=None):
        self.t += dt
        pkt.time = self.t
        self.inp[port].append(pkt)
        for o, to in ((out, port ^ 1), (back, port)):
            if o is not None:
                o = Ether(bytes(o))
                o.time = self.t
                self.out[to].append(o)

    def write(self):
        d = os.path.join(HERE, self.name)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        with open(os.path.join(d, "lb.conf"), "w") as f:
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
            f.write((self.cmd or " ".join(["lb --config lb.conf"] + ins)) + "\n")
        if self.stats:
            with open(os.path.join(d, "expect-stats"), "w") as f:
                f.write("\n".join(self.stats) + "\n")


def eth(port):
    return Ether(src=CL_MAC, dst=SV_MAC) if port == 0 else Ether(src=SV_MAC, dst=CL_MAC)


def tcp(port, src, dst, sport, dport, flags, seq=1000, ack=0, load=b""):
    p = eth(port) / IP(src=src, dst=dst, id=7) / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack)
    return p / Raw(load) if load else p


def udp(port, src, dst, sport, dport, load=b"x" * 8, chksum=None):
    u = UDP(sport=sport, dport=dport) if chksum is None else UDP(sport=sport, dport=dport, chksum=chksum)
    return eth(port) / IP(src=src, dst=dst, id=9) / u / Raw(load)


def rewrite(p, src=None, dst=None, sport=None, dport=None):
    """`p` with addresses/ports replaced and checksums recomputed."""
    q = Ether(bytes(p))
    l4 = q[TCP] if TCP in q else q[UDP]
    ip = q[IP] if IP in q else q[IPv6]
    if src:
        ip.src = src
    if dst:
        ip.dst = dst
    if sport:
        l4.sport = sport
    if dport:
        l4.dport = dport
    if IP in q:
        del q[IP].chksum
    if not (UDP in q and q[UDP].chksum == 0):
        del l4.chksum
    return q


def http_conversation(c, mk, cli, cp, vip, b, bp, with_ack=False):
    """A TCP connection to vip:80 through nat mode: handshake, request,
    response, close; each way translated (mk: tcp or tcp6)."""
    steps = [(0, "S", 1000, 0, b""), (1, "SA", 5000, 1001, b"")] + \
        ([(0, "A", 1001, 5001, b"")] if with_ack else []) + \
        [(0, "PA", 1001, 5001, b"GET / HTTP/1.0\r\n\r\n"), (1, "PA", 5001, 1019, b"HTTP/1.0 200 OK\r\n\r\n"),
         (0, "FA", 1019, 5020, b""), (1, "FA", 5020, 1020, b"")]
    for port, flags, seq, ack, load in steps:
        if port == 0:
            p = mk(0, cli, vip, cp, 80, flags, seq, ack, load)
            c.send(0, p, rewrite(p, dst=b, dport=bp))
        else:
            p = mk(1, b, cli, bp, cp, flags, seq, ack, load)
            c.send(1, p, rewrite(p, src=vip, sport=80))


def icmp_err(port, src, dst, quoted, typ=3, code=3):
    inner = bytes(quoted[IP])[:28]
    return eth(port) / IP(src=src, dst=dst, id=13) / ICMP(type=typ, code=code) / Raw(inner)


WEB = [("10.0.1.1", 8080, 2), ("10.0.1.2", 8080, 1), ("10.0.1.3", 8080, 1)]
DNS = [("10.0.2.1", 53, 1), ("10.0.2.2", 53, 1)]


def web_conf(extra=""):
    return (PORTS + f"vip web {VIP} proto tcp port 80\n" +
            "".join(f"backend web {a} port {p} weight {w}\n" for a, p, w in WEB) +
            f"vip dns {VIP} proto udp port 53\n" +
            "".join(f"backend dns {a}\n" for a, _, _ in DNS) + extra)


def case_basic():
    c = Case("lb-basic", web_conf())
    web, dns = Vip(WEB), Vip(DNS)
    cli, cp = "198.51.100.7", 40000
    b, bp, _ = web.pick(cli, VIP, cp, 80, 6)
    # A TCP connection: handshake, request, response, close; each way
    # translated.
    http_conversation(c, tcp, cli, cp, VIP, b, bp, with_ack=True)
    # UDP to the dns vip (same address, other protocol and port), with and
    # without a UDP checksum; the reply comes back from the vip.
    d, dp, _ = dns.pick(cli, VIP, 5353, 53, 17)
    q = udp(0, cli, VIP, 5353, 53)
    c.send(0, q, rewrite(q, dst=d, dport=dp))
    q0 = udp(0, cli, VIP, 5354, 53, chksum=0)
    d0, dp0, _ = dns.pick(cli, VIP, 5354, 53, 17)
    c.send(0, q0, rewrite(q0, dst=d0, dport=dp0))
    r = udp(1, d, cli, dp, 5353, b"answer!!")
    c.send(1, r, rewrite(r, src=VIP, sport=53))
    # Not balanced, dropped by default: another port of the vip address,
    # another address; a backend packet outside any connection; IPv6; ICMP
    # echo to the vip; a fragment to the vip.  ARP passes (non-ip pass).
    c.send(0, tcp(0, cli, VIP, cp, 443, "S"))
    c.send(0, udp(0, cli, "203.0.113.99", 1, 53))
    c.send(1, udp(1, d, cli, dp, 9999))
    c.send(0, eth(0) / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1, dport=53) / Raw(b"x" * 8))
    c.send(0, eth(0) / IPv6(src="2001:db8::1", dst="2001:db8::2") / ICMPv6EchoRequest(id=1))
    c.send(0, eth(0) / IP(src=cli, dst=VIP, id=1) / ICMP(type=8, id=1) / Raw(b"ping0123"))
    frag = fragment(eth(0) / IP(src=cli, dst=VIP, id=77) / UDP(sport=7, dport=53) / Raw(b"y" * 64), fragsize=32)[1]
    c.send(0, frag)
    a = eth(0) / ARP(psrc=cli, pdst=VIP)
    c.send(0, a, a)
    c.stats = ["lb.connections_created 3", "lb.connections_active 3", "lb.to_servers 6",
               "lb.to_clients 4", "lb.drop_non_vip 3", "lb.drop_no_connection 1", "lb.drop_ipv6 1",
               "lb.drop_unsupported 1", "lb.drop_fragment 1", "lb.passed 1",
               "lb_vip.web_connections 1", "lb_vip.web_packets_to_server 4",
               "lb_vip.web_packets_to_client 3", "lb_vip.dns_connections 2",
               f"lb_backend.web_{b}_{bp}_connections 1", f"lb_backend.web_{b}_{bp}_active 1",
               f"lb_backend.web_{b}_{bp}_packets_to_client 3"]
    return c


def case_distribution():
    """600 UDP connections over weights 3:2:1 (and a weight-0 backend): the
    counts are the Maglev choices, which follow the weights."""
    bs = [("10.0.3.1", 5000, 3), ("10.0.3.2", 5000, 2), ("10.0.3.3", 5000, 1), ("10.0.3.4", 5000, 0)]
    conf = (PORTS + f"vip svc {VIP} proto udp port 5000 table-size 65521\n" +
            "".join(f"backend svc {a} weight {w}\n" for a, _, w in bs))
    c = Case("lb-distribution", conf)
    v = Vip(bs, 65521)
    n = {a: 0 for a, _, _ in bs}
    for i in range(600):
        src = f"198.51.{100 + i // 200}.{1 + i % 200}"
        sport = 20000 + i
        a, p, _ = v.pick(src, VIP, sport, 5000, 17)
        n[a] += 1
        q = udp(0, src, VIP, sport, 5000, b"q" * 8)
        c.send(0, q, rewrite(q, dst=a, dport=p), dt=0.0001)
    assert n["10.0.3.4"] == 0 and n["10.0.3.1"] > n["10.0.3.2"] > n["10.0.3.3"], n
    c.stats = ["lb.connections_created 600"] + \
        [f"lb_backend.svc_{a}_5000_connections {n[a]}" for a, _, _ in bs]
    print(f"lb-distribution: {n}")
    return c


def case_icmp_errors():
    c = Case("lb-icmp-errors", web_conf())
    dns = Vip(DNS)
    cli = "198.51.100.8"
    d, dp, _ = dns.pick(cli, VIP, 6000, 53, 17)
    q = udp(0, cli, VIP, 6000, 53)
    qo = rewrite(q, dst=d, dport=dp)
    c.send(0, q, qo)
    # The backend answers port unreachable about the packet it got: the
    # quote becomes the client's original, and the error comes from the vip.
    e = icmp_err(1, d, cli, qo)
    c.send(1, e, icmp_err(1, VIP, cli, q))
    # A router on the way says time exceeded: its own address stays.
    e2 = icmp_err(1, "10.0.9.1", cli, qo, typ=11, code=0)
    c.send(1, e2, icmp_err(1, "10.0.9.1", cli, q, typ=11, code=0))
    # The backend's reply reaches the client, which answers port
    # unreachable about it (quoting vip -> client): to the backend, about
    # backend -> client.
    r = udp(1, d, cli, dp, 6000)
    ro = rewrite(r, src=VIP, sport=53)
    c.send(1, r, ro)
    e3 = icmp_err(0, cli, VIP, ro)
    c.send(0, e3, icmp_err(0, cli, d, r))
    # An error about no connection: not balanced, dropped.
    c.send(1, icmp_err(1, d, cli, rewrite(udp(0, cli, VIP, 6001, 53), dst=d, dport=dp)))
    c.stats = ["lb.icmp_errors_to_clients 2", "lb.icmp_errors_to_servers 1",
               "lb.drop_no_connection 1"]
    return c


def case_non_vip_pass():
    c = Case("lb-non-vip-pass", web_conf("non-vip pass\nnon-ip drop\n"))
    cli = "198.51.100.9"
    p = udp(0, cli, "192.0.2.1", 1, 123)
    c.send(0, p, p)
    r = udp(1, "10.0.1.1", cli, 8080, 1)
    c.send(1, r, r)
    v6 = eth(0) / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1, dport=53) / Raw(b"x" * 8)
    c.send(0, v6, v6)
    c.send(0, eth(0) / ARP(psrc=cli, pdst=VIP))
    c.stats = ["lb.passed 3", "lb.drop_non_ip 1", "lb.connections_created 0"]
    return c


def case_timeouts():
    conf = PORTS + f"vip dns {VIP} proto udp port 53\nbackend dns 10.0.2.1\ntimeout udp 2\n"
    c = Case("lb-timeouts", conf)
    cli = "198.51.100.10"
    q = udp(0, cli, VIP, 7000, 53)
    c.send(0, q, rewrite(q, dst="10.0.2.1"))
    r = udp(1, "10.0.2.1", cli, 53, 7000)
    c.send(1, r, rewrite(r, src=VIP), dt=1.5)   # within 2 s: translated, refreshed
    c.send(1, r.copy(), rewrite(r, src=VIP), dt=1.9)  # 1.9 s after the refresh
    c.send(1, r.copy(), dt=2.5)                       # expired: no connection
    c.send(0, q.copy(), rewrite(q, dst="10.0.2.1"))   # a new connection
    c.stats = ["lb.connections_created 2", "lb.connections_expired 1", "lb.drop_no_connection 1"]
    return c


def case_reuse_after_expiry():
    """A client that sends again after its connection expired, before the
    timer wheel reaped it, gets a new connection (no tuple clash)."""
    conf = PORTS + f"vip dns {VIP} proto udp port 53\nbackend dns 10.0.2.1\ntimeout udp 2\n"
    c = Case("lb-reuse-after-expiry", conf)
    cli = "198.51.100.10"
    q = udp(0, cli, VIP, 7000, 53)
    c.send(0, q, rewrite(q, dst="10.0.2.1"))
    c.send(0, q.copy(), rewrite(q, dst="10.0.2.1"), dt=3)   # expired, not reaped yet
    r = udp(1, "10.0.2.1", cli, 53, 7000)
    c.send(1, r, rewrite(r, src=VIP))
    c.stats = ["lb.connections_created 2", "lb.connections_expired 1", "lb.drop_tuple_clash 0"]
    return c


def case_early_drop():
    """A full session table (two connections, --flows 4) ends the oldest
    connection no backend answered, for a new one; the answered one stays;
    the dropped one's late answer finds no connection."""
    conf = PORTS + f"vip dns {VIP} proto udp port 53\nbackend dns 10.0.2.1\ntimeout udp 30\n"
    c = Case("lb-early-drop", conf)
    q = [udp(0, f"198.51.100.{10 + i}", VIP, 7000 + i, 53) for i in range(3)]
    r = [udp(1, "10.0.2.1", f"198.51.100.{10 + i}", 53, 7000 + i) for i in range(3)]
    c.send(0, q[0], rewrite(q[0], dst="10.0.2.1"))
    c.send(1, r[0], rewrite(r[0], src=VIP))          # answered
    c.send(0, q[1], rewrite(q[1], dst="10.0.2.1"))   # unanswered
    c.send(0, q[2], rewrite(q[2], dst="10.0.2.1"))   # full: q[1]'s connection makes room
    c.send(1, r[1])                                  # its connection is gone
    c.send(1, r[0].copy(), rewrite(r[0], src=VIP))
    c.send(1, r[2], rewrite(r[2], src=VIP))
    c.stats = ["lb.connections_early_dropped 1", "lb.drop_table_full 0", "lb.connections_created 3",
               "lb.drop_no_connection 1", "lb.connections_active 2"]
    c.cmd = "lb --config lb.conf --in 0=in0.pcap --in 1=in1.pcap --flows 4"
    return c


def bad_case(name, lines, fail):
    """A config that must be rejected whole with these messages."""
    c = Case(name, PORTS + "".join(f"{line}\n" for line in lines))
    c.send(0, udp(0, "198.51.100.1", VIP, 1, 53))
    c.fail = fail
    return c


def case_bad_config():
    return bad_case("lb-bad-config", [
        f"vip web {VIP} proto tcp port 80 table-size 4097",
        f"vip web2 {VIP} proto icmp port 80",
        "vip web3 2001:db8::1 proto tcp port 80 mode ipip",
        f"vip web4 {VIP} proto tcp port 80",
        f"vip web4 {VIP} proto tcp port 81",
        "backend nope 10.0.1.1",
        "backend web4 10.0.1.1 port 8080 weight 101",
        "backend web4 10.0.1.1 port 8080",
        "backend web4 10.0.1.1 port 8080",
        "backend web4 10.0.0.0/24",
        "timeout udp 0",
        "non-vip maybe",
        "balance roundrobin",
    ], ["lb.conf:3:51: table size 4097 is not a prime",
              "lb.conf:4:29: unknown protocol (tcp|udp) 'icmp'",
              "lb.conf:5:45: mode ipip carries IPv4, but vip 'web3' is IPv6",
              "lb.conf:7:5: vip 'web4' already declared at line 6",
              "lb.conf:8:9: no vip named 'nope' above this backend",
              "lb.conf:9:40: backend weight 101 out of range 0-100",
              "lb.conf:11:14: backend 10.0.1.1 port 8080 of vip 'web4' already declared at line 10",
              "lb.conf:12:14: expected backend address (a single address), got '10.0.0.0/24'",
              "lb.conf:13:13: timeout in seconds 0 out of range 1-1000000",
              "lb.conf:14:9: expected non-vip policy (pass|drop), got 'maybe'",
              "lb.conf:15:1: unknown keyword 'balance'"])


def case_empty_vip():
    """Checked once the statements are good: a vip needs a backend."""
    return bad_case("lb-bad-config-empty-vip", [f"vip web {VIP} proto tcp port 80",
                                                f"vip dns {VIP} proto udp port 53", "backend web 10.0.1.1"],
                    ["lb.conf:4:1: vip 'dns' has no backend"])


# ---- IPv6 and the encapsulating modes (lb_encap.h) ------------------------------
VIP6 = "2001:db8:10::10"
SRC4, SRC6 = "192.0.2.100", "2001:db8:ff::1"


def udp6(port, src, dst, sport, dport, load=b"x" * 8):
    return eth(port) / IPv6(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(load)


def tcp6(port, src, dst, sport, dport, flags, seq=1000, ack=0, load=b""):
    p = eth(port) / IPv6(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack)
    return p / Raw(load) if load else p


def encap(p, src, dst, th, gue=False, gue_port=6080):
    """The client's packet p in an outer header to dst (lb_encap.h)."""
    q = Ether(bytes(p))
    v4in = IP in q
    inner = bytes(q[IP] if v4in else q[IPv6])
    df = bool(q[IP].flags.DF) if v4in else True
    tos = q[IP].tos if v4in else q[IPv6].tc
    proto = 17 if gue else (4 if v4in else 41)
    if ipaddress.ip_address(dst).version == 4:
        outer = IP(src=src, dst=dst, tos=tos, id=q[IP].id if v4in and not df else 0,
                   flags="DF" if df else 0, ttl=64, proto=proto)
    else:
        outer = IPv6(src=src, dst=dst, tc=tos, fl=th & 0xfffff, hlim=64, nh=proto)
    if gue:
        outer = outer / UDP(sport=0xc000 | (th & 0x3fff), dport=gue_port)
    return Ether(src=q.src, dst=q.dst) / outer / Raw(inner)


def too_big(p, mtu):
    """ICMP frag-needed / ICMPv6 packet too big about p, back to its sender,
    quoting what fits in 576 / 1280 bytes (nf/reply.h)."""
    q = Ether(bytes(p))
    if IP in q:
        quote = bytes(q[IP])[:576 - 28]
        icmp = struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + quote
        icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
        ip = IP(src=q[IP].dst, dst=q[IP].src, flags="DF", ttl=64, id=0, proto=1)
    else:
        quote = bytes(q[IPv6])[:1280 - 48]
        icmp = struct.pack("!BBHI", 2, 0, 0, mtu) + quote
        ip = IPv6(src=q[IPv6].dst, dst=q[IPv6].src, hlim=64, nh=58)
        ck = in6_chksum(58, ip / Raw(icmp), icmp)
        icmp = icmp[:2] + struct.pack("!H", ck) + icmp[4:]
    return Ether(src=q.dst, dst=q.src) / ip / Raw(icmp)


WEB6 = [("2001:db8:1::1", 8080, 2), ("2001:db8:1::2", 8080, 1)]
DNS6 = [("2001:db8:2::1", 53, 1), ("2001:db8:2::2", 53, 1)]


def case_ipv6_nat():
    conf = (PORTS + f"vip web6 {VIP6} proto tcp port 80\n" +
            "".join(f"backend web6 {a} port {p} weight {w}\n" for a, p, w in WEB6) +
            f"vip dns6 {VIP6} proto udp port 53 mode nat\n" +
            "".join(f"backend dns6 {a}\n" for a, _, _ in DNS6))
    c = Case("lb-ipv6-nat", conf)
    web, dns = Vip(WEB6), Vip(DNS6)
    cli, cp = "2001:db8:c::7", 40000
    b, bp, _ = web.pick(cli, VIP6, cp, 80, 6)
    http_conversation(c, tcp6, cli, cp, VIP6, b, bp)
    # UDP: 20 clients over the two backends, each answered.
    n = {}
    for i in range(20):
        src = f"2001:db8:c::{100 + i:x}"
        d, dp, _ = dns.pick(src, VIP6, 5000 + i, 53, 17)
        n[d] = n.get(d, 0) + 1
        q = udp6(0, src, VIP6, 5000 + i, 53)
        c.send(0, q, rewrite(q, dst=d, dport=dp))
        r = udp6(1, d, src, dp, 5000 + i, b"answer!!")
        c.send(1, r, rewrite(r, src=VIP6, sport=53))
    assert len(n) == 2, n
    # ICMPv6 errors, as the IPv4 ones (lb-icmp-errors): the backend's
    # packet too big about the query it got comes from the vip quoting the
    # client's own query; a router's time exceeded keeps its address; the
    # client's port unreachable about the reply goes to the backend.
    src = "2001:db8:c::200"
    d, dp, _ = dns.pick(src, VIP6, 6000, 53, 17)
    n[d] += 1
    q = udp6(0, src, VIP6, 6000, 53)
    qo = rewrite(q, dst=d, dport=dp)
    c.send(0, q, qo)

    def err6(port, s_, d_, quoted, icmp):
        return eth(port) / IPv6(src=s_, dst=d_) / icmp / Raw(bytes(quoted[IPv6]))
    c.send(1, err6(1, d, src, qo, ICMPv6PacketTooBig(mtu=1280)),
           err6(1, VIP6, src, q, ICMPv6PacketTooBig(mtu=1280)))
    c.send(1, err6(1, "2001:db8:9::1", src, qo, ICMPv6TimeExceeded()),
           err6(1, "2001:db8:9::1", src, q, ICMPv6TimeExceeded()))
    r = udp6(1, d, src, dp, 6000)
    ro = rewrite(r, src=VIP6, sport=53)
    c.send(1, r, ro)
    c.send(0, err6(0, src, VIP6, ro, ICMPv6DestUnreach(code=4)), err6(0, src, d, r, ICMPv6DestUnreach(code=4)))
    # Not balanced: IPv6 to another address (non_vip), a backend outside
    # any connection, ICMPv6 echo to the vip (unsupported).
    c.send(0, udp6(0, cli, "2001:db8:10::99", 1, 53))
    c.send(1, udp6(1, DNS6[0][0], cli, 53, 9))
    c.send(0, eth(0) / IPv6(src=cli, dst=VIP6) / ICMPv6EchoRequest(id=1))
    c.stats = ["lb.connections_created 22", "lb.to_servers 24", "lb.to_clients 24",
               "lb.icmp_errors_to_clients 2", "lb.icmp_errors_to_servers 1",
               "lb.drop_non_vip 1", "lb.drop_no_connection 1", "lb.drop_unsupported 1",
               f"lb_backend.web6_{b}_{bp}_connections 1"] + \
        [f"lb_backend.dns6_{a}_53_connections {k}" for a, k in n.items()]
    return c


MODES_CONF = (PORTS + f"encap-source {SRC4}\nencap-source {SRC6}\n" +
              f"vip web {VIP} proto tcp port 80\nbackend web 10.0.1.1 port 8080\n" +
              f"vip tun4 {VIP} proto udp port 53 mode ipip\nbackend tun4 10.0.4.1\nbackend tun4 10.0.4.2\n" +
              f"vip tun6 {VIP6} proto udp port 53 mode ip6ip6\nbackend tun6 2001:db8:4::1\n" +
              f"vip gue4 {VIP} proto tcp port 443 mode gue gue-port 9000 source 192.0.2.200\n" +
              "backend gue4 10.0.5.1\nbackend gue4 2001:db8:5::1\n" +
              f"vip gue6 {VIP6} proto tcp port 443 mode gue\nbackend gue6 10.0.6.1\n")


def case_modes():
    """One config mixing every mode: each vip's packets reach their backend
    as its mode says; the reply of an encapsulating vip's backend does not
    come through the balancer."""
    c = Case("lb-encap-modes", MODES_CONF)
    cli, cli6 = "198.51.100.20", "2001:db8:c::20"
    # nat, as before
    p = tcp(0, cli, VIP, 41000, 80, "S")
    c.send(0, p, rewrite(p, dst="10.0.1.1", dport=8080))
    # ipip: two flows, each to its Maglev backend, the second packet of a
    # flow to the same one
    tun4 = Vip([("10.0.4.1", 53, 1), ("10.0.4.2", 53, 1)])
    for sp in (41001, 41002, 41001):
        q = udp(0, cli, VIP, sp, 53)
        q[IP].tos = 0x2e
        b, _, _ = tun4.pick(cli, VIP, sp, 53, 17)
        c.send(0, q, encap(q, SRC4, b, tuple_hash(cli, VIP, sp, 53, 17)))
    # ip6ip6
    q = udp6(0, cli6, VIP6, 41003, 53)
    q[IPv6].tc = 0x28
    q[IPv6].fl = 12345
    c.send(0, q, encap(q, SRC6, "2001:db8:4::1", tuple_hash(cli6, VIP6, 41003, 53, 17)))
    # gue, IPv4 inner over an IPv4 or an IPv6 outer (the backend's family),
    # the vip's own IPv4 source; DF set by the client is copied
    gue4 = Vip([("10.0.5.1", 443, 1), ("2001:db8:5::1", 443, 1)])
    seen = set()
    for sp in range(42000, 42010):
        q = tcp(0, cli, VIP, sp, 443, "S")
        q[IP].flags = "DF"
        b, _, _ = gue4.pick(cli, VIP, sp, 443, 6)
        src = "192.0.2.200" if ":" not in b else SRC6
        seen.add(b)
        c.send(0, q, encap(q, src, b, tuple_hash(cli, VIP, sp, 443, 6), gue=True, gue_port=9000))
    assert len(seen) == 2, seen
    # gue, IPv6 inner over IPv4
    q = tcp6(0, cli6, VIP6, 42100, 443, "S", load=b"hello")
    c.send(0, q, encap(q, SRC4, "10.0.6.1", tuple_hash(cli6, VIP6, 42100, 443, 6), gue=True))
    # the ipip backend's direct answer is no connection of ours
    c.send(1, udp(1, VIP, cli, 53, 41001))
    c.stats = ["lb.connections_created 15", "lb.encapsulated 15", "lb.to_servers 16",
               "lb.drop_no_connection 1", "lb.connections_active 15", "lb.flow_entries 16"]
    return c


def case_too_big():
    conf = (PORTS + f"encap-source {SRC4}\nencap-source {SRC6}\nmtu 1400\n" +
            f"vip tun4 {VIP} proto udp port 53 mode ipip\nbackend tun4 10.0.4.1\n" +
            f"vip tun6 {VIP6} proto udp port 53 mode ip6ip6\nbackend tun6 2001:db8:4::1\n" +
            f"vip gue4 {VIP} proto udp port 54 mode gue\nbackend gue4 10.0.5.1\n")
    c = Case("lb-encap-too-big", conf)
    cli, cli6 = "198.51.100.30", "2001:db8:c::30"
    th = tuple_hash(cli, VIP, 43000, 53, 17)
    # 1380 + 20 = 1400: fits
    q = udp(0, cli, VIP, 43000, 53, b"a" * (1380 - 28))
    q[IP].flags = "DF"
    c.send(0, q, encap(q, SRC4, "10.0.4.1", th))
    # 1381 + 20 with DF: frag-needed, next-hop MTU 1380
    q = udp(0, cli, VIP, 43000, 53, b"b" * (1381 - 28))
    q[IP].flags = "DF"
    c.send(0, q, back=too_big(q, 1380))
    # without DF: dropped, not fragmented, no answer
    c.send(0, udp(0, cli, VIP, 43000, 53, b"c" * (1381 - 28)))
    # gue: 28 bytes more, so 1373 is too big (1372 fits)
    q = udp(0, cli, VIP, 43001, 54, b"d" * (1372 - 28))
    q[IP].flags = "DF"
    c.send(0, q, encap(q, SRC4, "10.0.5.1", tuple_hash(cli, VIP, 43001, 54, 17), gue=True))
    q = udp(0, cli, VIP, 43001, 54, b"e" * (1373 - 28))
    q[IP].flags = "DF"
    c.send(0, q, back=too_big(q, 1372))
    # IPv6: 1361 + 40 > 1400: packet too big, MTU 1360, quoting 1232 bytes
    q = udp6(0, cli6, VIP6, 43002, 53, b"f" * (1361 - 48))
    c.send(0, q, back=too_big(q, 1360))
    q = udp6(0, cli6, VIP6, 43002, 53, b"g" * (1360 - 48))
    c.send(0, q, encap(q, SRC6, "2001:db8:4::1", tuple_hash(cli6, VIP6, 43002, 53, 17)))
    c.stats = ["lb.drop_too_big 4", "lb.frag_needed_sent 2", "lb.packet_too_big_sent 1",
               "lb.too_big_not_answered 1", "lb.encapsulated 3", "lb.mtu 1400"]
    return c


def case_bad_encap_config():
    return bad_case("lb-bad-config-encap", [
        f"vip a {VIP6} proto udp port 53 mode ipip",
        f"vip b {VIP} proto udp port 53 mode ip6ip6",
        f"vip c {VIP} proto udp port 54 mode tunnel",
        f"vip d {VIP} proto udp port 55 gue-port 7000",
        f"vip e {VIP} proto udp port 56 mode ipip",
        "backend e 2001:db8::5",
        "backend e 10.0.0.5 port 99",
        f"vip f {VIP} proto udp port 57",
        "backend f 2001:db8::6",
        "mtu 100",
        f"vip g {VIP} proto udp port 58 source 10.0.0.1 source 10.0.0.2",
    ], ["lb.conf:3:46: mode ipip carries IPv4, but vip 'a' is IPv6",
              "lb.conf:4:43: mode ip6ip6 carries IPv6, but vip 'b' is IPv4",
              "lb.conf:5:43: unknown forwarding mode (nat|ipip|ip6ip6|gue) 'tunnel'",
              "lb.conf:6:38: gue-port without mode gue",
              "lb.conf:8:11: vip 'e' (IPv4, mode ipip) cannot reach IPv6 backend '2001:db8::5'",
              "lb.conf:9:20: vip 'e' encapsulates (mode ipip): its backends get the packet as sent to the vip, no port",
              "lb.conf:11:11: vip 'f' (IPv4, mode nat) cannot reach IPv6 backend '2001:db8::6'",
              "lb.conf:12:5: mtu 100 out of range 1280-9000",
              "lb.conf:13:61: a second IPv4 source address"])


def case_no_encap_source():
    """Checked once the statements are good: a source for each backend."""
    return bad_case("lb-bad-config-no-source", [f"encap-source {SRC4}", f"vip g {VIP} proto udp port 53 mode gue",
                                                "backend g 10.0.0.1", "backend g 2001:db8::1"],
                    ["lb.conf:6:11: no IPv6 source address to encapsulate towards backend '2001:db8::1' "
                     "of vip 'g' (encap-source, or the vip's source)"])


def main():
    for c in (case_ipv6_nat(), case_modes(), case_too_big(), case_bad_encap_config(),
              case_no_encap_source(), case_empty_vip(), case_basic(), case_distribution(), case_icmp_errors(), case_non_vip_pass(),
              case_timeouts(), case_reuse_after_expiry(), case_early_drop(), case_bad_config()):
        c.write()
    # The examples must be accepted as documented, and balance.
    for name, conf in (("lb-reference-config", "lb-reference.conf"), ("lb-example", "lb.conf")):
        text = open(os.path.join(HERE, "..", "..", "..", "config", "examples", conf)).read()
        c = Case(name, text)
        web = Vip(WEB if conf == "lb.conf" else [("10.0.1.1", 8080, 2), ("10.0.1.2", 8080, 1)],
                  4099 if conf == "lb.conf" else 65521)
        p = tcp(0, "198.51.100.1", VIP, 33333, 80, "S")
        a, port, _ = web.pick("198.51.100.1", VIP, 33333, 80, 6)
        c.send(0, p, rewrite(p, dst=a, dport=port))
        c.stats = ["lb.connections_created 1", f"lb_backend.web_{a}_{port}_connections 1"]
        c.cmd = f"lb --config ../../../../config/examples/{conf} --in 0=in0.pcap"
        c.write()
        os.remove(os.path.join(HERE, name, "lb.conf"))


if __name__ == "__main__":
    main()
