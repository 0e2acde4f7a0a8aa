#!/usr/bin/python3
# mknatlb.py DIR NFBOX [EXAMPLE.pcap] - inputs and expected outputs of the
# firewall -> nat -> lb chain (topology/examples/fw-nat-lb.chain):
#
#   clients 10.0.0.0/24 -> [fw] -> [nat: 198.51.100.1] -> [lb] -> backends
#
# The clients' side (DIR/in.pcap, into the firewall's port 0):
#   - six web connections to the VIP 203.0.113.10:80, each a handshake,
#     a request, the answer's ACK and a FIN exchange; two of them from
#     different hosts with the same source port (the NAT keeps one port
#     and picks another for the second);
#   - four DNS queries to the DNS VIP 203.0.113.53;
#   - what one function or another refuses: telnet (the firewall answers
#     with a reset), UDP to port 5000 (the firewall drops it), a ping and
#     a TCP open to 443 of the VIP (the firewall and the NAT pass them, the
#     load balancer has no VIP for them).
# The servers' side (DIR/in-rev.pcap, into the load balancer's port 1):
# what the backends answer to the frames that reach them -- SYN-ACK to a
# SYN, data to a request, FIN to a FIN, a DNS answer -- computed by
# hosted_chain.py from the three functions replayed hosted one after the
# other, and an unsolicited open from a backend (dropped by the LB).
#
# Expected: DIR/exp.fwd.pcap (out at the sink), DIR/exp.rev.pcap (out at
# the source), DIR/exp.{fw,nat,lb}.stats (each function's counters).
# EXAMPLE.pcap, if given, gets the clients' side: the example chain's source.
import os
import sys
from scapy.all import Ether, IP, TCP, UDP, ICMP, DNS, DNSQR, DNSRR, Raw, wrpcap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hosted_chain  # noqa: E402

CLI_MAC, SRV_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
WEB, DNS_VIP = "203.0.113.10", "203.0.113.53"
ANSWER_AFTER = 0.0003  # s: servers answer well before the client's next frame
SERVER_ISN = 500000    # a backend's ISN is the client's + this (both ends know it)
REQUEST = b"GET / HTTP/1.1\r\nHost: web\r\n\r\n"
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


def clients():
    t = [1700000000.0]
    out = []

    def at(p):
        t[0] += 0.001
        f = Ether(src=CLI_MAC, dst=SRV_MAC) / p
        f.time = t[0]
        out.append(f)

    conns = [("10.0.0.%d" % (10 + i), 40000 + i, 1000 * i + 1) for i in range(5)]
    conns.append(("10.0.0.16", 40000, 9001))  # the same source port as the first
    for cli, sp, cs in conns:
        ss = cs + SERVER_ISN
        ip = IP(src=cli, dst=WEB)
        at(ip / TCP(sport=sp, dport=80, flags="S", seq=cs))
        at(ip / TCP(sport=sp, dport=80, flags="A", seq=cs + 1, ack=ss + 1))
        at(ip / TCP(sport=sp, dport=80, flags="PA", seq=cs + 1, ack=ss + 1) / Raw(REQUEST))
        c2, s2 = cs + 1 + len(REQUEST), ss + 1 + len(ANSWER)
        at(ip / TCP(sport=sp, dport=80, flags="A", seq=c2, ack=s2))
        at(ip / TCP(sport=sp, dport=80, flags="FA", seq=c2, ack=s2))
        at(ip / TCP(sport=sp, dport=80, flags="A", seq=c2 + 1, ack=s2 + 1))
    for i in range(4):
        at(IP(src="10.0.0.%d" % (30 + i), dst=DNS_VIP) /
           UDP(sport=5300 + i, dport=53) / DNS(id=100 + i, rd=1, qd=DNSQR(qname="host%d.example" % i)))
    at(IP(src="10.0.0.50", dst=WEB) / TCP(sport=41000, dport=23, flags="S", seq=7))
    at(IP(src="10.0.0.51", dst=WEB) / UDP(sport=41001, dport=5000) / Raw(b"x" * 16))
    at(IP(src="10.0.0.52", dst=WEB) / ICMP(id=9, seq=1) / Raw(b"nfbox-ping"))
    at(IP(src="10.0.0.53", dst=WEB) / TCP(sport=41002, dport=443, flags="S", seq=11))
    return out


def respond(frames):
    """What the backends answer to the frames that reached them."""
    out = []
    for f in frames:
        if IP not in f:
            continue
        ip = f[IP]
        back = IP(src=ip.dst, dst=ip.src)
        if TCP in f:
            tc = f[TCP]
            flags = str(tc.flags)
            n = len(tc.payload)
            th = TCP(sport=tc.dport, dport=tc.sport)
            if flags == "S":
                p = back / TCP(sport=tc.dport, dport=tc.sport, flags="SA",
                               seq=tc.seq + SERVER_ISN, ack=tc.seq + 1)
            elif n:
                th.flags, th.seq, th.ack = "PA", tc.ack, tc.seq + n
                p = back / th / Raw(ANSWER)
            elif "F" in flags:
                th.flags, th.seq, th.ack = "FA", tc.ack, tc.seq + 1
                p = back / th
            else:
                continue
        elif UDP in f and DNS in f:
            q = f[DNS]
            p = back / UDP(sport=f[UDP].dport, dport=f[UDP].sport) / \
                DNS(id=q.id, qr=1, rd=1, ra=1, qd=q.qd,
                    an=DNSRR(rrname=q.qd.qname, ttl=60, rdata="192.0.2.%d" % (q.id - 99)))
        else:
            continue
        r = Ether(src=f[Ether].dst, dst=f[Ether].src) / p
        r.time = float(f.time) + ANSWER_AFTER
        out.append(Ether(bytes(r)))
        out[-1].time = r.time
    return out


def unsolicited():
    f = Ether(src=SRV_MAC, dst=CLI_MAC) / IP(src="10.0.1.1", dst="198.51.100.1") / \
        TCP(sport=8080, dport=50000, flags="S", seq=5)
    f.time = 1700000000.5
    return [f]


def main():
    d, nfbox = sys.argv[1], sys.argv[2]
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    conf = os.path.join(top, "topology", "examples", "fw-nat-lb")
    fwd = clients()
    if len(sys.argv) > 3:
        wrpcap(sys.argv[3], fwd)
    stages = [("fw", "firewall", conf + "/firewall.conf"), ("nat", "nat", conf + "/nat.conf"),
              ("lb", "lb", conf + "/lb.conf")]
    sink, source, rev, stats, rounds = hosted_chain.run(nfbox, stages, fwd, respond, d,
                                                        rev_extra=unsolicited())
    wrpcap(d + "/in.pcap", fwd)
    wrpcap(d + "/in-rev.pcap", sorted(rev, key=lambda p: float(p.time)))
    wrpcap(d + "/exp.fwd.pcap", sink)
    wrpcap(d + "/exp.rev.pcap", source)
    for name, text in stats.items():
        open("%s/exp.%s.stats" % (d, name), "w").write(text)
    print("%d in, %d answers in, %d out at the sink, %d out at the source, fixed point in %d rounds"
          % (len(fwd), len(rev), len(sink), len(source), rounds))


if __name__ == "__main__":
    main()
