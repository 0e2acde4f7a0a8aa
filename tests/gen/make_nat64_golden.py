#!/usr/bin/python3
"""Make the golden cases of the NAT's NAT64 mode (tests/golden/cases/nat64-*).

Each case is a config, the packets entering the inside (port 0, IPv6) and
the outside (port 1, IPv4), and what must leave.  The expected packets are
built here from scratch, in the other family, from the specifications
(RFC 7915 translation, RFC 6052 addresses, RFC 6146 sessions,
nf/nat/nat64.h): every header field set as the RFC says and every checksum
computed by scapy over the whole packet, so the NAT's incremental updates
must agree with a full computation.  Nothing here runs the NAT.

Rules the expected packets follow:
  - addresses: inside host H6 sends to 64:ff9b::X (X the IPv4 host, RFC
    6052 /96); the outside sees EXT:port -> X;
  - hop limit <-> TTL minus one; traffic class <-> TOS; flow label 0;
  - IPv4 identification: a counter of the IPv6 -> IPv4 packets the NAT
    translated (1, 2, ...), DF set only above 1260 bytes;
  - ports and ICMP identifiers as NAT44 (nat_pool.h: the inside port when
    free, else the next free one of the range);
  - ICMP errors: types and codes per RFC 7915 4.2 / 5.2, the quote
    translated as a packet (no hop limit change), MTU +/- 20.

Run from the repository root:  /usr/bin/python3 tests/gen/make_nat64_golden.py
Output is deterministic; committed files change only when this script does.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_nat_golden import PORTS, Case, eth, frags  # noqa: E402

from scapy.all import (ICMP, IP, TCP, UDP, Ether, ICMPv6DestUnreach, ICMPv6EchoReply,  # noqa: E402
                       ICMPv6EchoRequest, ICMPv6PacketTooBig, ICMPv6ParamProblem,
                       ICMPv6TimeExceeded, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw)
from scapy.layers.ipsec import AH  # noqa: E402

H6, H6B = "2001:db8:1::5", "2001:db8:1::6"
B, C, R = "192.0.2.10", "192.0.2.20", "198.18.0.1"
EXT = "198.51.100.1"
PFX = "64:ff9b::"
CONF = PORTS + f"nat64\nsnat from {{ 2001:db8:1::/48 10.0.0.0/8 }} to {EXT}\n"


def v6(a):
    """The RFC 6052 /96 address of IPv4 address a."""
    return PFX + a


class Case64(Case):
    def __init__(self, name, conf=CONF, t0=1000.0):
        super().__init__(name, conf, t0)
        self.ipid = 0

    def next_id(self):
        self.ipid += 1
        return self.ipid


# ---- packets (inside: IPv6 on port 0; outside: IPv4 on port 1) -------------------
def in6(src=H6, dst=B, hlim=64, tc=0):
    return eth(0) / IPv6(src=src, dst=v6(dst) if "." in dst else dst, hlim=hlim, tc=tc)


def out4(src=B, dst=EXT, ttl=64, tos=0, ident=21):
    return eth(1) / IP(src=src, dst=dst, ttl=ttl, tos=tos, id=ident)


def to4(c, pkt6, l4, src=EXT, dst=B):
    """What inside packet pkt6 becomes, its transport header `l4` (the
    translated one, scapy computes its checksum).  The NAT leaves
    Ethernet alone: the input's addresses."""
    ip = pkt6[IPv6]
    return eth(0) / IP(src=src, dst=dst, ttl=ip.hlim - 1, tos=ip.tc, id=c.next_id(), flags=0) / l4


def to6(pkt4, l4, dst=H6, src=None):
    ip = pkt4[IP]
    return eth(1) / IPv6(src=src or v6(ip.src), dst=dst, hlim=ip.ttl - 1, tc=ip.tos, fl=0) / l4


def tcp(sport, dport, flags, seq=1000, ack=0, load=b""):
    t = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=8192)
    return t / Raw(load) if load else t


def udp(sport, dport, load=b"x" * 8, chksum=None):
    u = UDP(sport=sport, dport=dport) if chksum is None else UDP(sport=sport, dport=dport, chksum=chksum)
    return u / Raw(load)


PING = b"ping0123"


