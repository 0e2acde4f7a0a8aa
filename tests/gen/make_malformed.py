#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write the parser's malformed-packet corpus.

    /usr/bin/python3 tests/gen/make_malformed.py [OUTDIR]

Writes OUTDIR/corpus.pcap (default tests/data/malformed/), one frame per
case, OUTDIR/expected.txt with the reason parse_pkt() must return for each
frame (parse_err_name(), one per line, same order) and OUTDIR/cases.txt, the
same list numbered and described for humans.

The pcap is written by hand rather than with scapy's writer: zero-length
frames must be representable, and timestamps are fixed (case i is at
1700000000 s + i us) so the output is byte-for-byte reproducible.

Two kinds of truncation are generated from each well-formed packet:
  * frame cuts: bytes are dropped from the end and no length field is
    touched, so the first header whose length field reaches past the cut
    is the one that fails (the IP total/payload length, usually);
  * consistent cuts: the bytes after the IP header are cut and the IP length
    is recomputed, so the IP layer is sound and the extension header or L4
    header that no longer fits is the one that fails.
The expected reason of each cut is derived from the header layout, which
is what the parser contract (dataplane/parse.h) specifies.
"""
import os
import struct
import sys

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether, ICMPv6EchoRequest,
                       ICMPv6ND_NS, IPOption_NOP, IPOption_RR, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw, conf)
from scapy.layers.ipsec import AH
from scapy.packet import NoPayload

conf.verb = 0

MAC = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
V4 = dict(src="192.0.2.1", dst="198.51.100.2")
V6 = dict(src="2001:db8::1", dst="2001:db8::2")
FRAME_MAX = 9216

cases = []  # (expected reason, frame bytes, description)


def arp_raw(hrd, pro, hln, pln, op=1):
    """RFC 826 packet with zeroed addresses: 8 + 2 * (hln + pln) bytes."""
    return struct.pack("!HHBBH", hrd, pro, hln, pln, op) + bytes(2 * (hln + pln))


seen = {}  # frame bytes -> reason: identical frames are written once


def add(reason, frame, desc):
    frame = bytes(frame)
    if frame in seen:
        assert seen[frame] == reason, (desc, seen[frame], reason)
        return
    seen[frame] = reason
    cases.append((reason, frame, desc))


def hlen(layer):
    """Bytes of this layer alone (its payload excluded)."""
    return len(bytes(layer)) - len(bytes(layer.payload))


# ---- well-formed packets ------------------------------------------------------
# Each: (name, scapy packet).  Those that are IP carry the L4 rules used by
# the consistent cuts below.
udp = Ether(**MAC) / IP(**V4) / UDP(sport=1234, dport=7777) / Raw(b"q" * 18)
tcp = Ether(**MAC) / IP(**V4) / TCP(sport=40000, dport=80, flags="S")
tcp_opts = Ether(**MAC) / IP(**V4) / TCP(
    sport=40000, dport=443, flags="S", options=[("MSS", 1460), ("SAckOK", b""),
                                                 ("Timestamp", (1, 0)), ("NOP", None),
                                                 ("WScale", 7)]) / Raw(b"x" * 5)
icmp = Ether(**MAC) / IP(**V4) / ICMP(type=8, id=7, seq=1) / Raw(b"ping" * 8)
ip_opts = Ether(**MAC) / IP(**V4, options=[IPOption_RR(routers=["0.0.0.0"] * 3),
                                           IPOption_NOP()]) / UDP(sport=7, dport=7)
vlan = Ether(**MAC) / Dot1Q(vlan=100, prio=3) / IP(**V4) / UDP(sport=1, dport=2)
qinq = Ether(**MAC) / Dot1AD(vlan=200) / Dot1Q(vlan=300) / IPv6(**V6) / TCP(sport=5, dport=6)
arp = Ether(src=MAC["src"], dst="ff:ff:ff:ff:ff:ff") / ARP(
    op=1, hwsrc=MAC["src"], psrc="192.0.2.1", pdst="192.0.2.2")
arp_vlan = Ether(src=MAC["src"], dst="ff:ff:ff:ff:ff:ff") / Dot1Q(vlan=5) / ARP(
    op=2, hwsrc=MAC["src"], psrc="192.0.2.1", hwdst=MAC["dst"], pdst="192.0.2.2")
udp6 = Ether(**MAC) / IPv6(**V6) / UDP(sport=546, dport=547) / Raw(b"d" * 10)
tcp6 = Ether(**MAC) / IPv6(**V6) / TCP(sport=1, dport=22, flags="PA") / Raw(b"ssh")
echo6 = Ether(**MAC) / IPv6(**V6) / ICMPv6EchoRequest(id=9, seq=2, data=b"abc")
ns6 = Ether(**MAC) / IPv6(src=V6["src"], dst="ff02::1:ff00:2", hlim=255) / ICMPv6ND_NS(
    tgt="2001:db8::2")
ext6 = Ether(**MAC) / IPv6(**V6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / \
    IPv6ExtHdrRouting(addresses=["2001:db8::3"], segleft=0) / \
    AH(nh=44, payloadlen=4, spi=0x100, seq=1, icv=b"\x00" * 12) / \
    IPv6ExtHdrFragment(offset=0, m=0, id=77) / TCP(sport=9, dport=10)
ext6_udp = Ether(**MAC) / IPv6(**V6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / \
    UDP(sport=3, dport=4) / Raw(b"u" * 4)
frag4_first = Ether(**MAC) / IP(**V4, flags="MF", id=99, proto=17) / \
    Raw(bytes(UDP(sport=1, dport=2, len=1008, chksum=0)) + b"f" * 16)
frag4_later = Ether(**MAC) / IP(**V4, frag=3, id=99, proto=17) / Raw(b"f" * 24)
frag6_first = Ether(**MAC) / IPv6(**V6) / IPv6ExtHdrFragment(offset=0, m=1, id=5, nh=17) / \
    Raw(bytes(UDP(sport=1, dport=2, len=1008, chksum=0x1234)) + b"f" * 16)
frag6_later = Ether(**MAC) / IPv6(**V6) / IPv6ExtHdrFragment(offset=3, m=0, id=5, nh=17) / \
    Raw(b"f" * 24)

GOOD = [
    ("ipv4/udp", udp), ("ipv4/tcp", tcp), ("ipv4/tcp options", tcp_opts),
    ("ipv4/icmp echo", icmp), ("ipv4 options/udp", ip_opts), ("vlan/ipv4/udp", vlan),
    ("qinq/ipv6/tcp", qinq), ("arp request", arp), ("vlan/arp reply", arp_vlan),
    ("ipv6/udp", udp6), ("ipv6/tcp", tcp6), ("ipv6/icmpv6 echo", echo6),
    ("ipv6/icmpv6 ns", ns6), ("ipv6 hbh+dst+rt+ah+atomic frag/tcp", ext6),
    ("ipv6 hbh+dst/udp", ext6_udp), ("ipv4 first fragment/udp", frag4_first),
    ("ipv4 later fragment", frag4_later), ("ipv6 first fragment/udp", frag6_first),
    ("ipv6 later fragment", frag6_later),
]

for name, p in GOOD:
    add("ok", p, name)

# More well-formed corner cases.
add("ok", bytes(Ether(**MAC) / IP(**V4) / UDP(sport=1, dport=2) / Raw(b"ab")) + b"\x00" * 16,
    "ipv4/udp padded to 60 bytes")
add("ok", bytes(Ether(**MAC) / IP(**V4) / UDP(sport=1, dport=2)) + b"\x00" * 18,
    "ipv4/udp, empty payload, 18 bytes of padding")
add("ok", Ether(**MAC, type=0x88b5) / Raw(b"l" * 32), "unknown ethertype (0x88b5, experimental)")
add("ok", Ether(**MAC) / IP(**V4, proto=47) / Raw(b"\x00\x00\x88\xb5" + b"g" * 20),
    "ipv4/gre (unparsed l4)")
add("ok", Ether(**MAC) / IPv6(**V6, nh=59), "ipv6 no next header, empty payload")
add("ok", Ether(**MAC) / IPv6(**V6, nh=50) / Raw(b"\x00\x00\x01\x00" + b"e" * 28),
    "ipv6/esp (opaque)")
short_udp = bytes((IP(**V4) / UDP(sport=1, dport=2) / Raw(b"x" * 4))[UDP])
add("ok", Ether(**MAC) / IP(**V4, proto=17) / Raw(short_udp + b"s" * 6),
    "udp length shorter than ip payload (surplus)")
add("ok", Ether(**MAC) / IP(**V4, flags="DF") / TCP(), "ipv4 DF set is not a fragment")
add("ok", Ether(**MAC) / IP(**V4) / UDP(sport=7777, dport=7777) / Raw(b"j" * (FRAME_MAX - 42)),
    "frame of exactly PARSE_FRAME_MAX bytes")
add("ok", bytes(Ether(src=MAC["src"], dst="ff:ff:ff:ff:ff:ff", type=0x0806)) +
    arp_raw(7, 0x0800, 2, 4), "non-ethernet arp sized by hln/pln (20 bytes)")
chain8 = IPv6(**V6)
for _ in range(7):
    chain8 = chain8 / IPv6ExtHdrDestOpt()
add("ok", Ether(**MAC) / chain8 / IPv6ExtHdrDestOpt() / UDP(sport=1, dport=2),
    "ipv6 with exactly 8 extension headers")

# ---- frame cuts --------------------------------------------------------------


def l3_reason_for_cut(p, n):
    """Reason for `p` cut to n bytes, length fields untouched."""
    if n < 14:
        return "runt"
    off = 14
    layer = p.payload
    while isinstance(layer, (Dot1Q, Dot1AD)):
        if n < off + 4:
            return "vlan_trunc"
        off += 4
        layer = layer.payload
    room = n - off
    if isinstance(layer, ARP):
        return "arp_trunc"  # every cut of a good ARP is short of its length
    if isinstance(layer, IPv6):
        return "ipv6_trunc" if room < 40 else "ipv6_plen"
    if isinstance(layer, IP):
        ihl = (bytes(layer)[0] & 15) * 4
        if room < 20:
            return "ipv4_trunc"
        if room < ihl:
            return "ipv4_ihl"
        return "ipv4_totlen"
    raise ValueError(layer)


def cut_points(p):
    """Every header boundary, one byte either side, and each header's middle."""
    b = bytes(p)
    pts = {0, 1}
    off = 0
    for layer in p.iterpayloads():
        if isinstance(layer, Raw):
            break
        h = hlen(layer)
        pts.update({off - 1, off, off + 1, off + h // 2, off + h - 1})
        off += h
    pts.update({off - 1, off})
    return sorted(x for x in pts if 0 <= x < len(b))


for name, p in GOOD:
    b = bytes(p)
    for n in cut_points(p):
        add(l3_reason_for_cut(p, n), b[:n], f"{name} cut to {n} of {len(b)} bytes")

# ---- consistent cuts ---------------------------------------------------------


def l4_reason(proto, l4, k, first_frag=False):
    """Reason for an L4 header `l4` (bytes) of protocol `proto` cut to k bytes
    inside an otherwise sound IP packet; None if the cut leaves it whole."""
    if proto == 6:
        if k < 20:
            return "tcp_trunc"
        return "tcp_doff" if k < (l4[12] >> 4) * 4 else None
    if proto == 17:
        if k < 8:
            return "udp_trunc"
        ulen = struct.unpack("!H", l4[4:6])[0]
        return "udp_len" if k < ulen and not first_frag else None
    if proto == 1:
        return "icmp_trunc" if k < 8 else None
    if proto == 58:
        need = 8 if l4[0] in (128, 129) else 4
        return "icmp6_trunc" if k < need else None
    return None


def v4_consistent_cuts(name, p):
    ip = Ether(bytes(p))[IP]  # re-dissected: proto and ihl filled in
    first_frag = bool(ip.flags.MF)
    ihl = ip.ihl * 4
    l4 = bytes(ip)[ihl:]
    l2 = bytes(p)[:len(bytes(p)) - len(bytes(ip))]
    ipc = IP(bytes(ip)[:ihl])
    ipc.len = None
    ipc.chksum = None
    pts = sorted({0, 1, 4, 7, 8, 12, 13, 19, 20, 27, len(l4) - 1})
    for k in pts:
        if k >= len(l4):
            continue
        r = l4_reason(ip.proto, l4, k, first_frag) or "ok"
        add(r, l2 + bytes(ipc / Raw(l4[:k])),
            f"{name}: ip length fixed, l4 cut to {k} of {len(l4)} bytes")


def v6_chain(p):
    """[(proto, offset, length, is_first_fragment)] of the extension headers
    after IPv6 and of the upper-layer header, offsets from the end of the
    IPv6 header.  Read from the bytes (RFC 8200 4, RFC 4302 2.2 lengths):
    scapy does not dissect every chain (AH) back into layers."""
    b = bytes(p[IPv6])
    nh, pos, out = b[6], 40, []
    while nh in (0, 43, 44, 51, 60):
        if nh == 44:
            h = 8
        elif nh == 51:
            h = (b[pos + 1] + 2) * 4
        else:
            h = (b[pos + 1] + 1) * 8
        fo = struct.unpack("!H", b[pos + 2:pos + 4])[0] if nh == 44 else 0
        out.append((nh, pos - 40, h, nh == 44 and fo & 0xfff9 == 1))
        if fo & 0xfff8:
            return out  # later fragment: the rest is payload
        nh = b[pos]
        pos += h
    out.append((nh, pos - 40, len(b) - pos, False))
    return out


def v6_consistent_cuts(name, p):
    ip6 = p[IPv6]
    payload = bytes(ip6.payload)
    l2 = bytes(p)[:len(bytes(p)) - len(bytes(ip6))]
    chain = v6_chain(p)
    first_frag = any(ff for _, _, _, ff in chain)
    pts = set()
    for _, off, h, _ in chain:
        pts.update({off, off + 1, off + h // 2, off + h - 1})
    last = chain[-1][1]
    pts.update({last + 4, last + 7, last + 8, last + 12, last + 20, len(payload) - 1})
    for k in sorted(x for x in pts if x < len(payload)):
        reason = "ok"
        for nh, off, h, _ in chain:
            if k == 0 and nh == 0:
                reason = "ipv6_plen"  # payload length 0 + hop-by-hop: jumbogram
                break
            if nh in (0, 43, 44, 51, 60):
                if k < off + h:
                    reason = "ipv6_ext_trunc"
                    break
            else:
                reason = l4_reason(nh, payload[off:], k - off, first_frag) or "ok"
                break
        hdr = IPv6(bytes(ip6)[:40])
        hdr.plen = None
        hdr.remove_payload()
        add(reason, l2 + bytes(hdr / Raw(payload[:k])),
            f"{name}: ipv6 plen fixed, payload cut to {k} of {len(payload)} bytes")


for name, p in GOOD:
    if IP in p and not p[IP].frag and not isinstance(p[IP].payload, Raw):
        v4_consistent_cuts(name, p)
    elif IPv6 in p:
        v6_consistent_cuts(name, p)
v4_consistent_cuts("ipv4 first fragment/udp", frag4_first)

# ---- targeted malformations ----------------------------------------------------
E = Ether(**MAC)

add("runt", b"", "zero-length frame")
add("runt", bytes(udp)[:13], "13 bytes")
add("oversized", bytes(E / IP(**V4) / UDP() / Raw(b"o" * (FRAME_MAX - 41))),
    "PARSE_FRAME_MAX + 1 bytes")
add("oversized", b"\x00" * 16000, "16000 zero bytes")
add("oversized", b"\x00" * 65535, "65535 bytes")

# VLAN
add("vlan_depth", E / Dot1AD(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) / IP(**V4) / UDP(),
    "three vlan tags")
add("vlan_depth", bytes(E / Dot1AD(vlan=1) / Dot1Q(vlan=2, type=0x8100)),
    "third tag announced, frame ends")
add("vlan_depth", E / Dot1Q(vlan=1) / Dot1Q(vlan=2) / Dot1AD(vlan=3) / Dot1Q(vlan=4) /
    IP(**V4) / UDP(), "four vlan tags")

# ARP
EA = bytes(Ether(**MAC, type=0x0806))
add("arp_trunc", EA + arp_raw(1, 0x0800, 6, 16)[:28],
    "arp claims 16-byte protocol addresses, has 28 bytes")
add("arp_trunc", EA + arp_raw(7, 0x0800, 6, 4)[:20],
    "non-ethernet arp cut inside its addresses")
add("arp_trunc", EA + arp_raw(1, 0x0800, 0, 0),
    "ethernet/ipv4 arp with hln=pln=0 still needs 28 bytes")
add("arp_trunc", EA + b"\x00\x01\x08\x00\x06\x04\x00", "7-byte arp")

# IPv4 header fields
for v in (0, 6, 15):
    b = bytearray(bytes(udp))
    b[14] = (v << 4) | 5
    add("ipv4_version", b, f"ipv4 ethertype, version {v}")
add("ipv4_version", Ether(**MAC, type=0x0800) / IPv6(**V6) / UDP(),
    "ipv6 packet behind ipv4 ethertype")
add("ipv6_version", Ether(**MAC, type=0x86dd) / IP(**V4) / TCP() / Raw(b"x" * 20),
    "ipv4 packet behind ipv6 ethertype")
for ihl in (0, 1, 4):
    b = bytearray(bytes(udp))
    b[14] = 0x40 | ihl
    add("ipv4_ihl", b, f"ihl {ihl}")
for ihl in (15, 12):
    b = bytearray(bytes(E / IP(**V4) / UDP()))
    b[14] = 0x40 | ihl
    add("ipv4_ihl", b, f"ihl {ihl} past the end of a 42-byte frame")
b = bytearray(bytes(E / IP(**V4) / UDP() / Raw(b"p" * 8)) + b"\x00" * 30)
b[14] = 0x4f
add("ipv4_totlen", b, "ihl 15 within the padded frame but above total length 36")
for tl in (0, 19):
    add("ipv4_totlen", E / IP(**V4, len=tl) / UDP(), f"total length {tl}")
add("ipv4_totlen", E / IP(**V4, len=29) / UDP(), "total length 29, frame holds 28")
add("ipv4_totlen", E / IP(**V4, len=65535) / UDP(), "total length 65535")
add("ipv4_totlen", bytes(E / IP(**V4, len=60) / UDP()) + b"\x00" * 16,
    "total length 60, padded frame holds 44 ip bytes")
add("ipv4_frag", E / IP(**V4, frag=8189, proto=17) / Raw(b"x" * 40),
    "fragment offset 65512 + 40 bytes > 65535")
add("ipv4_frag", E / IP(**V4, frag=8191, flags="MF", proto=17) / Raw(b"x" * 8),
    "fragment offset 65528 + 8 bytes > 65535")
add("ok", E / IP(**V4, frag=8189, proto=17) / Raw(b"x" * 23),
    "fragment ending exactly at 65535")

# IPv4 first fragments too small for their L4 header (RFC 1858).
add("tcp_trunc", E / IP(**V4, flags="MF", proto=6) / Raw(b"\x00" * 8),
    "tiny first fragment: 8 bytes of tcp")
add("tcp_doff", E / IP(**V4, flags="MF", proto=6) /
    Raw(bytes(TCP(dataofs=10, options=[("NOP", None)] * 20))[:32]),
    "first fragment holds 32 bytes of a 40-byte tcp header")
add("udp_trunc", E / IP(**V4, flags="MF", proto=17) / Raw(b"\x00" * 4),
    "tiny first fragment: 4 bytes of udp")
add("icmp_trunc", E / IP(**V4, flags="MF", proto=1) / Raw(b"\x08\x00"),
    "tiny first fragment: 2 bytes of icmp")

# IPv6 header fields
for v in (4, 0, 15):
    b = bytearray(bytes(udp6))
    b[14] = (v << 4) | (b[14] & 15)
    add("ipv6_version", b, f"ipv6 ethertype, version {v}")
add("ipv6_plen", E / IPv6(**V6, plen=19) / UDP() / Raw(b"x" * 10),
    "payload length 19, 18 bytes present")
add("ipv6_plen", E / IPv6(**V6, plen=65535) / UDP(), "payload length 65535")
add("ipv6_plen", E / IPv6(**V6, plen=0, nh=0) /
    Raw(bytes(IPv6ExtHdrHopByHop(nh=17, options=[])) + bytes(UDP())),
    "jumbogram: payload length 0 with hop-by-hop")
add("udp_trunc", E / IPv6(**V6, plen=0, nh=17) / Raw(bytes(UDP())),
    "payload length 0 with a udp header in the padding")
add("ok", E / IPv6(**V6, plen=0, nh=59) / Raw(b"\x00" * 12),
    "payload length 0, no next header, padded")

# IPv6 extension chains
deep = IPv6(**V6)
for _ in range(9):
    deep = deep / IPv6ExtHdrDestOpt()
add("ipv6_ext_depth", E / deep / UDP(), "nine extension headers")
deep = IPv6(**V6)
for _ in range(30):
    deep = deep / IPv6ExtHdrHopByHop()
add("ipv6_ext_depth", E / deep / TCP(), "thirty extension headers")
add("ipv6_ext_trunc", E / IPv6(**V6, nh=60) / Raw(b"\x11\x05" + b"\x00" * 30),
    "dest opts claims 48 bytes, payload has 32")
add("ipv6_ext_trunc", E / IPv6(**V6, nh=51) / Raw(b"\x06\x10" + b"\x00" * 22),
    "ah claims 72 bytes, payload has 24")
add("ipv6_ext_trunc", E / IPv6(**V6, nh=43) / Raw(b"\x06\xff" + b"\x00" * 14),
    "routing header length 255")
add("ipv6_ext_trunc", E / IPv6(**V6, nh=44) / Raw(b"\x11\x00\x00"),
    "3-byte fragment header")
add("ipv6_ext_trunc", bytes(E / IPv6(**V6, plen=8, nh=0) /
                            Raw(bytes(IPv6ExtHdrHopByHop(nh=60)) +
                                bytes(IPv6ExtHdrDestOpt(nh=59)))),
    "second extension header in the padding, past the payload length")
add("ok", E / IPv6(**V6) / IPv6ExtHdrFragment(offset=100, m=1, nh=0) / Raw(b"\xff" * 16),
    "later fragment whose payload looks like a broken header: not parsed")

# TCP
for doff in (0, 1, 4):
    add("tcp_doff", E / IP(**V4) / TCP(dataofs=doff), f"tcp data offset {doff}")
add("tcp_doff", E / IP(**V4) / TCP(dataofs=15), "tcp data offset 15, 20-byte segment")
add("tcp_doff", bytes(E / IP(**V4) / TCP(dataofs=6)) + b"\x00" * 6,
    "tcp options only in the ethernet padding")
add("tcp_doff", E / IPv6(**V6) / TCP(dataofs=3), "tcp/ipv6 data offset 3")
add("tcp_trunc", E / IP(**V4, proto=6), "ipv4 proto tcp, empty payload")

# UDP
for ulen in (0, 7):
    add("udp_len", E / IP(**V4) / UDP(len=ulen), f"udp length {ulen}")
add("udp_len", E / IP(**V4) / UDP(len=9), "udp length 9, 8 bytes present")
add("udp_len", bytes(E / IP(**V4) / UDP(len=20)) + b"\x00" * 18,
    "udp data only in the ethernet padding")
add("udp_len", E / IPv6(**V6) / UDP(len=0) / Raw(b"x" * 8), "udp/ipv6 length 0 (jumbo udp)")
add("udp_len", E / IPv6(**V6) / UDP(len=100), "udp/ipv6 length past the payload")

# ICMP
add("icmp_trunc", E / IP(**V4, proto=1) / Raw(b"\x08\x00\x00\x00"), "4-byte icmp")
add("icmp6_trunc", E / IPv6(**V6, nh=58) / Raw(b"\x87\x00\x00"), "3-byte icmpv6")
add("icmp6_trunc", E / IPv6(**V6, nh=58) / Raw(b"\x80\x00\x00\x00\x00\x09"),
    "6-byte icmpv6 echo request")
add("icmp6_trunc", E / IPv6(**V6, nh=58) / Raw(b"\x81\x00\x00\x00"),
    "4-byte icmpv6 echo reply")
add("ok", E / IPv6(**V6, nh=58) / Raw(b"\x87\x00\x00\x00"),
    "4-byte icmpv6 (not echo) is a whole header")

# ---- write --------------------------------------------------------------------


def write(outdir):
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "corpus.pcap"), "wb") as f:
        # pcap 2.4, microsecond timestamps, snaplen 65535, DLT_EN10MB.
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, (_, b, _) in enumerate(cases):
            f.write(struct.pack("<IIII", 1700000000, i, len(b), len(b)))
            f.write(b)
    with open(os.path.join(outdir, "expected.txt"), "w") as f:
        for reason, _, _ in cases:
            f.write(reason + "\n")
    with open(os.path.join(outdir, "cases.txt"), "w") as f:
        f.write("# index  expected  length  description (made by tests/gen/make_malformed.py)\n")
        for i, (reason, b, desc) in enumerate(cases):
            f.write(f"{i:4d}  {reason:<15} {len(b):5d}  {desc}\n")


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    write(sys.argv[1] if len(sys.argv) > 1 else
          os.path.join(here, "..", "data", "malformed"))
    print(f"{len(cases)} frames, {sum(r == 'ok' for r, _, _ in cases)} expected ok")
