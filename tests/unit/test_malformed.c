/* SPDX-License-Identifier: MIT */
/*
 * test_malformed.c - parse_pkt() against the malformed-packet corpus.
 *
 * tests/data/malformed/corpus.pcap holds one frame per case and expected.txt
 * the parse_err_name() each must produce (both made by
 * tests/gen/make_malformed.py; cases.txt describes them by index).
 *
 * Every frame is parsed from a heap buffer of exactly its length, not from a
 * 2 KiB packet buffer, so AddressSanitizer reports any read past the end.
 * On top of the expected reasons, every well-formed frame is parsed at every
 * truncated length and with single bytes corrupted: each result must be an
 * error, or PARSE_OK with offsets that stay inside what was validated.  Each
 * untagged IPv4 input is also parsed with a VLAN tag inserted, which takes
 * parse_pkt() off its fast path: both paths must agree.
 *
 * The corpus is found through $NFBOX_MALFORMED_DIR, else relative to this
 * source file as the compiler saw it (the repository root when built by
 * the Makefile).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pcap.h>

#include "dataplane/parse.h"

struct frame {
	uint8_t *bytes;
	uint32_t len;
	char expected[128];
};

static struct frame *frames;
static size_t n_frames;

static void corpus_path(char *out, size_t size, const char *file)
{
	const char *dir = getenv("NFBOX_MALFORMED_DIR");
	if (dir) {
		snprintf(out, size, "%s/%s", dir, file);
		return;
	}
	/* __FILE__ is ".../tests/unit/test_malformed.c". */
	const char *me = __FILE__;
	const char *tail = strstr(me, "tests/unit/test_malformed.c");
	int prefix = tail ? (int)(tail - me) : 0;
	snprintf(out, size, "%.*stests/data/malformed/%s", prefix, me, file);
}

static int load_corpus(void **state)
{
	(void)state;
	char path[4096], err[PCAP_ERRBUF_SIZE];

	corpus_path(path, sizeof(path), "expected.txt");
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s (set NFBOX_MALFORMED_DIR)\n", path);
		return -1;
	}
	size_t cap = 0;
	char line[128];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, " \t\r\n")] = 0;
		if (!line[0])
			continue;
		if (n_frames == cap) {
			cap = cap ? cap * 2 : 256;
			frames = realloc(frames, cap * sizeof(*frames));
			if (!frames)
				abort();
		}
		memset(&frames[n_frames], 0, sizeof(frames[0]));
		snprintf(frames[n_frames].expected, sizeof(frames[0].expected), "%s", line);
		n_frames++;
	}
	fclose(f);

	corpus_path(path, sizeof(path), "corpus.pcap");
	pcap_t *pc = pcap_open_offline(path, err);
	if (!pc) {
		fprintf(stderr, "%s: %s\n", path, err);
		return -1;
	}
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t i = 0;
	int rc;
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		if (i == n_frames) {
			fprintf(stderr, "corpus has more frames than expected.txt lines\n");
			pcap_close(pc);
			return -1;
		}
		if (h->caplen != h->len) {
			fprintf(stderr, "frame %zu was cut by the capture\n", i);
			pcap_close(pc);
			return -1;
		}
		frames[i].len = h->caplen;
		/* Exactly len bytes: ASan flags any read beyond. */
		frames[i].bytes = malloc(h->caplen);
		if (!frames[i].bytes)
			abort();
		memcpy(frames[i].bytes, data, h->caplen);
		i++;
	}
	pcap_close(pc);
	if (i != n_frames) {
		fprintf(stderr, "corpus has %zu frames, expected.txt %zu lines\n", i, n_frames);
		return -1;
	}
	return 0;
}

static int free_corpus(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_frames; i++)
		free(frames[i].bytes);
	free(frames);
	return 0;
}

/* Parse `len` bytes copied into a heap buffer of exactly that size. */
static enum parse_result parse_exact(const uint8_t *bytes, uint32_t len, struct pkt *p)
{
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	memcpy(buf, bytes, len);
	memset(p, 0, sizeof(*p));
	p->data = buf;
	p->len = (uint16_t)len;
	enum parse_result r = parse_pkt(p);
	p->data = NULL; /* nobody may read it after this */
	free(buf);
	return r;
}