# ---- cases ----------------------------------------------------------------------------
def case_basic():
    c = Case64("nat64-basic")
    # TCP handshake and data both ways; the port is kept.
    s = in6() / tcp(40000, 80, "S", seq=100)
    c.send(0, s, to4(c, s, tcp(40000, 80, "S", seq=100)))
    sa = out4() / tcp(80, 40000, "SA", seq=500, ack=101)
    c.send(1, sa, to6(sa, tcp(80, 40000, "SA", seq=500, ack=101)))
    a = in6(tc=0x28) / tcp(40000, 80, "A", seq=101, ack=501, load=b"GET / HTTP/1.0\r\n\r\n")
    c.send(0, a, to4(c, a, tcp(40000, 80, "A", seq=101, ack=501, load=b"GET / HTTP/1.0\r\n\r\n")))
    d = out4(tos=0x48) / tcp(80, 40000, "PA", seq=501, ack=119, load=b"HTTP/1.0 200 OK\r\n\r\n")
    c.send(1, d, to6(d, tcp(80, 40000, "PA", seq=501, ack=119, load=b"HTTP/1.0 200 OK\r\n\r\n")))
    # A second IPv6 host on the same port: the first free port of the range.
    s2 = in6(src=H6B) / tcp(40000, 80, "S")
    c.send(0, s2, to4(c, s2, tcp(1024, 80, "S")))
    r2 = out4() / tcp(80, 1024, "SA", seq=9, ack=1001)
    c.send(1, r2, to6(r2, tcp(80, 40000, "SA", seq=9, ack=1001), dst=H6B))
    # UDP; the answer comes without a checksum: IPv6 gets a computed one.
    u = in6() / udp(5353, 53)
    c.send(0, u, to4(c, u, udp(5353, 53)))
    ur = out4() / udp(53, 5353, load=b"answer!!", chksum=0)
    c.send(1, ur, to6(ur, udp(53, 5353, load=b"answer!!")))
    # ICMPv6 echo <-> ICMP echo; the identifier is the port.
    e = in6() / ICMPv6EchoRequest(id=4000, seq=1, data=PING)
    c.send(0, e, to4(c, e, ICMP(type=8, id=4000, seq=1) / Raw(PING)))
    er = out4() / ICMP(type=0, id=4000, seq=1) / Raw(PING)
    c.send(1, er, to6(er, ICMPv6EchoReply(id=4000, seq=1, data=PING)))
    # NAT44 in the same config, beside it.
    p4 = eth(0) / IP(src="10.0.0.1", dst=C, id=3) / UDP(sport=7777, dport=53) / Raw(b"v4")
    q = Ether(bytes(p4))
    q[IP].src = EXT
    del q[IP].chksum
    del q[UDP].chksum
    c.send(0, p4, q)
    # Dropped, each counted: not to the prefix, to a private IPv4 address
    # through the well-known prefix, to our own pool address where no IPv6
    # host's mapping is (hairpinning: no_mapping, its session kept), hop limit 1,
    # an extension header not skipped (AH), an echo fragment, a source no rule covers, an
    # unsolicited IPv4 packet, an inside echo reply.
    c.send(0, in6(dst="2001:db8:ff::1") / udp(1, 2), None)
    c.send(0, in6(dst="10.1.2.3") / udp(1, 2), None)
    c.send(0, in6(dst=EXT) / udp(1, 2), None)
    c.send(0, in6(hlim=1) / udp(1, 2), None)
    c.send(0, in6() / AH(nh=17, payloadlen=4, spi=1, seq=1, icv=b"\0" * 12) / udp(1, 2), None)
    c.send(0, in6() / IPv6ExtHdrFragment(m=1, id=7) / ICMPv6EchoRequest(id=9, data=PING), None)
    c.send(0, in6(src="2001:db8:2::1") / udp(1, 2), None)
    c.send(1, out4() / udp(53, 2222), None)
    c.send(0, in6() / ICMPv6EchoReply(id=9), None)
    c.stats = ["nat.sessions_created 6", "nat.sessions_active 6", "nat.translated_out 6",
               "nat.translated_in 5", "nat.nat64_out 5", "nat.nat64_in 5",
               "nat.nat64_udp_csum_computed 1", "nat.nat64_prefix 64:ff9b::/96",
               "nat.drop_nat64_not_prefix 1", "nat.drop_nat64_bad_addr 1",
               "nat.drop_nat64_hop_limit 1",
               "nat.drop_nat64_ipv6_ext 1", "nat.drop_nat64_fragment 1", "nat.drop_no_rule 1",
               "nat.drop_no_mapping 2", "nat.drop_unsupported 1",
               f"nat_pool.{EXT}_tcp_ports_used 2", f"nat_pool.{EXT}_udp_ports_used 3",
               f"nat_pool.{EXT}_icmp_ports_used 1"]
    return c


def quote4(ttl, src, dst, l4, tos=0):
    """The IPv4 packet an error quotes, as the NAT sent it (ids 1.. are
    the translator's)."""
    return IP(src=src, dst=dst, ttl=ttl, tos=tos, flags=0) / l4


