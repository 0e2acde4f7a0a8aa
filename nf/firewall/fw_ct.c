/* SPDX-License-Identifier: MIT */
/* fw_ct.c - the TCP state machine and timeout classes (see fw_ct.h). */
#include "nf/firewall/fw_ct.h"

#include "dataplane/flowtable.h"
#include "dataplane/parse.h"
#include "nf/firewall/fw_rules.h"

static const char *const state_names[FW_CT_STATE_COUNT] = {
	"none", "syn_sent", "syn_sent2", "syn_recv", "established", "fin_wait",
	"closing", "time_wait", "closed", "oneway", "replied",
};

const char *fw_ct_state_name(unsigned state)
{
	return state < FW_CT_STATE_COUNT ? state_names[state] : "?";
}

static inline uint64_t with_state(uint64_t u, unsigned s)
{
	return (u & ~0xffull) | s;
}

enum fw_ct_verdict fw_ct_tcp(uint64_t *user, int dir, uint8_t flags)
{
	uint64_t u = *user;
	bool syn = flags & TCP_SYN, ack = flags & TCP_ACK, fin = flags & TCP_FIN,
	     rst = flags & TCP_RST;
	bool orig = dir == FT_DIR_ORIG;

	/* Combinations no stack sends: scans and evasion attempts. */
	if ((syn && (rst || fin)) || !(syn || ack || rst))
		return FW_CT_INVALID;
	unsigned s = fw_ct_state(u);
	if (rst) {
		*user = with_state(u, FW_CT_CLOSED);
		return FW_CT_PASS;
	}
	switch (s) {
	case FW_CT_SYN_SENT:
		if (syn && !ack && orig)
			return FW_CT_PASS; /* retransmitted SYN */
		if (syn && ack && !orig)
			u = with_state(u, FW_CT_SYN_RECV);
		else if (syn && !ack && !orig)
			u = with_state(u, FW_CT_SYN_SENT2);
		else
			return FW_CT_INVALID;
		break;
	case FW_CT_SYN_SENT2:
		if (!syn)
			return FW_CT_INVALID;
		if (ack)
			u = with_state(u, FW_CT_SYN_RECV);
		break;
	case FW_CT_SYN_RECV:
		if (syn) {
			/* Retransmitted SYN+ACK (either side after a simultaneous
			 * open) or the originator's SYN. */
			if (!ack && !orig)
				return FW_CT_INVALID;
			break;
		}
		u = with_state(u, FW_CT_ESTABLISHED);
		if (fin)
			goto first_fin;
		break;
	case FW_CT_ESTABLISHED:
		if (syn) {
			/* A late duplicate SYN+ACK from the replier is harmless;
			 * a new SYN on a live flow is not. */
			return ack && !orig ? FW_CT_PASS : FW_CT_INVALID;
		}
		if (fin)
			goto first_fin;
		break;
	case FW_CT_FIN_WAIT:
		if (syn)
			return FW_CT_INVALID;
		if (fin) {
			uint64_t mine = orig ? FW_CT_FIN_ORIG : FW_CT_FIN_REPLY;
			if (!(u & mine)) {
				u |= mine | (orig ? 0 : FW_CT_FIN2_REPLY);
				u = with_state(u, FW_CT_CLOSING);
			}
		}
		break;
	case FW_CT_CLOSING:
		if (syn)
			return FW_CT_INVALID;
		/* The ACK of the second FIN comes from the side that sent the
		 * first one. */
		if (!fin && ack && orig == !!(u & FW_CT_FIN2_REPLY))
			u = with_state(u, FW_CT_TIME_WAIT);
		break;
	case FW_CT_TIME_WAIT:
	case FW_CT_CLOSED:
		if (syn && !ack)
			return FW_CT_REOPEN;
		if (syn)
			return FW_CT_INVALID;
		break;
	default:
		return FW_CT_INVALID;
	}
	*user = u;
	return FW_CT_PASS;
first_fin:
	*user = with_state(u | (orig ? FW_CT_FIN_ORIG : FW_CT_FIN_REPLY), FW_CT_FIN_WAIT);
	return FW_CT_PASS;
}

unsigned fw_ct_tmo(uint64_t user, uint8_t proto)
{
	switch (fw_ct_state(user)) {
	case FW_CT_ESTABLISHED:
		return FW_TMO_TCP_EST;
	case FW_CT_SYN_SENT:
	case FW_CT_SYN_SENT2:
	case FW_CT_SYN_RECV:
	case FW_CT_FIN_WAIT:
	case FW_CT_CLOSING:
		return FW_TMO_TCP_TRANS;
	case FW_CT_TIME_WAIT:
	case FW_CT_CLOSED:
		return FW_TMO_TCP_CLOSED;
	default:
		break;
	}
	if (proto == IPPROTO_UDP_)
		return FW_TMO_UDP;
	if (proto == IPPROTO_ICMP_ || proto == IPPROTO_ICMPV6_)
		return FW_TMO_ICMP;
	return FW_TMO_OTHER;
}
