/* SPDX-License-Identifier: MIT */
/* capture.c - the capture ring (see capture.h for the contract). */
#include "dataplane/capture.h"

#include "dataplane/nf.h"
#include "dataplane/parse.h"

#define REC_ALIGN 8u

_Static_assert(sizeof(struct cap_rec) % REC_ALIGN == 0, "records stay aligned");

int cap_init(struct capture *c, void *buf, uint32_t size)
{
	memset(c, 0, sizeof(*c));
	if (!buf || size < CAP_RING_MIN || (size & (size - 1)))
		return -SYS_EINVAL;
	c->buf = buf;
	c->size = size;
	return 0;
}

int cap_arm(struct capture *c, uint16_t port, unsigned dirs, uint64_t count, uint32_t snaplen)
{
	if (!c->buf || !dirs || (dirs & ~CAP_ALL) || !snaplen || snaplen > CAP_SNAPLEN_MAX)
		return -SYS_EINVAL;
	const uint32_t most = c->size / 4 - (uint32_t)sizeof(struct cap_rec);
	c->head = c->tail = 0;
	c->port = port;
	c->dirs = (uint8_t)dirs;
	c->snaplen = snaplen < most ? snaplen : most;
	c->left = count ? count : UINT64_MAX;
	c->copied = c->lost = 0;
	return 0;
}

static inline uint32_t rec_size(uint32_t cap_len)
{
	return ((uint32_t)sizeof(struct cap_rec) + cap_len + REC_ALIGN - 1) & ~(REC_ALIGN - 1);
}

void cap_frame(struct capture *c, const struct pkt *p, uint16_t port, unsigned dir, unsigned why,
	       uint64_t now)
{
	if (!cap_want(c, port, dir))
		return;
	const uint32_t cap_len = p->len < c->snaplen ? p->len : c->snaplen;
	const uint32_t need = rec_size(cap_len);
	uint32_t at = (uint32_t)(c->head & (c->size - 1));
	uint32_t to_end = c->size - at;
	/* A record never wraps: too little room before the end means a wrap
	 * marker there (when a header fits) and the record at 0. */
	uint64_t use = need <= to_end ? need : (uint64_t)to_end + need;
	if (c->head + use - c->tail > c->size) {
		c->lost++;
		return;
	}
	if (need > to_end) {
		if (to_end >= sizeof(uint32_t))
			sys_st32(c->buf + at, CAP_REC_WRAP);
		c->head += to_end;
		at = 0;
	}
	struct cap_rec *r = (struct cap_rec *)(void *)(c->buf + at);
	r->size = need;
	r->port = port;
	r->dir = (uint8_t)dir;
	r->why = (uint8_t)why;
	r->orig_len = p->len;
	r->cap_len = cap_len;
	r->ts_ns = now;
	r->seq = c->copied++;
	memcpy(r + 1, p->data, cap_len);
	c->head += need;
	if (c->left != UINT64_MAX)
		c->left--;
}

const struct cap_rec *cap_peek(const struct capture *c, const uint8_t **data)
{
	uint64_t tail = c->tail;
	if (tail == c->head)
		return NULL;
	uint32_t at = (uint32_t)(tail & (c->size - 1));
	/* Fewer than a header's bytes before the end, or the marker: the
	 * record is at 0 (cap_frame skipped the rest). */
	if (c->size - at < sizeof(struct cap_rec) || sys_ld32(c->buf + at) == CAP_REC_WRAP)
		at = 0;
	const struct cap_rec *r = (const struct cap_rec *)(const void *)(c->buf + at);
	*data = (const uint8_t *)(r + 1);
	return r;
}

void cap_pop(struct capture *c)
{
	if (c->tail == c->head)
		return;
	uint32_t at = (uint32_t)(c->tail & (c->size - 1));
	if (c->size - at < sizeof(struct cap_rec) || sys_ld32(c->buf + at) == CAP_REC_WRAP) {
		c->tail += c->size - at;
		at = 0;
	}
	c->tail += ((const struct cap_rec *)(const void *)(c->buf + at))->size;
}

const char *cap_why_name(const struct nf_ops *nf, unsigned why, char *buf, size_t n)
{
	if (why == CAP_WHY_NONE)
		snprintf(buf, n, "-");
	else if (why == CAP_WHY_NF)
		snprintf(buf, n, "%s", nf ? nf->name : "nf");
	else if (why == CAP_WHY_BAD_PORT)
		snprintf(buf, n, "bad_port");
	else if (why == CAP_WHY_TX_FULL)
		snprintf(buf, n, "tx_full");
	else if (why >= CAP_WHY_MALFORMED && why < CAP_WHY_MALFORMED + PARSE_ERR_COUNT)
		snprintf(buf, n, "malformed:%s", parse_err_name((enum parse_result)(why - CAP_WHY_MALFORMED)));
	else if (why >= CAP_WHY_NF_REASON && nf && nf->drop_names &&
		 why - CAP_WHY_NF_REASON < nf->n_drop_names)
		snprintf(buf, n, "%s:%s", nf->name, nf->drop_names[why - CAP_WHY_NF_REASON]);
	else
		snprintf(buf, n, "why%u", why);
	return buf;
}

static const char *const dir_names[] = {"rx", "tx", "drop"};

const char *cap_dir_name(unsigned dir)
{
	switch (dir) {
	case CAP_RX: return dir_names[0];
	case CAP_TX: return dir_names[1];
	case CAP_DROP: return dir_names[2];
	default: return NULL;
	}
}

unsigned cap_dirs_parse(const char *s, size_t n)
{
	unsigned m = 0;
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != ',')
			j++;
		size_t w = j - i;
		unsigned d = 0;
		for (unsigned k = 0; k < 3; k++)
			if (strlen(dir_names[k]) == w && strncmp(s + i, dir_names[k], w) == 0)
				d = 1u << k;
		if (w == 3 && strncmp(s + i, "all", 3) == 0)
			d = CAP_ALL;
		if (!d)
			return 0;
		m |= d;
		if (j == n)
			return m;
		i = j + 1;
		if (i == n)
			return 0; /* a trailing comma */
	}
	return 0;
}