def case_icmp_errors():
    c = Case64("nat64-icmp-errors")
    # Sessions: UDP H6:7000 -> B:33434, TCP H6:41000 -> B:443, ping id 5.
    u = in6() / udp(7000, 33434)
    ut = to4(c, u, udp(7000, 33434))
    c.send(0, u, ut)
    t = in6() / tcp(41000, 443, "S")
    tt = to4(c, t, tcp(41000, 443, "S"))
    c.send(0, t, tt)
    e = in6() / ICMPv6EchoRequest(id=5, seq=1, data=PING)
    et = to4(c, e, ICMP(type=8, id=1024, seq=1) / Raw(PING))  # 5 is below the range
    c.send(0, e, et)
    q6 = {  # each quoted packet as the host sent it, hop limit as it left the NAT
        "u": IPv6(src=H6, dst=v6(B), hlim=63) / udp(7000, 33434),
        "e": IPv6(src=H6, dst=v6(B), hlim=63) / ICMPv6EchoRequest(id=5, seq=1, data=PING),
    }
    # From the outside: port unreachable (3/3) about the UDP packet.
    err = out4(src=R) / ICMP(type=3, code=3) / Raw(bytes(ut[IP]))
    want = to6(err, ICMPv6DestUnreach(code=4) / Raw(bytes(q6["u"])))
    c.send(1, err, want)
    # Fragmentation needed (3/4, MTU 1400) quoting 28 bytes of the SYN:
    # packet too big, MTU 1420, quoting the IPv6 header and 8 TCP bytes.
    err = out4(src=R) / ICMP(type=3, code=4, nexthopmtu=1400) / Raw(bytes(tt[IP])[:28])
    tq = bytes(IPv6(src=H6, dst=v6(B), hlim=63, nh=6, plen=20)) + bytes(tt[TCP])[:8]
    c.send(1, err, to6(err, ICMPv6PacketTooBig(mtu=1420) / Raw(tq)))
    # Time exceeded (11/0) about the ping: identifier 1024 back to 5.
    err = out4(src=R) / ICMP(type=11, code=0) / Raw(bytes(et[IP]))
    c.send(1, err, to6(err, ICMPv6TimeExceeded(code=0) / Raw(bytes(q6["e"]))))
    # Parameter problem at the protocol byte (pointer 9) -> next header (6).
    err = out4(src=R) / ICMP(type=12, code=0, ptr=9) / Raw(bytes(ut[IP]))
    c.send(1, err, to6(err, ICMPv6ParamProblem(code=0, ptr=6) / Raw(bytes(q6["u"]))))
    # Dropped: source quench (no ICMPv6 counterpart), an error about no
    # session, one with a bad checksum.
    c.send(1, out4(src=R) / ICMP(type=4, code=0) / Raw(bytes(ut[IP])), None)
    other = quote4(63, EXT, B, UDP(sport=7001, dport=33434) / Raw(b"x" * 8))
    c.send(1, out4(src=R) / ICMP(type=3, code=3) / Raw(bytes(other)), None)
    c.send(1, out4(src=R) / ICMP(type=3, code=3, chksum=0x1234) / Raw(bytes(ut[IP])), None)
    # From the inside: H6 answers a reply with port unreachable (1/4); out
    # it goes as 3/3 from EXT, the quote the reply as B sent it.
    ur = out4(ttl=50) / udp(33434, 7000)
    urt = to6(ur, udp(33434, 7000))
    c.send(1, ur, urt)
    qv4 = IP(src=B, dst=EXT, ttl=49, id=0, flags=0) / udp(33434, 7000)
    err6 = in6(dst=B) / ICMPv6DestUnreach(code=4) / Raw(bytes(urt[IPv6]))
    c.send(0, err6, to4(c, err6, ICMP(type=3, code=3) / Raw(bytes(qv4))))
    # Packet too big from the inside (MTU 1300): fragmentation needed, 1280.
    err6 = in6(dst=B) / ICMPv6PacketTooBig(mtu=1300) / Raw(bytes(urt[IPv6]))
    c.send(0, err6, to4(c, err6, ICMP(type=3, code=4, nexthopmtu=1280) / Raw(bytes(qv4))))
    # An inside error about a packet of no session: dropped.
    bad = IPv6(src=v6(B), dst=H6, hlim=63) / udp(33434, 7999)
    c.send(0, in6(dst=B) / ICMPv6DestUnreach(code=4) / Raw(bytes(bad)), None)
    c.stats = ["nat.icmp_errors_in 4", "nat.icmp_errors_out 2", "nat.drop_nat64_icmp 1",
               "nat.drop_no_mapping 2", "nat.drop_bad_checksum 1"]
    return c


def case_timeouts():
    c = Case64("nat64-timeouts", CONF + "timeout udp 5 icmp 3 tcp-transitory 4\n")
    u = in6() / udp(6000, 53)
    c.send(0, u, to4(c, u, udp(6000, 53)))
    r = out4() / udp(53, 6000)
    c.send(1, r, to6(r, udp(53, 6000)), dt=3)        # 3 s later: alive, refreshed
    c.send(1, r.copy(), to6(r, udp(53, 6000)), dt=4.9)
    c.send(1, r.copy(), None, dt=5.1)                 # 5.1 s of silence: gone
    e = in6() / ICMPv6EchoRequest(id=9000, data=PING)
    c.send(0, e, to4(c, e, ICMP(type=8, id=9000) / Raw(PING)))
    c.send(1, out4() / ICMP(type=0, id=9000) / Raw(PING), None, dt=3.1)
    s = in6() / tcp(42000, 22, "S")
    c.send(0, s, to4(c, s, tcp(42000, 22, "S")))
    c.send(1, out4() / tcp(22, 42000, "SA", ack=1001), None, dt=4.1)  # transitory: 4 s
    # The expired session's port is free again: kept by a new session.
    u2 = in6(src=H6B) / udp(6000, 53)
    c.send(0, u2, to4(c, u2, udp(6000, 53)), dt=0.1)
    c.stats = ["nat.sessions_expired 3", "nat.sessions_created 4", "nat.sessions_active 1",
               "nat.drop_no_mapping 3"]
    return c


