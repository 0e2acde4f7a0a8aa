/* SPDX-License-Identifier: MIT */
/*
 * nfbox reload TARGET CONFIG - check CONFIG on the host with the function's
 * own code, then hand it to the running image over its console, which
 * swaps it in atomically (keeping flow state) or rejects it whole.
 *
 * The transfer ("reload begin LEN CRC32", "reload data B64"..., "reload
 * end") is the control protocol's, control/proto.h; the image answers "nfbox: reload ok ..." or, after its FILE:LINE:COL
 * errors, "nfbox: reload rejected ...".  Other lines keep their meaning in
 * between ("stats" still works).  An image without reload answers "unknown
 * command 'reload begin ...'" to the first line; we stop there and nothing
 * changes in it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/proto.h"
#include "tools/cfgblob.h"
#include "tools/cmd.h"
#include "topology/ctl.h"

#define PROG "nfbox reload"


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
		ctl_perror(PROG, &t, rc, 3000, "its running config is untouched");
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
	if (cfgblob_make(argv[2], nf, &blob, &len)) {
		fprintf(stderr, PROG ": %s rejected; %s keeps its running config\n", argv[2], t.label);
		return 1;
	}
	/* 2. Does the image take reloads at all? */
	char line[128], *ans = NULL;
	snprintf(line, sizeof(line), "reload begin %zu %08x\n", len, control_crc32(0, blob, len));
	rc = ctl_exchange(&t, line, "end", &ans, 3000);
	if (rc) {
		ctl_perror(PROG, &t, rc, 3000, "its running config is untouched");
		free(blob);
		return 1;
	}
	/* An image that takes long data lines says so (control/proto.h). */
	char want[64];
	snprintf(want, sizeof(want), "(data lines of up to %u bytes)", CONTROL_CHUNK_LONG);
	const size_t chunk = strstr(ans, want) ? CONTROL_CHUNK_LONG : CONTROL_CHUNK;
	if (strstr(ans, "reload: no memory for")) {
		fprintf(stderr, PROG ": %s: the image has no memory for %zu bytes of config (run it "
				"with a larger --mem); its running config is untouched\n", t.label, len);
		free(ans);
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
	size_t n_lines = (len + chunk - 1) / chunk;
	char *req = malloc(n_lines * (CONTROL_DATA_LINE_MAX + 1) + 32), *o = req;
	if (!req) {
		fprintf(stderr, PROG ": out of memory\n");
		free(blob);
		return 1;
	}
	for (size_t off = 0; off < len; off += chunk) {
		o += sprintf(o, "reload data ");
		o += control_b64_encode(blob + off, len - off < chunk ? len - off : chunk, o);
		*o++ = '\n';
	}
	strcpy(o, "reload end\n");
	free(blob);
	/* During a transfer the image reads its console on every idle turn
	 * (200 us per 10 ms when packets flow); the bound is the VM exits,
	 * two per byte: ~5 ms per line at 40 us an exit (kvm_pvm). */
	/* The console's bytes, at no less than 10 KB/s (TCG measured ~60). */
	rc = ctl_exchange(&t, req, "end", &ans, 3000 + (unsigned)(strlen(req) / 10));
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
