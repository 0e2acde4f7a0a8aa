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

from scapy.all import ICMP, IP, TCP, UDP, Ether, IPerror, IPv6, Raw, UDPerror, ARP, fragment, wrpcap

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
    return int(ipaddress.IPv4Address(a))


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

    def send(self, port, pkt, out=None, dt=0.001):
        self.t += dt
        pkt.time = self.t
        self.inp[port].append(pkt)
        if out is not None:
            out = Ether(bytes(out))
            out.time = self.t
            self.out[port ^ 1].append(out)

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
    if src:
        q[IP].src = src
    if dst:
        q[IP].dst = dst
    if sport:
        l4.sport = sport
    if dport:
        l4.dport = dport
    del q[IP].chksum
    if not (UDP in q and q[UDP].chksum == 0):
        del l4.chksum
    return q


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
    for port, flags, seq, ack, load in ((0, "S", 1000, 0, b""), (1, "SA", 5000, 1001, b""),
                                        (0, "A", 1001, 5001, b""), (0, "PA", 1001, 5001, b"GET / HTTP/1.0\r\n\r\n"),
                                        (1, "PA", 5001, 1019, b"HTTP/1.0 200 OK\r\n\r\n"),
                                        (0, "FA", 1019, 5020, b""), (1, "FA", 5020, 1020, b"")):
        if port == 0:
            p = tcp(0, cli, VIP, cp, 80, flags, seq, ack, load)
            c.send(0, p, rewrite(p, dst=b, dport=bp))
        else:
            p = tcp(1, b, cli, bp, cp, flags, seq, ack, load)
            c.send(1, p, rewrite(p, src=VIP, sport=80))
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
    c.send(0, eth(0) / IP(src=cli, dst=VIP, id=1) / ICMP(type=8, id=1) / Raw(b"ping0123"))
    frag = fragment(eth(0) / IP(src=cli, dst=VIP, id=77) / UDP(sport=7, dport=53) / Raw(b"y" * 64), fragsize=32)[1]
    c.send(0, frag)
    a = eth(0) / ARP(psrc=cli, pdst=VIP)
    c.send(0, a, a)
    c.stats = ["lb.connections_created 3", "lb.connections_active 3", "lb.to_servers 6",
               "lb.to_clients 4", "lb.drop_non_vip 2", "lb.drop_no_connection 1", "lb.drop_ipv6 1",
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


def case_bad_config():
    conf = PORTS + "\n".join([
        f"vip web {VIP} proto tcp port 80 table-size 4097",
        f"vip web2 {VIP} proto icmp port 80",
        "vip web3 2001:db8::1 proto tcp port 80",
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
    ]) + "\n"
    c = Case("lb-bad-config", conf)
    c.send(0, udp(0, "198.51.100.1", VIP, 1, 53))
    c.fail = ["lb.conf:3:51: table size 4097 is not a prime",
              "lb.conf:4:29: unknown protocol (tcp|udp) 'icmp'",
              "lb.conf:5:10: IPv6 is not balanced (IPv4 vips and backends only), got '2001:db8::1'",
              "lb.conf:7:5: vip 'web4' already declared at line 6",
              "lb.conf:8:9: no vip named 'nope' above this backend",
              "lb.conf:9:40: backend weight 101 out of range 0-100",
              "lb.conf:11:14: backend 10.0.1.1 port 8080 of vip 'web4' already declared at line 10",
              "lb.conf:12:14: expected backend address (a single address), got '10.0.0.0/24'",
              "lb.conf:13:13: timeout in seconds 0 out of range 1-1000000",
              "lb.conf:14:9: expected non-vip policy (pass|drop), got 'maybe'",
              "lb.conf:15:1: unknown keyword 'balance'"]
    return c


def case_empty_vip():
    """Checked once the statements are good: a vip needs a backend."""
    c = Case("lb-bad-config-empty-vip", PORTS + f"vip web {VIP} proto tcp port 80\n"
             f"vip dns {VIP} proto udp port 53\nbackend web 10.0.1.1\n")
    c.send(0, udp(0, "198.51.100.1", VIP, 1, 53))
    c.fail = ["lb.conf:4:1: vip 'dns' has no backend"]
    return c


def main():
    for c in (case_empty_vip(), case_basic(), case_distribution(), case_icmp_errors(), case_non_vip_pass(),
              case_timeouts(), case_reuse_after_expiry(), case_bad_config()):
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
