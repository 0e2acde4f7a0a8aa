/* SPDX-License-Identifier: MIT */
/*
 * nfbox capture TARGET --port NAME [--dir rx|tx|drop] [--count N] -w FILE
 * - copies of the frames a running image's function sees on one port,
 * asked over its console in rounds (control/capture.h is the protocol,
 * topology/ctl_capture.c the client, tools/capfile.h the file), TARGET
 * resolved as `nfbox stats` does.  The image copies frames into a bounded
 * ring only while armed and never waits for us: what did not fit is
 * counted lost and reported.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "control/capture.h"
#include "tools/capfile.h"
#include "tools/cmd.h"
#include "tools/opts.h"
#include "topology/ctl.h"

#define PROG "nfbox capture"

struct capture_args {
	const char *port, *dir, *file, *format;
	unsigned count, snaplen, timeout_ms;
	bool quiet;
};

static const char *const formats[] = {"pcapng", "pcap", NULL};

static const struct opt capture_opt[] = {
	OPT_STRING("--port", struct capture_args, port, "NAME", "the port: its config name or index (required)"),
	OPT_STRING("--dir", struct capture_args, dir, "DIR",
		   "rx, tx, drop, all or a comma list (default rx,tx)"),
	OPT_UINT("--count", struct capture_args, count, 0, 1l << 30, "N",
		 "stop after N frames (default 0: until SIGINT/SIGTERM)"),
	OPT_STRING("-w", struct capture_args, file, "FILE", "write the frames to FILE ('-': stdout) (required)"),
	OPT_CHOICE("--format", struct capture_args, format, formats, "pcapng|pcap",
		   "file format (default pcapng)"),
	OPT_UINT("--snaplen", struct capture_args, snaplen, 1, CAP_SNAPLEN_MAX, "N",
		 "bytes kept of each frame (default 65535)"),
	OPT_CUSTOM("--timeout", struct capture_args, timeout_ms, opts_seconds_ms, OPTS_SECONDS_WANT,
		   "S", "give up after S seconds without an answer (default 3)"),
	OPT_FLAG("-q", struct capture_args, quiet, "no summary on stderr"),
	OPT_END,
};

static const struct opts capture_opts = {
	.prog = PROG,
	.usage = "usage: nfbox capture TARGET --port NAME [--dir rx|tx|drop] [--count N] -w FILE\n\n"
		 "Copy the frames a running image's function sees on one port into a\n"
		 "pcapng (or pcap) file, as tcpdump -w would:\n"
		 "  rx    what the function is handed from the port (before it rewrites it)\n"
		 "  tx    what it sends out of the port (after rewriting; generated frames too)\n"
		 "  drop  what came in on the port and was dropped: malformed, the function's\n"
		 "        verdict with its reason (firewall:policy, nat:ports_exhausted, ...),\n"
		 "        bad_port, tx_full.  pcapng keeps the reason as the frame's comment\n"
		 "        (tshark -T fields -e frame.comment) and the direction in epb_flags;\n"
		 "        --format pcap writes the reasons to FILE.drops ('FRAME REASON')\n"
		 "The image copies frames into a 256 KiB ring only while a capture is armed\n"
		 "and never waits for this command: frames that find the ring full are not\n"
		 "copied, only counted ('lost' in the summary), so a capture cannot starve\n"
		 "forwarding.  The frames come over the serial console (base64): expect\n"
		 "tens of KiB/s, not line rate.  SIGINT or SIGTERM stops it, keeping\n"
		 "what was copied.  One capture per image at a time.\n\n"
		 "TARGET:\n"
		 "  NAME            an image started with 'nfbox run --name NAME'\n"
		 "  SOCKET          the control socket of 'nfbox run --control SOCKET'\n"
		 "  PID             an 'nfbox run' started with --name or --control\n"
		 "  CHAINFILE:NAME  function NAME of a chain started by 'nfbox chain up'\n\n",
	.opt = capture_opt,
	.help_col = 20,
};

static volatile int stop_flag;
static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct sink {
	struct capfile f;
	bool open;
	const char *path;
	bool ng, drops;
	uint32_t snaplen;
	char port_name[64];
};

static int on_frame(void *ctx, const struct control_cap_frame *fr, const uint8_t *data)
{
	struct sink *s = ctx;
	return capfile_write(&s->f, fr->ts_ns, fr->dir, fr->why, data, fr->cap_len, fr->orig_len);
}

static int run_capture(int argc, char **argv)
{
	struct capture_args a = {.dir = "rx,tx", .format = "pcapng", .snaplen = CAP_SNAPLEN_MAX,
				 .timeout_ms = 3000};
	int npos;
	enum opts_result r = opts_parse(&capture_opts, &a, argc, argv, &npos);
	if (r != OPTS_OK)
		return opts_status(r);
	if (opts_one_target(PROG, npos, argv))
		return 2;
	if (!a.port || !a.file) {
		fprintf(stderr, PROG ": %s is required (try 'nfbox capture --help')\n",
			!a.port ? "--port NAME" : "-w FILE");
		return 2;
	}
	if (!a.port[0] || strchr(a.port, ' ') || strlen(a.port) >= 32) {
		fprintf(stderr, PROG ": --port '%s': want a port name or index\n", a.port);
		return 2;
	}
	unsigned dirs = cap_dirs_parse(a.dir, strlen(a.dir));
	if (!dirs) {
		fprintf(stderr, PROG ": --dir '%s': want rx, tx, drop, all or a comma list of them\n", a.dir);
		return 2;
	}
	struct ctl_target t;
	if (ctl_resolve(PROG, argv[1], &t) < 0)
		return 1;
	struct sink s = {.path = a.file, .ng = strcmp(a.format, "pcapng") == 0,
			 .drops = (dirs & CAP_DROP) != 0, .snaplen = a.snaplen};
	/* The file is created before the capture is armed: a path we cannot
	 * write never costs the image a copy. */
	int rc = capfile_open(&s.f, a.file, s.ng, a.port, a.snaplen, s.drops);
	if (rc) {
		fprintf(stderr, PROG ": %s: %s\n", a.file, strerror(-rc));
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	char dirbuf[32];
	snprintf(dirbuf, sizeof(dirbuf), "%s%s%s%s%s", dirs & CAP_RX ? "rx" : "",
		 (dirs & CAP_RX) && (dirs & ~CAP_RX) ? "," : "", dirs & CAP_TX ? "tx" : "",
		 (dirs & CAP_TX) && (dirs & CAP_DROP) ? "," : "", dirs & CAP_DROP ? "drop" : "");
	struct ctl_capture_req q = {.port = a.port, .dirs = dirbuf, .count = a.count,
				    .snaplen = a.snaplen, .timeout_ms = a.timeout_ms,
				    .stop = &stop_flag};
	struct ctl_capture_res res;
	rc = ctl_capture(&t, &q, on_frame, &s, &res);
	int crc = capfile_close(&s.f);
	if (!res.armed) {
		if (strcmp(a.file, "-") != 0)
			unlink(a.file);
		if (rc == -EPROTO)
			fprintf(stderr, PROG ": %s: %s\n", t.label, res.msg);
		else
			ctl_perror(PROG, &t, rc, a.timeout_ms, "nothing was captured");
		return 1;
	}
	if (rc == -EPROTO) {
		fprintf(stderr, PROG ": %s: %s\n", t.label, res.msg);
	} else if (rc < 0 && rc != -EIO) {
		ctl_perror(PROG, &t, rc, a.timeout_ms, "the frames so far are in the file");
	} else if (rc) {
		fprintf(stderr, PROG ": %s: %s\n", a.file, strerror(-rc));
	}
	if (crc)
		fprintf(stderr, PROG ": %s: %s\n", a.file, strerror(-crc));
	if (!a.quiet)
		fprintf(stderr, PROG ": %s: %llu frames written to %s (%s), %llu lost (ring full)%s\n",
			t.label, (unsigned long long)res.frames, a.file, res.msg,
			(unsigned long long)res.lost,
			res.bad ? ", some lines not understood" : "");
	if (res.bad)
		fprintf(stderr, PROG ": %llu frame lines not understood, left out\n",
			(unsigned long long)res.bad);
	return rc || crc || res.bad ? 1 : 0;
}

static const struct nfbox_cmd capture_cmd = {
	.name = "capture",
	.summary = "copy the frames a running image's function sees into pcapng",
	.opts = &capture_opts,
	.run = run_capture,
};
CMD_REGISTER(capture_cmd);
