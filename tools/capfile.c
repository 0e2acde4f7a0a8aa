/* SPDX-License-Identifier: MIT */
/* capfile.c - pcapng and pcap files of captured frames (see capfile.h). */
#define _GNU_SOURCE
#include "tools/capfile.h"

#include <errno.h>
#include <string.h>

#include "dataplane/capture.h"

#define LINKTYPE_ETHERNET 1

static void put32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }
static void put16(FILE *f, uint16_t v) { fwrite(&v, 2, 1, f); }
static void pad4(FILE *f, size_t n)
{
	static const uint8_t z[4];
	fwrite(z, 1, (4 - n % 4) % 4, f);
}
static uint32_t len4(size_t n) { return (uint32_t)((n + 3) & ~(size_t)3); }

/* A pcapng option: code, length, value padded to 4. */
static void opt(FILE *f, uint16_t code, const void *v, size_t n)
{
	put16(f, code);
	put16(f, (uint16_t)n);
	fwrite(v, 1, n, f);
	pad4(f, n);
}

int capfile_open(struct capfile *c, const char *path, bool ng, const char *port_name,
		 uint32_t snaplen, bool drops)
{
	memset(c, 0, sizeof(*c));
	c->ng = ng;
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
	if (!c->f)
		return -errno;
	if (!ng && drops) {
		char p[4200];
		snprintf(p, sizeof(p), "%s.drops", strcmp(path, "-") == 0 ? "capture" : path);
		c->drops = fopen(p, "w");
		if (!c->drops) {
			int e = -errno;
			if (c->f != stdout)
				fclose(c->f);
			return e;
		}
	}
	if (!ng) {
		put32(c->f, 0xa1b23c4du); /* nanosecond timestamps */
		put16(c->f, 2);
		put16(c->f, 4);
		put32(c->f, 0);
		put32(c->f, 0);
		put32(c->f, snaplen);
		put32(c->f, LINKTYPE_ETHERNET);
		return 0;
	}
	/* Section Header Block: no options, length of the section unknown. */
	put32(c->f, 0x0a0d0d0au);
	put32(c->f, 28);
	put32(c->f, 0x1a2b3c4du);
	put16(c->f, 1);
	put16(c->f, 0);
	put32(c->f, 0xffffffffu);
	put32(c->f, 0xffffffffu);
	put32(c->f, 28);
	/* Interface Description Block: if_name, if_tsresol 9 (ns). */
	size_t nl = strlen(port_name);
	uint32_t len = 20 + 4 + len4(nl) + 4 + 4 + 4;
	put32(c->f, 1);
	put32(c->f, len);
	put16(c->f, LINKTYPE_ETHERNET);
	put16(c->f, 0);
	put32(c->f, snaplen);
	opt(c->f, 2, port_name, nl);
	uint8_t res = 9;
	opt(c->f, 9, &res, 1);
	put32(c->f, 0); /* opt_endofopt */
	put32(c->f, len);
	return ferror(c->f) ? -EIO : 0;
}

int capfile_write(struct capfile *c, uint64_t ts_ns, unsigned dir, const char *why,
		  const uint8_t *data, uint32_t cap_len, uint32_t orig_len)
{
	c->frames++;
	if (!c->ng) {
		put32(c->f, (uint32_t)(ts_ns / 1000000000u));
		put32(c->f, (uint32_t)(ts_ns % 1000000000u));
		put32(c->f, cap_len);
		put32(c->f, orig_len);
		fwrite(data, 1, cap_len, c->f);
		if (dir == CAP_DROP && c->drops)
			fprintf(c->drops, "%llu %s\n", (unsigned long long)c->frames, why);
		return ferror(c->f) ? -EIO : 0;
	}
	char comment[80];
	size_t cl = dir == CAP_DROP ? (size_t)snprintf(comment, sizeof(comment), "drop: %s", why) : 0;
	if (cl >= sizeof(comment))
		cl = sizeof(comment) - 1;
	/* epb_flags bits 0-1: 01 inbound, 10 outbound (a drop came in). */
	uint32_t flags = dir == CAP_TX ? 2u : 1u;
	uint32_t len = 28 + len4(cap_len) + (4 + 4) + (cl ? 4 + len4(cl) : 0) + 4 + 4;
	put32(c->f, 6);
	put32(c->f, len);
	put32(c->f, 0); /* interface 0 */
	put32(c->f, (uint32_t)(ts_ns >> 32));
	put32(c->f, (uint32_t)ts_ns);
	put32(c->f, cap_len);
	put32(c->f, orig_len);
	fwrite(data, 1, cap_len, c->f);
	pad4(c->f, cap_len);
	opt(c->f, 2, &flags, 4);
	if (cl)
		opt(c->f, 1, comment, cl);
	put32(c->f, 0);
	put32(c->f, len);
	return ferror(c->f) ? -EIO : 0;
}

int capfile_close(struct capfile *c)
{
	int rc = 0;
	if (c->drops && fclose(c->drops) != 0)
		rc = -errno;
	if (c->f && (c->f == stdout ? fflush(c->f) : fclose(c->f)) != 0)
		rc = -errno;
	c->f = c->drops = NULL;
	return rc;
}