def case_established():
    """Sessions past their first packets, in bursts (one timestamp each:
    dt=0), the way the NAT's bulk path takes them both ways, beside what
    must still go one by one in its turn: a new session, an ICMPv6 error
    about a session opened earlier in the same burst, drops."""
    c = Case64("nat64-established")
    D = b"d" * 13  # odd lengths: the checksum's last byte padded
    u1, t1, e1, u2 = (in6() / udp(5000, 53, load=D), in6() / tcp(41000, 80, "S", seq=7),
                      in6() / ICMPv6EchoRequest(id=4000, seq=1, data=PING),
                      in6(src=H6B, dst=C) / udp(6000, 123))
    c.send(0, u1, to4(c, u1, udp(5000, 53, load=D)))
    c.send(0, t1, to4(c, t1, tcp(41000, 80, "S", seq=7)))
    c.send(0, e1, to4(c, e1, ICMP(type=8, id=4000, seq=1) / Raw(PING)))
    c.send(0, u2, to4(c, u2, udp(6000, 123), dst=C))
    # The first replies mark the sessions answered.
    r = out4() / udp(53, 5000)
    c.send(1, r, to6(r, udp(53, 5000)))
    r = out4() / tcp(80, 41000, "SA", seq=90, ack=8)
    c.send(1, r, to6(r, tcp(80, 41000, "SA", seq=90, ack=8)))
    r = out4() / ICMP(type=0, id=4000, seq=1) / Raw(PING)
    c.send(1, r, to6(r, ICMPv6EchoReply(id=4000, seq=1, data=PING)))
    r = out4(src=C) / udp(123, 6000)
    c.send(1, r, to6(r, udp(123, 6000), dst=H6B))
    # One inside burst: established packets, a new session (H6:5001), an
    # ICMPv6 error about it after it, a last hop (hop limit 2), 1300
    # bytes (DF), and drops: hop limit 1, UDP without checksum.
    burst = [(in6(tc=0x28) / udp(5000, 53, load=D + D), udp(5000, 53, load=D + D), B),
             (in6() / tcp(41000, 80, "A", seq=8, ack=91, load=b"GET /"),
              tcp(41000, 80, "A", seq=8, ack=91, load=b"GET /"), B),
             (in6() / ICMPv6EchoRequest(id=4000, seq=2, data=PING),
              ICMP(type=8, id=4000, seq=2) / Raw(PING), B),
             (in6(src=H6B, dst=C) / udp(6000, 123, load=b"ntp"), udp(6000, 123, load=b"ntp"), C),
             (in6() / udp(5001, 53), udp(5001, 53), B)]
    ur = IPv6(src=v6(B), dst=H6, hlim=40) / udp(53, 5001)
    qv4 = IP(src=B, dst=EXT, ttl=40, id=0, flags=0) / udp(53, 5001)
    burst.append((in6(dst=B) / ICMPv6DestUnreach(code=4) / Raw(bytes(ur)),
                  ICMP(type=3, code=3) / Raw(bytes(qv4)), B))
    burst.append((in6(hlim=2) / udp(5000, 53), udp(5000, 53), B))
    big = b"B" * 1300
    dt = 0.001
    for p6, l4, dst in burst:
        c.send(0, p6, to4(c, p6, l4, dst=dst), dt=dt)
        dt = 0
    p6 = in6() / udp(5000, 53, load=big)
    want = to4(c, p6, udp(5000, 53, load=big))
    want[IP].flags = "DF"
    c.send(0, p6, want, dt=0)
    c.send(0, in6(hlim=1) / tcp(41000, 80, "A", seq=13, ack=91), None, dt=0)
    c.send(0, in6() / udp(5000, 53, chksum=0), None, dt=0)
    # One outside burst: established replies (fast), and what is not: no
    # UDP checksum (computed), TTL 1 (dropped), IP options (not carried),
    # a FIN (a state change), the new session's first reply.
    out = [(out4() / udp(53, 5000, load=D), udp(53, 5000, load=D), H6),
           (out4(tos=0x48) / tcp(80, 41000, "PA", seq=91, ack=13, load=b"200 OK"),
            tcp(80, 41000, "PA", seq=91, ack=13, load=b"200 OK"), H6),
           (out4() / ICMP(type=0, id=4000, seq=2) / Raw(PING),
            ICMPv6EchoReply(id=4000, seq=2, data=PING), H6),
           (out4(src=C) / udp(123, 6000, load=b"ntp"), udp(123, 6000, load=b"ntp"), H6B),
           (out4() / udp(53, 5000, load=D, chksum=0), udp(53, 5000, load=D), H6)]
    dt = 0.001
    for p4, l4, dst in out:
        c.send(1, p4, to6(p4, l4, dst=dst), dt=dt)
        dt = 0
    c.send(1, out4(ttl=1) / udp(53, 5000), None, dt=0)
    p4 = eth(1) / IP(src=B, dst=EXT, ttl=64, id=21, options=b"\x01\x01\x01\x00") / udp(53, 5000)
    c.send(1, p4, to6(p4, udp(53, 5000)), dt=0)
    p4 = out4() / tcp(80, 41000, "FA", seq=97, ack=13)
    c.send(1, p4, to6(p4, tcp(80, 41000, "FA", seq=97, ack=13)), dt=0)
    p4 = out4() / udp(53, 5001)
    c.send(1, p4, to6(p4, udp(53, 5001)), dt=0)
    # A burst of 40 (more than one conn2 chunk of 32), every session.
    dt = 0.001
    for i in range(40):
        k = i % 4
        if k == 0:
            p6, l4, dst = in6() / udp(5000, 53, load=bytes([i]) * i), udp(5000, 53, load=bytes([i]) * i), B
        elif k == 1:
            p6 = in6() / tcp(41000, 80, "A", seq=13 + i, ack=98)
            l4, dst = tcp(41000, 80, "A", seq=13 + i, ack=98), B
        elif k == 2:
            p6 = in6() / ICMPv6EchoRequest(id=4000, seq=10 + i, data=PING)
            l4, dst = ICMP(type=8, id=4000, seq=10 + i) / Raw(PING), B
        else:
            p6, l4, dst = in6(src=H6B, dst=C) / udp(6000, 123, load=b"n" * i), udp(6000, 123, load=b"n" * i), C
        c.send(0, p6, to4(c, p6, l4, dst=dst), dt=dt)
        dt = 0
    # The bytes sent are the translated packets' (20 fewer or more each),
    # also when a whole burst goes one way at once.
    c.stats = ["nat.sessions_created 5", "nat.translated_out 51", "nat.translated_in 12",
               "nat.nat64_out 51", "nat.nat64_in 12", "nat.icmp_errors_out 1",
               "nat.nat64_udp_csum_computed 1", "nat.drop_nat64_hop_limit 2",
               "nat.drop_bad_checksum 1", "port0.tx_bytes 863", "port1.tx_bytes 4221"]
    return c


