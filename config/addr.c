/* SPDX-License-Identifier: MIT */
/*
 * addr.c - IPv4/IPv6 text forms: strict parsers for the lexer and set
 * files, and the formatter used in messages and by tools.
 *
 * Strictness follows inet_pton and nft: IPv4 is exactly four decimal octets
 * without leading zeros (no octal or short forms); IPv6 is RFC 4291 2.2 (all
 * three forms: full, "::" compressed, and a dotted IPv4 tail).  A prefix
 * must leave no host bits set, as a rule written with one is almost always
 * a typo for the network.
 */
#include "config/cfg_int.h"

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Dotted quad in s[0..n), exactly.  Writes 4 bytes to out. */
static enum cfg_addr_err parse_quad(const char *s, size_t n, uint8_t *out, uint32_t *bad)
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= n || s[i] != '.')
				return CFG_AE_SYNTAX;
			i++;
		}
		size_t start = i;
		uint32_t v = 0;
		while (i < n && is_digit(s[i]) && i - start < 4)
			v = v * 10 + (uint32_t)(s[i++] - '0');
		size_t nd = i - start;
		if (nd == 0 || nd > 3 || (nd > 1 && s[start] == '0'))
			return CFG_AE_SYNTAX;
		if (v > 255) {
			*bad = v;
			return CFG_AE_OCTET;
		}
		out[part] = (uint8_t)v;
	}
	return i == n ? CFG_AE_OK : CFG_AE_SYNTAX;
}

/* "/N" tail: s[0..n) are the digits after '/'.  */
static enum cfg_addr_err parse_len(const char *s, size_t n, uint32_t max, uint32_t *len,
				   uint32_t *bad)
{
	uint32_t v = 0;
	if (n == 0 || n > 3) {
		*bad = UINT32_MAX;
		return CFG_AE_PREFIX;
	}
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i])) {
			*bad = UINT32_MAX;
			return CFG_AE_PREFIX;
		}
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v > max) {
		*bad = v;
		return CFG_AE_PREFIX;
	}
	*len = v;
	return CFG_AE_OK;
}

static bool host_bits_clear(const uint8_t *a, unsigned bytes, unsigned len)
{
	for (unsigned i = 0; i < bytes; i++) {
		unsigned keep = len >= 8 * (i + 1) ? 8 : (len > 8 * i ? len - 8 * i : 0);
		uint8_t mask = (uint8_t)(0xffu >> keep);
		if (a[i] & mask)
			return false;
	}
	return true;
}

/* Split "addr/len"; returns the address part's length. */
static size_t split_prefix(const char *s, size_t n, const char **lenp, size_t *lenn)
{
	const char *slash = memchr(s, '/', n);
	if (!slash) {
		*lenp = NULL;
		*lenn = 0;
		return n;
	}
	*lenp = slash + 1;
	*lenn = n - (size_t)(slash + 1 - s);
	return (size_t)(slash - s);
}

static enum cfg_addr_err finish(struct cfg_addr *out, unsigned bytes, const char *lenp,
				size_t lenn, uint32_t *bad)
{
	uint32_t len = bytes * 8;
	if (lenp) {
		enum cfg_addr_err e = parse_len(lenp, lenn, bytes * 8, &len, bad);
		if (e != CFG_AE_OK)
			return e;
	}
	out->prefix = (uint8_t)len;
	if (!host_bits_clear(out->a, bytes, len))
		return CFG_AE_HOSTBITS;
	return CFG_AE_OK;
}

enum cfg_addr_err cfg_parse_v4(const char *s, size_t n, struct cfg_addr *out, uint32_t *bad)
{
	const char *lenp;
	size_t lenn;
	size_t an = split_prefix(s, n, &lenp, &lenn);
	struct cfg_addr a = {.family = CFG_AF_V4};
	enum cfg_addr_err e = parse_quad(s, an, a.a, bad);
	if (e == CFG_AE_OK)
		e = finish(&a, 4, lenp, lenn, bad);
	if (e == CFG_AE_OK || e == CFG_AE_HOSTBITS)
		*out = a;
	return e;
}

bool cfg_parse_v4_port(const char *s, uint32_t *addr, uint16_t *port)
{
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	uint8_t q[4];
	uint32_t bad, p = 0;
	if (parse_quad(s, n, q, &bad) != CFG_AE_OK)
		return false;
	if (colon) {
		const char *d = colon + 1;
		size_t nd = strlen(d);
		if (nd == 0 || nd > 5 || (nd > 1 && d[0] == '0'))
			return false;
		for (; *d; d++) {
			if (!is_digit(*d))
				return false;
			p = p * 10 + (uint32_t)(*d - '0');
		}
		if (p == 0 || p > 65535)
			return false;
	}
	memcpy(addr, q, 4);
	*port = sys_be16((uint16_t)p);
	return true;
}

