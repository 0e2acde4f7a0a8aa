#!/usr/bin/python3
# mkpcaps.py DIR - the chain test's inputs, for the firewall of
# config/examples/firewall.conf (port 0 = inside faces the source):
#
#   DIR/fwd.pcap  inside -> outside: TCP opens and data to web ports, DNS to
#                 the inside resolver, pings, plus what the firewall drops
#                 (telnet, DNS to an outside resolver, an unlisted port,
#                 a source in @blocked never reaches it from inside, ...)
#   DIR/rev.pcap  outside -> inside: the replies of those connections
#                 (SYN-ACK, data), and unsolicited opens from outside that
#                 the firewall drops (no state, @blocked sources)
#   DIR/late.pcap outside -> inside, later: more reply data of the same
#                 connections (passes only while the firewall keeps their
#                 state) and a new unsolicited open (dropped)
#   DIR/new.pcap  inside -> outside, later: new opens to port 80 (the
#                 reload test changes their verdict)
#   DIR/paced.pcap inside -> outside, flows of their own (10.0.2.0/24): the
#                 paced replay (order kept per flow only)
#   DIR/mid.fwd.pcap, DIR/mid.rev.pcap  the ovs-restart test's one replay,
#                 connections of their own (10.0.3.0/24, ports 443/8080):
#                 opens and a first exchange, then a 5 s pause (the switch
#                 is restarted in it), then more data both ways on the same
#                 connections (the replies pass only while the firewall
#                 keeps their state) and an unsolicited open (dropped);
#                 DIR/mid.after.{fwd,rev}.pcap: just the frames after the pause
# Frames 1 ms apart; fwd and rev interleave in time (request before reply).
import sys
from scapy.all import Ether, IP, IPv6, TCP, UDP, ICMP, ICMPv6EchoRequest, DNS, DNSQR, Raw, wrpcap

d = sys.argv[1]
IN_MAC, OUT_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
t = [1700000000.0]

def at(p, fwd):
    t[0] += 0.001
    f = Ether(src=IN_MAC, dst=OUT_MAC) / p if fwd else Ether(src=OUT_MAC, dst=IN_MAC) / p
    f.time = t[0]
    return f

def connect(fwd, rev, conn, request, reply):
    """A TCP open of conn = (cli, srv, sp, dp, cs, ss) and one request and
    reply, into fwd (client -> server) and rev.  Sequence numbers follow
    the payloads: the firewall tracks TCP windows and drops an ACK of bytes
    never sent."""
    cli, srv, sp, dp, cs, ss = conn
    fwd.append(at(IP(src=cli, dst=srv) / TCP(sport=sp, dport=dp, flags="S", seq=cs), True))
    rev.append(at(IP(src=srv, dst=cli) / TCP(sport=dp, dport=sp, flags="SA", seq=ss, ack=cs + 1), False))
    fwd.append(at(IP(src=cli, dst=srv) / TCP(sport=sp, dport=dp, flags="A", seq=cs + 1, ack=ss + 1), True))
    fwd.append(at(IP(src=cli, dst=srv) / TCP(sport=sp, dport=dp, flags="PA", seq=cs + 1, ack=ss + 1) /
                  Raw(request), True))
    rev.append(at(IP(src=srv, dst=cli) / TCP(sport=dp, dport=sp, flags="PA", seq=ss + 1, ack=cs + 1 + len(request)) /
                  Raw(reply), False))

fwd, rev, late, new = [], [], [], []
conns = []
for i in range(6):
    conns.append(("10.0.0.%d" % (10 + i), "192.0.2.80", 40000 + i, (80, 443, 8080)[i % 3],
                  1000 * i, 500000 + 1000 * i))
    connect(fwd, rev, conns[-1], b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"HTTP/1.1 200 OK\r\n\r\nhello")