def hairpinned(pkt6, src, dst, l4):
    """Inside packet pkt6 as hairpinning delivers it back inside: IPv6 from
    `src` to `dst`, transport header `l4`, hop limit one less, traffic class
    kept, flow label 0; the input's Ethernet header."""
    ip = pkt6[IPv6]
    return eth(0) / IPv6(src=src, dst=dst, hlim=ip.hlim - 1, tc=ip.tc, fl=0) / l4


def case_hairpin():
    """NAT64 hairpinning (RFC 6146 3.8): IPv6 inside hosts reach each other
    through PREFIX + the pool address and the other's external port; the
    packet comes back inside as IPv6 from the sender's external endpoint
    (PREFIX + EXT : its port).  Filtering as NAT44's: H6B's first packet to
    H6's endpoint is dropped and opens the way for H6's.  An echo request
    to H6B's external ICMP mapping reaches H6B from H6's external
    identifier (1024: H6B holds 7000) and the reply comes back.  A
    fragmented datagram is hairpinned fragment by fragment.  ICMPv6
    errors about hairpinned packets go back to their sender.  An IPv4
    inside host's endpoint is no IPv6 host's: dropped."""
    c = Case64("nat64-hairpin")
    u = in6(src=H6B) / udp(6000, 3478)
    c.send(0, u, to4(c, u, udp(6000, 3478)))                     # H6B: EXT:6000
    u = in6(dst=C) / udp(5000, 3478)
    c.send(0, u, to4(c, u, udp(5000, 3478), dst=C))              # H6: EXT:5000
    c.send(0, in6(src=H6B, dst=EXT) / udp(6000, 5000), None)     # H6 never sent to 6000
    h = in6(dst=EXT, tc=0x28) / udp(5000, 6000, load=b"hairpin!")
    c.send(0, h, hairpinned(h, v6(EXT), H6B, udp(5000, 6000, load=b"hairpin!")), to=0)
    h = in6(src=H6B, dst=EXT) / udp(6000, 5000, load=b"back")
    c.send(0, h, hairpinned(h, v6(EXT), H6, udp(6000, 5000, load=b"back")), to=0)
    h = in6(dst=EXT) / udp(5000, 6000, load=b"again")
    hd = hairpinned(h, v6(EXT), H6B, udp(5000, 6000, load=b"again"))
    c.send(0, h, hd, to=0)
    # A fragmented datagram the same way: its first fragment hairpinned
    # (the transport checksum updated for the whole datagram), the later
    # ones after it, each with the Fragment header it would have had
    # through IPv4 and back (the identification's low 16 bits).
    data = bytes((i * 5) & 255 for i in range(100))
    h2 = in6(dst=EXT) / udp(5000, 6000, load=data)
    for i, o in zip(frags6(h2, 48, 0x12340007),
                    frags6(hairpinned(h2, v6(EXT), H6B, udp(5000, 6000, load=data)), 48, 0x0007)):
        c.send(0, i, o, to=0)
    c.send(0, in6(dst=EXT) / tcp(5001, 6000, "S"), None)        # no TCP mapping at 6000
    e = in6(src=H6B) / ICMPv6EchoRequest(id=7000, seq=1, data=PING)
    c.send(0, e, to4(c, e, ICMP(type=8, id=7000, seq=1) / Raw(PING)))  # H6B: EXT:7000
    e = in6(dst=EXT) / ICMPv6EchoRequest(id=7000, seq=1, data=PING)
    ed = hairpinned(e, v6(EXT), H6B, ICMPv6EchoRequest(id=1024, seq=1, data=PING))
    c.send(0, e, ed, to=0)
    r = in6(src=H6B, dst=EXT) / ICMPv6EchoReply(id=1024, seq=1, data=PING)
    rd = hairpinned(r, v6(EXT), H6, ICMPv6EchoReply(id=7000, seq=1, data=PING))
    c.send(0, r, rd, to=0)
    # ICMPv6 errors about hairpinned packets go back inside to the sender,
    # from the erring host's external address, the quote as the sender
    # sent it (its hop limit as it was delivered, not translated back).
    def err(src, quoted, msg):
        return in6(src=src, dst=EXT) / msg / Raw(bytes(quoted[IPv6]))

    def back(dst, quoted, msg):
        return eth(0) / IPv6(src=v6(EXT), dst=dst, hlim=63) / msg / Raw(bytes(quoted))
    c.send(0, err(H6B, hd, ICMPv6DestUnreach(code=4)),
           back(H6, IPv6(src=H6, dst=v6(EXT), hlim=63) / udp(5000, 6000, load=b"again"),
                ICMPv6DestUnreach(code=4)), to=0)
    c.send(0, err(H6B, ed, ICMPv6DestUnreach(code=1)),
           back(H6, IPv6(src=H6, dst=v6(EXT), hlim=63) /
                ICMPv6EchoRequest(id=7000, seq=1, data=PING), ICMPv6DestUnreach(code=1)), to=0)
    c.send(0, err(H6, rd, ICMPv6TimeExceeded(code=0)),
           back(H6B, IPv6(src=H6B, dst=v6(EXT), hlim=63) /
                ICMPv6EchoReply(id=1024, seq=1, data=PING), ICMPv6TimeExceeded(code=0)), to=0)
    c.send(0, in6(dst=EXT) / ICMPv6EchoRequest(id=9999, data=PING), None)       # nobody's
    c.send(0, in6(src=H6B, dst=EXT) / ICMPv6EchoReply(id=4242, data=PING), None)  # no request
    p4 = eth(0) / IP(src="10.0.0.1", dst=C, id=3) / UDP(sport=7777, dport=53) / Raw(b"v4")
    q = Ether(bytes(p4))
    q[IP].src = EXT
    del q[IP].chksum
    del q[UDP].chksum
    c.send(0, p4, q)                                             # 10.0.0.1: EXT:7777
    c.send(0, in6(dst=EXT) / udp(5002, 7777), None)              # an IPv4 host's endpoint
    c.stats = ["nat.hairpinned 9", "nat.icmp_errors_out 3", "nat.drop_no_mapping 5",
               "nat.nat64_out 3", "nat.frag_firsts 1", "nat.frag_translated 2", "nat.drop_nat64_fragment 0"]
    return c


