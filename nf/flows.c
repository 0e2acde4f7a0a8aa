/* SPDX-License-Identifier: MIT */
/* flows.c - flow lines and the rounds of a flow dump (flows.h). */
#include "nf/flows.h"

#include "dataplane/flowtable.h"

uint64_t nf_flow_left_ns(uint32_t deadline, uint64_t now)
{
	/* Deadlines compare as signed tick differences (flowtable.h); the
	 * entry lives until the start of its deadline tick. */
	int32_t ticks = (int32_t)(deadline - (uint32_t)(now >> FT_TICK_SHIFT));
	if (ticks <= 0)
		return 0;
	uint64_t end = ((now >> FT_TICK_SHIFT) + (uint64_t)ticks) << FT_TICK_SHIFT;
	return end - now;
}

int32_t nf_flows_next_entry(struct ft *t, uint64_t *pos, uint64_t now, int zone)
{
	const uint32_t tick = (uint32_t)(now >> FT_TICK_SHIFT);
	for (uint64_t i = *pos; i < ft_capacity(t); i++) {
		int32_t x = ft_next(t, (uint32_t)i);
		if (x < 0)
			break;
		i = (uint64_t)x;
		const struct ft_entry *e = ft_entry(t, (uint32_t)x);
		if ((int32_t)(e->deadline - tick) <= 0 || (zone >= 0 && e->key.zone != zone))
			continue;
		*pos = i + 1;
		return x;
	}
	return FT_MISS;
}

void nf_flow_set_state(struct nf_flow *f, const char *s)
{
	snprintf(f->state, sizeof(f->state), "%s", s);
}

/* Appends like snprintf at *n, keeping the untruncated length. */
static void put(char *buf, size_t size, size_t *n, const char *fmt, ...) SYS_PRINTF(4, 5);
static void put(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	size_t off = SYS_MIN(*n, size);
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(buf + off, size - off, fmt, ap);
	va_end(ap);
	if (r > 0)
		*n += (size_t)r;
}

static void put_end(char *buf, size_t size, size_t *n, uint8_t family, const union flow_addr *a,
		    uint16_t port_be)
{
	char addr[48];
	flow_addr_format(family, a, addr, sizeof(addr));
	put(buf, size, n, " %s %u", addr, sys_ntohs(port_be));
}

static void put_key(char *buf, size_t size, size_t *n, const struct flow_key *k)
{
	if (!k->family) {
		put(buf, size, n, " - - - -");
		return;
	}
	put_end(buf, size, n, k->family, &k->src, k->sport);
	put_end(buf, size, n, k->family, &k->dst, k->dport);
}

int nf_flow_encode(const struct nf_flow *f, char *buf, size_t n)
{
	size_t len = 0;
	put(buf, n, &len, "flow %u", f->orig.proto);
	put_key(buf, n, &len, &f->orig);
	put_key(buf, n, &len, &f->reply);
	/* A state is one word: the line splits on blanks. */
	put(buf, n, &len, " %s %lu", f->state[0] ? f->state : "-",
	    (unsigned long)(f->expires_ns / 1000000));
	if (f->have & NF_FLOW_AGE)
		put(buf, n, &len, " age %lu", (unsigned long)(f->age_ns / 1000000));
	if (f->have & (NF_FLOW_NAT | NF_FLOW_BACKEND)) {
		put(buf, n, &len, " %s", f->have & NF_FLOW_NAT ? "nat" : "backend");
		put_end(buf, n, &len, f->map_family, &f->map_addr, f->map_port);
	}
	return (int)len;
}

/* Lines gather here and go out whole, a few at a time: one console write
 * per line would cost a call per 100 bytes. */
struct round_out {
	char buf[1024];
	size_t len;
	nf_flows_out_fn out;
	void *ctx;
};

static void round_line(struct round_out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > sizeof(o->buf) && o->len) {
		o->out(o->ctx, o->buf, o->len);
		o->len = 0;
	}
	if (n + 1 > sizeof(o->buf)) { /* never: lines are shorter; keep it whole */
		o->out(o->ctx, s, n);
		o->out(o->ctx, "\n", 1);
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->buf[o->len + n] = '\n';
	o->len += n + 1;
}

static void round_say(struct round_out *o, const char *fmt, ...) SYS_PRINTF(2, 3);
static void round_say(struct round_out *o, const char *fmt, ...)
{
	char l[NF_FLOWS_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(l, sizeof(l), fmt, ap);
	va_end(ap);
	if (r > 0)
		round_line(o, l, SYS_MIN((size_t)r, sizeof(l) - 1));
}

void nf_flows_round(const struct nf_ops *nf, void *st, uint64_t pos, unsigned max, uint64_t now,
		    nf_flows_out_fn out, void *ctx)
{
	struct round_out o = {.len = 0, .out = out, .ctx = ctx};
	if (!max)
		max = NF_FLOWS_CHUNK;
	max = SYS_MIN(max, (unsigned)NF_FLOWS_CHUNK_MAX);
	round_say(&o, "flows function %s", nf->name);
	if (!nf->flow_next) {
		round_say(&o, "flows none %s keeps no flows", nf->name);
	} else {
		struct nf_flow f;
		char l[NF_FLOWS_LINE_MAX];
		unsigned i = 0;
		bool more = true;
		memset(&f, 0, sizeof(f));
		while (i < max && (more = nf->flow_next(st, &pos, now, &f))) {
			int r = nf_flow_encode(&f, l, sizeof(l));
			round_line(&o, l, SYS_MIN((size_t)r, sizeof(l) - 1));
			i++;
			memset(&f, 0, sizeof(f));
		}
		if (more)
			round_say(&o, "flows next %lu", (unsigned long)pos);
		else
			round_say(&o, "flows end");
	}
	if (o.len)
		out(ctx, o.buf, o.len);
}