for i in range(3):
    fwd.append(at(IP(src="10.0.0.30", dst="10.0.0.53") / UDP(sport=5300 + i, dport=53) /
                  DNS(rd=1, qd=DNSQR(qname="h%d.example" % i)), True))
    fwd.append(at(IP(src="10.0.0.40", dst="192.0.2.1") / ICMP(id=9, seq=i) / Raw(b"ping"), True))
    fwd.append(at(IPv6(src="fd00::40", dst="2001:db8::1") / ICMPv6EchoRequest(id=9, seq=i), True))
    # dropped on the way out
    fwd.append(at(IP(src="10.0.0.50", dst="192.0.2.23") / TCP(sport=41000 + i, dport=23, flags="S"), True))
    fwd.append(at(IP(src="10.0.0.51", dst="192.0.2.53") / UDP(sport=5400 + i, dport=53) /
                  DNS(rd=1, qd=DNSQR(qname="leak%d.example" % i)), True))
    fwd.append(at(IP(src="10.0.0.52", dst="192.0.2.80") / TCP(sport=42000 + i, dport=9000, flags="S"), True))
    # dropped on the way in: no state, or a blocked source
    rev.append(at(IP(src="192.0.2.99", dst="10.0.0.10") / TCP(sport=43000 + i, dport=22, flags="S"), False))
    rev.append(at(IP(src="198.51.100.7", dst="10.0.0.53") / UDP(sport=53, dport=5300 + i) / Raw(b"x"), False))

t[0] += 1.0
for (cli, srv, sp, dp, cs, ss) in conns:
    late.append(at(IP(src=srv, dst=cli) / TCP(sport=dp, dport=sp, flags="PA", seq=ss + 25, ack=cs + 28) /
                   Raw(b"more data after the break"), False))
late.append(at(IP(src="192.0.2.99", dst="10.0.0.11") / TCP(sport=44000, dport=22, flags="S"), False))
for i in range(4):
    new.append(at(IP(src="10.0.1.%d" % (10 + i), dst="192.0.2.80") /
                  TCP(sport=45000 + i, dport=80, flags="S", seq=77 * i), True))

paced = []
for i in range(40):
    k = i % 5
    if k == 0:
        p = IP(src="10.0.2.%d" % (10 + i), dst="192.0.2.80") / TCP(sport=46000 + i, dport=443, flags="S")
    elif k == 1:
        p = IP(src="10.0.2.30", dst="10.0.0.53") / UDP(sport=5500 + i, dport=53) / DNS(rd=1, qd=DNSQR(qname="p.example"))
    elif k == 2:
        p = IPv6(src="fd00::2:40", dst="2001:db8::1") / ICMPv6EchoRequest(id=11, seq=i)
    elif k == 3:
        p = IP(src="10.0.2.50", dst="192.0.2.23") / TCP(sport=47000 + i, dport=23, flags="S")  # dropped
    else:
        p = IP(src="10.0.2.40", dst="192.0.2.1") / ICMP(id=11, seq=i) / Raw(b"paced")
    paced.append(at(p, True))

mfwd, mrev, after = [], [], []
get, ok = b"GET / HTTP/1.1\r\n\r\n", b"HTTP/1.1 200 OK\r\n\r\n"
for i in range(6):
    conns.append(("10.0.3.%d" % (10 + i), "192.0.2.80", 48000 + i, (443, 8080)[i % 2],
                  3000 * i, 700000 + 1000 * i))
    connect(mfwd, mrev, conns[-1], get, ok)
t[0] += 5.0
for (cli, srv, sp, dp, cs, ss) in conns[-6:]:
    more = b"data after the switch restarted"
    c_next, s_next = cs + 1 + len(get), ss + 1 + len(ok)
    f = at(IP(src=srv, dst=cli) / TCP(sport=dp, dport=sp, flags="PA", seq=s_next, ack=c_next) /
           Raw(more), False)
    mrev.append(f)
    after.append(f)
    # The client's segment acknowledges only what it saw before the pause:
    # the two directions enter the chain through different ports, so it may
    # reach the firewall before the server's data, and an ACK of bytes the
    # firewall has not yet seen pass is out of window (dropped).
    f = at(IP(src=cli, dst=srv) / TCP(sport=sp, dport=dp, flags="A", seq=c_next, ack=s_next), True)
    mfwd.append(f)
    after.append(f)
f = at(IP(src="192.0.2.99", dst="10.0.3.10") / TCP(sport=44001, dport=22, flags="S"), False)
mrev.append(f)
after.append(f)
wrpcap("%s/mid.after.fwd.pcap" % d, [f for f in after if f.src == IN_MAC])
wrpcap("%s/mid.after.rev.pcap" % d, [f for f in after if f.src == OUT_MAC])

for name, frames in (("mid.fwd", mfwd), ("mid.rev", mrev), ("fwd", fwd), ("rev", rev), ("late", late), ("new", new), ("paced", paced),
                     ("revlate", rev + late)):
    wrpcap("%s/%s.pcap" % (d, name), frames)