/*
 * What PARSE_OK promises (parse.h): every offset and length the parser
 * reports lies inside the frame, and PKT_F_L4 means a whole L4 header inside
 * the IP packet.  Returns NULL or a description of the broken promise.
 */
static const char *ok_is_consistent(const struct pkt *p, const uint8_t *bytes)
{
	uint32_t len = p->len;
	if (p->l3 == PKT_L3_NONE)
		return p->flags & (PKT_F_L4 | PKT_F_FRAG) ? "flags without l3" : NULL;
	uint32_t base = ETH_HLEN + (p->flags & PKT_F_VLAN ? 4 : 0) + (p->flags & PKT_F_QINQ ? 4 : 0);
	if (p->l3_off != base)
		return "l3_off does not follow the tags";
	if ((uint32_t)p->l3_off + p->l3_len > len)
		return "l3 past the frame";
	if (p->l3 == PKT_L3_ARP)
		return p->l3_len >= 8 ? NULL : "arp shorter than its fixed part";

	uint32_t end = (uint32_t)p->l3_off + p->l3_len;
	uint32_t min_l3 = p->l3 == PKT_L3_IPV4 ? 20 : 40;
	if (p->l3_len < min_l3)
		return "ip length below its header";
	if (p->l4_off < p->l3_off + min_l3 || p->l4_off > end)
		return "l4_off outside the ip packet";
	if (p->l3 == PKT_L3_IPV4 && p->l4_off != p->l3_off + (bytes[p->l3_off] & 15) * 4)
		return "l4_off is not after the ipv4 header";
	if (!(p->flags & PKT_F_L4))
		return NULL;
	if (p->flags & PKT_F_FRAG_LATER)
		return "l4 in a later fragment";
	const uint8_t *l4 = bytes + p->l4_off;
	uint32_t avail = end - p->l4_off, need;
	switch (p->l4_proto) {
	case IPPROTO_TCP_:
		if (avail < 20)
			return "tcp header cut";
		need = (uint32_t)(l4[12] >> 4) * 4;
		if (need < 20)
			return "tcp doff < 5 accepted";
		break;
	case IPPROTO_UDP_:
		need = 8;
		if (!(p->flags & PKT_F_FRAG) && avail >= 8 &&
		    (l4[4] << 8 | l4[5]) > (int)avail)
			return "udp length past the ip packet";
		break;
	case IPPROTO_ICMP_:
		need = 8;
		break;
	case IPPROTO_ICMPV6_:
		need = avail >= 1 && (l4[0] == 128 || l4[0] == 129) ? 8 : 4;
		break;
	default:
		return "PKT_F_L4 on an unknown protocol";
	}
	return need <= avail ? NULL : "l4 header past the ip packet";
}

/*
 * Differential check of parse_pkt()'s two paths: untagged IPv4 may take the
 * fast path, the same frame with an 802.1Q tag inserted always takes the
 * complete parser.  Both must agree on the reason and, shifted by the tag,
 * on every field.  Returns the number of disagreements (printed).
 */
static unsigned tagged_agrees(const uint8_t *bytes, uint32_t len, const char *what, size_t i,
			      uint32_t n)
{
	if (len < ETH_HLEN || len + 4 > PARSE_FRAME_MAX || bytes[12] != 0x08 || bytes[13] != 0x00)
		return 0;
	uint8_t *t = malloc(len + 4);
	assert_non_null(t);
	memcpy(t, bytes, 12);
	t[12] = 0x81;
	t[13] = 0x00;
	t[14] = 0x00;
	t[15] = 0x2a;
	memcpy(t + 16, bytes + 12, len - 12);

	struct pkt a, b;
	enum parse_result ra = parse_exact(bytes, len, &a);
	enum parse_result rb = parse_exact(t, len + 4, &b);
	free(t);
	unsigned bad = 0;
	if (ra != rb) {
		bad = 1;
	} else if (ra == PARSE_OK) {
		bad = a.l3 != b.l3 || a.l4_proto != b.l4_proto || a.l3_len != b.l3_len ||
		      a.l3_off + 4 != b.l3_off || (a.l4_off && a.l4_off + 4 != b.l4_off) ||
		      (a.flags | PKT_F_VLAN) != b.flags || b.vlan_tci != 0x2a || a.vlan_tci != 0;
	}
	if (bad)
		fprintf(stderr, "%s %zu/%u: untagged %s, tagged %s, or fields differ\n", what, i, n,
			parse_err_name(ra), parse_err_name(rb));
	return bad;
}

