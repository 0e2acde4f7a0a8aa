/* SPDX-License-Identifier: MIT */
/* capture.c - capture records as console lines (see capture.h). */
#include "control/capture.h"

#include "dataplane/nf.h"

/* Base64 goes out in pieces of this many bytes (a multiple of 3: only the
 * last piece is padded, so the pieces make one valid base64 string). */
#define B64_PIECE 48u

size_t control_cap_round(struct capture *c, const struct nf_ops *nf, size_t max,
			 control_out_fn out, void *ctx)
{
	if (max == 0)
		max = CONTROL_CAP_ROUND;
	if (max > CONTROL_CAP_ROUND_MAX)
		max = CONTROL_CAP_ROUND_MAX;
	char line[CONTROL_CAP_PREFIX_MAX], why[48];
	size_t done = 0;
	const struct cap_rec *r;
	const uint8_t *data;
	while (done < max && (r = cap_peek(c, &data))) {
		int n = snprintf(line, sizeof(line), "capture frame %lu %lu %u %s %s %u %u ",
				 (unsigned long)r->seq, (unsigned long)r->ts_ns, (unsigned)r->port,
				 cap_dir_name(r->dir), cap_why_name(nf, r->why, why, sizeof(why)),
				 (unsigned)r->orig_len, (unsigned)r->cap_len);
		if (n < 0 || (size_t)n >= sizeof(line))
			n = 0; /* cannot happen: every field is bounded */
		out(ctx, line, (size_t)n);
		done += (size_t)n;
		for (uint32_t off = 0; off < r->cap_len; off += B64_PIECE) {
			char b[CONTROL_B64_LEN(B64_PIECE) + 1];
			uint32_t k = r->cap_len - off < B64_PIECE ? r->cap_len - off : B64_PIECE;
			size_t m = control_b64_encode(data + off, k, b);
			out(ctx, b, m);
			done += m;
		}
		out(ctx, "\n", 1);
		done++;
		cap_pop(c);
	}
	int n = snprintf(line, sizeof(line), "capture %s %lu %lu\n",
			 cap_peek(c, &data) ? "more" : cap_done(c) ? "done" : "wait",
			 (unsigned long)c->copied, (unsigned long)c->lost);
	if (n > 0 && (size_t)n < sizeof(line)) {
		out(ctx, line, (size_t)n);
		done += (size_t)n;
	}
	return done;
}

/* The next space-separated word of l[n] from *i: its start and length. */
static bool word(const char *l, size_t n, size_t *i, const char **w, size_t *wn)
{
	size_t a = *i;
	while (a < n && l[a] == ' ')
		a++;
	size_t b = a;
	while (b < n && l[b] != ' ')
		b++;
	if (a == b)
		return false;
	*w = l + a;
	*wn = b - a;
	*i = b;
	return true;
}

static bool number(const char *w, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	if (!n || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (w[i] < '0' || w[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(w[i] - '0');
	}
	*v = x;
	return true;
}

int control_cap_parse(const char *l, size_t n, struct control_cap_frame *f, uint8_t *data,
		      size_t max)
{
	static const char pre[] = "capture frame ";
	if (n < sizeof(pre) - 1 || strncmp(l, pre, sizeof(pre) - 1) != 0)
		return 0;
	size_t i = sizeof(pre) - 1;
	const char *w[8];
	size_t wn[8];
	for (unsigned k = 0; k < 7; k++)
		if (!word(l, n, &i, &w[k], &wn[k]))
			return -1;
	/* The base64 (absent for a zero-length record). */
	if (!word(l, n, &i, &w[7], &wn[7]))
		wn[7] = 0;
	else if (i != n)
		return -1;
	uint64_t port, len, cap_len;
	if (!number(w[0], wn[0], &f->seq) || !number(w[1], wn[1], &f->ts_ns) ||
	    !number(w[2], wn[2], &port) || port > 0xffff || !number(w[5], wn[5], &len) ||
	    len > UINT32_MAX || !number(w[6], wn[6], &cap_len) || cap_len > len || cap_len > max)
		return -1;
	f->dir = cap_dirs_parse(w[3], wn[3]);
	if (f->dir != CAP_RX && f->dir != CAP_TX && f->dir != CAP_DROP)
		return -1;
	if (wn[4] >= sizeof(f->why))
		return -1;
	memcpy(f->why, w[4], wn[4]);
	f->why[wn[4]] = '\0';
	int got = wn[7] ? control_b64_decode(w[7], wn[7], data, max) : 0;
	if (got < 0 || (uint64_t)got != cap_len)
		return -1;
	f->port = (unsigned)port;
	f->orig_len = (uint32_t)len;
	f->cap_len = (uint32_t)cap_len;
	return 1;
}