bool cfg_parse_addr_port(const char *s, struct cfg_addr *addr, uint16_t *port)
{
	const char *c1 = strchr(s, ':');
	if (!c1 || !strchr(c1 + 1, ':')) { /* IPv4, with or without a port */
		uint32_t a;
		if (!cfg_parse_v4_port(s, &a, port))
			return false;
		*addr = (struct cfg_addr){.family = CFG_AF_V4, .prefix = 32};
		memcpy(addr->a, &a, 4);
		return true;
	}
	size_t n = strlen(s);
	const char *ps = NULL;
	*port = 0;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return false;
		ps = rb + 2;
		s++;
		n = (size_t)(rb - s);
	}
	uint32_t bad;
	if (memchr(s, '/', n) || cfg_parse_v6(s, n, addr, &bad) != CFG_AE_OK)
		return false;
	if (ps) {
		/* The port as cfg_parse_v4_port takes it, after a dummy address. */
		char buf[16];
		uint32_t a;
		if (strlen(ps) > 5 || snprintf(buf, sizeof(buf), "0.0.0.0:%s", ps) < 0 ||
		    !cfg_parse_v4_port(buf, &a, port))
			return false;
	}
	return true;
}

enum cfg_addr_err cfg_parse_v6(const char *s, size_t n, struct cfg_addr *out, uint32_t *bad)
{
	const char *lenp;
	size_t lenn;
	size_t an = split_prefix(s, n, &lenp, &lenn);
	uint16_t g[8];
	int ng = 0, gap = -1; /* groups parsed; where "::" stood */
	size_t i = 0;

	if (an >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
	} else if (an == 0 || s[0] == ':') {
		return CFG_AE_SYNTAX;
	}
	while (i < an) {
		size_t start = i;
		uint32_t v = 0;
		while (i < an && hex_val(s[i]) >= 0 && i - start < 5)
			v = (v << 4) | (uint32_t)hex_val(s[i++]);
		if (i < an && s[i] == '.') {
			/* Dotted IPv4 tail: the last 32 bits, to the end. */
			uint8_t q[4];
			uint32_t dummy;
			if (ng > 6 || parse_quad(s + start, an - start, q, &dummy) != CFG_AE_OK)
				return CFG_AE_SYNTAX;
			g[ng++] = (uint16_t)(q[0] << 8 | q[1]);
			g[ng++] = (uint16_t)(q[2] << 8 | q[3]);
			i = an;
			break;
		}
		if (i == start || i - start > 4 || ng == 8)
			return CFG_AE_SYNTAX;
		g[ng++] = (uint16_t)v;
		if (i == an)
			break;
		if (s[i] != ':')
			return CFG_AE_SYNTAX;
		i++;
		if (i < an && s[i] == ':') {
			if (gap >= 0)
				return CFG_AE_SYNTAX;
			gap = ng;
			i++;
		} else if (i == an) {
			return CFG_AE_SYNTAX; /* a single trailing ':' */
		}
	}
	/* "::" stands for at least one zero group (RFC 4291 2.2 item 2). */
	if (gap < 0 ? ng != 8 : ng > 7)
		return CFG_AE_SYNTAX;

	struct cfg_addr a = {.family = CFG_AF_V6};
	int tail = gap < 0 ? 0 : ng - gap;
	for (int k = 0; k < ng - tail; k++) {
		a.a[2 * k] = (uint8_t)(g[k] >> 8);
		a.a[2 * k + 1] = (uint8_t)g[k];
	}
	for (int k = 0; k < tail; k++) {
		int at = 8 - tail + k;
		a.a[2 * at] = (uint8_t)(g[gap + k] >> 8);
		a.a[2 * at + 1] = (uint8_t)g[gap + k];
	}
	enum cfg_addr_err e = finish(&a, 16, lenp, lenn, bad);
	if (e == CFG_AE_OK || e == CFG_AE_HOSTBITS)
		*out = a;
	return e;
}

int cfg_addr_format(const struct cfg_addr *ad, char *buf, size_t size)
{
	char b[64];
	int n = 0;

	if (ad->family == CFG_AF_V4) {
		n = snprintf(b, sizeof(b), "%u.%u.%u.%u", ad->a[0], ad->a[1], ad->a[2], ad->a[3]);
		if (ad->prefix < 32)
			n += snprintf(b + n, sizeof(b) - (size_t)n, "/%u", ad->prefix);
		return snprintf(buf, size, "%s", b);
	}

	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (memcmp(ad->a, mapped, 12) == 0) {
		/* RFC 5952 5: IPv4-mapped addresses keep the dotted tail. */
		n = snprintf(b, sizeof(b), "::ffff:%u.%u.%u.%u", ad->a[12], ad->a[13], ad->a[14],
			     ad->a[15]);
	} else {
		uint16_t g[8];
		for (int k = 0; k < 8; k++)
			g[k] = (uint16_t)(ad->a[2 * k] << 8 | ad->a[2 * k + 1]);
		/* RFC 5952 4.2: compress the longest run of two or more zero
		 * groups, the first one on a tie. */
		int best = -1, best_len = 1;
		for (int k = 0; k < 8;) {
			if (g[k] != 0) {
				k++;
				continue;
			}
			int e = k;
			while (e < 8 && g[e] == 0)
				e++;
			if (e - k > best_len) {
				best = k;
				best_len = e - k;
			}
			k = e;
		}
		for (int k = 0; k < 8; k++) {
			if (k == best) {
				n += snprintf(b + n, sizeof(b) - (size_t)n, "::");
				k += best_len - 1;
				continue;
			}
			bool colon = k > 0 && k != best + best_len;
			n += snprintf(b + n, sizeof(b) - (size_t)n, "%s%x", colon ? ":" : "", g[k]);
		}
	}
	if (ad->prefix < 128)
		snprintf(b + n, sizeof(b) - (size_t)n, "/%u", ad->prefix);
	return snprintf(buf, size, "%s", b);
}