def case_ext_headers():
    """IPv6 extension headers (RFC 7915 5.1): hop-by-hop options,
    destination options, a routing header with no segments left and an
    atomic fragment header are skipped - the IPv4 packet is the upper layer
    alone, its pseudo-header checksum the upper layer's - also on an
    established session's packets.  A routing header with segments left
    is dropped and answered with an ICMPv6 parameter problem pointing at
    its Segments Left (RFC 7915 5.1 SHOULD); AH is dropped; each counted."""
    c = Case64("nat64-ext-headers")
    D = b"payload!"
    p = in6() / IPv6ExtHdrHopByHop() / udp(5000, 53, load=D)
    c.send(0, p, to4(c, p, udp(5000, 53, load=D)))
    r = out4() / udp(53, 5000, load=D)
    c.send(1, r, to6(r, udp(53, 5000, load=D)))
    p = in6() / IPv6ExtHdrDestOpt() / udp(5000, 53, load=D + D)     # the session's
    c.send(0, p, to4(c, p, udp(5000, 53, load=D + D)))
    p = in6() / IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting(segleft=0) / IPv6ExtHdrDestOpt() / \
        tcp(41000, 80, "S", seq=5)
    c.send(0, p, to4(c, p, tcp(41000, 80, "S", seq=5)))
    p = in6() / IPv6ExtHdrDestOpt() / ICMPv6EchoRequest(id=4000, seq=1, data=PING)
    c.send(0, p, to4(c, p, ICMP(type=8, id=4000, seq=1) / Raw(PING)))
    p = in6(src=H6B) / IPv6ExtHdrFragment(offset=0, m=0, id=99) / udp(6000, 123, load=D)
    c.send(0, p, to4(c, p, udp(6000, 123, load=D)))
    # Several packets in one burst, headers and none mixed.
    for i in range(3):
        p = (in6() / IPv6ExtHdrHopByHop() / udp(5000, 53, load=bytes([i]) * 5) if i != 1 else
             in6() / udp(5000, 53, load=bytes([i]) * 5))
        c.send(0, p, to4(c, p, udp(5000, 53, load=bytes([i]) * 5)), dt=0 if i else 0.001)
    # Its one address the packet's destination: the quote's UDP checksum is
    # then right both by RFC 8200 8.1 (final destination) and by tshark.
    rt = in6() / IPv6ExtHdrRouting(segleft=1, addresses=[v6(B)]) / udp(5000, 53)
    c.send(0, rt, param_problem(rt, 40 + 3), to=0)
    # The same in a first fragment (the routing header before the
    # fragment header, RFC 8200 4.1): its datagram is dropped, answered.
    rf = in6() / IPv6ExtHdrRouting(segleft=1, addresses=[v6(B)]) / IPv6ExtHdrFragment(offset=0, m=1, id=7) / \
        udp(7000, 53, load=D * 2)
    c.send(0, rf, param_problem(rf, 40 + 3), to=0)
    c.send(0, in6() / AH(nh=17, payloadlen=4, spi=7, seq=1, icv=b"\0" * 12) / udp(5000, 53), None)
    # Not to the prefix: no NAT64, dropped as before (`ipv6 drop`).
    c.send(0, in6(dst="2001:db8:ff::1") / IPv6ExtHdrHopByHop() / udp(1, 2), None)
    c.stats = ["nat.nat64_ext_skipped 7", "nat.nat64_out 8", "nat.drop_nat64_ipv6_route 2",
               "nat.nat64_param_problem_sent 2", "nat.icmp_errors_limited 0",
               "nat.drop_nat64_ipv6_ext 1", "nat.drop_nat64_not_prefix 1", "nat.sessions_created 4"]
    return c


