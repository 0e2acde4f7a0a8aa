/* SPDX-License-Identifier: MIT */
/* fw_tcpwin.c - TCP sequence-window tracking (see fw_tcpwin.h). */
#include "nf/firewall/fw_tcpwin.h"

/* The window-scale option (RFC 7323 2.2: kind 3, length 3) among a SYN's
 * options; -1 if absent or the options are malformed. */
static int tcp_opt_wscale(const uint8_t *o, uint32_t len)
{
	uint32_t i = 0;
	while (i < len) {
		uint8_t kind = o[i];
		if (kind == 0) /* end of options */
			break;
		if (kind == 1) { /* no-op */
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || o[i + 1] > len - i)
			return -1;
		if (kind == 3 && o[i + 1] == 3)
			return o[i + 2] > FW_TW_SCALE_MAX ? FW_TW_SCALE_MAX : o[i + 2];
		i += o[i + 1];
	}
	return -1;
}

void fw_tcp_seg_from_pkt(const struct pkt *p, struct fw_tcp_seg *s)
{
	const struct tcp_hdr *th = (const struct tcp_hdr *)pkt_l4(p);
	/* parse_pkt() checked that the header (data offset included) lies
	 * inside the IP payload, so this does not wrap. */
	uint32_t hlen = (th->doff_res >> 2) & 0x3c;
	uint32_t len = (uint32_t)p->l3_off + p->l3_len - p->l4_off - hlen;
	s->flags = th->flags;
	s->seq = sys_ntohl(th->seq);
	s->ack = sys_ntohl(th->ack);
	s->end = s->seq + len + !!(s->flags & TCP_SYN) + !!(s->flags & TCP_FIN);
	s->win = sys_ntohs(th->window);
	s->wscale = -1;
	if (s->flags & TCP_SYN)
		s->wscale = (int8_t)tcp_opt_wscale((const uint8_t *)th + TCP_HLEN, hlen - TCP_HLEN);
}

/* A side's first SYN (or a new one restarting its handshake). */
static void side_init(struct fw_tcpwin_dir *d, const struct fw_tcp_seg *s)
{
	d->end = d->maxend = s->end;
	d->maxwin = s->win ? s->win : 1;
	d->flags = s->wscale >= 0 ? FW_TW_WS : 0;
	d->scale = s->wscale >= 0 ? (uint8_t)s->wscale : 0;
}

void fw_tcpwin_init(struct fw_tcpwin *w, const struct fw_tcp_seg *syn)
{
	*w = (struct fw_tcpwin){0};
	side_init(&w->d[0], syn);
}

/* fw_tcpwin_step on a copy: nothing changes unless the segment passes. */
static bool step(struct fw_tcpwin *w, int dir, const struct fw_tcp_seg *seg, bool handshake,
		 bool sloppy)
{
	struct fw_tcpwin_dir *s = &w->d[dir], *r = &w->d[dir ^ 1];
	bool syn = seg->flags & TCP_SYN, has_ack = seg->flags & TCP_ACK, rst = seg->flags & TCP_RST;
	if (s->maxwin == 0) {
		/* The replier's first segment. */
		if (syn) {
			side_init(s, seg);
			/* Scaling only if both SYNs asked for it. */
			if (!(s->flags & r->flags & FW_TW_WS))
				s->scale = r->scale = 0;
			if (!has_ack)
				return true; /* simultaneous open: nothing to check yet */
		} else if (rst) {
			/* Refusing the SYN: must acknowledge it exactly. */
			return sloppy || (has_ack && seg->ack == r->end);
		} else {
			return sloppy;
		}
	} else if (syn && handshake && !fw_seq_le(seg->end, s->end)) {
		/* A new SYN with a later ISN restarts this side (RFC 793: a
		 * reinitialised TCP only needs larger sequence numbers).  The
		 * window-scale choice was made by the first SYNs and stays. */
		uint8_t scale = s->scale, flags = s->flags;
		side_init(s, seg);
		s->scale = scale, s->flags = flags;
	}
	uint32_t win = syn ? seg->win : seg->win << s->scale;
	uint32_t ack = seg->ack, end = rst ? seg->seq : seg->end;
	/* No ACK, or an RST with ACK set and ack 0 (some stacks send that):
	 * nothing acknowledged, judge the sequence number alone. */
	if (!has_ack || (rst && ack == 0))
		ack = r->end;
	uint32_t maxack = s->maxwin > FW_TW_MAXACK ? s->maxwin : FW_TW_MAXACK;
	bool in = fw_seq_le(seg->seq, s->maxend) && fw_seq_le(s->end - r->maxwin, end) &&
		  r->end - ack <= maxack;
	if (!in && !sloppy)
		return false;
	if (r->maxwin && !fw_seq_le(end, s->maxend))
		r->maxwin += end - s->maxend;
	if (s->maxwin < win)
		s->maxwin = win;
	if (!fw_seq_le(end, s->end))
		s->end = end;
	if (has_ack && !(rst && seg->ack == 0)) {
		uint32_t lim = ack + (win ? win : 1);
		if (!fw_seq_le(lim, r->maxend))
			r->maxend = lim;
	}
	return in || sloppy;
}

bool fw_tcpwin_step(struct fw_tcpwin *w, int dir, const struct fw_tcp_seg *seg, bool handshake,
		    bool sloppy)
{
	struct fw_tcpwin c = *w;
	if (!step(&c, dir, seg, handshake, sloppy))
		return false;
	*w = c;
	return true;
}
