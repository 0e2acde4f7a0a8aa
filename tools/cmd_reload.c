/* SPDX-License-Identifier: MIT */
/*
 * nfbox reload TARGET CONFIG - check CONFIG on the host with the function's
 * own code, then hand it to the running image over its console, which
 * swaps it in atomically (keeping flow state) or rejects it whole.
 *
 * Wire format (console lines, each at most 63 characters, the image's
 * serial line buffer):
 *
 *   reload begin LEN CRC32        LEN bytes of "NAME\0TEXT" follow (the blob
 *                                 `nfbox run` passes by fw_cfg), CRC32 (IEEE,
 *                                 as zlib) in hex
 *   reload data BASE64            up to 36 bytes per line (48 characters)
 *   reload end                    the image checks length and CRC, parses,
 *                                 configures a new rule set, swaps it in
 *
 * and the image answers "nfbox: reload ok ..." or, after its FILE:LINE:COL
 * errors, "nfbox: reload rejected ...".  Other lines keep their meaning in
 * between ("stats" still works).  An image without reload answers "unknown
 * command 'reload begin ...'" to the first line; we stop there and nothing
 * changes in it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cmd.h"
#include "topology/ctl.h"

#define PROG "nfbox reload"
#define CHUNK 36

int nfbox_config_blob(const char *path, const char *nf_name, char **blob, size_t *blob_len);

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

static size_t b64(const uint8_t *in, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

static int run_reload(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: nfbox reload TARGET CONFIG (try 'nfbox reload --help')\n");
		return 2;
	}
	struct ctl_target t;
	if (ctl_resolve(PROG, argv[1], &t) < 0)
		return 1;
	/* Which function it runs: its counters say (image.function). */
	char nf[64], *st = NULL;
	int rc = ctl_stats(&t, &st, 3000);
	if (rc) {
		fprintf(stderr, PROG ": %s: %s\n", t.label,
			ctl_strerror(rc));
		return 1;
	}
	rc = ctl_stat_str(st, "image.function", nf, sizeof(nf));
	free(st);
	if (rc) {
		fprintf(stderr, PROG ": %s: its counters do not name its function (an older image?)\n",
			t.label);
		return 1;
	}
	/* 1. The host's check: the same parser and function code as the image. */
	char *blob;
	size_t len;
	if (nfbox_config_blob(argv[2], nf, &blob, &len)) {
		fprintf(stderr, PROG ": %s rejected; %s keeps its running config\n", argv[2], t.label);
		return 1;
	}
	/* 2. Does the image take reloads at all? */
	char line[128], *ans = NULL;
	snprintf(line, sizeof(line), "reload begin %zu %08x\n", len, crc32_ieee((uint8_t *)blob, len));
	rc = ctl_exchange(&t, line, "end", &ans, 3000);
	if (rc) {
		fprintf(stderr, PROG ": %s: %s\n", t.label,
			rc == -ETIMEDOUT ? "no answer from the image's console" : strerror(-rc));
		free(blob);
		return 1;
	}
	if (strstr(ans, "unknown command 'reload")) {
		fprintf(stderr, PROG ": %s: this image cannot reload (its console knows no 'reload' "
				"command); its running config is untouched\n", t.label);
		free(ans);
		free(blob);
		return 1;
	}
	free(ans);
	/* 3. The blob, then "reload end"; the answer comes before our marker. */
	size_t n_lines = (len + CHUNK - 1) / CHUNK;
	char *req = malloc(n_lines * 64 + 32), *o = req;
	for (size_t off = 0; off < len; off += CHUNK) {
		o += sprintf(o, "reload data ");
		o += b64((uint8_t *)blob + off, len - off < CHUNK ? len - off : CHUNK, o);
		*o++ = '\n';
	}
	strcpy(o, "reload end\n");
	free(blob);
	/* During a transfer the image reads its console on every idle turn
	 * (200 us per 10 ms when packets flow); the bound is the VM exits,
	 * two per byte: ~5 ms per line at 40 us an exit (kvm_pvm). */
	rc = ctl_exchange(&t, req, "end", &ans, 3000 + (unsigned)n_lines * 20);
	free(req);
	if (rc) {
		fprintf(stderr, PROG ": %s: %s\n", t.label,
			rc == -ETIMEDOUT ? "no answer to 'reload end'" : strerror(-rc));
		return 1;
	}
	fputs(ans, strstr(ans, "reload ok") ? stdout : stderr);
	rc = strstr(ans, "nfbox: reload ok") ? 0 : 1;
	if (rc && !strstr(ans, "reload rejected"))
		fprintf(stderr, PROG ": %s: no verdict from the image\n", t.label);
	free(ans);
	return rc;
}

static const struct nfbox_cmd reload_cmd = {
	.name = "reload",
	.summary = "swap a new config into a running image, keeping its flows",
	.usage = "usage: nfbox reload TARGET CONFIG\n\n"
		 "Check CONFIG on the host (errors as FILE:LINE:COL; then nothing is sent),\n"
		 "then send it over the image's console; the image swaps its rule set\n"
		 "atomically and keeps flow state, or rejects the config whole and keeps\n"
		 "running the old one.  TARGET as for 'nfbox stats': the NAME of an 'nfbox\n"
		 "run --name NAME', a control socket, the pid of an 'nfbox run' with --name\n"
		 "or --control, or CHAINFILE:NAME.\n",
	.run = run_reload,
};
CMD_REGISTER(reload_cmd);