def param_problem(p6, ptr):
    """The ICMPv6 parameter problem (4/0, RFC 4443 3.4) the NAT answers
    inside packet p6 with: back to its sender, hop limit 64, quoting it
    (up to 1280 bytes in all)."""
    ip = p6[IPv6]
    return (Ether(src=p6.dst, dst=p6.src) / IPv6(src=ip.dst, dst=ip.src, hlim=64) /
            ICMPv6ParamProblem(code=0, ptr=ptr) / Raw(bytes(ip)[:1280 - 48]))


def case_error_rate():
    """ICMP errors at a bounded rate (RFC 4443 2.4(f)): 100 at once, then
    one per millisecond; the rest are dropped all the same, counted
    icmp_errors_limited."""
    c = Case64("nat64-error-rate")
    rt = lambda i: in6() / IPv6ExtHdrRouting(segleft=1, addresses=[v6(B)]) / udp(5000 + i, 53)  # noqa: E731
    for i in range(105):
        p = rt(i)
        c.send(0, p, param_problem(p, 43) if i < 100 else None, to=0, dt=0.001 if i == 0 else 0)
    p = rt(105)
    c.send(0, p, param_problem(p, 43), to=0, dt=0.0011)  # a token back
    c.stats = ["nat.nat64_param_problem_sent 101", "nat.icmp_errors_limited 5",
               "nat.drop_nat64_ipv6_route 106"]
    return c