static void test_expected_reasons(void **state)
{
	(void)state;
	unsigned bad = 0, ok = 0;
	for (size_t i = 0; i < n_frames; i++) {
		struct pkt p;
		enum parse_result r = parse_exact(frames[i].bytes, frames[i].len, &p);
		const char *got = parse_err_name(r);
		if (strcmp(got, frames[i].expected) != 0) {
			fprintf(stderr, "frame %zu (len %u): expected %s, got %s\n", i,
				frames[i].len, frames[i].expected, got);
			bad++;
		}
		if (r == PARSE_OK) {
			ok++;
			const char *why = ok_is_consistent(&p, frames[i].bytes);
			if (why) {
				fprintf(stderr, "frame %zu: %s\n", i, why);
				bad++;
			}
		}
		bad += tagged_agrees(frames[i].bytes, frames[i].len, "frame", i, 0);
	}
	fprintf(stderr, "%zu frames, %u ok, %u mismatches\n", n_frames, ok, bad);
	assert_int_equal(bad, 0);
	assert_true(n_frames > 100);
}

/* Every prefix of every good frame: an error, or a consistent PARSE_OK. */
static void test_truncations(void **state)
{
	(void)state;
	unsigned bad = 0, runs = 0;
	for (size_t i = 0; i < n_frames; i++) {
		if (strcmp(frames[i].expected, "ok") != 0)
			continue;
		for (uint32_t n = 0; n < frames[i].len; n++) {
			struct pkt p;
			enum parse_result r = parse_exact(frames[i].bytes, n, &p);
			runs++;
			if (r >= PARSE_ERR_COUNT) {
				fprintf(stderr, "frame %zu cut to %u: result %d\n", i, n, r);
				bad++;
			} else if (r == PARSE_OK) {
				p.len = (uint16_t)n;
				const char *why = ok_is_consistent(&p, frames[i].bytes);
				if (why) {
					fprintf(stderr, "frame %zu cut to %u: %s\n", i, n, why);
					bad++;
				}
			}
			bad += tagged_agrees(frames[i].bytes, n, "cut", i, n);
		}
	}
	fprintf(stderr, "%u truncated parses\n", runs);
	assert_int_equal(bad, 0);
}

/* Every good frame with one of its first 128 bytes replaced by a few values
 * that hit length fields' extremes: same promise as above. */
static void test_corruptions(void **state)
{
	(void)state;
	static const uint8_t vals[] = {0x00, 0x01, 0x05, 0x0f, 0x3f, 0x40, 0x45, 0x60, 0x80, 0xff};
	unsigned bad = 0, runs = 0;
	for (size_t i = 0; i < n_frames; i++) {
		if (strcmp(frames[i].expected, "ok") != 0)
			continue;
		uint32_t len = frames[i].len;
		uint8_t *copy = malloc(len);
		assert_non_null(copy);
		for (uint32_t at = 0; at < len && at < 128; at++) {
			for (size_t v = 0; v < sizeof(vals); v++) {
				memcpy(copy, frames[i].bytes, len);
				copy[at] = vals[v];
				struct pkt p;
				enum parse_result r = parse_exact(copy, len, &p);
				runs++;
				if (r == PARSE_OK) {
					const char *why = ok_is_consistent(&p, copy);
					if (why) {
						fprintf(stderr, "frame %zu byte %u = %#x: %s\n", i, at,
							vals[v], why);
						bad++;
					}
				}
				bad += tagged_agrees(copy, len, "corrupted", i, at);
			}
		}
		free(copy);
	}
	fprintf(stderr, "%u corrupted parses\n", runs);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expected_reasons),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_corruptions),
	};
	return cmocka_run_group_tests(tests, load_corpus, free_corpus);
}