def frags6(p6, size, ident):
    """IPv6 packet p6 (Ether/IPv6/upper layer, its checksum scapy's over the
    whole datagram) cut into fragments of `size` bytes of the upper layer
    (a multiple of 8), each with a Fragment header."""
    ip = p6[IPv6]
    payload = bytes(ip.payload)
    out = []
    for off in range(0, len(payload), size):
        chunk = payload[off:off + size]
        more = off + len(chunk) < len(payload)
        f = Ether(src=p6.src, dst=p6.dst) / IPv6(src=ip.src, dst=ip.dst, hlim=ip.hlim, tc=ip.tc) / \
            IPv6ExtHdrFragment(nh=ip.nh, offset=off // 8, m=int(more), id=ident) / Raw(chunk)
        out.append(Ether(bytes(f)))
    return out


def frags4(p4, size, ident):
    """IPv4 packet p4 cut into fragments, identification `ident`, no DF:
    what a translated IPv6 fragment series becomes."""
    q = Ether(bytes(p4))
    q[IP].id = ident
    q[IP].flags = 0
    return frags(q, size)


def released(c, port, held):
    for inp, out in held:
        o = Ether(bytes(out))
        o.time = inp.time
        c.out[port ^ 1].append(o)


def case_frag():
    """NAT64 fragments (RFC 7915 4.1 / 5.1.1) by virtual reassembly, as
    NAT44's (nf/nat/nat_frag.h): an IPv6 first fragment is translated as a
    whole packet (session by its ports, the transport checksum updated for
    the whole datagram), into an IPv4 first fragment with the low 16 bits
    of the Fragment header's identification and MF; later fragments get the
    first's addresses, offset, M and identification.  IPv4 fragments the
    other way get a Fragment header with the IPv4 identification.  In order
    and out of order (later ones held until their first); ICMP echo
    fragments, whose ICMPv6/ICMP checksum needs the whole datagram's
    length, are dropped."""
    c = Case64("nat64-frag")
    data = bytes((i * 7) & 255 for i in range(100))
    # In order, IPv6 -> IPv4: UDP, 3 fragments.
    d6 = in6() / udp(5000, 53, load=data)
    d4 = eth(0) / IP(src=EXT, dst=B, ttl=63) / udp(5000, 53, load=data)
    for i, o in zip(frags6(d6, 48, 0x12345678), frags4(d4, 48, 0x5678)):
        c.send(0, i, o)
    # In order, IPv4 -> IPv6: the answer, 4 fragments.
    ans = bytes((i * 3) & 255 for i in range(140))
    r4 = out4(ident=0x4242) / udp(53, 5000, load=ans)
    r6 = eth(1) / IPv6(src=v6(B), dst=H6, hlim=63) / udp(53, 5000, load=ans)
    for i, o in zip(frags(r4, 40), frags6(r6, 40, 0x4242)):
        c.send(1, i, o)
    # Out of order, IPv6 -> IPv4: the later fragments first, held, then
    # they leave after their first.
    e6 = in6() / udp(5000, 53, load=data[:90])
    e4 = eth(0) / IP(src=EXT, dst=B, ttl=63) / udp(5000, 53, load=data[:90])
    fi, fo = frags6(e6, 32, 0x9abc0001), frags4(e4, 32, 0x0001)
    held = [(c.send(0, fi[2], None), fo[2]), (c.send(0, fi[1], None), fo[1])]
    c.send(0, fi[0], fo[0])
    released(c, 0, held)
    c.send(0, fi[3], fo[3])
    # Out of order, IPv4 -> IPv6: second, first, third.
    q4 = out4(ident=0x0777) / udp(53, 5000, load=ans[:100])
    q6 = eth(1) / IPv6(src=v6(B), dst=H6, hlim=63) / udp(53, 5000, load=ans[:100])
    ri, ro = frags(q4, 48), frags6(q6, 48, 0x0777)
    held = [(c.send(1, ri[1], None), ro[1])]
    c.send(1, ri[0], ro[0])
    released(c, 1, held)
    c.send(1, ri[2], ro[2])
    # TCP, a session of its own: the SYN whole, then data in fragments
    # (each first holds the whole TCP header).
    s = in6() / tcp(41000, 80, "S", seq=7)
    c.send(0, s, to4(c, s, tcp(41000, 80, "S", seq=7)))
    t6 = in6() / tcp(41000, 80, "PA", seq=8, load=data)
    t4 = eth(0) / IP(src=EXT, dst=B, ttl=63) / tcp(41000, 80, "PA", seq=8, load=data)
    for i, o in zip(frags6(t6, 64, 0x00010002), frags4(t4, 64, 0x0002)):
        c.send(0, i, o)
    # A first fragment after a Destination Options header (skipped).
    x6 = in6() / IPv6ExtHdrDestOpt() / udp(5000, 53, load=data[:40])
    x = frags6(in6() / udp(5000, 53, load=data[:40]), 24, 0x55)
    first = Ether(bytes(eth(0) / IPv6(src=H6, dst=v6(B), hlim=64) / IPv6ExtHdrDestOpt() /
                        IPv6ExtHdrFragment(nh=17, offset=0, m=1, id=0x55) /
                        Raw(bytes(x6[UDP])[:24])))
    x4 = frags4(eth(0) / IP(src=EXT, dst=B, ttl=63) / udp(5000, 53, load=data[:40]), 24, 0x55)
    c.send(0, first, x4[0])
    c.send(0, x[1], x4[1])
    # Dropped: an echo request in fragments (both), an unsolicited IPv4
    # datagram (its first: no mapping; the later one with it).
    pe = frags6(in6() / ICMPv6EchoRequest(id=4000, data=data), 56, 0x77)
    c.send(0, pe[0], None)
    c.send(0, pe[1], None)
    u = frags(out4(src=C, ident=0x999) / udp(53, 6666, load=data), 48)
    c.send(1, u[0], None)
    c.send(1, u[1], None)
    c.stats = ["nat.frag_firsts 7", "nat.frag_held 3", "nat.frag_released 3",
               "nat.frag_translated 12", "nat.drop_nat64_fragment 2",
               "nat.frag_drop_first_dropped 1", "nat.drop_no_mapping 1",
               "nat.frag_held_now 0", "nat.sessions_created 2"]
    return c


def case_bad_config():
    c = Case64("nat64-bad-config", PORTS +
               f"snat from 2001:db8:1::/48 to {EXT}\n"
               "nat64 prefix 64:ff9b::/33\n"
               "nat64 prefix 192.0.2.0/24\n"
               "nat64 prefix 2001:db8:0:0:ff00::/96\n"
               "nat64 prefix 2001:db8::/32\n"
               "nat64\n"
               "nat64 prefix 2001:db8::/32 extra\n")
    c.send(0, in6() / udp(1, 2), None)
    c.fail = ["nat.conf:4:14: NAT64 prefix length /33: RFC 6052 allows /32, /40, /48, /56, /64 or /96",
              "nat.conf:5:14: the NAT64 prefix must be IPv6, '192.0.2.0/24' is IPv4",
              "nat.conf:6:14: NAT64 prefix '2001:db8:0:0:ff00::/96': bits 64-71 must be zero "
              "(RFC 6052 2.2)",
              "nat.conf:8:1: 'nat64' given twice (first at line 7)",
              "nat.conf:9:1: 'nat64' given twice (first at line 7)"]
    return c


def case_bad_config_no_mode():
    c = Case64("nat64-bad-config-no-mode", PORTS + f"snat from {{ 10.0.0.0/8 2001:db8:1::/48 }} to {EXT}\n")
    c.send(0, in6() / udp(1, 2), None)
    c.fail = ["nat.conf:3:24: snat translates IPv4 only, '2001:db8:1::/48' is IPv6 "
              "(IPv6 sources need a 'nat64' statement)"]
    return c


def main():
    for c in (case_basic(), case_icmp_errors(), case_established(), case_timeouts(), case_hairpin(),
              case_ext_headers(), case_error_rate(), case_frag(), case_bad_config(),
              case_bad_config_no_mode()):
        c.write()


if __name__ == "__main__":
    main()
